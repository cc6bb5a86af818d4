"""Check 2: for every configured kind, a concrete rollback plan with exact commands can be built right now."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from bot.domain.checklist import CheckKey, CheckResult, CheckStatus
from bot.domain.kinds import BUILTIN_KINDS, CODE, EMBEDDING, MODEL, PROMPT, SCHEMA, KindName
from bot.executors.base import Executor
from bot.services.checks.common import CheckContext, Finding, combine, failed, guarded, passed
from bot.services.checks.models import model_findings
from bot.services.checks.stores import embedding_findings, schema_findings

KEY = CheckKey.rollback_command
Builder = Callable[[], list[Finding]]


def check_rollback_commands(ctx: CheckContext) -> CheckResult:
    """Pass when every configured kind has a concrete target and the exact commands to reach it."""
    builders = _builders(ctx)
    if not builders:
        return CheckResult(
            KEY,
            CheckStatus.warn,
            f"Nothing to roll back is configured for {ctx.target}.",
            ("no container app, prompts, Azure OpenAI, AI Search or PostgreSQL configured",),
        )
    findings = [f for kind, build in builders.items() for f in guarded(kind, build)]
    kinds = ", ".join(kind for kind in builders)
    return combine(KEY, findings, ok_summary=f"Concrete rollback commands for every configured kind ({kinds}).")


def _builders(ctx: CheckContext) -> dict[KindName, Builder]:
    """One plan builder per configured kind, in ``KindName`` order.

    Code and prompt use their executors' plans. Model, embedding and schema use the dedicated findings,
    which check more than a plan does (the region's catalog, retirement dates, document counts, the
    restore window), even where an executor exists.
    """
    azure = ctx.azure
    executors = {k: ex for k, ex in ctx.executors.items() if k in (CODE, PROMPT)}
    found: dict[KindName, Builder] = {kind: partial(_from_executor, ex) for kind, ex in executors.items()}
    dedicated: list[tuple[KindName, bool, Builder]] = [
        (CODE, azure.container_apps is not None, partial(_no_code_executor, ctx)),
        (MODEL, azure.openai is not None, partial(model_findings, ctx)),
        (EMBEDDING, azure.search is not None, partial(embedding_findings, ctx)),
        (SCHEMA, azure.postgres is not None, partial(schema_findings, ctx)),
    ]
    for kind, configured, build in dedicated:
        if configured:
            found.setdefault(kind, build)
    return {kind: found[kind] for kind in BUILTIN_KINDS if kind in found}


def _from_executor(executor: Executor) -> list[Finding]:
    """The executor's default plan: it must be executable and carry its commands."""
    kind = executor.kind
    plan = executor.plan()
    if not plan.executable:
        reason = plan.blocked_reason or "no plan can be built"
        return [failed(f"{kind}: {reason}", f"{kind}: no executable plan: {reason}", commands=plan.commands)]
    if not plan.commands:
        return [failed(f"{kind}: the plan to {plan.desired_text} has no commands", f"{kind}: {plan.current_text}")]
    return [passed(f"{kind}: {plan.current_text} → {plan.desired_text}", commands=plan.commands)]


def _no_code_executor(ctx: CheckContext) -> list[Finding]:
    ref = ctx.azure.container_app_ref
    name = ref.name if ref else "the container app"
    return [failed(f"code: {name} is configured but no code rollback is available", f"code: no executor for {name}")]
