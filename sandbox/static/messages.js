// Messages of the channel and of a thread: avatar, name, time, Block Kit or text, ephemerals, replies.
"use strict";

window.Messages = (() => {
  const { renderBlocks } = window.BlockKit;
  const { mrkdwn } = window.Mrkdwn;

  function el(tag, className, content) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined) node.textContent = content;
    return node;
  }

  function clock(ts) {
    return new Date(parseFloat(ts) * 1000).toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
  }

  function author(message, data) {
    if (message.sender === "slackbot") return { name: "Slackbot", initials: "SB", kind: "slackbot", app: false };
    const user = data.directory.users[message.user] || {};
    if (message.bot_id || message.sender === "bot" || user.is_bot) {
      return { name: "Rollback Bot", initials: "RB", kind: "bot", app: true };
    }
    const name = user.real_name || user.name || message.user;
    return { name, initials: name.slice(0, 1).toUpperCase(), kind: user.name || "user", app: false };
  }

  function avatar(who) {
    const node = el("div", `avatar av-${who.kind}`, who.initials);
    node.setAttribute("aria-hidden", "true");
    return node;
  }

  // One message. opts: { data, ephemeral, inThread, onAction(message, action), confirm, openThread, dismiss }
  function render(message, opts) {
    const who = author(message, opts.data);
    const node = el("div", "msg");
    node.dataset.ts = message.ts;
    if (opts.ephemeral) node.classList.add("msg-ephemeral");
    const body = el("div", "msg-body");
    const head = el("div", "msg-head");
    head.append(el("span", "msg-name", who.name));
    if (who.app) head.append(el("span", "msg-badge", "APP"));
    head.append(el("span", "msg-time", clock(message.ts)));
    body.append(head);
    if (opts.ephemeral) body.append(el("div", "msg-only-you", "Only visible to you"));
    body.append(content(message, opts));
    const failure = (opts.data.failures || {})[message.ts];
    if (failure) body.append(el("div", "msg-failure", failure));
    if (message.reactions && message.reactions.length) body.append(reactions(message.reactions));
    if (!opts.inThread && message.reply_count) body.append(threadLink(message, opts));
    if (opts.ephemeral && opts.dismiss) body.append(dismissLink(message, opts));
    node.append(avatar(who), body);
    return node;
  }

  function content(message, opts) {
    const box = el("div", "msg-content");
    if (message.blocks && message.blocks.length) {
      box.append(
        renderBlocks(message.blocks, {
          dir: opts.data.directory,
          surface: "message",
          values: {},
          confirm: opts.confirm,
          onAction: (action) => opts.onAction(message, action),
        }),
      );
    } else {
      box.append(mrkdwn(message.text, opts.data.directory));
    }
    return box;
  }

  function reactions(list) {
    const row = el("div", "msg-reactions");
    for (const r of list) row.append(el("span", "msg-reaction", `${window.Mrkdwn.emojiText(`:${r.name}:`)} ${r.count || 1}`));
    return row;
  }

  function threadLink(message, opts) {
    const n = message.reply_count;
    const link = el("button", "msg-replies", `${n} ${n === 1 ? "reply" : "replies"}`);
    link.type = "button";
    link.dataset.testid = `replies-${message.ts}`;
    if (message.latest_reply) link.append(el("span", "msg-last-reply", `Last reply ${clock(message.latest_reply)}`));
    link.addEventListener("click", () => opts.openThread(message.ts));
    return link;
  }

  function dismissLink(message, opts) {
    const link = el("button", "msg-dismiss", "Dismiss message");
    link.type = "button";
    link.addEventListener("click", () => opts.dismiss(message.ts));
    return link;
  }

  // The channel's timeline: top-level messages and the viewer's ephemerals in time order.
  function timeline(data, opts) {
    const items = [
      ...data.messages.map((m) => ({ m, ephemeral: false })),
      ...data.ephemerals.filter((e) => !e.thread_ts).map((m) => ({ m, ephemeral: true })),
    ].sort((a, b) => parseFloat(a.m.ts) - parseFloat(b.m.ts));
    const root = el("div", "timeline");
    if (!items.length) root.append(emptyChannel(data));
    else root.append(el("div", "day-divider", "Today"));
    for (const { m, ephemeral } of items) root.append(render(m, { ...opts, ephemeral }));
    return root;
  }

  function emptyChannel(data) {
    const box = el("div", "channel-intro");
    box.append(el("h2", "", `#${data.channel.name}`));
    box.append(el("p", "", "This is the incident channel of pharmabot (prod and staging). Type /rollback below to start a guided rollback."));
    return box;
  }

  // A thread: the parent, its replies and the viewer's ephemerals in it.
  function thread(data, ts, opts) {
    const parent = data.messages.find((m) => m.ts === ts);
    const root = el("div", "thread-list");
    if (!parent) return root;
    root.append(render(parent, { ...opts, inThread: true }));
    const count = (parent.replies || []).length;
    root.append(el("div", "thread-count", `${count} ${count === 1 ? "reply" : "replies"}`));
    const items = [
      ...(parent.replies || []).map((m) => ({ m, ephemeral: false })),
      ...data.ephemerals.filter((e) => e.thread_ts === ts).map((m) => ({ m, ephemeral: true })),
    ].sort((a, b) => parseFloat(a.m.ts) - parseFloat(b.m.ts));
    for (const { m, ephemeral } of items) root.append(render(m, { ...opts, ephemeral, inThread: true }));
    return root;
  }

  return { render, timeline, thread, clock };
})();
