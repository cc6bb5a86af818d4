// Block Kit for the sandbox page: blocks and elements to DOM, the way Slack lays them out.
// Any block or element type this renderer does not know shows as a visible "unknown element" placeholder
// (class bk-unknown), never silently dropped.
//
// ctx = { dir, surface: "message" | "modal" | "home", values, errors, onAction(action), onChange(block, action, entry) }
// values: block_id -> action_id -> state entry (what the person entered so far); errors: block_id -> text.
"use strict";

window.BlockKit = (() => {
  const { text, plain } = window.Mrkdwn;

  function el(tag, className, content) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined) node.textContent = content;
    return node;
  }

  function unknown(kind, what) {
    const node = el("div", "bk-unknown", `[unknown ${what}: ${kind}]`);
    node.dataset.bkUnknown = String(kind);
    return node;
  }

  function renderBlocks(blocks, ctx) {
    const root = el("div", "bk-blocks");
    for (const block of blocks || []) root.append(renderBlock(block, ctx));
    return root;
  }

  const BLOCKS = {
    header: (b) => el("div", "bk-header", plain(b.text)),
    divider: () => el("hr", "bk-divider"),
    section: renderSection,
    context: renderContext,
    actions: renderActions,
    input: renderInput,
    image: (b) => imageBlock(b),
  };

  function renderBlock(block, ctx) {
    const render = BLOCKS[block && block.type];
    const node = render ? render(block, ctx) : unknown(block && block.type, "block");
    if (block && block.block_id) node.dataset.blockId = block.block_id;
    return node;
  }

  function renderSection(b, ctx) {
    const node = el("div", "bk-section");
    const main = el("div", "bk-section-main");
    if (b.text) main.append(textBox(b.text, ctx));
    if (b.fields && b.fields.length) {
      const grid = el("div", "bk-fields");
      for (const field of b.fields) grid.append(textBox(field, ctx));
      main.append(grid);
    }
    node.append(main);
    if (b.accessory) {
      const side = el("div", "bk-accessory");
      side.append(renderElement(b.accessory, b.block_id, ctx, true));
      node.append(side);
    }
    return node;
  }

  function textBox(obj, ctx) {
    const box = el("div", "bk-text");
    box.append(text(obj, ctx.dir));
    return box;
  }

  function renderContext(b, ctx) {
    const node = el("div", "bk-context");
    for (const item of b.elements || []) {
      if (item.type === "mrkdwn" || item.type === "plain_text") node.append(textBox(item, ctx));
      else if (item.type === "image") node.append(imageChip(item));
      else node.append(unknown(item.type, "element"));
    }
    return node;
  }

  function renderActions(b, ctx) {
    const node = el("div", "bk-actions");
    for (const element of b.elements || []) node.append(renderElement(element, b.block_id, ctx, true));
    return node;
  }

  let ids = 0;
  const uniqueId = (prefix) => `${prefix}-${++ids}`;

  // An input block's label names its control (the select, the text box or the group of choices).
  function renderInput(b, ctx) {
    const node = el("div", "bk-input");
    const label = el("label", "bk-label", plain(b.label));
    label.id = uniqueId("bk-label");
    if (b.optional) label.append(el("span", "bk-optional", " (optional)"));
    node.append(label);
    const dispatch = Boolean(b.dispatch_action);
    const control = renderElement(b.element || {}, b.block_id, ctx, dispatch);
    control.setAttribute("aria-labelledby", label.id);
    if (["SELECT", "INPUT", "TEXTAREA"].includes(control.tagName)) {
      control.id = uniqueId("bk-control");
      label.htmlFor = control.id;
    }
    node.append(control);
    if (b.hint) node.append(el("div", "bk-hint", plain(b.hint)));
    const error = ctx.errors && ctx.errors[b.block_id];
    if (error) {
      node.classList.add("bk-has-error");
      node.append(el("div", "bk-error", error));
    }
    return node;
  }

  function imageBlock(b) {
    const node = el("figure", "bk-image");
    if (b.title) node.append(el("figcaption", "bk-image-title", plain(b.title)));
    node.append(imageChip(b));
    return node;
  }

  // Images stay local: the page may load nothing from elsewhere, so an image shows as its alt text.
  function imageChip(item) {
    return el("span", "bk-image-chip", `🖼 ${item.alt_text || "image"}`);
  }

  const ELEMENTS = {
    button: renderButton,
    static_select: renderSelect,
    overflow: renderOverflow,
    radio_buttons: renderRadios,
    checkboxes: renderCheckboxes,
    plain_text_input: renderTextInput,
    datepicker: (e, b, ctx, d) => renderPicker(e, b, ctx, d, "date", "selected_date", "initial_date"),
    timepicker: (e, b, ctx, d) => renderPicker(e, b, ctx, d, "time", "selected_time", "initial_time"),
    image: imageChip,
  };

  function renderElement(element, blockId, ctx, dispatch) {
    const render = ELEMENTS[element.type];
    if (!render) return unknown(element.type, "element");
    const node = render(element, blockId, ctx, dispatch);
    if (element.action_id) node.dataset.actionId = element.action_id;
    return node;
  }

  function stored(ctx, blockId, element) {
    const entry = ((ctx.values || {})[blockId] || {})[element.action_id];
    return entry || null;
  }

  function act(ctx, blockId, element, extra) {
    if (ctx.onAction) ctx.onAction({ action_id: element.action_id, block_id: blockId, type: element.type, element, ...extra });
  }

  function change(ctx, blockId, element, entry) {
    if (ctx.onChange) ctx.onChange(blockId, element.action_id, { type: element.type, ...entry });
  }

  function renderButton(element, blockId, ctx) {
    const style = element.style ? ` bk-btn-${element.style}` : "";
    const node = el("button", "bk-btn" + style, plain(element.text));
    node.type = "button";
    node.addEventListener("click", () => {
      const go = () => act(ctx, blockId, element, { value: element.value === undefined ? null : element.value });
      if (element.url) window.open(element.url, "_blank", "noopener,noreferrer");
      if (element.confirm && ctx.confirm) ctx.confirm(element.confirm).then((ok) => ok && go());
      else go();
    });
    return node;
  }

  function allOptions(element) {
    const options = [...(element.options || [])];
    for (const group of element.option_groups || []) options.push(...(group.options || []));
    return options;
  }

  function optionNodes(select, element) {
    const add = (parent, option) => {
      const node = el("option", "", plain(option.text));
      node.value = option.value;
      parent.append(node);
    };
    (element.options || []).forEach((o) => add(select, o));
    for (const group of element.option_groups || []) {
      const g = document.createElement("optgroup");
      g.label = plain(group.label);
      (group.options || []).forEach((o) => add(g, o));
      select.append(g);
    }
  }

  function renderSelect(element, blockId, ctx, dispatch) {
    const select = el("select", "bk-select");
    if (element.placeholder) select.setAttribute("aria-label", plain(element.placeholder)); // outside an input block
    const placeholder = el("option", "", plain(element.placeholder) || "Select an item");
    placeholder.value = "";
    placeholder.disabled = true;
    select.append(placeholder);
    optionNodes(select, element);
    const entry = stored(ctx, blockId, element);
    const chosen = entry ? entry.selected_option : element.initial_option;
    select.value = chosen ? chosen.value : "";
    if (!entry && chosen) change(ctx, blockId, element, { selected_option: chosen });
    select.addEventListener("change", () => {
      const option = allOptions(element).find((o) => o.value === select.value) || null;
      change(ctx, blockId, element, { selected_option: option });
      if (dispatch) act(ctx, blockId, element, { selected_option: option, value: select.value });
    });
    return select;
  }

  function renderOverflow(element, blockId, ctx) {
    const select = el("select", "bk-select bk-overflow");
    select.setAttribute("aria-label", "More actions");
    select.append(Object.assign(el("option", "", "⋯"), { value: "" }));
    optionNodes(select, element);
    select.addEventListener("change", () => {
      const option = allOptions(element).find((o) => o.value === select.value) || null;
      select.value = "";
      act(ctx, blockId, element, { selected_option: option, value: option && option.value });
    });
    return select;
  }

  function choiceList(element, blockId, ctx, dispatch, kind) {
    const node = el("div", `bk-choices bk-${kind}`);
    node.setAttribute("role", kind === "radio" ? "radiogroup" : "group");
    const entry = stored(ctx, blockId, element);
    const initial = kind === "radio" ? (element.initial_option ? [element.initial_option] : []) : element.initial_options || [];
    const chosen = entry ? (kind === "radio" ? [entry.selected_option].filter(Boolean) : entry.selected_options || []) : initial;
    const name = `${blockId}:${element.action_id}:${Math.random().toString(36).slice(2)}`;
    const options = element.options || [];
    const read = () => options.filter((o, i) => node.querySelectorAll("input")[i].checked);
    const report = () => {
      const picked = read();
      const state = kind === "radio" ? { selected_option: picked[0] || null } : { selected_options: picked };
      change(ctx, blockId, element, state);
      if (dispatch) act(ctx, blockId, element, { ...state, value: picked[0] ? picked[0].value : null });
    };
    for (const option of options) {
      const row = el("label", "bk-choice");
      const input = el("input");
      input.type = kind === "radio" ? "radio" : "checkbox";
      input.name = name;
      input.value = option.value;
      input.checked = chosen.some((c) => c && c.value === option.value);
      input.addEventListener("change", report);
      const body = el("span", "bk-choice-body");
      body.append(text(option.text, ctx.dir));
      if (option.description) body.append(el("span", "bk-choice-desc", plain(option.description)));
      row.append(input, body);
      node.append(row);
    }
    if (!entry && chosen.length) {
      change(ctx, blockId, element, kind === "radio" ? { selected_option: chosen[0] } : { selected_options: chosen });
    }
    return node;
  }

  function renderRadios(element, blockId, ctx, dispatch) {
    return choiceList(element, blockId, ctx, dispatch, "radio");
  }

  function renderCheckboxes(element, blockId, ctx, dispatch) {
    return choiceList(element, blockId, ctx, dispatch, "checkbox");
  }

  function renderTextInput(element, blockId, ctx) {
    const node = element.multiline ? el("textarea", "bk-textarea") : el("input", "bk-text-input");
    if (!element.multiline) node.type = "text";
    if (element.placeholder) node.placeholder = plain(element.placeholder);
    if (element.max_length) node.maxLength = element.max_length;
    const entry = stored(ctx, blockId, element);
    node.value = entry ? entry.value || "" : element.initial_value || "";
    if (!entry && node.value) change(ctx, blockId, element, { value: node.value });
    node.addEventListener("input", () => change(ctx, blockId, element, { value: node.value }));
    return node;
  }

  function renderPicker(element, blockId, ctx, dispatch, type, key, initialKey) {
    const node = el("input", "bk-text-input bk-picker");
    node.type = type;
    const entry = stored(ctx, blockId, element);
    node.value = entry ? entry[key] || "" : element[initialKey] || "";
    node.addEventListener("change", () => {
      change(ctx, blockId, element, { [key]: node.value || null });
      if (dispatch) act(ctx, blockId, element, { [key]: node.value, value: node.value });
    });
    return node;
  }

  // A modal view: title bar, blocks, Cancel and Submit (the page wires the buttons).
  function renderModal(view, ctx) {
    const node = el("div", "bk-modal");
    node.setAttribute("role", "dialog");
    node.setAttribute("aria-modal", "true");
    node.dataset.callbackId = view.callback_id || "";
    const head = el("div", "bk-modal-head");
    const title = el("h2", "bk-modal-title", plain(view.title));
    title.id = uniqueId("bk-modal-title");
    node.setAttribute("aria-labelledby", title.id);
    const icon = el("span", "bk-modal-icon", "RB");
    icon.setAttribute("aria-hidden", "true");
    head.append(icon, title);
    const x = el("button", "bk-modal-x", "×");
    x.type = "button";
    x.title = "Close this dialog";
    x.setAttribute("aria-label", "Close this dialog");
    head.append(x);
    const body = el("div", "bk-modal-body");
    const general = ctx.errors && ctx.errors[""];
    if (general) body.append(el("div", "bk-modal-error", general));
    body.append(renderBlocks(view.blocks, { ...ctx, surface: "modal" }));
    const foot = el("div", "bk-modal-foot");
    const close = el("button", "bk-btn bk-modal-close", plain(view.close) || (view.submit ? "Cancel" : "Close"));
    close.type = "button";
    foot.append(close);
    if (view.submit) {
      const submit = el("button", "bk-btn bk-btn-primary bk-modal-submit", plain(view.submit));
      submit.type = "button";
      foot.append(submit);
    }
    node.append(head, body, foot);
    return node;
  }

  // Slack's confirmation dialog for a button's `confirm` object.
  function renderConfirm(confirm) {
    const node = el("div", "bk-confirm");
    node.setAttribute("role", "alertdialog");
    node.setAttribute("aria-modal", "true");
    const title = el("h3", "bk-confirm-title", plain(confirm.title) || "Are you sure?");
    title.id = uniqueId("bk-confirm-title");
    node.setAttribute("aria-labelledby", title.id);
    node.append(title);
    const body = el("div", "bk-confirm-text");
    body.append(text(confirm.text));
    const deny = el("button", "bk-btn bk-confirm-deny", plain(confirm.deny) || "Cancel");
    const style = confirm.style === "danger" ? "bk-btn-danger" : "bk-btn-primary";
    const ok = el("button", `bk-btn ${style} bk-confirm-ok`, plain(confirm.confirm) || "Yes");
    deny.type = ok.type = "button";
    const foot = el("div", "bk-confirm-foot");
    foot.append(deny, ok);
    node.append(body, foot);
    return { node, ok, deny };
  }

  return { renderBlocks, renderBlock, renderElement, renderModal, renderConfirm };
})();
