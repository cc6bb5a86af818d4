"""The end-to-end world for checklist tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.world import World


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[World]:
    w = World.start(db_url, tmp_path)
    try:
        yield w
    finally:
        w.close()
