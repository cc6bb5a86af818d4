"""The ``deploy:`` block of an environment: where the deploy guard reports, its canary steps and gates."""

from __future__ import annotations

import itertools

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeployConfig(_Model):
    """The deploy guard: where it reports, its canary steps and holds, its health gate, and what refuses it."""

    channel: str | None = Field(default=None, pattern=r"^[CG][A-Z0-9]{2,}$")
    steps: tuple[int, ...] = (100,)
    step_seconds: float = Field(default=60, ge=0, le=24 * 3600)
    health_attempts: int = Field(default=12, ge=1, le=1000)
    health_interval_seconds: float = Field(default=5, ge=0, le=3600)
    require_checklist: bool = False
    max_error_rate_ratio: float = Field(default=1.5, gt=0)
    ready_timeout_seconds: float = Field(default=300, gt=0, le=24 * 3600)

    @field_validator("steps")
    @classmethod
    def _steps_rise_to_100(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(not 1 <= s <= 100 for s in value):
            raise ValueError("canary steps are percents from 1 to 100, e.g. [5, 25, 100]")
        if any(b <= a for a, b in itertools.pairwise(value)) or value[-1] != 100:
            raise ValueError("canary steps must rise and end with 100, e.g. [5, 25, 100]")
        return value
