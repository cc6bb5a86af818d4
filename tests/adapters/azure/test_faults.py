"""Azure faults become the bot's errors, with bounded retries, bounded waits and actionable text."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import pytest

from bot.adapters.azure.clients import AzureClients
from bot.adapters.azure.container_apps import AzureContainerAppsApi
from bot.adapters.azure.jobs import AzureJobsApi
from bot.adapters.azure.openai import AzureModelDeploymentsApi
from bot.adapters.azure.postgres import AzurePostgresApi
from bot.adapters.azure.search import AzureSearchApi
from bot.config import AzureConfig
from bot.domain.azure import (
    ContainerAppRef,
    JobContainer,
    JobRef,
    OpenAIAccountRef,
    PostgresServerRef,
    SearchAliasRef,
)
from bot.domain.traffic import TrafficRules
from bot.errors import (
    AzureAuthError,
    AzureConflictError,
    AzureNotFoundError,
    AzureOperationError,
    AzureThrottledError,
    AzureUnavailableError,
)
from sandbox.emulators.azure import AzureEmulator
from sandbox.emulators.azure.faults import EMULATOR_CLIENT_ID
from tests.adapters.azure.conftest import FAST, RG, SUB
from tests.harness.net import HungServer

PROD = ContainerAppRef(SUB, RG, "pharmabot-prod")
ACCOUNT = OpenAIAccountRef(SUB, RG, "pharmabot-openai")
DB = PostgresServerRef(SUB, RG, "pharmabot-db")
RG_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}"
ROLLBACK = TrafficRules.named({"pharmabot-prod--v1": 100, "pharmabot-prod--v2": 0})


def _shift(clients: AzureClients) -> object:
    return AzureContainerAppsApi(clients=clients).set_traffic(PROD, ROLLBACK)


def _pin(clients: AzureClients) -> object:
    return AzureModelDeploymentsApi(clients=clients).set_model_version(ACCOUNT, "gpt4o-stable", "2024-05-13")


def _start_job(clients: AzureClients) -> object:
    ref = JobRef(SUB, RG, "pharmabot-migrate")
    return AzureJobsApi(clients=clients).start(
        ref, container=JobContainer("migrate", "pharmabotacr.azurecr.io/pharmabot:1.5.0"), command=["alembic", "x"]
    )


LROS = [
    pytest.param(_shift, "PATCH", id="traffic-patch"),
    pytest.param(_pin, "PUT", id="deployment-put"),
    pytest.param(_start_job, "POST", id="job-start"),
]


def test_403_names_identity_permission_scope_and_role(
    emulator: AzureEmulator, make_clients: Callable[..., AzureClients]
) -> None:
    emulator.faults.fail_next(1, 403, method="PATCH")
    with pytest.raises(AzureAuthError) as info:
        _shift(make_clients())
    text = info.value.user_message
    assert EMULATOR_CLIENT_ID in text
    assert "'Microsoft.App/containerApps/write'" in text
    assert "/containerApps/pharmabot-prod" in text  # the scope Azure refused
    assert f"--scope '{RG_ID}'" in text  # where to assign the role
    assert "rollback-bot Container Apps operator" in text and "docs/azure-rbac.md" in text
    assert info.value.status_code == 403 and info.value.error_code == "AuthorizationFailed"


def test_403_without_details_falls_back_to_the_operation_permission(
    emulator: AzureEmulator, make_clients: Callable[..., AzureClients]
) -> None:
    emulator.faults.fail_next(1, 403, message="Forbidden.", path_contains="/backups")
    with pytest.raises(AzureAuthError) as info:
        AzurePostgresApi(clients=make_clients()).list_backups(DB)
    text = info.value.user_message
    assert "the bot's identity lacks permission 'Microsoft.DBforPostgreSQL/flexibleServers/backups/read'" in text
    assert f"on scope '{RG_ID}'" in text


def test_401_is_an_auth_error(emulator: AzureEmulator, make_clients: Callable[..., AzureClients]) -> None:
    emulator.faults.fail_next(1, 401)
    with pytest.raises(AzureAuthError, match="did not accept the token"):
        AzureContainerAppsApi(clients=make_clients()).get_app(PROD)


def test_404_names_the_resource(make_clients: Callable[..., AzureClients]) -> None:
    with pytest.raises(AzureNotFoundError) as info:
        AzureContainerAppsApi(clients=make_clients()).get_app(ContainerAppRef(SUB, RG, "nope"))
    assert "container app 'nope'" in info.value.user_message
    assert RG_ID in info.value.user_message


def test_404_on_a_search_alias(emulator: AzureEmulator, make_clients: Callable[..., AzureClients]) -> None:
    with pytest.raises(AzureNotFoundError, match="search alias 'missing'"):
        AzureSearchApi(clients=make_clients()).get_alias(SearchAliasRef(emulator.url, "missing"))


def test_409_is_a_conflict(emulator: AzureEmulator, make_clients: Callable[..., AzureClients]) -> None:
    emulator.faults.fail_next(1, 409, method="PATCH")
    with pytest.raises(AzureConflictError, match="another operation holds it"):
        _shift(make_clients())


def test_429_honours_retry_after_then_succeeds(
    emulator: AzureEmulator, make_clients: Callable[..., AzureClients]
) -> None:
    emulator.faults.fail_next(1, 429, retry_after=0.3, path_contains="/containerApps/pharmabot-prod")
    started = time.monotonic()
    app = AzureContainerAppsApi(clients=make_clients(retry_total=3, max_retry_wait=5)).get_app(PROD)
    assert app.name == "pharmabot-prod"
    assert 0.3 <= time.monotonic() - started < 3


def test_429_beyond_the_bound_is_throttled_with_when_to_retry(
    emulator: AzureEmulator, make_clients: Callable[..., AzureClients]
) -> None:
    emulator.faults.fail_next(5, 429, retry_after=120)
    started = time.monotonic()
    with pytest.raises(AzureThrottledError) as info:
        AzureContainerAppsApi(clients=make_clients(retry_total=3, max_retry_wait=30)).get_app(PROD)
    assert time.monotonic() - started < 2
    assert "retry after 120 s" in info.value.user_message
    assert len(emulator.requests.matching("GET", "/containerApps/pharmabot-prod")) == 1


def test_429_waits_add_up_to_the_bound(emulator: AzureEmulator, make_clients: Callable[..., AzureClients]) -> None:
    emulator.faults.fail_next(5, 429, retry_after=0.4)
    started = time.monotonic()
    with pytest.raises(AzureThrottledError):
        AzureContainerAppsApi(clients=make_clients(retry_total=10, max_retry_wait=1)).get_app(PROD)
    assert time.monotonic() - started < 2.5
    assert len(emulator.requests.matching("GET", "/containerApps/pharmabot-prod")) == 3  # waited 0.4 + 0.4


def test_500_then_success(emulator: AzureEmulator, make_clients: Callable[..., AzureClients]) -> None:
    emulator.faults.fail_next(2, 500, retry_after=0)
    app = AzureContainerAppsApi(clients=make_clients(retry_total=3, retry_backoff_factor=0)).get_app(PROD)
    assert app.name == "pharmabot-prod"


def test_persistent_500_is_unavailable_after_bounded_retries(
    emulator: AzureEmulator, make_clients: Callable[..., AzureClients]
) -> None:
    emulator.faults.fail_next(50, 500, path_contains="/containerApps/pharmabot-prod")
    with pytest.raises(AzureUnavailableError, match="after bounded retries") as info:
        AzureContainerAppsApi(clients=make_clients(retry_total=2, retry_backoff_factor=0)).get_app(PROD)
    assert info.value.status_code == 500
    assert len(emulator.requests.matching("GET", "/containerApps/pharmabot-prod")) == 3


def test_connection_refused_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = AzureConfig(arm_endpoint=f"https://127.0.0.1:{port}", credential="emulator")
    clients = AzureClients(config, **{**FAST, "retry_total": 1, "retry_backoff_factor": 0})
    with pytest.raises(AzureUnavailableError):
        AzureContainerAppsApi(clients=clients).get_app(PROD)


@pytest.mark.parametrize(("run", "method"), LROS)
def test_failed_lro_is_an_operation_error_with_code_and_id(
    emulator: AzureEmulator,
    make_clients: Callable[..., AzureClients],
    run: Callable[[AzureClients], object],
    method: str,
) -> None:
    emulator.faults.lro_fail(code="ProvisioningFailed", message="revision failed to provision", method=method)
    with pytest.raises(AzureOperationError) as info:
        run(make_clients())
    err = info.value
    assert err.error_code == "ProvisioningFailed" and err.operation_id
    assert err.operation_id in err.user_message and "ProvisioningFailed" in err.user_message
    assert "revision failed to provision" in err.user_message


@pytest.mark.parametrize(("run", "method"), LROS)
def test_lro_never_finishing_ends_within_the_bound(
    emulator: AzureEmulator,
    make_clients: Callable[..., AzureClients],
    run: Callable[[AzureClients], object],
    method: str,
) -> None:
    emulator.faults.lro_never_finish(method=method)
    started = time.monotonic()
    with pytest.raises(AzureOperationError) as info:
        run(make_clients(lro_timeout=0.3, polling_interval=0.05))
    assert time.monotonic() - started < 2
    err = info.value
    assert err.operation_id and err.operation_id in err.user_message
    assert "still running" in err.user_message and "check the state" in err.user_message


@pytest.mark.parametrize(("run", "method"), LROS)
def test_an_operation_whose_monitor_says_poll_again_in_an_hour_ends_within_the_bound(
    emulator: AzureEmulator,
    make_clients: Callable[..., AzureClients],
    run: Callable[[AzureClients], object],
    method: str,
) -> None:
    """A slow Azure asking for a long wait between polls (retry-after) never holds an execution past its bound:
    the wait is cut to what is left of it, then the operation is polled once more (done) or given up on."""
    emulator.poll_after(3_600_000)
    started = time.monotonic()
    run(make_clients(lro_timeout=0.3))
    assert time.monotonic() - started < 2
    emulator.faults.lro_never_finish(method=method)
    started = time.monotonic()
    with pytest.raises(AzureOperationError) as info:
        run(make_clients(lro_timeout=0.3))
    assert time.monotonic() - started < 2
    assert info.value.operation_id and "still running" in info.value.user_message


def test_missing_ca_bundle_is_a_clear_azure_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A CA file that is gone raises OSError inside requests; users get a bot error, never a traceback."""
    from bot.adapters.azure.clients import AzureClients
    from bot.adapters.azure.container_apps import AzureContainerAppsApi
    from bot.config import AzureConfig
    from bot.domain.azure import ContainerAppRef
    from bot.errors import AzureUnavailableError

    cfg = AzureConfig(arm_endpoint="https://127.0.0.1:9", ca_bundle=str(tmp_path / "gone.pem"), credential="emulator")
    api = AzureContainerAppsApi(clients=AzureClients(cfg, retry_total=0))
    with pytest.raises(AzureUnavailableError, match="ca_bundle"):
        api.get_app(ContainerAppRef("s", "rg", "app"))


def test_a_hung_arm_endpoint_is_unavailable_within_the_timeouts() -> None:
    """An endpoint that accepts TCP and never answers (a sick proxy, a black-holed gateway) must not hang a
    rollback: the connect/read timeouts bound the call and it ends as a clear 'unavailable'."""
    hung = HungServer()
    try:
        config = AzureConfig(arm_endpoint=f"https://127.0.0.1:{hung.port}", credential="emulator")
        clients = AzureClients(
            config,
            **{**FAST, "retry_total": 1, "retry_backoff_factor": 0, "connection_timeout": 0.5, "read_timeout": 0.5},
        )
        started = time.monotonic()
        with pytest.raises(AzureUnavailableError):
            AzureContainerAppsApi(clients=clients).get_app(PROD)
        # two attempts (one retry) of at most ~0.5 s each, far from the SDK's default of minutes
        assert time.monotonic() - started < 5
    finally:
        hung.close()
