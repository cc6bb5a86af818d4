// The side panel: the emulated Azure estate of one environment, live, and the "break something" drills.
"use strict";

window.Estate = (() => {
  function el(tag, className, content) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined) node.textContent = content;
    return node;
  }

  function when(iso) {
    if (!iso) return "never";
    return window.Mrkdwn.ago(new Date(iso));
  }

  function card(title, name, testid) {
    const node = el("section", "es-card");
    node.dataset.testid = testid;
    const head = el("h3", "es-title", title + " ");
    if (name) head.append(el("code", "es-name", name));
    node.append(head);
    return node;
  }

  function revisions(app, before) {
    const node = card("Container App", app.name, "estate-app");
    const old = new Map(((before && before.revisions) || []).map((r) => [r.name, r.traffic]));
    for (const rev of app.revisions) {
      const row = el("div", "es-rev");
      row.dataset.revision = rev.short;
      const healthy = rev.health === "Healthy";
      row.append(
        el("span", "es-rev-name", rev.short),
        el("span", "es-rev-image", rev.image),
        el("span", `es-health ${healthy ? "ok" : "bad"}`, healthy ? "healthy" : rev.health.toLowerCase()),
      );
      const bar = el("div", "es-bar");
      const fill = el("div", `es-fill ${healthy ? "ok" : "bad"}`);
      fill.style.width = `${rev.traffic}%`;
      bar.append(fill);
      const pct = el("span", "es-pct", `${rev.traffic} %`);
      pct.dataset.testid = `traffic-${rev.short}`;
      row.append(bar, pct);
      if (old.has(rev.name) && old.get(rev.name) !== rev.traffic) row.classList.add("es-changed");
      node.append(row);
    }
    node.append(el("div", "es-note", "Traffic split per revision (ingress weights)."));
    return node;
  }

  function prompt(p, before) {
    const node = card("Prompt", p.name, "estate-prompt");
    const chips = el("div", "es-chips");
    for (const v of [...p.versions].reverse()) {
      const chip = el("span", `es-chip${v.active ? " on" : ""}`, `v${v.version}`);
      chip.title = v.content;
      chips.append(chip);
    }
    const active = el("div", "es-line");
    const label = el("b", "", p.active ? `v${p.active}` : "none");
    label.dataset.testid = "prompt-active";
    active.append("Active: ", label);
    const current = p.versions.find((v) => v.active);
    if (current) active.append(el("span", "es-dim", ` · “${current.content.slice(0, 60)}${current.content.length > 60 ? "…" : ""}”`));
    if (before && before.active !== p.active) active.classList.add("es-changed");
    node.append(chips, active);
    return node;
  }

  function model(m) {
    const node = card("Model deployment", m.deployment, "estate-model");
    const line = el("div", "es-line");
    const version = el("b", "", m.version || "unknown");
    version.dataset.testid = "model-version";
    line.append(`${m.model || "?"} `, version);
    node.append(line);
    const past = m.history.filter((h) => h.version !== m.version).map((h) => `${h.version} (${when(h.since)})`);
    if (past.length) node.append(el("div", "es-note", `Earlier: ${past.join(", ")}`));
    return node;
  }

  function postgres(pg) {
    const node = card("PostgreSQL", pg.server, "estate-postgres");
    node.append(el("div", "es-line", `${pg.backups} backups · latest ${when(pg.latest)}`));
    const head = el("b", "", pg.head || "none");
    head.dataset.testid = "migration-head";
    const line = el("div", "es-line");
    line.append("migration head ", head);
    node.append(line);
    for (const s of pg.restored || []) {
      const restored = el("div", "es-line", `restored: ${s.name} (${s.state || "?"})`);
      restored.dataset.testid = "restored-server";
      node.append(restored);
    }
    if (pg.database_host) node.append(el("div", "es-note", `app uses ${pg.database_host}`));
    return node;
  }

  function search(s) {
    const node = card("Search alias", s.alias, "estate-search");
    const target = el("b", "", s.indexes.join(", ") || "none");
    target.dataset.testid = "alias-target";
    const line = el("div", "es-line");
    line.append("→ ", target, el("span", "es-dim", ` · ${s.documents.toLocaleString()} documents`));
    node.append(line);
    return node;
  }

  function drills(env, handlers) {
    const node = el("section", "es-card es-break");
    node.append(el("h3", "es-title", `Break something in ${env}`));
    const row = el("div", "es-break-row");
    const revision = el("button", "es-btn", "Deploy a bad revision");
    revision.dataset.testid = "break-revision";
    revision.title = "A new failing revision takes 100 % of the traffic";
    revision.addEventListener("click", () => handlers.breakRevision(env));
    const bad = el("button", "es-btn", "Activate a bad prompt");
    bad.dataset.testid = "break-prompt";
    bad.title = "A new prompt version without the disclaimers goes live";
    bad.addEventListener("click", () => handlers.breakPrompt(env));
    const back = el("button", "es-btn", "Break the way back");
    back.dataset.testid = "break-way-back";
    back.title = "The revision a rollback would go to fails its health check (a drill's verification then fails)";
    back.addEventListener("click", () => handlers.breakWayBack(env));
    const release = el("button", "es-btn", "Bad release");
    release.dataset.testid = "break-release";
    release.title = "A new failing revision, a new prompt version and a model upgrade, all at once";
    release.addEventListener("click", () => handlers.breakRelease(env));
    row.append(revision, bad, back, release);
    node.append(row, el("div", "es-note", "Then roll it back, or drill it, with /rollback (a bad release: everything back to the last good release)."));
    node.append(el("h3", "es-title", `Deploy to ${env}`));
    const deployRow = el("div", "es-break-row");
    const good = el("button", "es-btn", "Deploy a good image");
    good.dataset.testid = "deploy-good";
    good.title = "rollback-bot deploy: a new revision at 0 %, health gate, canary 25 % then 100 %: promoted";
    good.addEventListener("click", () => handlers.deploy(env, "good"));
    const badImage = el("button", "es-btn", "Deploy a bad image");
    badImage.dataset.testid = "deploy-bad";
    badImage.title = "rollback-bot deploy of an image whose health check fails: rolled back automatically";
    badImage.addEventListener("click", () => handlers.deploy(env, "bad"));
    deployRow.append(good, badImage);
    node.append(deployRow, el("div", "es-note", "The deploy's progress message appears in the channel, updated at each step, with an Abort button for approvers."));
    return node;
  }

  function tabs(env, envs, handlers) {
    const node = el("div", "es-tabs");
    node.setAttribute("role", "group");
    node.setAttribute("aria-label", "Environment shown");
    for (const name of envs) {
      const tab = el("button", `es-tab${name === env ? " on" : ""}`, name);
      tab.type = "button";
      tab.setAttribute("aria-pressed", String(name === env));
      tab.dataset.env = name;
      tab.addEventListener("click", () => handlers.selectEnv(name));
      node.append(tab);
    }
    return node;
  }

  function render(container, estate, env, previous, handlers) {
    const data = estate.environments[env];
    const old = previous && previous.environments[env];
    const head = el("div", "es-head");
    head.append(el("h2", "", `${estate.service} on Azure`), el("span", "es-live", "emulated · live"));
    const reset = el("button", "es-reset", "Reset sandbox");
    reset.dataset.testid = "reset";
    reset.addEventListener("click", () => handlers.reset());
    container.replaceChildren(
      head,
      tabs(env, Object.keys(estate.environments), handlers),
      revisions(data.container_app, old && old.container_app),
      prompt(data.prompt, old && old.prompt),
      model(data.model),
      postgres(data.postgres),
      search(data.search),
      drills(env, handlers),
      reset,
    );
  }

  return { render };
})();
