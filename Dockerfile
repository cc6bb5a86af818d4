# rollback-bot container image: `docker build -t rollback-bot .` (see docs/docker.md).
# Two stages on the same pinned base: the builder installs the project and its dependencies into a
# virtualenv at /opt/venv; the runtime stage copies only that venv (no pip, no build tools, no sources).
# No `# syntax=` line: the builder's own Dockerfile frontend is enough, so nothing is fetched from a
# registry but the base image (builds work offline and behind a registry mirror).
# Any base with python3.11 and its venv module works: production uses the pinned official image below,
# CI passes `--build-arg PYTHON_IMAGE=` a base made from Debian packages (.ci/container).

ARG PYTHON_IMAGE=python:3.11.10-slim-bookworm

# ---------------------------------------------------------------------------- builder
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

# python3, not python: Debian's packages have no `python` command (the venv has both).
RUN python3 -m venv /opt/venv

WORKDIR /src
# Only what the build needs. README.md* is a glob so the build still works while the README is absent.
COPY pyproject.toml setup.py README.md* ./
COPY bot ./bot
COPY handlers ./handlers

# Dependencies are resolved from the version ranges in pyproject.toml; the project itself is a local path.
# Then pip, setuptools and wheel leave the venv: the runtime installs nothing (and carries 20 MB less).
RUN /opt/venv/bin/python -m pip install --no-cache-dir . \
    && /opt/venv/bin/python -m pip uninstall --yes pip setuptools wheel \
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

# The bot runs as PID 1 and handles SIGTERM itself: it refuses new work, lets work in flight finish (up to
# `serve --drain-timeout`, 25 s) and exits 0. Give it that long: `docker stop --time 30`, or
# `docker run --stop-timeout 30`; orchestrators: a termination grace period of at least 30 s.
STOPSIGNAL SIGTERM

# Liveness, not readiness: /health/live answers as soon as the port is bound, while /health/ready is 503
# whenever the database or Slack is unreachable, and restarting the container would not fix either.
# The first probe runs one interval after start, inside the start period. No curl in slim images: the
# standard library probes it (exec form, no shell; any non-2xx answer or connection error exits non-zero).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/opt/venv/bin/python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '3000') + '/health/live', timeout=4)"]

USER 10001

ENTRYPOINT ["rollback-bot"]
CMD ["serve"]
