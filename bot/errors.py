"""The one exception tree of rollback-bot.

Every error a user can meet is a ``RollbackBotError``; its ``user_message`` is what a person is shown
(in Slack, or by the CLI) and never contains a stack trace or a secret. An error that names people
carries them as data (``text``: a ``bot.text.Text``); Slack renders them as mentions, the CLI as ids.
Anything else that escapes is a bug: the Slack error handler logs it with a reference id and shows only
that id.

    RollbackBotError
    ├── ConfigError                 bad or missing configuration (file, key path, what is wrong)
    │   └── SchemaTooNewError       a database a newer bot migrated: only upgrading the bot helps
    ├── UsageError                  unknown sub-command, service, environment or kind; malformed input
    ├── NotAllowedError             a refusal on policy grounds; always audited
    │   ├── NotIncidentChannelError
    │   ├── NotMemberError
    │   ├── NotApproverError
    │   ├── SelfApprovalError
    │   ├── ApprovalExpiredError
    │   ├── AlreadyDecidedError
    │   ├── StalePlanError
    │   └── RollbackInProgressError
    ├── NotFoundError               a request, prompt version or other record does not exist
    ├── StoreError                  the bot's own database failed or is unreachable
    ├── SchemaError                 the database is not migrated to this bot's schema yet (`db upgrade` fixes it)
    ├── TelemetryError              the application's telemetry could not be read, or not in the expected shape
    ├── SlackApiError               the Slack Web API refused a call
    │   └── SlackDeliveryError      a message could not be delivered now: retry (after Retry-After) or give up
    ├── LeaseLostError              this replica no longer holds an execution's lease (handed or taken over)
    ├── BusyError                   too much work already waiting: try again shortly (nothing was done)
    ├── VerificationError           a change was made but live state does not read back as planned
    ├── PartialRollbackError        a rollback of several layers stopped part-way: what was done, what was not
    └── AzureError                  an Azure call failed; carries the operation and resource
        ├── AzureAuthError          401/403: names the identity, the permission and the scope
        ├── AzureNotFoundError      404: names the resource
        ├── AzureConflictError      409: another operation holds the resource
        ├── AzureThrottledError     429 that outlived the bounded Retry-After wait
        ├── AzureUnavailableError   transient 5xx / connection errors after bounded retries
        └── AzureOperationError     a long-running operation failed or did not finish in time
"""

from __future__ import annotations

from bot.text import Text


class RollbackBotError(Exception):
    """Base of every error rollback-bot raises on purpose."""

    def __init__(self, user_message: str | Text) -> None:
        self.text = user_message if isinstance(user_message, Text) else Text(user_message)
        self.user_message = self.text.plain()
        super().__init__(self.user_message)


class ConfigError(RollbackBotError):
    """The configuration is invalid; the message names the file and the key path."""


class UsageError(RollbackBotError):
    """The input cannot be understood (unknown sub-command, service, environment, kind, …)."""


class NotAllowedError(RollbackBotError):
    """A policy refusal: the action is understood but not permitted for this person or state."""


class NotIncidentChannelError(NotAllowedError):
    """`/rollback` was used outside the configured incident channels."""


class NotMemberError(NotAllowedError):
    """The person is not a full member of the workspace (a guest, a Slack Connect user, a bot, deactivated)."""


class NotApproverError(NotAllowedError):
    """The person is not allowed to approve (not in the approvers, a bot, deleted or a guest)."""


class SelfApprovalError(NotAllowedError):
    """The requester tried to approve their own request."""


class SamePersonError(NotAllowedError):
    """The person approved the change this request continues (a restore, then its cut-over): someone else asks."""


class ApprovalExpiredError(NotAllowedError):
    """The request expired before it was decided."""


class AlreadyDecidedError(NotAllowedError):
    """The request was already approved, rejected, cancelled or executed."""


class StalePlanError(NotAllowedError):
    """The live state moved since the plan was made; the plan must be rebuilt."""


class RollbackInProgressError(NotAllowedError):
    """Another rollback for the same service and environment is in flight."""


class NotFoundError(RollbackBotError):
    """A record the user named does not exist."""


class StoreError(RollbackBotError):
    """The bot's own database failed or is unreachable."""


class SchemaTooNewError(ConfigError):
    """A newer bot migrated the database: nothing but upgrading the bot fixes it, so it is never retried."""


class SchemaError(RollbackBotError):
    """The database is not at this bot's schema yet (not migrated, or behind): `rollback-bot db upgrade` fixes it."""


class TelemetryError(RollbackBotError):
    """The application's telemetry (an LLM call log, a Log Analytics workspace) could not be read or did not
    answer in the shape its named query must have; the message names the query, the source and the problem."""


class SlackApiError(RollbackBotError):
    """The Slack Web API refused a call."""


class BusyError(RollbackBotError):
    """The bot has more work of this kind waiting than it takes on; nothing was done."""


class LeaseLostError(RollbackBotError):
    """This replica no longer holds the lease of what it was doing (handed over at shutdown, or taken over
    by another replica after this one stopped renewing it): it stops before its next write and records no
    outcome; the holder of the lease carries on."""


class SlackDeliveryError(SlackApiError):
    """A card update or thread message Slack did not take: worth another try (``retry_after`` seconds at
    the earliest, when Slack said), or ``permanent`` (the message, channel or blocks will not become valid)."""

    def __init__(self, user_message: str, *, retry_after: float | None = None, permanent: bool = False) -> None:
        super().__init__(user_message)
        self.retry_after = retry_after
        self.permanent = permanent


class VerificationError(RollbackBotError):
    """A change was made but live state does not read back as planned."""


class PartialRollbackError(RollbackBotError):
    """A rollback of several layers stopped at its first failure; the message lists what was done and what was not."""


class AzureError(RollbackBotError):
    """An Azure call failed; ``operation`` and ``resource`` say which and on what."""

    def __init__(
        self,
        user_message: str,
        *,
        operation: str = "",
        resource: str = "",
        status_code: int | None = None,
        error_code: str | None = None,
        operation_id: str | None = None,
    ) -> None:
        super().__init__(user_message)
        self.operation = operation
        self.resource = resource
        self.status_code = status_code
        self.error_code = error_code
        self.operation_id = operation_id


class AzureAuthError(AzureError):
    """401/403: the bot's identity lacks a role; the message names identity, permission and scope."""


class AzureNotFoundError(AzureError):
    """404: the named Azure resource does not exist."""


class AzureConflictError(AzureError):
    """409: another operation is in progress on the resource."""


class AzureThrottledError(AzureError):
    """429 that persisted past the bounded Retry-After wait."""


class AzureUnavailableError(AzureError):
    """Transient server or connection failure that persisted past bounded retries."""


class AzureOperationError(AzureError):
    """A long-running operation failed, or did not finish within the time bound."""


class DeployStoppedError(RollbackBotError):
    """A deploy was told to stop (an approver's Abort, SIGTERM or Ctrl-C): it rolls traffic back, then ends."""
