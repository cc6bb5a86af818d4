"""``AzureEmulator``: start/stop the HTTPS server, own the CA, and expose helpers over the live estate."""

from __future__ import annotations

import copy
import shutil
import ssl
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

import trustme

from sandbox.emulators.azure import aca_model as aca
from sandbox.emulators.azure import app_signals, arm_cognitive, arm_jobs, control
from sandbox.emulators.azure.core import Core, RequestLog
from sandbox.emulators.azure.credential import StaticTokenCredential
from sandbox.emulators.azure.estate import load_estate
from sandbox.emulators.azure.faults import FaultInjector
from sandbox.emulators.azure.server import EmulatorHTTPServer
from sandbox.emulators.azure.wire import JSON

STATE_FILE = "state.json"
CA_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"


class AzureEmulator:
    """A stateful local fake of ARM (Container Apps, Cognitive Services, PostgreSQL) and AI Search.

    ``estate`` is a compact estate dict or YAML path (``None``: the saved ``state.json`` in ``state_dir``
    if there is one, else the demo estate). ``state_dir`` keeps the CA (reused across restarts, so a
    configured CA bundle stays valid) and ``state.json`` (rewritten after every change); without it a
    temporary directory is used and removed by :meth:`stop`.
    """

    def __init__(
        self,
        estate: dict[str, Any] | str | Path | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        state_dir: Path | None = None,
    ) -> None:
        self.host, self.port = host, port
        self._temp_dir = None if state_dir else Path(tempfile.mkdtemp(prefix="azure-emulator-"))
        self.state_dir = Path(state_dir) if state_dir else self._temp_dir
        assert self.state_dir is not None
        self.state_dir.mkdir(parents=True, exist_ok=True)
        saved = self.state_dir / STATE_FILE
        source = estate if estate is not None or not (state_dir and saved.exists()) else saved
        self._core = Core(load_estate(source), saved if state_dir else None)
        self._ca = self._load_or_create_ca()
        self.ca_path = str(self.state_dir / CA_FILE)
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> AzureEmulator:
        if self._server is not None:
            return self
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        names = ["127.0.0.1", "localhost", "::1"]
        if self.host not in (*names, "0.0.0.0", "", "::"):  # noqa: S104 - comparing, not binding
            names.append(self.host)
        self._ca.issue_cert(*names).configure_cert(context)
        self._server = EmulatorHTTPServer((self.host, self.port), self._core, context)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="azure-emulator", daemon=True
        )
        self._thread.start()
        self._core.persist()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.close_connections()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._core.persist()
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)

    def __enter__(self) -> AzureEmulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- what clients need -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``https://127.0.0.1:PORT``: the ARM ``base_url`` and the AI Search endpoint."""
        if self._server is None:
            raise RuntimeError("AzureEmulator is not started; call start() first")
        port = self._server.server_address[1]
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host  # noqa: S104 - comparing, not binding
        return f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"

    @property
    def token(self) -> str:
        """The only bearer token (and AI Search ``api-key``) the emulator accepts."""
        return self._core.token

    @property
    def credential(self) -> StaticTokenCredential:
        """A credential that hands the SDK clients :attr:`token`."""
        return StaticTokenCredential(self.token)

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for an ARM management client: base_url, CA, instant polls, no retries."""
        return {"base_url": self.url, "connection_verify": self.ca_path, "polling_interval": 0, "retry_total": 0}

    @property
    def requests(self) -> RequestLog:
        return self._core.requests

    def poll_after(self, milliseconds: int | None) -> None:
        """Have long-running operations ask clients to poll again after ``milliseconds`` (``retry-after-ms``, as
        Azure may), which a client honours over its own ``polling_interval``; None: leave the pace to the client."""
        with self._core.lock:
            self._core.lro.poll_after_ms = milliseconds

    def require_health_code(self, code: str | None) -> None:
        """Make apps' health endpoints answer 401 unless called with ``?code=<code>`` (None: no code needed)."""
        self._core.health_code = code

    @property
    def faults(self) -> FaultInjector:
        return self._core.faults

    @property
    def state(self) -> JSON:
        """The live estate (hold :attr:`lock` while reading or changing it)."""
        return self._core.state

    @property
    def lock(self) -> threading.RLock:
        return self._core.lock

    # -- estate helpers --------------------------------------------------------------------------

    def traffic(self, subscription: str, rg: str, app: str) -> dict[str, int]:
        """Revision name -> current traffic weight (every revision, 0 included)."""
        with self.lock:
            found = self._core.get(_app_id(subscription, rg, app))
            return {
                str(r["name"]): int(aca.props(r).get("trafficWeight") or 0) for r in aca.revisions_of(self._core, found)
            }

    def traffic_rules(self, subscription: str, rg: str, app: str) -> list[JSON]:
        """The app's whole ``ingress.traffic`` rule list, as Azure returns it."""
        with self.lock:
            found = self._core.get(_app_id(subscription, rg, app))
            ingress = aca.ingress(found) or {}
            return copy.deepcopy(list(ingress.get("traffic") or []))

    def set_traffic(self, subscription: str, rg: str, app: str, rules: list[JSON]) -> None:
        """Replace the app's traffic rule list as a person would in the portal (validated like a PATCH)."""
        with self.lock:
            found = self._core.get(_app_id(subscription, rg, app))
            control.set_traffic(self._core, found, copy.deepcopy(rules))
            self._core.persist()

    def set_revision(self, subscription: str, rg: str, app: str, revision_name: str, **props: Any) -> JSON:
        """Add a revision or change one. ``props``: image, healthy, active, replicas, created (ISO or relative,
        e.g. ``"-5m"``), traffic_weight (Multiple mode: the others are scaled to sum to 100), health_state,
        running_state, provisioning_state. A new revision is the newest one, so it becomes the latest."""
        with self.lock:
            revision = control.set_revision(self._core, subscription, rg, app, revision_name, **props)
            self._core.persist()
            return copy.deepcopy(revision)

    def script_health(self, app: str, revision: str, statuses: list[int]) -> None:
        """What revision ``revision`` of ``app`` (it may not exist yet) answers on its health endpoint next, in
        order; the last status repeats; ``[]`` ends the script (``POST /_emulator/health`` does the same)."""
        full = revision if "--" in revision else f"{app}--{revision}"
        with self.lock:
            if statuses:
                self._core.health_scripts[f"{app}/{full}".lower()] = list(statuses)
            else:
                self._core.health_scripts.pop(f"{app}/{full}".lower(), None)

    def deployment(self, subscription: str, rg: str, account: str, name: str) -> JSON:
        with self.lock:
            deployment_id = (
                f"/subscriptions/{subscription}/resourceGroups/{rg}/providers/"
                f"Microsoft.CognitiveServices/accounts/{account}/deployments/{name}"
            )
            return copy.deepcopy(self._core.get(deployment_id))

    def upgrade_deployment(
        self, subscription: str, rg: str, account: str, name: str, version: str, *, by: str = "Microsoft"
    ) -> JSON:
        """Move a model deployment to ``version`` as Azure's automatic upgrade does (``by`` a person: the portal)."""
        deployment_id = (
            f"/subscriptions/{subscription}/resourceGroups/{rg}/providers/"
            f"Microsoft.CognitiveServices/accounts/{account}/deployments/{name}"
        )
        with self.lock:
            moved = arm_cognitive.move_deployment(self._core, deployment_id, version, by=by)
            self._core.persist()
            return copy.deepcopy(moved)

    def set_alias(self, index_alias: str, index: str) -> None:
        """Point an AI Search alias at ``index`` as a person would in the portal."""
        with self.lock:
            if index not in self._core.state["search"]["indexes"]:
                raise ValueError(f"no index {index!r}")
            aliases = self._core.state["search"]["aliases"]
            aliases[index_alias] = {**aliases.get(index_alias, {"name": index_alias}), "indexes": [index]}
            self._core.persist()

    def alias(self, index_alias: str) -> list[str]:
        """The indexes an AI Search alias points to ([] if there is no such alias)."""
        with self.lock:
            found = self._core.state["search"]["aliases"].get(index_alias)
            return list(found["indexes"]) if found else []

    # -- timed work: jobs and restores -----------------------------------------------------------

    def skip(self, seconds: float) -> None:
        """Move the clock of timed work (job executions, point-in-time restores) ``seconds`` forward."""
        with self.lock:
            self._core.skipped += seconds

    def set_restore_seconds(self, seconds: float) -> None:
        """Point-in-time restores started from now on take ``seconds`` (of the clock ``skip`` moves) to finish."""
        with self.lock:
            self._core.state["restoreSeconds"] = float(seconds)
            self._core.persist()

    def script_job(self, job: str, *, status: str = "Failed", seconds: float | None = None) -> None:
        """The next execution of ``job`` ends ``status`` after ``seconds`` (default: the job's own duration)."""
        with self.lock:
            arm_jobs.script_next(self._core, job, status=status, seconds=seconds)
            self._core.persist()

    def on_job(self, job: str, hook: arm_jobs.JobHook) -> None:
        """Carry out ``job``'s executions with ``hook(job, command)`` when their time is up (None: succeeded; a
        text: the execution fails, e.g. the migration tool exited non-zero)."""
        with self.lock:
            self._core.job_hooks[job.lower()] = hook

    def job_executions(self, subscription: str, rg: str, job: str) -> list[JSON]:
        """Every execution of ``job`` (copies, oldest first)."""
        job_id = f"/subscriptions/{subscription}/resourceGroups/{rg}/providers/Microsoft.App/jobs/{job}"
        with self.lock:
            found = [arm_jobs.advance(self._core, e) for e in self._core.children(job_id, "executions")]
            return copy.deepcopy(sorted(found, key=lambda e: str(e["properties"]["startTime"])))

    # -- Log Analytics --------------------------------------------------------------------------

    def workspace(self, workspace_id: str) -> JSON:
        """A Log Analytics workspace's application model (a copy; see ``app_signals``)."""
        with self.lock:
            return copy.deepcopy(control.find_workspace(self._core, workspace_id))

    def activate_prompt(self, workspace_id: str, name: str, version: str | int) -> None:
        """The watched application starts using ``version`` of prompt ``name`` now."""
        with self.lock:
            app_signals.activate_prompt(control.find_workspace(self._core, workspace_id), name, str(version))
            self._core.persist()

    def set_prompt_quality(self, workspace_id: str, name: str, version: str | int, error_rate: float) -> None:
        """Calls the watched application makes with ``version`` of prompt ``name`` fail at ``error_rate``."""
        with self.lock:
            workspace = control.find_workspace(self._core, workspace_id)
            app_signals.set_prompt_quality(workspace, name, str(version), error_rate)
            self._core.persist()

    def follow_prompts(self, workspace_id: str, source: app_signals.PromptSource) -> None:
        """Read the application's prompt versions from ``source`` (e.g. its prompt registry) from now on:
        ``source()`` returns ``{prompt: [(since, version), ...]}``, oldest first. The workspace may be added
        later (a saved estate from before it existed has none)."""
        with self.lock:
            self._core.prompt_sources[workspace_id.lower()] = source

    def set_query_result(self, workspace_id: str, result: JSON) -> None:
        """Answer queries containing ``result["match"]`` with ``result`` (``columns``, ``rows``, optional
        ``partial`` text, or ``error``: ``{status, code, message}``) before anything else."""
        with self.lock:
            control.find_workspace(self._core, workspace_id).setdefault("results", []).insert(0, copy.deepcopy(result))
            self._core.persist()

    def _load_or_create_ca(self) -> trustme.CA:
        assert self.state_dir is not None
        cert, key = self.state_dir / CA_FILE, self.state_dir / CA_KEY_FILE
        if cert.exists() and key.exists():
            return trustme.CA.from_pem(cert.read_bytes(), key.read_bytes())
        ca = trustme.CA(organization_name="rollback-bot Azure emulator")
        ca.private_key_pem.write_to_path(str(key))
        ca.cert_pem.write_to_path(str(cert))
        return ca


def _app_id(subscription: str, rg: str, app: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/{rg}/providers/Microsoft.App/containerApps/{app}"
