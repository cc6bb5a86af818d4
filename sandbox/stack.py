"""Everything behind the sandbox page, started together on loopback and stopped together.

The Slack fake (seeded with the demo workspace, the channel restored from the state folder), the Azure
emulator (demo estate, kept in the state folder), the prompt registries (SQLite, seeded once), the bot's
configuration file, and the real bot built by ``build_runtime`` and served over HTTP by waitress.
"""

from __future__ import annotations

import secrets
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from bot.bootstrap import Runtime, build_runtime
from bot.config import load_settings
from bot.domain.deploy import TemplateChange
from bot.domain.rollback_requests import ServiceEnv
from bot.kinds.builtin import BUILTIN
from bot.server import start_in_thread, stop_server
from bot.services.deploy.run import DeployRequest, deploy
from sandbox import demo, history
from sandbox.driver import SlackClient
from sandbox.emulators.azure import AzureEmulator
from sandbox.emulators.slack import SlackFake
from sandbox.estate import estate_summary, next_deploy
from sandbox.slack_state import ReplayClock, restore_channel, save_channel

CONFIG_FILE = "rollback-bot.yaml"
SLACK_FILE = "slack-channel.json"
AZURE_DIR = "azure"
PORT_FILE = "port"
# Instant polls, and a long-running operation may take a while on a slow machine before it counts as stuck.
AZURE_CLIENT_KWARGS = {"polling_interval": 0, "lro_timeout": 30.0, "retry_backoff_factor": 0.05}


@dataclass
class Stack:
    """The running pieces; ``close()`` stops them and saves the channel."""

    root: Path
    slack: SlackFake
    azure: AzureEmulator
    prompts: dict[str, demo.PromptRegistry]
    runtime: Runtime
    bot_url: str
    client: SlackClient
    _undo: ExitStack = field(repr=False)
    _saved_at: float = field(default=0.0, repr=False)
    _save_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # Deploys started from the page: stopped (rolled back) before the sandbox closes.
    stop_deploys: threading.Event = field(default_factory=threading.Event, repr=False)
    deploys: list[threading.Thread] = field(default_factory=list, repr=False)

    @classmethod
    def start(cls, root: Path) -> Stack:
        """Start everything with its state in ``root`` (reused when it holds a previous run)."""
        root.mkdir(parents=True, exist_ok=True)
        with ExitStack() as undo:
            clock = ReplayClock()
            slack = SlackFake(clock=clock).start()
            undo.callback(slack.stop)
            demo.seed_slack(slack)
            restore_channel(slack, clock, demo.CHANNEL, root / SLACK_FILE)
            azure = _start_azure(root / AZURE_DIR)
            undo.callback(azure.stop)
            prompts = _prompt_registries(root, undo)
            for env, registry in prompts.items():  # the application's calls use the active prompt version
                azure.follow_prompts(demo.WORKSPACES[env], demo.prompt_history(registry.store))
                azure.on_job(demo.migration_job(env), history.migration_tool(prompts_url(root, env)))
            azure.set_restore_seconds(demo.RESTORE_SECONDS)
            runtime, bot_url, secret = _start_bot(root, slack, azure, undo)
            client = SlackClient(slack, bot_url, secret, demo.CHANNEL)
            stack = cls(root, slack, azure, prompts, runtime, bot_url, client, undo.pop_all())
        stack.save()
        return stack

    def estate(self) -> dict[str, Any]:
        """The side panel's data."""
        heads = {env: history.app_head(prompts_url(self.root, env)) for env in self.prompts}
        return estate_summary(self.azure, {env: r.store for env, r in self.prompts.items()}, heads)

    def save(self, *, unless_saved_within: float = 0.0) -> None:
        """Write the channel to the state folder (when it changed), at most once per ``unless_saved_within`` s."""
        with self._save_lock:
            now = time.monotonic()
            if self._saved_at and now - self._saved_at < unless_saved_within:
                return
            self._saved_at = now
            save_channel(self.slack, demo.CHANNEL, self.root / SLACK_FILE)

    def start_deploy(self, environment: str, *, good: bool, actor: str) -> tuple[threading.Thread, list[Any]]:
        """A guarded deploy of the next demo image on a thread; returns it and where its report will be."""
        suffix, image = next_deploy(self.azure, environment, good=good)
        request = DeployRequest(
            ServiceEnv(demo.SERVICE, environment), TemplateChange(image=image), actor=actor, suffix=suffix
        )
        report: list[Any] = []
        thread = threading.Thread(
            target=lambda: report.append(deploy(self.runtime.deps, request, stop=self.stop_deploys)),
            name=f"sandbox-deploy-{suffix}",
            daemon=True,
        )
        self.deploys = [t for t in self.deploys if t.is_alive()] + [thread]
        thread.start()
        return thread, report

    def close(self) -> None:
        """Roll back deploys still running, save the channel, then stop the bot, the emulators and the databases
        (in reverse start order)."""
        self.stop_deploys.set()
        for thread in self.deploys:
            thread.join(timeout=10)
        try:
            self.save()
        finally:
            self._undo.close()


def _start_azure(state_dir: Path) -> AzureEmulator:
    """The emulator on the port it had last time when free: open requests' plans hold its health URLs."""
    port_file = state_dir / PORT_FILE
    saved = port_file.read_text().strip() if port_file.exists() else ""
    try:
        azure = AzureEmulator(state_dir=state_dir, port=int(saved) if saved.isdigit() else 0).start()
    except OSError:
        azure = AzureEmulator(state_dir=state_dir).start()
    port_file.write_text(str(urlsplit(azure.url).port))
    return azure


def _prompt_registries(root: Path, undo: ExitStack) -> dict[str, demo.PromptRegistry]:
    registries: dict[str, demo.PromptRegistry] = {}
    for env in demo.ENVIRONMENTS:
        url = prompts_url(root, env)
        demo.seed_prompts(url)
        history.seed_app_schema(url)
        registries[env] = demo.PromptRegistry(url)
        undo.callback(registries[env].close)
    return registries


def prompts_url(root: Path, environment: str) -> str:
    """The SQLite URL of ``environment``'s prompt registry in the state folder."""
    return f"sqlite:///{root / f'prompts-{environment}.db'}"


def _start_bot(root: Path, slack: SlackFake, azure: AzureEmulator, undo: ExitStack) -> tuple[Runtime, str, str]:
    """Write the configuration, build the real runtime and serve it; returns it, its URL and the signing secret."""
    config_path = root / CONFIG_FILE
    prompts = {env: prompts_url(root, env) for env in demo.ENVIRONMENTS}
    config = demo.sandbox_config(azure.url, azure.ca_path, prompts)
    config_path.write_text(
        "# Written by `rollback-bot sandbox` at every start: the demo estate on the local Azure emulator.\n"
        + yaml.safe_dump(config, sort_keys=False),
        encoding="utf-8",
    )
    secret = secrets.token_hex(16)
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_SIGNING_SECRET": secret,
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": f"sqlite:///{root / 'bot.db'}",
            "ROLLBACK_BOT_CONFIG": str(config_path),
        }
    )
    runtime = build_runtime(settings, BUILTIN.load_config(config_path, env={}), azure_client_kwargs=AZURE_CLIENT_KWARGS)
    undo.callback(runtime.close)
    server, url = start_in_thread(runtime)
    undo.callback(stop_server, server)
    history.seed_releases(runtime.deps)
    runtime.start_background()
    return runtime, url, secret
