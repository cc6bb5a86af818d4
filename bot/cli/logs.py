"""Logs an operator can read and ship.

* ``LOG_LEVEL`` (default INFO): at INFO the bot writes one line per event (request opened, approved, each
  step, refused and why), with the request id; the Azure SDKs' per-call HTTP logging, urllib3's and the
  scheduler's per-run lines appear only at DEBUG.
* ``LOG_FORMAT=json``: one JSON object per line (``time``, ``level``, ``logger``, ``message`` and, when the
  line is about a request, ``request_id`` and ``event``) for log pipelines; the stdlib formatter below is
  all it takes. Otherwise plain text lines.
* Never a secret: every value the process read from ``${VAR}`` references, tokens and database passwords
  is replaced by ``***`` in every line and traceback, as a last line of defence (the code already keeps them
  out: they are typed as secrets).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import IO

from bot.config import known_secrets
from bot.domain.secrets import REDACTED

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Loggers that write per call or per run at INFO: only worth reading when debugging.
CHATTY = (
    "azure",  # azure.core.pipeline.policies.http_logging_policy: the headers of every call; azure.identity
    "urllib3",
    "apscheduler",
)
FIELDS = ("request_id", "event", "actor")


def redact(text: str, secrets: frozenset[str] | None = None) -> str:
    """``text`` with every known secret value replaced by ``***`` (longest first)."""
    for secret in sorted(known_secrets() if secrets is None else secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class RedactSecrets(logging.Filter):
    """The last line of defence: no line or traceback that leaves the process holds a known secret value."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = known_secrets()
        if not secrets:
            return True
        message = record.getMessage()
        cleaned = redact(message, secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, secrets)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False, default=str)


def setup_logging(stream: IO[str] | None = None, env: Mapping[str, str] | None = None) -> logging.Handler:
    """Log to ``stream`` (default stderr) at LOG_LEVEL in LOG_FORMAT (text or json); returns the handler."""
    e = os.environ if env is None else env
    level = logging.getLevelName(e.get("LOG_LEVEL", "INFO").upper())
    if not isinstance(level, int):
        level = logging.INFO
    handler = logging.StreamHandler(stream or sys.stderr)
    json_lines = e.get("LOG_FORMAT", "text").lower() == "json"
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    root.setLevel(level)
    root.addHandler(handler)
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.DEBUG if level <= logging.DEBUG else logging.WARNING)
    return handler
