// The sandbox page: polls /api/state for the person it acts as and sends what they do to /api/*.
"use strict";

(() => {
  const { renderBlocks, renderModal, renderConfirm } = window.BlockKit;
  const $ = (selector) => document.querySelector(selector);
  const POLL_MS = 500;
  const S = { viewer: null, tab: "channel", thread: null, env: "prod", data: null, keys: {}, drafts: {}, localErrors: {}, estate: null };

  function el(tag, className, content) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined) node.textContent = content;
    return node;
  }

  // --- talking to the sandbox ----------------------------------------------------------------

  async function api(path, body) {
    const response = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const answer = await response.json().catch(() => ({ ok: false, error: response.statusText }));
    if (!answer.ok) toast(answer.error || "That didn't work.");
    await refresh();
    return answer;
  }

  const act = (path, body) => api(path, { user: S.viewer, ...body });

  let polling = false;
  async function refresh() {
    if (polling) return;
    polling = true;
    try {
      const response = await fetch(`/api/state?user=${encodeURIComponent(S.viewer)}`);
      if (response.ok) render(await response.json());
    } finally {
      polling = false;
    }
  }

  function toast(text) {
    const node = el("div", "toast", text);
    $("#toasts").append(node);
    setTimeout(() => node.remove(), 5000);
  }

  // --- rendering: only what changed, so typing and open selects are left alone ----------------

  function changed(part, value) {
    const key = JSON.stringify(value);
    if (S.keys[part] === key) return false;
    S.keys[part] = key;
    return true;
  }

  function render(data) {
    S.data = data;
    if (changed("people", [data.viewer, data.people])) renderPeople(data);
    if (changed("timeline", [data.messages, data.ephemerals])) renderTimeline(data);
    if (changed("thread", [S.thread, data.messages, data.ephemerals])) renderThread(data);
    if (changed("home", [S.tab, data.home])) renderHome(data);
    if (changed("modal", [data.modal, S.localErrors])) renderModalOverlay(data.modal);
    if (changed("estate", [S.env, data.estate])) {
      window.Estate.render($("#estate"), data.estate, S.env, S.estate, estateHandlers);
      S.estate = data.estate;
    }
  }

  function renderPeople(data) {
    const bar = $("#people");
    const label = el("span", "people-label", "You are");
    label.id = "people-label";
    bar.setAttribute("role", "group");
    bar.setAttribute("aria-labelledby", label.id);
    bar.replaceChildren(label);
    for (const p of data.people) {
      const chip = el("button", `person${p.id === data.viewer ? " on" : ""}`);
      chip.type = "button";
      chip.dataset.person = p.id;
      chip.setAttribute("aria-pressed", String(p.id === data.viewer)); // who you are now
      chip.setAttribute("aria-label", `${p.name}, ${p.role}`);
      const avatar = el("span", `avatar small av-${p.name}`, p.name[0].toUpperCase());
      avatar.setAttribute("aria-hidden", "true");
      chip.append(avatar, el("span", "person-name", p.name), el("span", "person-role", p.role));
      chip.addEventListener("click", () => switchTo(p.id));
      bar.append(chip);
    }
    const me = data.people.find((p) => p.id === data.viewer);
    $("#me").textContent = me ? `${me.real_name} · ${me.role}` : "";
  }

  const messageOpts = () => ({
    data: S.data,
    confirm,
    onAction: (message, action) =>
      act("/api/action", { ts: message.ts, action_id: action.action_id, value: action.value ?? (action.selected_option || {}).value ?? null }),
    openThread: (ts) => { S.thread = ts; $("#thread").hidden = false; refreshNow(); },
    dismiss: (ts) => act("/api/dismiss", { ts }),
  });

  function renderTimeline(data) {
    const list = $("#messages");
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    list.replaceChildren(window.Messages.timeline(data, messageOpts()));
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  function renderThread(data) {
    $("#thread").hidden = !S.thread;
    if (S.thread) $("#thread-body").replaceChildren(window.Messages.thread(data, S.thread, messageOpts()));
  }

  function renderHome(data) {
    $("#channel-view").hidden = S.tab !== "channel";
    $("#home-view").hidden = S.tab !== "home";
    for (const item of document.querySelectorAll(".nav-item")) {
      item.classList.toggle("on", item.dataset.tab === S.tab);
      if (item.dataset.tab === S.tab) item.setAttribute("aria-current", "page");
      else item.removeAttribute("aria-current");
    }
    const body = $("#home-body");
    if (!data.home) {
      body.replaceChildren(el("div", "home-empty", "Loading the app's Home tab…"));
      return;
    }
    body.replaceChildren(
      renderBlocks(data.home.blocks, {
        dir: data.directory, surface: "home", values: {}, confirm,
        onAction: (a) => act("/api/action", { view_id: data.home.id, action_id: a.action_id, value: a.value ?? null }),
      }),
    );
  }

  // --- modals ---------------------------------------------------------------------------------

  function draft(view) {
    if (!S.drafts[view.id]) S.drafts[view.id] = JSON.parse(JSON.stringify((view.state || {}).values || {}));
    return S.drafts[view.id];
  }

  function inputValues(view) {
    const values = {};
    const entered = draft(view);
    for (const block of view.blocks || []) {
      if (block.type !== "input" || !block.element) continue;
      const element = block.element;
      const entry = (entered[block.block_id] || {})[element.action_id];
      values[block.block_id] = { [element.action_id]: entry || emptyEntry(element) };
    }
    return values;
  }

  function emptyEntry(element) {
    if (element.type === "plain_text_input") return { type: element.type, value: null };
    if (element.type === "checkboxes") return { type: element.type, selected_options: [] };
    return { type: element.type, selected_option: null };
  }

  function isEmpty(entry) {
    return !entry || !(entry.value || entry.selected_option || (entry.selected_options || []).length || entry.selected_date || entry.selected_time);
  }

  function renderModalOverlay(view) {
    const overlay = $("#modal-overlay");
    if (!view) {
      overlay.hidden = true;
      overlay.replaceChildren();
      return;
    }
    const errors = { ...view.errors, ...(S.localErrors[`${view.id}/${view.hash}`] || {}) };
    const node = renderModal(view, {
      dir: S.data.directory, values: draft(view), errors, confirm,
      onChange: (block, action, entry) => { (draft(view)[block] ||= {})[action] = entry; },
      onAction: (a) => act("/api/action", { view_id: view.id, action_id: a.action_id, value: a.value ?? null, values: inputValues(view) }),
    });
    node.querySelector(".bk-modal-x").addEventListener("click", () => closeModal(view));
    node.querySelector(".bk-modal-close").addEventListener("click", () => closeModal(view));
    const submit = node.querySelector(".bk-modal-submit");
    if (submit) submit.addEventListener("click", () => submitModal(view, submit));
    overlay.replaceChildren(node);
    overlay.hidden = false;
  }

  async function submitModal(view, button) {
    const values = inputValues(view);
    const missing = {};
    for (const block of view.blocks) {
      if (block.type === "input" && !block.optional && isEmpty(values[block.block_id][block.element.action_id])) {
        missing[block.block_id] = "Please complete this required field.";
      }
    }
    S.localErrors = { [`${view.id}/${view.hash}`]: missing };
    if (Object.keys(missing).length) return render(S.data);
    button.disabled = true;
    button.classList.add("busy");
    await act("/api/submit", { view_id: view.id, values });
  }

  function closeModal(view) {
    delete S.drafts[view.id];
    S.localErrors = {};
    act("/api/close", { view_id: view.id });
  }

  function confirm(spec) {
    return new Promise((resolve) => {
      const { node, ok, deny } = renderConfirm(spec);
      const overlay = $("#confirm-overlay");
      const done = (answer) => { overlay.hidden = true; overlay.replaceChildren(); resolve(answer); };
      ok.addEventListener("click", () => done(true));
      deny.addEventListener("click", () => done(false));
      overlay.replaceChildren(node);
      overlay.hidden = false;
    });
  }

  // --- composer, navigation, people -----------------------------------------------------------

  function send() {
    const box = $("#composer");
    const line = box.value.trim();
    if (!line) return;
    box.value = "";
    hideHints();
    if (!line.startsWith("/")) {
      toast("In the sandbox only slash commands reach the bot: try /rollback.");
      return;
    }
    act("/api/command", { text: line });
  }

  function showHints() {
    const box = $("#composer");
    const typed = box.value;
    if (!typed.startsWith("/") || !S.data) return hideHints();
    const [cmd, sub = ""] = typed.split(/\s+/);
    const matches = S.data.commands.filter((c) => {
      const [name, first = ""] = c.usage.split(" ");
      if (!/\s/.test(typed)) return name.startsWith(cmd);
      return name === cmd && first.toLowerCase().startsWith(sub.toLowerCase());
    });
    if (!matches.length) return hideHints();
    const hints = $("#hints");
    hints.replaceChildren(el("div", "hints-title", "Rollback Bot"));
    for (const c of matches) {
      const row = el("button", "hint");
      row.type = "button";
      row.append(el("code", "", c.usage), el("span", "", c.description));
      row.addEventListener("mousedown", (e) => e.preventDefault());
      row.addEventListener("click", () => {
        box.value = c.usage.split(" ").filter((w) => /^[/a-z]/.test(w)).join(" ") + " ";
        box.focus();
        hideHints();
      });
      hints.append(row);
    }
    hints.hidden = false;
  }

  function hideHints() {
    $("#hints").hidden = true;
  }

  function refreshNow() {
    S.keys = {};
    refresh();
  }

  const PERSON_KEY = "rollback-sandbox.person";

  function remembered() {
    try {
      return localStorage.getItem(PERSON_KEY);
    } catch (e) {
      return null; // storage disabled: the address still says who you are
    }
  }

  function switchTo(userId) {
    S.viewer = userId;
    S.localErrors = {};
    location.hash = `as=${userId}`;
    try {
      localStorage.setItem(PERSON_KEY, userId); // kept across reloads
    } catch (e) {
      // storage disabled: the address still says who you are
    }
    $("#confirm-overlay").hidden = true;
    refreshNow();
  }

  function openTab(tab) {
    S.tab = tab;
    if (tab === "home") act("/api/home", {});
    refreshNow();
  }

  const estateHandlers = {
    selectEnv: (env) => { S.env = env; refreshNow(); },
    breakRevision: (env) => api("/api/break/revision", { environment: env }).then((a) => a.ok && toast(`Deployed ${a.revision} to ${env}: failing, 100 % of traffic.`)),
    breakPrompt: (env) => api("/api/break/prompt", { environment: env }).then((a) => a.ok && toast(`Activated a bad drug_info v${a.version} in ${env}.`)),
    breakWayBack: (env) => api("/api/break/way-back", { environment: env }).then((a) => a.ok && toast(a.revision ? `${a.revision} now fails its health check.` : `No healthy revision left to break in ${env}.`)),
    breakRelease: (env) => api("/api/break/release", { environment: env }).then((a) => a.ok && toast(`Shipped a bad release to ${env}: ${a.revision} at 100 %, drug_info v${a.version}, gpt-4o ${a.model}.`)),
    deploy: (env, image) => act("/api/deploy", { environment: env, image }).then((a) => a.ok && toast(`Deploying ${a.revision || "a new revision"} to ${env} (${image} image): follow it in the channel.`)),
    reset: () => confirm({ title: { type: "plain_text", text: "Reset the sandbox?" }, text: { type: "mrkdwn", text: "Messages, requests and the estate go back to the demo start." }, confirm: { type: "plain_text", text: "Reset" }, deny: { type: "plain_text", text: "Keep" }, style: "danger" })
      .then((ok) => ok && api("/api/reset", {}).then(() => { S.drafts = {}; S.thread = null; refreshNow(); })),
  };

  async function wire() {
    const match = /as=(U[A-Z0-9]+)/.exec(location.hash);
    const kept = remembered();
    S.viewer = match ? match[1] : kept && /^U[A-Z0-9]+$/.test(kept) ? kept : "U0ALICE";
    const box = $("#composer");
    box.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); send(); }
      if (e.key === "Escape") hideHints();
    });
    box.addEventListener("input", showHints);
    $("#send").addEventListener("click", send);
    for (const item of document.querySelectorAll(".nav-item")) item.addEventListener("click", () => openTab(item.dataset.tab));
    $("#thread-close").addEventListener("click", () => { S.thread = null; refreshNow(); });
    document.addEventListener("keydown", (e) => {
      const view = S.data && S.data.modal;
      if (e.key === "Escape" && view && $("#confirm-overlay").hidden) closeModal(view);
    });
    // A reload is a fresh Slack client: no dialog left open, no "only visible to you" message kept.
    await api("/api/reload", { user: S.viewer });
    setInterval(refresh, POLL_MS);
  }

  document.addEventListener("DOMContentLoaded", wire);
})();
