"""In-memory fakes of every port, with fault injection, for the fast tier (no HTTP, no threads, no database).

    deps, env = fast_world()                       # the built-in kinds bound to fake Azure and prompts
    env.apps.fail_next("set_traffic", AzureAuthError("no"), applied=True)

Each fake keeps the rules its real counterpart keeps where tests rely on them: the request repository
refuses a second in-flight request per target and applies transitions only from the stated status and
version; the Container Apps fake keeps whole rule lists, resolves ``latestRevision`` and refuses traffic
to an inactive revision; the prompt store keeps one active version per name.

Faults: ``fail_next(op, error, applied=False, n=1)`` makes the next ``n`` calls of ``op`` raise ``error``
(with ``applied`` the call's change is made first); ``stale_reads(op, n)`` answers the next ``n`` reads
of ``op`` with what was true before the latest write.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from bot.domain.azure import (
    Backup,
    ContainerAppRef,
    ContainerAppState,
    IndexInfo,
    JobContainer,
    JobExecution,
    JobRef,
    ModelDeployment,
    ModelVersionInfo,
    OpenAIAccountRef,
    PostgresServerRef,
    PostgresServerState,
    Revision,
    SearchAliasRef,
    SearchAliasState,
)
from bot.domain.catalog import Catalog, ChecklistPolicy, EnvironmentPolicy
from bot.domain.deploy import TemplateChange
from bot.domain.kinds import KindName
from bot.domain.people import SlackChannelInfo, SlackUserInfo
from bot.domain.plan import Plan, StepResult
from bot.domain.prompts import GuardStatus, PromptActivation, PromptVersion
from bot.domain.readiness import ChecklistClaim, ChecklistReport, DrillRecord
from bot.domain.recovery import CardProof, Evidence
from bot.domain.releases import DriftReport, ItemDiff, NewRelease, Release, ReleaseStatus
from bot.domain.rollback_requests import AuditEvent, NewRequest, RequestStatus, RollbackRequest, ServiceEnv
from bot.domain.secrets import SecretText
from bot.domain.signals import SignalQuery, SignalTable, TimeWindow
from bot.domain.slots import HolderKind, SlotHolder, busy_message
from bot.domain.traffic import TrafficRules
from bot.domain.tree import FlowState
from bot.domain.watches import NewWatch, Watch
from bot.errors import (
    AlreadyDecidedError,
    LeaseLostError,
    NotFoundError,
    RollbackInProgressError,
    StalePlanError,
    UsageError,
)
from bot.kinds import BoundEnvironment, BoundKind, Kind, Kinds, KindServices
from bot.kinds.code import KIND as CODE_KIND
from bot.kinds.code import CodeHandle
from bot.kinds.embedding import KIND as EMBEDDING_KIND
from bot.kinds.embedding import SearchHandle
from bot.kinds.model import KIND as MODEL_KIND
from bot.kinds.model import ModelHandle
from bot.kinds.prompt import KIND as PROMPT_KIND
from bot.kinds.prompt import PromptHandle
from bot.kinds.release import KIND as RELEASE_KIND
from bot.kinds.release import ReleaseHandle
from bot.kinds.schema import KIND as SCHEMA_KIND
from bot.kinds.schema import PostgresHandle
from bot.ports.azure import ContainerAppsApi, ModelDeploymentsApi, PostgresApi, SearchApi
from bot.ports.health import HealthProbe, HealthResult
from bot.ports.jobs import JobsApi
from bot.ports.metrics import Metrics
from bot.ports.migrations import MigrationHead
from bot.ports.notify import Notifier, PostedMessage
from bot.ports.prompts import PromptStore
from bot.ports.releases import ReleaseLog
from bot.ports.slack import SlackDirectory
from bot.ports.store import AuditLog, ChecklistLog, DrillLog, HealthCheck, RequestRepository, TargetSlots
from bot.ports.telemetry import TelemetryQuery
from bot.ports.watches import WatchStore
from bot.services import Deps
from bot.text import Mention, Text

T = TypeVar("T")
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
TARGET = ServiceEnv("pharmabot", "prod")
APP = ContainerAppRef("sub", "rg", "pharmabot-prod")
ACCOUNT = OpenAIAccountRef("sub", "rg", "pharmabot-openai")
SERVER = PostgresServerRef("sub", "rg", "pharmabot-db")
ALIAS = SearchAliasRef("https://search.invalid", "drugs")


class Clock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime = NOW) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class _Fault:
    error: Exception
    applied: bool
    remaining: int


class Faults:
    """Armed faults of one fake, by operation name."""

    def __init__(self) -> None:
        self._failures: dict[str, list[_Fault]] = {}
        self._stale: dict[str, int] = {}
        self.calls: list[str] = []

    def fail_next(self, op: str, error: Exception, *, applied: bool = False, n: int = 1) -> None:
        """The next ``n`` calls of ``op`` raise ``error`` (after making their change when ``applied``)."""
        self._failures.setdefault(op, []).append(_Fault(error, applied, n))

    def stale_reads(self, op: str, n: int = 1) -> None:
        """The next ``n`` reads of ``op`` after a write answer with what was true before the latest write."""
        self._stale[op] = self._stale.get(op, 0) + n

    def run(self, op: str, action: Callable[[], T]) -> T:
        """Record the call, then run it under the armed faults."""
        self.calls.append(op)
        queue = self._failures.get(op) or []
        if not queue:
            return action()
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.pop(0)
        if fault.applied:
            action()
        raise fault.error

    def stale(self, op: str) -> bool:
        """True (once per armed read) when this read must be stale."""
        if self._stale.get(op, 0) <= 0:
            return False
        self._stale[op] -= 1
        return True


# --- Azure ---------------------------------------------------------------------------------------


class FakeContainerApps(ContainerAppsApi):
    """One container app: revisions, a whole rule list, the latest revision; ARM's validation of rule lists."""

    def __init__(
        self, ref: ContainerAppRef, revisions: Sequence[Revision], rules: TrafficRules, *, mode: str = "Multiple"
    ) -> None:
        self.ref = ref
        self.mode = mode
        self.revisions = {r.name: r for r in revisions}
        self.rules = rules
        self.faults = Faults()
        self._before: tuple[TrafficRules, dict[str, Revision]] | None = None

    @property
    def latest(self) -> str | None:
        ordered = sorted(self.revisions.values(), key=lambda r: r.created_time or NOW)
        return ordered[-1].name if ordered else None

    def _state(self, rules: TrafficRules, revisions: dict[str, Revision]) -> ContainerAppState:
        weights = rules.weights(self.latest)
        revs = tuple(replace(r, traffic_weight=weights.get(r.name, 0)) for r in revisions.values())
        return ContainerAppState(self.ref.name, self.mode, "app.invalid", self.latest, "eastus", rules, revs)

    def get_app(self, ref: ContainerAppRef) -> ContainerAppState:
        def read() -> ContainerAppState:
            if self._before is not None and self.faults.stale("get_app"):
                return self._state(*self._before)
            return self._state(self.rules, self.revisions)

        return self.faults.run("get_app", read)

    def list_revisions(self, ref: ContainerAppRef) -> list[Revision]:
        return self.faults.run("list_revisions", lambda: list(self._state(self.rules, self.revisions).revisions))

    def _remember(self) -> None:
        self._before = (self.rules, dict(self.revisions))

    def set_traffic(self, ref: ContainerAppRef, rules: TrafficRules) -> ContainerAppState:
        rules.check_writable()

        def write() -> ContainerAppState:
            for rule in rules.rules:
                name = rule.serves(self.latest)
                if name not in self.revisions:
                    raise UsageError(f"revision {name} does not exist")
                if rule.weight and not self.revisions[name].active:
                    raise UsageError(f"revision {name} is not active")
            self._remember()
            self.rules = rules
            return self._state(self.rules, self.revisions)

        return self.faults.run("set_traffic", write)

    def _set_active(self, name: str, active: bool) -> None:
        self._remember()
        self.revisions[name] = replace(self.revisions[name], active=active)

    def activate_revision(self, ref: ContainerAppRef, name: str) -> None:
        self.faults.run("activate_revision", lambda: self._set_active(name, True))

    def set_env(
        self, ref: ContainerAppRef, *, container: str, name: str, value: str | None, traffic: TrafficRules
    ) -> ContainerAppState:
        traffic.check_writable()

        def write() -> ContainerAppState:
            latest = self.revisions[self.latest or ""]
            kept = tuple(e for e in latest.env if (e[0], e[1]) != (container, name))
            created = (latest.created_time or NOW) + timedelta(minutes=1)
            new = replace(latest, name=f"{ref.name}--env{len(self.revisions)}", created_time=created)
            self._remember()
            env = (*kept, (container, name, value)) if value is not None else kept
            self.revisions[new.name] = replace(new, env=env)
            self.rules = traffic
            return self._state(self.rules, self.revisions)

        return self.faults.run("set_env", write)

    def deactivate_revision(self, ref: ContainerAppRef, name: str) -> None:
        if self.rules.weights(self.latest).get(name):
            raise UsageError(f"revision {name} still gets traffic")
        self.faults.run("deactivate_revision", lambda: self._set_active(name, False))

    def get_revision(self, ref: ContainerAppRef, name: str) -> Revision:
        def read() -> Revision:
            if name not in self.revisions:
                raise NotFoundError(f"no revision {name}")
            return self._state(self.rules, self.revisions).revision(name) or self.revisions[name]

        return self.faults.run("get_revision", read)

    def create_revision(
        self, ref: ContainerAppRef, change: TemplateChange, *, suffix: str, rules: TrafficRules
    ) -> None:
        rules.check_writable()
        name = f"{ref.name}--{suffix}"

        def write() -> None:
            if name in self.revisions:
                raise UsageError(f"revision {name} already exists")
            created = max((r.created_time or NOW for r in self.revisions.values()), default=NOW) + timedelta(minutes=1)
            new = replace(revision(name, hours_ago=0), created_time=created, image=change.image or "acr.io/app:same")
            self._remember()
            self.revisions[name] = new
            self.rules = rules

        self.faults.run("create_revision", write)


def revision(name: str, *, hours_ago: float, active: bool = True, healthy: bool = True) -> Revision:
    """A revision as Azure reports it (traffic weights are filled in by the fake from its rules)."""
    return Revision(
        name=name,
        active=active,
        traffic_weight=0,
        created_time=NOW - timedelta(hours=hours_ago),
        image=f"acr.io/app:{name}",
        health_state="Healthy" if healthy else "Unhealthy",
        running_state="Running" if active else "Stopped",
        provisioning_state="Provisioned",
        fqdn=f"{name}.app.invalid",
    )


class FakeModelDeployments(ModelDeploymentsApi):
    """Deployments and the account's catalog."""

    def __init__(self, deployments: Sequence[ModelDeployment], catalog: Sequence[ModelVersionInfo]) -> None:
        self.deployments = {d.name: d for d in deployments}
        self.catalog = list(catalog)
        self.faults = Faults()
        self._before: dict[str, ModelDeployment] = {}

    def list_deployments(self, ref: OpenAIAccountRef) -> list[ModelDeployment]:
        return self.faults.run("list_deployments", lambda: list(self.deployments.values()))

    def get_deployment(self, ref: OpenAIAccountRef, name: str) -> ModelDeployment:
        def read() -> ModelDeployment:
            if name not in self.deployments:
                raise NotFoundError(f"no deployment {name}")
            if name in self._before and self.faults.stale("get_deployment"):
                return self._before[name]
            return self.deployments[name]

        return self.faults.run("get_deployment", read)

    def set_model_version(
        self, ref: OpenAIAccountRef, name: str, version: str, *, upgrade_option: str = "NoAutoUpgrade"
    ) -> ModelDeployment:
        def write() -> ModelDeployment:
            before = self.deployments[name]
            if not any(m.name == before.model and m.version == version for m in self.catalog):
                raise UsageError(f"{before.model} {version} is not deployable")
            self._before[name] = before
            self.deployments[name] = replace(before, version=version, version_upgrade_option=upgrade_option)
            return self.deployments[name]

        return self.faults.run("set_model_version", write)

    def list_account_models(self, ref: OpenAIAccountRef) -> list[ModelVersionInfo]:
        return self.faults.run("list_account_models", lambda: list(self.catalog))

    def list_location_models(self, ref: OpenAIAccountRef, location: str) -> list[ModelVersionInfo]:
        return self.faults.run("list_location_models", lambda: list(self.catalog))


class FakeSearch(SearchApi):
    """Aliases (one index each) and indexes with document counts."""

    def __init__(self, alias: str, index: str, counts: dict[str, int]) -> None:
        self.aliases = {alias: index}
        self.counts = dict(counts)
        self.faults = Faults()
        self._before: dict[str, str] = {}

    def get_alias(self, ref: SearchAliasRef) -> SearchAliasState:
        def read() -> SearchAliasState:
            if ref.alias in self._before and self.faults.stale("get_alias"):
                return SearchAliasState(ref.alias, (self._before[ref.alias],))
            return SearchAliasState(ref.alias, (self.aliases[ref.alias],))

        return self.faults.run("get_alias", read)

    def set_alias(self, ref: SearchAliasRef, index: str) -> SearchAliasState:
        def write() -> SearchAliasState:
            if index not in self.counts:
                raise UsageError(f"index {index} does not exist")
            self._before[ref.alias] = self.aliases[ref.alias]
            self.aliases[ref.alias] = index
            return SearchAliasState(ref.alias, (index,))

        return self.faults.run("set_alias", write)

    def list_indexes(self, ref: SearchAliasRef) -> list[IndexInfo]:
        return self.faults.run("list_indexes", lambda: [IndexInfo(n, c) for n, c in self.counts.items()])


class FakePostgres(PostgresApi):
    """A server, its backups, and the restores asked of it."""

    def __init__(self, server: PostgresServerState, backups: Sequence[Backup]) -> None:
        self.server = server
        self.backups = list(backups)
        self.faults = Faults()
        self.restored: list[tuple[str, datetime]] = []
        self.servers: dict[str, PostgresServerState] = {}
        self.ready_after: int | None = 2  # a restore is Ready after this many reads of it (None: only finish_restores)

    def get_server(self, ref: PostgresServerRef) -> PostgresServerState:
        return self.faults.run("get_server", lambda: self.server)

    def list_backups(self, ref: PostgresServerRef) -> list[Backup]:
        return self.faults.run("list_backups", lambda: list(self.backups))

    def find_server(self, ref: PostgresServerRef, name: str) -> PostgresServerState | None:
        def read() -> PostgresServerState | None:
            if name == self.server.name:
                return self.server
            found = self.servers.get(name)
            if found is not None and found.state == "Provisioning" and self.ready_after is not None:
                self.ready_after -= 1
                if self.ready_after <= 0:
                    self.finish_restores()
            return found

        return self.faults.run("find_server", read)

    def list_servers(self, ref: PostgresServerRef) -> list[PostgresServerState]:
        return self.faults.run("list_servers", lambda: [self.server, *self.servers.values()])

    def start_restore(self, ref: PostgresServerRef, *, target_server: str, point_in_time: datetime) -> None:
        def restore() -> None:
            if target_server == ref.server:
                raise UsageError("a restore goes into a new server, never in place")
            earliest = self.server.earliest_restore_date
            if point_in_time.tzinfo is None or (earliest is not None and point_in_time < earliest):
                raise UsageError(f"{point_in_time} is outside the backup window")
            if target_server in self.servers:
                raise UsageError(f"{target_server} exists")
            self.restored.append((target_server, point_in_time))
            self.servers[target_server] = replace(
                self.server, name=target_server, state="Provisioning", fqdn=f"{target_server}.postgres.invalid"
            )

        self.faults.run("start_restore", restore)

    def finish_restores(self, state: str = "Ready") -> None:
        """Every restore still provisioning ends ``state``."""
        for name, server in list(self.servers.items()):
            if server.state == "Provisioning":
                self.servers[name] = replace(server, state=state)


class FakeJobs(JobsApi):
    """One job: its containers, and executions that end as scripted (``outcome``) when ``finish`` is called."""

    def __init__(self, containers: Sequence[JobContainer], *, on_success: Callable[[list[str]], None] | None = None):
        self._containers = list(containers)
        self.on_success = on_success
        self.outcome = "Succeeded"
        self.finish_after = 2  # an execution ends after this many reads of it
        self.runs: dict[str, JobExecution] = {}
        self.faults = Faults()

    def containers(self, ref: JobRef) -> list[JobContainer]:
        return self.faults.run("containers", lambda: list(self._containers))

    def start(self, ref: JobRef, *, container: JobContainer, command: Sequence[str]) -> str:
        def start() -> str:
            name = f"{ref.name}-{len(self.runs) + 1:07d}"
            self.runs[name] = JobExecution(name, "Running", NOW, None, tuple(command))
            return name

        return self.faults.run("start", start)

    def finish(self) -> None:
        """Every running execution ends with ``outcome`` (a success runs ``on_success`` with its command)."""
        for name, run in list(self.runs.items()):
            if run.status == "Running":
                self.runs[name] = replace(run, status=self.outcome, ended=NOW)
                if self.outcome == "Succeeded" and self.on_success is not None:
                    self.on_success(list(run.command))

    def execution(self, ref: JobRef, name: str) -> JobExecution:
        def read() -> JobExecution:
            self.finish_after -= 1
            if self.finish_after <= 0:
                self.finish()
            return self.runs[name]

        return self.faults.run("execution", read)

    def executions(self, ref: JobRef) -> list[JobExecution]:
        return self.faults.run("executions", lambda: list(self.runs.values()))


class FakeMigrationHead(MigrationHead):
    """The application's migration head, set by tests."""

    def __init__(self, head: str | None) -> None:
        self.value = head
        self.faults = Faults()

    def head(self) -> str | None:
        return self.faults.run("head", lambda: self.value)


# --- prompts -------------------------------------------------------------------------------------


class FakePromptStore(PromptStore):
    """Versioned prompts in memory: immutable versions, one active version per name, a history."""

    def __init__(self, clock: Callable[[], datetime] = lambda: NOW) -> None:
        self._clock = clock
        self._versions: dict[str, list[PromptVersion]] = {}
        self._history: dict[str, list[PromptActivation]] = {}
        self.faults = Faults()
        self.missing_guards: tuple[str, ...] = ()  # what guards() reports missing

    def names(self) -> list[str]:
        return sorted(self._versions)

    def versions(self, name: str) -> list[PromptVersion]:
        if name not in self._versions:
            raise NotFoundError(f"there is no prompt named {name!r}")
        return sorted(self._versions[name], key=lambda v: -v.version)

    def active(self, name: str) -> PromptVersion | None:
        return self.faults.run("active", lambda: next((v for v in self.versions(name) if v.is_active), None))

    def get(self, name: str, version: int) -> PromptVersion:
        found = next((v for v in self.versions(name) if v.version == version), None)
        if found is None:
            raise NotFoundError(f"prompt {name!r} has no version {version}")
        return found

    def add(self, name: str, content: str, *, actor: str) -> PromptVersion:
        number = max((v.version for v in self._versions.get(name, [])), default=0) + 1
        created = PromptVersion(name, number, content, False, self._clock())
        self._versions.setdefault(name, []).append(created)
        return created

    def activate(
        self, name: str, version: int, *, actor: str, reason: str, expected_active: int | None = None
    ) -> PromptActivation:
        def write() -> PromptActivation:
            self.get(name, version)
            current = next((v.version for v in self._versions[name] if v.is_active), None)
            if expected_active is not None and current != expected_active:
                raise StalePlanError(f"prompt {name!r}: v{current} is active, not v{expected_active}")
            if current == version:
                raise UsageError(f"{name} v{version} is already active")
            self._versions[name] = [replace(v, is_active=v.version == version) for v in self._versions[name]]
            done = PromptActivation(name, current, version, self._clock(), actor, reason)
            self._history.setdefault(name, []).insert(0, done)
            return done

        return self.faults.run("activate", write)

    def history(self, name: str, limit: int = 20) -> list[PromptActivation]:
        self.versions(name)
        return self._history.get(name, [])[:limit]

    def activation_sql(self, name: str, version: int) -> tuple[str, ...]:
        return (f"-- activate {name} v{version}",)

    def guards(self) -> GuardStatus:
        return GuardStatus("system_prompts", self.missing_guards, "rollback-bot prompts init")

    def ping(self) -> None:
        return None


class FaultyPromptStore(PromptStore):
    """Any prompt store (the real SQL one in acceptance tests) behind the same faults as the fakes."""

    def __init__(self, inner: PromptStore) -> None:
        self.inner = inner
        self.faults = Faults()
        self._before_active: dict[str, PromptVersion | None] = {}

    def names(self) -> list[str]:
        return self.inner.names()

    def versions(self, name: str) -> list[PromptVersion]:
        return self.inner.versions(name)

    def active(self, name: str) -> PromptVersion | None:
        if name in self._before_active and self.faults.stale("active"):
            return self._before_active[name]
        return self.inner.active(name)

    def get(self, name: str, version: int) -> PromptVersion:
        return self.inner.get(name, version)

    def add(self, name: str, content: str, *, actor: str) -> PromptVersion:
        return self.inner.add(name, content, actor=actor)

    def activate(
        self, name: str, version: int, *, actor: str, reason: str, expected_active: int | None = None
    ) -> PromptActivation:
        def write() -> PromptActivation:
            self._before_active[name] = self.inner.active(name)
            return self.inner.activate(name, version, actor=actor, reason=reason, expected_active=expected_active)

        return self.faults.run("activate", write)

    def history(self, name: str, limit: int = 20) -> list[PromptActivation]:
        return self.inner.history(name, limit)

    def activation_sql(self, name: str, version: int) -> tuple[str, ...]:
        return self.inner.activation_sql(name, version)

    def guards(self) -> GuardStatus:
        return self.inner.guards()

    def ping(self) -> None:
        self.inner.ping()


# --- the bot's own records -----------------------------------------------------------------------


class FakeSlots(TargetSlots):
    """Target slots in memory: one holder per target; a process's slot is free again once its lease ran out."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self.held: dict[ServiceEnv, SlotHolder] = {}

    def take(self, holder: SlotHolder) -> None:
        found = self.held.get(holder.target)
        if found is not None and not (found.lease_until is not None and found.lease_until < self._clock()):
            raise RollbackInProgressError(busy_message(found))
        self.held[holder.target] = holder

    def acquire(self, target: ServiceEnv, *, kind: HolderKind, ref: str, who: str, lease_seconds: float) -> SlotHolder:
        now = self._clock()
        self.take(SlotHolder(target, kind, ref, who, now, now + timedelta(seconds=lease_seconds)))
        return self.held[target]

    def renew(self, holder: SlotHolder, *, lease_seconds: float) -> SlotHolder:
        found = self.held.get(holder.target)
        if found is None or (found.kind, found.ref) != (holder.kind, holder.ref):
            raise LeaseLostError(f"{holder.target}'s slot is no longer held by {holder.ref}")
        self.held[holder.target] = replace(found, lease_until=self._clock() + timedelta(seconds=lease_seconds))
        return self.held[holder.target]

    def release(self, holder: SlotHolder) -> None:
        found = self.held.get(holder.target)
        if found is not None and (found.kind, found.ref) == (holder.kind, holder.ref):
            del self.held[holder.target]

    def holder(self, target: ServiceEnv) -> SlotHolder | None:
        return self.held.get(target)


class FakeRequests(RequestRepository):
    """Requests with the database's guarantees: one change in flight per target (the slot), conditional
    transitions and claims, leases on its clock (the fake's "database clock")."""

    def __init__(self, clock: Callable[[], datetime], slots: FakeSlots | None = None) -> None:
        self._clock = clock
        self._rows: dict[int, RollbackRequest] = {}
        self.slots = slots or FakeSlots(clock)

    def now(self) -> datetime:
        return self._clock()

    def add(self, new: NewRequest, *, claim: tuple[str, float] | None = None) -> RollbackRequest:
        now = self._clock()
        request_id = len(self._rows) + 1
        kind = HolderKind.drill if new.is_drill else HolderKind.rollback
        self.slots.take(SlotHolder(new.target, kind, str(request_id), new.requester_id, now))
        request = RollbackRequest(
            id=request_id,
            target=new.target,
            kind=new.kind,
            status=new.status,
            requester_id=new.requester_id,
            channel_id=new.channel_id,
            emergency=new.emergency,
            reason=new.reason,
            plan=copy.deepcopy(new.plan),
            created_at=now,
            expires_at=now + new.ttl,
            version=1,
            is_drill=new.is_drill,
            updated_at=now,
        )
        if claim is not None and new.status is RequestStatus.approved:
            lease = {"lease_owner": claim[0], "lease_until": now + timedelta(seconds=claim[1])}
            request = replace(request, status=RequestStatus.executing, version=2, claims=1, **lease)
        self._rows[request.id] = request
        return request

    def store(self, request: RollbackRequest) -> None:
        """Put a row exactly as given (e.g. as an earlier version of the bot wrote it)."""
        self._rows[request.id] = request

    def get(self, request_id: int) -> RollbackRequest:
        if request_id not in self._rows:
            raise NotFoundError(f"There is no rollback request #{request_id}.")
        return self._rows[request_id]

    def transition(
        self,
        request_id: int,
        *,
        from_status: RequestStatus,
        to_status: RequestStatus,
        version: int,
        approver_id: str | None = None,
        decided_at: datetime | None = None,
        result: dict[str, Any] | None = None,
    ) -> RollbackRequest:
        now = self.get(request_id)
        if now.status is not from_status or now.version != version:
            raise AlreadyDecidedError(f"Request #{request_id} is already {now.status.value}.")
        changes: dict[str, Any] = {"status": to_status, "version": version + 1, "updated_at": self._clock()}
        changes |= {k: v for k, v in (("approver_id", approver_id), ("decided_at", decided_at)) if v is not None}
        if result is not None:
            changes["result"] = result
        if not to_status.in_flight:
            changes |= {"lease_owner": None, "lease_until": None}
            held = self.slots.held.get(now.target)
            if held is not None and held.request_id == request_id:
                del self.slots.held[now.target]
        self._rows[request_id] = replace(now, **changes)
        return self._rows[request_id]

    def _claimable(self, request: RollbackRequest) -> bool:
        if request.status is RequestStatus.approved:
            return True
        expired = request.lease_owner is None or request.lease_until is None or request.lease_until < self._clock()
        return request.status is RequestStatus.executing and expired

    def claim(self, request_id: int, *, replica: str, lease_seconds: float) -> RollbackRequest | None:
        now = self.get(request_id)
        if not self._claimable(now):
            return None
        until = self._clock() + timedelta(seconds=lease_seconds)
        self._rows[request_id] = replace(
            now,
            status=RequestStatus.executing,
            lease_owner=replica,
            lease_until=until,
            claims=now.claims + 1,
            version=now.version + 1,
        )
        return self._rows[request_id]

    def claimable(self, *, limit: int = 20) -> Sequence[int]:
        return [r.id for r in self._rows.values() if self._claimable(r)][:limit]

    def renew(self, request_id: int, *, replica: str, lease_seconds: float) -> bool:
        now = self.get(request_id)
        if now.status is not RequestStatus.executing or now.lease_owner != replica:
            return False
        self._rows[request_id] = replace(now, lease_until=self._clock() + timedelta(seconds=lease_seconds))
        return True

    def release(self, request_id: int, *, replica: str) -> bool:
        now = self.get(request_id)
        if now.status is not RequestStatus.executing or now.lease_owner != replica:
            return False
        self._rows[request_id] = replace(now, lease_owner=None, lease_until=None)
        return True

    def set_message(self, request_id: int, message_ts: str) -> None:
        self._rows[request_id] = replace(self.get(request_id), message_ts=message_ts)

    def list_by_status(self, statuses: Sequence[RequestStatus]) -> Sequence[RollbackRequest]:
        return [r for r in self._rows.values() if r.status in statuses]

    def find_in_flight(self, target: ServiceEnv) -> RollbackRequest | None:
        held = self.slots.held.get(target)
        return self._rows.get(held.request_id) if held is not None and held.request_id is not None else None

    def list_recent(self, *, target: ServiceEnv | None = None, limit: int = 20) -> Sequence[RollbackRequest]:
        rows = [r for r in reversed(self._rows.values()) if target is None or r.target == target]
        return rows[:limit]


class FakeAudit(AuditLog):
    """Append-only, in order."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def append(self, event: AuditEvent) -> None:
        self.events.append(event)

    def list(self, *, request_id: int | None = None, limit: int = 100) -> Sequence[AuditEvent]:
        return [e for e in self.events if request_id is None or e.request_id == request_id][:limit]

    def names(self, request_id: int | None = None) -> list[str]:
        """Event names, for assertions."""
        return [e.event for e in self.list(request_id=request_id, limit=10_000)]


class FakeDrills(DrillLog):
    """Recorded drills."""

    def __init__(self) -> None:
        self.drills: list[DrillRecord] = []

    def record(self, drill: DrillRecord) -> DrillRecord:
        stored = replace(drill, id=len(self.drills) + 1)
        self.drills.append(stored)
        return stored

    def last_passing(self, target: ServiceEnv) -> DrillRecord | None:
        return next((d for d in reversed(self.drills) if d.target == target and d.passed), None)

    def recent(self, target: ServiceEnv, *, limit: int = 10) -> Sequence[DrillRecord]:
        return [d for d in reversed(self.drills) if d.target == target][:limit]


class FakeWatches(WatchStore):
    """Signal watches in memory: one per request or drill, claimed with a lease, bounded attempts."""

    def __init__(self) -> None:
        self.watches: dict[int, Watch] = {}
        self.leases: dict[int, datetime] = {}
        self.outcomes: dict[int, dict[str, Any]] = {}

    def schedule(self, new: NewWatch) -> Watch | None:
        for w in self.watches.values():
            if (new.request_id is not None and w.request_id == new.request_id) or (
                new.drill_id is not None and w.drill_id == new.drill_id
            ):
                return None
        watch = Watch(**{f.name: getattr(new, f.name) for f in fields(NewWatch)}, id=len(self.watches) + 1)
        self.watches[watch.id] = watch
        return watch

    def claim_due(
        self, *, now: datetime, replica: str, lease_until: datetime, max_attempts: int, limit: int
    ) -> Sequence[Watch]:
        due = [
            w
            for w in self.watches.values()
            if w.id not in self.outcomes
            and w.due_at <= now
            and self.leases.get(w.id, now - timedelta(seconds=1)) < now
            and w.attempts < max_attempts
        ][:limit]
        for w in due:
            self.watches[w.id] = replace(w, attempts=w.attempts + 1)
            self.leases[w.id] = lease_until
        return [self.watches[w.id] for w in due]

    def retry_after(self, watch: Watch, until: datetime, problem: str) -> None:
        self.leases[watch.id] = until

    def finish(
        self, watch: Watch, *, evidence: dict[str, Any] | None, problem: str | None, message_ts: str | None
    ) -> None:
        self.outcomes[watch.id] = {"evidence": evidence, "problem": problem, "message_ts": message_ts}

    def outcome(self, *, request_id: int | None = None, drill_id: int | None = None) -> dict[str, Any] | None:
        for w in self.watches.values():
            if w.id in self.outcomes and (
                (request_id is not None and w.request_id == request_id)
                or (drill_id is not None and w.drill_id == drill_id)
            ):
                return self.outcomes[w.id]
        return None


class FakeChecklists(ChecklistLog):
    """Checklist results, fire-time claims with leases, and per-channel post slots."""

    def __init__(self) -> None:
        self.reports: list[ChecklistReport] = []
        self.claims: dict[tuple[ServiceEnv, datetime], tuple[ChecklistClaim, datetime, bool]] = {}
        self.posted: dict[int, tuple[str, str]] = {}
        self.slots: dict[str, datetime] = {}

    def record(self, report: ChecklistReport, *, trigger: str) -> int:
        self.reports.append(report)
        return len(self.reports)

    def set_posted(self, run_id: int, *, channel: str, ts: str) -> None:
        self.posted[run_id] = (channel, ts)

    def latest(self, target: ServiceEnv) -> ChecklistReport | None:
        return next((r for r in reversed(self.reports) if r.target == target), None)

    def report(self, run_id: int) -> ChecklistReport | None:
        return self.reports[run_id - 1] if 0 < run_id <= len(self.reports) else None

    def claim(
        self, target: ServiceEnv, *, fire_time: datetime, replica: str, lease_until: datetime, attempts: int = 1
    ) -> ChecklistClaim | None:
        if (target, fire_time) in self.claims:
            return None
        claim = ChecklistClaim(target, fire_time, attempts=attempts)
        self.claims[(target, fire_time)] = (claim, lease_until, False)
        return claim

    def take_over(
        self, *, now: datetime, replica: str, lease_until: datetime, max_attempts: int, since: datetime, limit: int
    ) -> Sequence[ChecklistClaim]:
        taken = []
        for key, (claim, lease, posted) in list(self.claims.items()):
            if not posted and lease <= now and claim.attempts < max_attempts and claim.fire_time > since:
                again = replace(claim, attempts=claim.attempts + 1)
                self.claims[key] = (again, lease_until, False)
                taken.append(again)
        return taken[:limit]

    def claim_ran(self, claim: ChecklistClaim, run_id: int) -> ChecklistClaim:
        ran = replace(claim, run_id=run_id)
        _, lease, posted = self.claims[(claim.target, claim.fire_time)]
        self.claims[(claim.target, claim.fire_time)] = (ran, lease, posted)
        return ran

    def extend_lease(self, claim: ChecklistClaim, until: datetime) -> None:
        held, _, posted = self.claims[(claim.target, claim.fire_time)]
        self.claims[(claim.target, claim.fire_time)] = (held, until, posted)

    def claim_posted(self, claim: ChecklistClaim) -> None:
        held, lease, _ = self.claims[(claim.target, claim.fire_time)]
        self.claims[(claim.target, claim.fire_time)] = (held, lease, True)

    def reserve_post_slot(self, channel: str, *, now: datetime, interval: timedelta) -> datetime:
        last = self.slots.get(channel)
        slot = now if last is None or last + interval <= now else last + interval
        self.slots[channel] = slot
        return slot


class FakeReleases(ReleaseLog):
    """Releases (ids global, newest last) and drift-alert claims with leases."""

    def __init__(self) -> None:
        self.releases: list[Release] = []
        self.alerts: dict[tuple[ServiceEnv, str], dict[str, Any]] = {}

    def record(self, new: NewRelease) -> Release:
        stored = Release(
            len(self.releases) + 1, new.target, new.recorded_at, new.source, new.actor, new.note, new.status, new.layers
        )
        self.releases.append(stored)
        return stored

    def get(self, target: ServiceEnv, release_id: int) -> Release:
        found = next((r for r in self.releases if r.id == release_id and r.target == target), None)
        if found is None:
            raise NotFoundError(f"{target} has no release #{release_id}.")
        return found

    def recent(self, target: ServiceEnv, *, limit: int = 20) -> Sequence[Release]:
        return [r for r in reversed(self.releases) if r.target == target][:limit]

    def latest(self, target: ServiceEnv, *, status: ReleaseStatus | None = None) -> Release | None:
        return next((r for r in self.recent(target, limit=10_000) if status is None or r.status is status), None)

    def mark(self, target: ServiceEnv, release_id: int, status: ReleaseStatus, *, actor: str, at: datetime) -> Release:
        marked = replace(self.get(target, release_id), status=status, marked_by=actor, marked_at=at)
        self.releases[release_id - 1] = marked
        return marked

    def claim_drift(
        self,
        target: ServiceEnv,
        key: str,
        *,
        release_id: int,
        summary: str,
        replica: str,
        now: datetime,
        lease: datetime,
    ) -> bool:
        held = self.alerts.get((target, key))
        if held is not None and (held["posted"] or held["lease"] >= now):
            return False
        self.alerts[(target, key)] = {"summary": summary, "replica": replica, "lease": lease, "posted": False}
        return True

    def drift_posted(self, target: ServiceEnv, keys: Sequence[str], *, at: datetime, channel: str, ts: str) -> None:
        for key in keys:
            self.alerts[(target, key)]["posted"] = True

    def release_drift(self, target: ServiceEnv, keys: Sequence[str], *, now: datetime) -> None:
        for key in keys:
            if not self.alerts[(target, key)]["posted"]:
                self.alerts[(target, key)]["lease"] = now - timedelta(seconds=1)


class FakeHealth(HealthCheck):
    """Readiness that tests switch off."""

    def __init__(self) -> None:
        self.down = False

    def ping(self) -> None:
        if self.down:
            raise NotFoundError("down")


class FakeDirectory(SlackDirectory):
    """The workspace, people, user groups and channel names (the bot is a member unless ``outside`` says not)."""

    WORKSPACE = "T0ROLLBACK"

    def __init__(self) -> None:
        self.users: dict[str, SlackUserInfo] = {}
        self.groups: dict[str, frozenset[str]] = {}
        self.channels: dict[str, str] = {}
        self.outside: set[str] = set()  # channels the bot is not a member of

    def person(self, user_id: str, *, team_id: str = WORKSPACE, **flags: bool) -> None:
        """Add a full member (``is_bot``, ``deleted``, ``is_guest``, ``is_stranger``, ``team_id`` to say otherwise)."""
        self.users[user_id] = SlackUserInfo(
            user_id,
            flags.get("is_bot", False),
            flags.get("deleted", False),
            flags.get("is_guest", False),
            team_id=team_id,
            is_stranger=flags.get("is_stranger", False),
        )

    def workspace_id(self) -> str | None:
        return self.WORKSPACE

    def channel(self, channel_id: str) -> SlackChannelInfo | None:
        name = self.channels.get(channel_id)
        return SlackChannelInfo(channel_id, name, channel_id not in self.outside) if name is not None else None

    def user(self, user_id: str) -> SlackUserInfo | None:
        return self.users.get(user_id)

    def usergroup_members(self, usergroup_id: str) -> frozenset[str]:
        return self.groups.get(usergroup_id, frozenset())


@dataclass
class Posted:
    """One thing the notifier was asked to show."""

    what: str  # card | update | thread | proof | checklist | drift
    request_id: int | None
    text: str
    lines: tuple[str, ...] = ()
    plan: Plan[Any] | None = None
    steps: tuple[StepResult, ...] = ()
    approvers: tuple[Mention, ...] = ()
    proof: CardProof | None = None
    rollback: FlowState | None = None


class FakeNotifier(Notifier):
    """Remembers every card, update and thread message (as data, not Block Kit)."""

    def __init__(self) -> None:
        self.posted: list[Posted] = []

    def post_card(self, request: RollbackRequest, plan: Plan[Any], *, approvers: Sequence[Mention]) -> str:
        self.posted.append(Posted("card", request.id, "", plan=plan, approvers=tuple(approvers)))
        return f"{len(self.posted)}.0"

    def update_card(
        self,
        request: RollbackRequest,
        plan: Plan[Any],
        *,
        steps: Sequence[StepResult] = (),
        note: Text | str = "",
        proof: CardProof | None = None,
    ) -> None:
        self.posted.append(Posted("update", request.id, str(note), plan=plan, steps=tuple(steps), proof=proof))

    def post_thread(
        self,
        request: RollbackRequest,
        text: Text | str,
        *,
        lines: Sequence[str] = (),
        steps: Sequence[StepResult] = (),
    ) -> None:
        self.posted.append(Posted("thread", request.id, str(text), tuple(lines), steps=tuple(steps)))

    def post_proof(self, request: RollbackRequest, evidence: Evidence | None, problem: str | None) -> PostedMessage:
        text = f"{evidence.verdict.value}: {evidence.reason}" if evidence else f"no proof: {problem}"
        self.posted.append(Posted("proof", request.id, text))
        ts = f"{len(self.posted)}.0"
        return PostedMessage(ts, f"https://slack.test/archives/{request.channel_id}/p{ts}")

    def post_checklist(self, channel: str, report: ChecklistReport) -> str:
        self.posted.append(Posted("checklist", None, channel))
        return f"{len(self.posted)}.0"

    def post_drift(
        self, channel: str, report: DriftReport, diffs: Sequence[ItemDiff], *, rollback: FlowState | None
    ) -> str:
        lines = tuple(f"{d.kind} {d.name}: {d.recorded_text} -> {d.live_text}" for d in diffs)
        self.posted.append(Posted("drift", None, channel, lines, rollback=rollback))
        return f"{len(self.posted)}.0"

    def of(self, request_id: int, what: str) -> list[Posted]:
        """What was shown for one request."""
        return [p for p in self.posted if p.request_id == request_id and p.what == what]


class FakeProbe(HealthProbe):
    """Health answers by URL (default 200)."""

    def __init__(self) -> None:
        self.status: dict[str, int | None] = {}
        self.asked: list[str] = []

    def get(self, url: SecretText | str) -> HealthResult:
        shown = str(url)  # a URL carrying a secret is known here by its redacted form
        self.asked.append(shown)
        status = self.status.get(shown, 200)
        return HealthResult(shown, status, "" if status else "connection refused")


class FakeMetrics(Metrics):
    """Counters and timings as lists."""

    def __init__(self) -> None:
        self.counts: list[tuple[str, dict[str, str]]] = []
        self.timings: list[tuple[str, float]] = []

    def count(self, name: str, *, target: ServiceEnv | None = None, **labels: str) -> None:
        where = {"service": target.service, "environment": target.environment} if target is not None else {}
        self.counts.append((name, {**where, **labels}))

    def observe(self, name: str, seconds: float, *, target: ServiceEnv | None = None, **labels: str) -> None:
        self.timings.append((name, seconds))

    def counted(self, name: str, **labels: str) -> int:
        """How many times ``name`` was counted with (at least) ``labels``."""
        return sum(1 for n, got in self.counts if n == name and all(got.get(k) == v for k, v in labels.items()))


class FakeTelemetry(TelemetryQuery):
    """Answers each configured named query with a fixed table (default: every call carries a prompt version).

    ``tables`` maps a query to its answer: ``(columns, rows)``, or a function of the window giving them.
    """

    Answer = tuple[tuple[str, ...], tuple[tuple[object, ...], ...]]

    def __init__(
        self,
        total: int = 20,
        with_version: int = 20,
        tables: dict[SignalQuery, Answer | Callable[[TimeWindow], Answer]] | None = None,
    ) -> None:
        default = {SignalQuery.prompt_versions: (("total", "with_prompt_version"), ((total, with_version),))}
        self.tables = default if tables is None else tables
        self.asked: list[tuple[SignalQuery, TimeWindow, str]] = []

    @property
    def source(self) -> str:
        return "fake telemetry"

    def configured(self) -> tuple[SignalQuery, ...]:
        return tuple(q for q in SignalQuery if q in self.tables)

    def run(self, query: SignalQuery, window: TimeWindow, *, revision: str = "") -> SignalTable:
        if query not in self.tables:
            raise self.missing(query)
        self.asked.append((query, window, revision))
        answer = self.tables[query]
        columns, rows = answer(window) if callable(answer) else answer
        return SignalTable(query, self.source, columns, rows)


# --- a whole fast world --------------------------------------------------------------------------

CHANNEL, ALICE, BOB, CAROL, APPROVERS = "C0INCIDENT", "U0ALICE", "U0BOB", "U0CAROL", "S0APPROVERS"
HEALTH_URL = "https://{fqdn}{path}"
BUILTIN_KINDS: tuple[Kind[Any], ...] = (CODE_KIND, PROMPT_KIND, MODEL_KIND, EMBEDDING_KIND, SCHEMA_KIND)


@dataclass
class FastWorld:
    """The bot's use-cases over fakes: the demo estate (v1 healthy at 0 %, v2 at 100 %; drug_info v4 after v3;
    gpt-4o 2024-08-06 after 2024-05-13; alias drugs → drugs-v2 beside drugs-v1; a Ready server)."""

    deps: Deps
    clock: Clock
    apps: FakeContainerApps
    models: FakeModelDeployments
    search: FakeSearch
    postgres: FakePostgres
    prompts: FaultyPromptStore
    probe: FakeProbe
    requests: FakeRequests
    audit: FakeAudit
    drills: FakeDrills
    notifier: FakeNotifier
    directory: FakeDirectory
    env: BoundEnvironment
    releases: FakeReleases
    jobs: list[Callable[[], object]] = field(default_factory=list)
    watches: FakeWatches = field(default_factory=FakeWatches)
    telemetry: FakeTelemetry | None = None

    def run_jobs(self) -> None:
        """Run what the use-cases handed to the background (an approved request's execution)."""
        while self.jobs:
            self.jobs.pop(0)()

    def bound(self, kind: KindName) -> BoundKind[Any]:
        """One bound kind of the environment."""
        return self.env.bound(kind)

    def layer(self, kind: KindName) -> Any:
        """What a kind's resource holds right now, read from the fakes directly (rule lists whole)."""
        if kind == CODE_KIND.name:
            return self.apps.rules, {n: r.active for n, r in self.apps.revisions.items()}
        if kind == PROMPT_KIND.name:
            return self.prompts.inner.active("drug_info")
        if kind == MODEL_KIND.name:
            return self.models.deployments["gpt4o-stable"]
        return dict(self.search.aliases)


def demo_prompts(clock: Callable[[], datetime]) -> FakePromptStore:
    """drug_info v1-v4, v3 then v4 activated (v3 is the previous known-good)."""
    store = FakePromptStore(clock)
    for n in range(1, 5):
        store.add("drug_info", f"You answer drug questions. Style {n}.", actor="seed")
    store.activate("drug_info", 3, actor="seed", reason="initial")
    store.activate("drug_info", 4, actor="U0DEPLOYER", reason="deploy 1.5.0")
    return store


def _estate(clock: Clock) -> tuple[FakeContainerApps, FakeModelDeployments, FakeSearch, FakePostgres]:
    apps = FakeContainerApps(
        APP,
        [revision(f"{APP.name}--v1", hours_ago=3), revision(f"{APP.name}--v2", hours_ago=1, healthy=False)],
        TrafficRules.named({f"{APP.name}--v1": 0, f"{APP.name}--v2": 100}),
    )
    deployment = ModelDeployment(
        "gpt4o-stable",
        "gpt-4o",
        "2024-08-06",
        "OpenAI",
        "OnceNewDefaultVersionAvailable",
        "Succeeded",
        "Standard",
        10,
        NOW - timedelta(hours=2),
    )
    catalog = [
        ModelVersionInfo("gpt-4o", v, "OpenAI", "GenerallyAvailable", v == "2024-08-06", NOW + timedelta(days=200))
        for v in ("2024-05-13", "2024-08-06")
    ]
    models = FakeModelDeployments([deployment], catalog)
    search = FakeSearch("drugs", "drugs-v2", {"drugs-v1": 12000, "drugs-v2": 12450})
    server = PostgresServerState("pharmabot-db", "Ready", "eastus", "16", NOW - timedelta(days=7), 7, "db.invalid")
    postgres = FakePostgres(server, [Backup("b1", NOW - timedelta(hours=3), "Full", "Automatic")])
    return apps, models, search, postgres


def fast_world(
    *,
    extra: Sequence[tuple[Kind[Any], object]] = (),
    only: Sequence[KindName] | None = None,
    drills_require_approval: bool = True,
    telemetry: FakeTelemetry | None = None,
    migrations: FakeMigrationHead | None = None,
) -> FastWorld:
    """Every built-in kind bound to fakes (``only``: just those), plus ``extra`` (kind, handle) pairs."""
    clock = Clock()
    apps, models, search, postgres = _estate(clock)
    prompts = FaultyPromptStore(demo_prompts(clock))
    probe = FakeProbe()
    handles: dict[KindName, object] = {
        CODE_KIND.name: CodeHandle(api=apps, ref=APP, health_url=HEALTH_URL),
        PROMPT_KIND.name: PromptHandle(store=prompts),
        MODEL_KIND.name: ModelHandle(api=models, ref=ACCOUNT, deployments=("gpt4o-stable",)),
        EMBEDDING_KIND.name: SearchHandle(api=search, ref=ALIAS),
        SCHEMA_KIND.name: PostgresHandle(api=postgres, ref=SERVER, migrations=migrations),
    }
    definitions = [*BUILTIN_KINDS, *(k for k, _ in extra)]
    handles |= {k.name: h for k, h in extra}
    chosen = [k for k in definitions if only is None or k.name in only]
    services = KindServices(clock=clock, probe=probe)
    bound = {k.name: k.bind(handles[k.name], services) for k in chosen}
    telemetry = telemetry or FakeTelemetry()
    releases = FakeReleases()
    kinds = Kinds([*definitions, RELEASE_KIND])
    if only is None or RELEASE_KIND.name in only:
        handles[RELEASE_KIND.name] = ReleaseHandle(TARGET, dict(bound), releases, kinds)
        bound[RELEASE_KIND.name] = RELEASE_KIND.bind(handles[RELEASE_KIND.name], services)
    env = BoundEnvironment(TARGET, bound, {name: handles[name] for name in bound}, telemetry)
    policy = EnvironmentPolicy(
        target=TARGET,
        incident_channels=(CHANNEL,),
        approver_usergroup=APPROVERS,
        approver_users=(),
        approval_ttl_minutes=15,
        kinds=tuple(bound),
        checklist=ChecklistPolicy(channel="C0DEPLOYS"),
        drills_require_approval=drills_require_approval,
    )
    directory = FakeDirectory()
    for person in (ALICE, BOB, CAROL):
        directory.person(person)
    directory.groups[APPROVERS] = frozenset({BOB})
    requests, audit, drills, notifier = FakeRequests(clock), FakeAudit(), FakeDrills(), FakeNotifier()
    watches = FakeWatches()
    jobs: list[Callable[[], object]] = []

    def environment(target: ServiceEnv) -> BoundEnvironment:
        if target != TARGET:
            raise UsageError(f"Unknown service/environment {target}.")
        return env

    deps = Deps(
        catalog=Catalog((policy,)),
        kinds=kinds,
        requests=requests,
        audit=audit,
        health=FakeHealth(),
        directory=directory,
        metrics=FakeMetrics(),
        clock=clock,
        environment=environment,
        notifier=notifier,
        run_in_background=jobs.append,
        drills=drills,
        checklists=FakeChecklists(),
        watches=watches,
        slots=requests.slots,
        releases=releases,
    )
    return FastWorld(
        deps,
        clock,
        apps,
        models,
        search,
        postgres,
        prompts,
        probe,
        requests,
        audit,
        drills,
        notifier,
        directory,
        env,
        releases,
        jobs,
        watches,
        telemetry,
    )
