"""Fixtures for the Azure adapter tests: the example server, and clients with tight bounds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from bot.adapters.azure.clients import AzureClients
from bot.config import AzureConfig
from sandbox.emulators.azure import DEMO_ESTATE_PATH, AzureEmulator
from tests.adapters.azure.example_server import ExampleServer, RunningServer

# Bounds small enough to keep every test fast; individual tests tighten them further.
FAST = {"polling_interval": 0, "retry_total": 0, "lro_timeout": 5.0, "connection_timeout": 5, "read_timeout": 5}


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, str]:
    """One test-only CA for the session, and its PEM file."""
    ca = trustme.CA()
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return ca, str(path)


@pytest.fixture
def example_server(test_ca: tuple[trustme.CA, str]) -> Iterator[ExampleServer]:
    """A fresh HTTPS server answering with official REST example bodies."""
    with RunningServer(*test_ca) as server:
        yield server


@pytest.fixture
def example_clients(example_server: ExampleServer) -> AzureClients:
    """Real SDK clients pointed at the example server (emulator credential, no retries)."""
    config = AzureConfig(arm_endpoint=example_server.url, ca_bundle=example_server.ca_path, credential="emulator")
    return AzureClients(config, search_endpoints=[example_server.url], **FAST)


def write_config(tmp_path: Path, text: str) -> Path:
    """Write a configuration file and return its path."""
    path = tmp_path / "rollback-bot.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# --- the Azure emulator (sandbox/emulators/azure) ----------------------------------------------------

SUB = "00000000-0000-0000-0000-000000000001"
RG = "pharmabot-rg"


@pytest.fixture
def emulator() -> Iterator[AzureEmulator]:
    """A fresh emulator with the demo estate, on its own port."""
    with AzureEmulator(estate=DEMO_ESTATE_PATH) as emu:
        yield emu


@pytest.fixture
def emulator_config(emulator: AzureEmulator) -> AzureConfig:
    """Configuration that points the real SDKs at the emulator."""
    return AzureConfig(arm_endpoint=emulator.url, ca_bundle=emulator.ca_path, credential="emulator")


@pytest.fixture
def make_clients(emulator: AzureEmulator, emulator_config: AzureConfig) -> Callable[..., AzureClients]:
    """``make_clients(**bounds)``: clients on the emulator; ``FAST`` bounds unless overridden."""

    def make(**overrides: Any) -> AzureClients:
        return AzureClients(emulator_config, search_endpoints=[emulator.url], **{**FAST, **overrides})

    return make
