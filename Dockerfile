# syntax=docker/dockerfile:1
# rollback-bot container image: `docker build -t rollback-bot .` (see docs/docker.md).
# Two stages on the same pinned base: the builder installs the project and its dependencies into a
# virtualenv at /opt/venv; the runtime stage copies only that venv (no pip cache, no build tools, no sources).

ARG PYTHON_IMAGE=python:3.11.10-slim-bookworm

# ---------------------------------------------------------------------------- builder
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv

WORKDIR /src
# Only what the build needs. README.md* is a glob so the build still works while the README is absent.
COPY pyproject.toml setup.py README.md* ./
COPY bot ./bot
COPY handlers ./handlers

# Dependencies are resolved from the version ranges in pyproject.toml; the project itself is a local path.
RUN /opt/venv/bin/pip install --no-cache-dir . \
    && /opt/venv/bin/rollback-bot --help > /dev/null

# ---------------------------------------------------------------------------- runtime
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="rollback-bot" \
      org.opencontainers.image.description="Slack chat-ops bot for two-person-approved rollbacks of LLM deployments on Azure" \
      org.opencontainers.image.licenses="MIT"

# Non-root user; /app is its home and working directory (the default SQLite database file and
# ./rollback-bot.yaml are resolved relative to it).
RUN groupadd --system --gid 10001 rollback \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin rollback \
    && install -d -o 10001 -g 10001 -m 0750 /app

COPY --from=builder /opt/venv /opt/venv

ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PORT=3000

WORKDIR /app
EXPOSE 3000

# No curl in slim images: probe the liveness endpoint with the standard library (exec form, so no shell;
# the port comes from $PORT). urlopen raises on connection failures and HTTP errors, so any non-2xx
# answer exits non-zero and marks the container unhealthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '3000') + '/health/live', timeout=4)"]

USER 10001

ENTRYPOINT ["rollback-bot"]
CMD ["serve"]
