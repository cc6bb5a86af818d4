"""``SlackFake``'s Socket Mode methods: who is connected, envelopes out, acks back.

A client connects the way Slack's SDKs do: ``apps.connections.open`` with the app-level token
(``fake.app_token``), then the ``ws://`` URL it answers. Payloads are ``SlackRequestFactory``'s, unsigned:
any other request it builds goes over the socket with
``fake.send_envelope("events_api", socket_payload(factory.app_home_opened("U0ALICE").body))``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from sandbox.emulators.slack.models import JsonDict
from sandbox.emulators.slack.socket_mode import SocketAck, SocketModeServer, socket_payload
from sandbox.emulators.slack.state import SlackWorld

if TYPE_CHECKING:
    from sandbox.emulators.slack.fake import SlackFake
    from sandbox.emulators.slack.requests import SlackRequestFactory


class SocketModeMethods:
    """Mixed into ``SlackFake``, which sets ``_world`` and ``_socket`` (a new server each time it starts)."""

    _world: SlackWorld
    _socket: SocketModeServer

    def _new_socket_server(self, host: str) -> SocketModeServer:
        """Listens from the first ``apps.connections.open`` on."""
        return SocketModeServer(host=host, app_id=self._world.app_id, clock=self._world.clock)

    def socket_connections(self) -> int:
        """How many Socket Mode clients are connected now."""
        return self._socket.connections()

    def send_envelope(
        self,
        envelope_type: str,
        payload: JsonDict,
        *,
        accepts_response_payload: bool = False,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
    ) -> str:
        """Send a ``slash_commands``/``interactive``/``events_api`` envelope to a connected client; its id.

        Raises ``RuntimeError`` if none is connected. ``events_api`` envelopes carry ``retry_attempt`` and
        ``retry_reason`` (``0`` and ``""`` unless given, as Slack's first deliveries do).
        """
        return self._socket.send_envelope(
            envelope_type,
            payload,
            accepts_response_payload=accepts_response_payload,
            retry_attempt=retry_attempt,
            retry_reason=retry_reason,
        )

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> JsonDict:
        """The message the app acked ``envelope_id`` with (incl. ``payload`` if any), waiting up to ``timeout``.

        Raises ``AssertionError`` naming the acks seen when none came in time.
        """
        return self._socket.wait_for_ack(envelope_id, timeout)

    def socket_acks(self) -> list[SocketAck]:
        """Every ack received, in order, with when it came (fake clock) and how long after its envelope."""
        return self._socket.acks()

    def socket_slash_command(
        self,
        user_id: str,
        channel_id: str,
        text: str = "",
        *,
        command: str = "/rollback",
        channel_name: str = "inc-pharmabot",
    ) -> str:
        """``SlackRequestFactory.slash_command``'s payload as a ``slash_commands`` envelope; its envelope_id."""
        signed = self._requests().slash_command(user_id, channel_id, text, command=command, channel_name=channel_name)
        return self.send_envelope("slash_commands", socket_payload(signed.body), accepts_response_payload=True)

    def socket_block_action(
        self,
        user_id: str,
        channel_id: str,
        message_ts: str,
        action_id: str,
        value: str | None,
        *,
        block_id: str = "b",
        message: JsonDict | None = None,
    ) -> str:
        """``SlackRequestFactory.block_action_message``'s payload as an ``interactive`` envelope; its envelope_id."""
        signed = self._requests().block_action_message(
            user_id, channel_id, message_ts, action_id, value, block_id=block_id, message=message
        )
        return self.send_envelope("interactive", socket_payload(signed.body))

    def _requests(self) -> SlackRequestFactory:
        from sandbox.emulators.slack.requests import SlackRequestFactory  # requests imports fake, which imports us

        world = self._world
        fake = cast("SlackFake", self)
        return SlackRequestFactory("unsigned", team_id=world.team_id, api_app_id=world.app_id, fake=fake)
