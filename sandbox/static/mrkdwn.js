// Slack text formatting for the sandbox page: mrkdwn and plain_text objects to DOM nodes.
// Handles *bold*, _italic_, ~strike~, `code`, ```code blocks```, > quotes, <@U…>, <#C…>, <!subteam^S…>,
// <!here>, <!date^ts^{format}|fallback>, <url|label>, &lt; &gt; &amp; and :emoji: shortcodes (a small
// built-in map; unknown ones stay as text). Builds nodes, never HTML strings.
"use strict";

window.Mrkdwn = (() => {
  const EMOJI = {
    "+1": "👍", "-1": "👎", alarm_clock: "⏰", arrow_left: "⬅️", arrow_right: "➡️",
    arrows_counterclockwise: "🔄", bell: "🔔", black_circle: "⚫", boom: "💥", bug: "🐛", bulb: "💡",
    busts_in_silhouette: "👥", bust_in_silhouette: "👤", calendar: "📅", chart_with_downwards_trend: "📉",
    chart_with_upwards_trend: "📈", checkered_flag: "🏁", clipboard: "📋", construction: "🚧",
    exclamation: "❗", eyes: "👀", fire: "🔥", gear: "⚙️", grey_question: "❔", hammer_and_wrench: "🛠️",
    heavy_check_mark: "✔️", heavy_minus_sign: "➖", heavy_multiplication_x: "✖️", heavy_plus_sign: "➕",
    hourglass: "⌛", hourglass_flowing_sand: "⏳", information_source: "ℹ️", key: "🔑",
    large_blue_circle: "🔵", large_green_circle: "🟢", large_orange_circle: "🟠", large_yellow_circle: "🟡",
    leftwards_arrow_with_hook: "↩️", link: "🔗", lock: "🔒", mag: "🔍", memo: "📝", no_entry: "⛔",
    no_entry_sign: "🚫", package: "📦", pill: "💊", pray: "🙏", pushpin: "📌", question: "❓", red_circle: "🔴",
    repeat: "🔁", rewind: "⏪", robot_face: "🤖", rocket: "🚀", rotating_light: "🚨", shield: "🛡️",
    skull: "💀", slightly_smiling_face: "🙂", smile: "😄", sos: "🆘", sparkles: "✨",
    speech_balloon: "💬", stopwatch: "⏱️", tada: "🎉", test_tube: "🧪", thinking_face: "🤔",
    thumbsdown: "👎", thumbsup: "👍", unlock: "🔓", warning: "⚠️", wave: "👋", white_check_mark: "✅",
    white_circle: "⚪", wrench: "🔧", x: "❌",
  };
  const ENTITIES = { "&lt;": "<", "&gt;": ">", "&amp;": "&" };
  const INLINE = [
    ["code", /`([^`\n]+)`/],
    ["token", /<([^<>\n]+)>/],
    ["bold", /(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])/],
    ["italic", /(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])/],
    ["strike", /(?<![\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])/],
    ["emoji", /:([a-z0-9_+-]+):/],
    ["newline", /\n/],
  ];

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function decode(text) {
    return text.replace(/&(lt|gt|amp);/g, (m) => ENTITIES[m]);
  }

  function emojiText(text) {
    return text.replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] || m);
  }

  function earliest(text) {
    let best = null;
    for (const [kind, re] of INLINE) {
      const m = re.exec(text);
      if (m && (best === null || m.index < best.m.index)) best = { kind, m };
    }
    return best;
  }

  function inline(text, dir, into) {
    let rest = text;
    while (rest) {
      const found = earliest(rest);
      if (!found) { into.append(decode(rest)); return; }
      const { kind, m } = found;
      if (m.index) into.append(decode(rest.slice(0, m.index)));
      into.append(inlineNode(kind, m, dir));
      rest = rest.slice(m.index + m[0].length);
    }
  }

  function inlineNode(kind, m, dir) {
    if (kind === "code") return el("code", "mk-code", decode(m[1]));
    if (kind === "token") return token(m[1], dir);
    if (kind === "newline") return el("br");
    if (kind === "emoji") {
      const glyph = EMOJI[m[1]];
      return glyph ? el("span", "mk-emoji", glyph) : document.createTextNode(m[0]);
    }
    const tag = { bold: "b", italic: "i", strike: "s" }[kind];
    const node = el(tag);
    inline(m[1], dir, node);
    return node;
  }

  function token(body, dir) {
    const [target, label] = splitOnce(body, "|");
    const users = (dir && dir.users) || {};
    if (/^@[UW][A-Z0-9]+$/.test(target)) {
      const user = users[target.slice(1)];
      return el("span", "mk-mention", "@" + (label || (user ? user.name : target.slice(1))));
    }
    if (/^#[CGD][A-Z0-9]+$/.test(target)) {
      const name = label || ((dir && dir.channels) || {})[target.slice(1)] || target.slice(1);
      return el("span", "mk-mention mk-channel", "#" + name);
    }
    if (target.startsWith("!subteam^")) {
      const id = target.slice("!subteam^".length);
      const handle = ((dir && dir.usergroups) || {})[id];
      return el("span", "mk-mention mk-group", label || "@" + (handle || id));
    }
    if (/^!(here|channel|everyone)$/.test(target)) return el("span", "mk-mention mk-broadcast", "@" + target.slice(1));
    if (target.startsWith("!date^")) return el("span", "mk-date", formatDate(target, label));
    if (/^(https?:|mailto:)/.test(target)) {
      const a = el("a", "mk-link", decode(label || target));
      a.href = target;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      return a;
    }
    return document.createTextNode(decode("<" + body + ">"));
  }

  function splitOnce(text, sep) {
    const at = text.indexOf(sep);
    return at < 0 ? [text, ""] : [text.slice(0, at), text.slice(at + 1)];
  }

  function formatDate(target, fallback) {
    const [, seconds, format] = target.split("^");
    const when = new Date(Number(seconds) * 1000);
    if (!format || Number.isNaN(when.getTime())) return decode(fallback || "");
    const time = { hour: "numeric", minute: "2-digit" };
    const parts = {
      date_num: () => when.toISOString().slice(0, 10),
      date: () => when.toLocaleDateString(undefined, { month: "long", day: "numeric", year: "numeric" }),
      date_short: () => when.toLocaleDateString(undefined, { month: "short", day: "numeric", year: "numeric" }),
      date_long: () => when.toLocaleDateString(undefined, { weekday: "long", month: "long", day: "numeric", year: "numeric" }),
      date_pretty: () => pretty(when) || parts.date(),
      date_short_pretty: () => pretty(when) || parts.date_short(),
      date_long_pretty: () => pretty(when) || parts.date_long(),
      time: () => when.toLocaleTimeString(undefined, time),
      time_secs: () => when.toLocaleTimeString(undefined, { ...time, second: "2-digit" }),
      ago: () => ago(when),
    };
    return format.replace(/\{(\w+)\}/g, (m, name) => (parts[name] ? parts[name]() : m));
  }

  function pretty(when) {
    const days = Math.round((startOfDay(when) - startOfDay(new Date())) / 86400000);
    return { 0: "today", "-1": "yesterday", 1: "tomorrow" }[days] || "";
  }

  function startOfDay(d) {
    return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  }

  function ago(when) {
    const seconds = Math.round((Date.now() - when.getTime()) / 1000);
    const future = seconds < 0;
    const s = Math.abs(seconds);
    const [n, unit] = s < 60 ? [s, "second"] : s < 3600 ? [Math.round(s / 60), "minute"]
      : s < 86400 ? [Math.round(s / 3600), "hour"] : [Math.round(s / 86400), "day"];
    const phrase = `${n} ${unit}${n === 1 ? "" : "s"}`;
    return future ? `in ${phrase}` : `${phrase} ago`;
  }

  // One mrkdwn string: code fences first, then quotes line by line, then inline formatting.
  function mrkdwn(text, dir) {
    const root = el("span", "mk");
    const pieces = String(text || "").split(/```/);
    pieces.forEach((piece, i) => {
      if (i % 2 === 1 && i < pieces.length - 1) {
        root.append(el("pre", "mk-pre", decode(piece.replace(/^\n/, ""))));
      } else {
        paragraph(i % 2 === 1 ? "```" + piece : piece, dir, root);
      }
    });
    return root;
  }

  function paragraph(text, dir, root) {
    const lines = text.split("\n");
    let buffer = [];
    const flush = () => {
      if (buffer.length) inline(buffer.join("\n"), dir, root);
      buffer = [];
    };
    for (const line of lines) {
      const quote = /^(>|&gt;) ?(.*)$/.exec(line);
      if (quote) {
        flush();
        const q = el("blockquote", "mk-quote");
        inline(quote[2], dir, q);
        root.append(q);
      } else {
        buffer.push(line);
      }
    }
    flush();
  }

  // A text object: { type: "mrkdwn" | "plain_text", text, emoji? }.
  function text(obj, dir) {
    if (!obj) return el("span");
    if (typeof obj === "string") return mrkdwn(obj, dir);
    if (obj.type === "mrkdwn") return mrkdwn(obj.text, dir);
    return el("span", "pt", obj.emoji === false ? obj.text : emojiText(String(obj.text || "")));
  }

  function plain(obj) {
    if (!obj) return "";
    return obj.emoji === false ? String(obj.text || "") : emojiText(String(obj.text || ""));
  }

  return { EMOJI, mrkdwn, text, plain, emojiText, formatDate, ago };
})();
