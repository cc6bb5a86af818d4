"""Loading configuration: YAML with ${ENV_VAR} references, secrets only by reference, and the environment."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.config.file_model import AppConfig
from bot.domain.leases import DEFAULT_LEASE_SECONDS
from bot.domain.secrets import Secret, SecretText
from bot.errors import ConfigError

DEFAULT_CONFIG_PATH = "rollback-bot.yaml"
DEFAULT_DATABASE_URL = "sqlite:///rollback-bot.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_INLINE_PASSWORD = re.compile(r"^[a-z0-9+]+://[^:/@]+:[^@]+@", re.IGNORECASE)


# Union members pydantic names in an error's location after the key they stand for (not part of the file's path).
_TAGS = {"telemetry": {"sql", "log_analytics"}}


def _path_str(loc: tuple[int | str, ...]) -> str:
    out = ""
    for i, part in enumerate(loc):
        if i and isinstance(loc[i - 1], str) and part in _TAGS.get(str(loc[i - 1]), ()):
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


# Every value expanded from the environment, so that the log's last line of defence can redact it.
_KNOWN_SECRETS: set[str] = set()
MIN_REDACTED_LENGTH = 6  # shorter values would blank out ordinary words in the log


def remember_secret(value: str | None) -> None:
    """Make ``value`` one the log redacts wherever it appears (values shorter than 6 characters are not)."""
    if value and len(value) >= MIN_REDACTED_LENGTH:
        _KNOWN_SECRETS.add(value)


def known_secrets() -> frozenset[str]:
    """Every secret value this process read (``${VAR}`` expansions, tokens, database passwords)."""
    return frozenset(_KNOWN_SECRETS)


def _expand(value: Any, env: Mapping[str, str], file: str, loc: tuple[int | str, ...]) -> Any:
    """``${VAR}`` references become ``SecretText`` (the value typed as a secret); other values stay as they are."""
    if isinstance(value, dict):
        return {k: _expand(v, env, file, (*loc, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, env, file, (*loc, i)) for i, v in enumerate(value)]
    if not isinstance(value, str) or not _ENV_REF.search(value):
        return value
    parts: list[str | Secret] = []
    at = 0
    for match in _ENV_REF.finditer(value):
        name = match.group(1)
        if name not in env:
            raise ConfigError(f"{file}: {_path_str(loc)}: environment variable {name} is not set")
        remember_secret(env[name])
        parts += [value[at : match.start()], Secret(name, env[name])]
        at = match.end()
    return SecretText.of(*parts, value[at:])


def _error_line(file: str, error: Any) -> str:
    where = f"{file}: {_path_str(tuple(error['loc']))}"
    if isinstance(error.get("input"), SecretText):
        return f"{where}: takes no ${{VAR}} reference (references are for secrets); write the value itself"
    return f"{where}: {error['msg']}"


_SECRET_KEYS = {"api_key"}
_URL_KEYS = {"database_url"}


def _check_secrets(value: Any, file: str, loc: tuple[int | str, ...] = ()) -> None:
    """Secrets may appear only as ${ENV_VAR} references, never inline in the file."""
    if isinstance(value, dict):
        for k, v in value.items():
            _check_secrets(v, file, (*loc, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_secrets(v, file, (*loc, i))
    elif isinstance(value, str) and loc:
        key = loc[-1]
        if key in _SECRET_KEYS and not _ENV_REF.fullmatch(value):
            raise ConfigError(f"{file}: {_path_str(loc)}: secrets must be given as ${{ENV_VAR}} references")
        if key in _URL_KEYS and _INLINE_PASSWORD.match(value):
            raise ConfigError(
                f"{file}: {_path_str(loc)}: the URL holds a password; put the whole URL in an environment "
                "variable and write ${ENV_VAR}"
            )


def parse_config(text: str, *, file: str, env: Mapping[str, str], schema: type[AppConfig] = AppConfig) -> AppConfig:
    """Parse and validate configuration text against ``schema``; every error names ``file`` and the key path.

    ``schema`` is the bot's: its kinds' blocks included (``KindRegistry.schema``). The bare default knows
    no kind block, so a file that configures one is refused with that key's path.
    """
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: not valid YAML: {exc}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}: (top level): must be a mapping with keys 'azure' and 'services'")
    _check_secrets(raw, file)
    expanded = _expand(raw, env, file, ())
    try:
        return schema.model_validate(expanded)
    except ValidationError as exc:
        raise ConfigError("\n".join(_error_line(file, e) for e in exc.errors())) from None


def load_config(
    path: str | Path, *, env: Mapping[str, str] | None = None, schema: type[AppConfig] = AppConfig
) -> AppConfig:
    """Read and validate the configuration file at ``path`` against ``schema`` (see ``parse_config``)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read the configuration file: {exc.strerror}") from None
    return parse_config(text, file=str(p), env=os.environ if env is None else env, schema=schema)


@dataclass(frozen=True)
class Settings:
    """Process settings from the environment; read once by the composition root."""

    slack_bot_token: str | None
    slack_signing_secret: str | None
    slack_app_token: str | None
    slack_api_url: str
    database_url: str
    config_path: Path
    config_path_explicit: bool
    port: int
    # How long a replica may hold an execution without renewing its lease (ROLLBACK_BOT_LEASE_SECONDS).
    lease_seconds: float = DEFAULT_LEASE_SECONDS

    @property
    def slack_configured(self) -> bool:
        """True when a workspace can be reached (bot token and signing secret, or a Socket Mode token)."""
        return bool(self.slack_bot_token and (self.slack_signing_secret or self.slack_app_token))

    def __repr__(self) -> str:  # secrets never reach logs
        return (
            f"Settings(slack_configured={self.slack_configured}, socket_mode={bool(self.slack_app_token)}, "
            f"slack_api_url={self.slack_api_url!r}, database={_redact_url(self.database_url)!r}, "
            f"config_path={str(self.config_path)!r}, port={self.port})"
        )


def _password(url: str) -> str | None:
    match = _INLINE_PASSWORD.match(url)
    return match.group(0).split("://", 1)[1].split(":", 1)[1][:-1] if match else None


def _redact_url(url: str) -> str:
    return _INLINE_PASSWORD.sub(lambda m: m.group(0).split("://")[0] + "://***@", url)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build ``Settings`` from environment variables."""
    e = os.environ if env is None else env
    port_text = e.get("PORT", "3000")
    if not port_text.isdigit():
        raise ConfigError(f"PORT must be a number, got {port_text!r}")
    api_url = e.get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        remember_secret(e.get(name))
    remember_secret(_password(e.get("DATABASE_URL") or ""))
    lease_text = e.get("ROLLBACK_BOT_LEASE_SECONDS") or str(DEFAULT_LEASE_SECONDS)
    try:
        lease_seconds = float(lease_text)
    except ValueError:
        lease_seconds = 0.0
    if not 1.0 <= lease_seconds <= 600.0:
        raise ConfigError(f"ROLLBACK_BOT_LEASE_SECONDS must be a number of seconds from 1 to 600, got {lease_text!r}")
    return Settings(
        slack_bot_token=e.get("SLACK_BOT_TOKEN") or None,
        slack_signing_secret=e.get("SLACK_SIGNING_SECRET") or None,
        slack_app_token=e.get("SLACK_APP_TOKEN") or None,
        slack_api_url=api_url if api_url.endswith("/") else api_url + "/",
        database_url=e.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        config_path=Path(e.get("ROLLBACK_BOT_CONFIG") or DEFAULT_CONFIG_PATH),
        config_path_explicit=bool(e.get("ROLLBACK_BOT_CONFIG")),
        port=int(port_text),
        lease_seconds=lease_seconds,
    )
