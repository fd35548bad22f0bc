// Small DOM helpers: build elements, show errors, wire buttons. No framework: the console is a
// handful of forms and tables, and plain modules ship without a build step.
import { ApiError } from "./api.js";

/** h("p", {class: "hint"}, "text", child) — props starting with "on" are listeners. */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2).toLowerCase(), value);
    else if (name === "class") node.className = value;
    else if (name in node && typeof value !== "string") node[name] = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
}

const leaving = [];

/** Run `stop` when the admin leaves the current screen (pollers use it). */
export function onLeave(stop) {
  leaving.push(stop);
}

export function leave() {
  while (leaving.length) leaving.pop()();
}

let uid = 0;
export const nextId = (prefix) => `${prefix}-${++uid}`;

/** Replace the page's content; focus the heading so keyboard and screen-reader users land on it. */
export function show(title, ...content) {
  const main = document.getElementById("main");
  const heading = h("h1", { tabindex: "-1" }, title);
  main.replaceChildren(heading, ...content.flat(Infinity).filter(Boolean));
  document.title = `${title} · crmsync console`;
  heading.focus();
}

export function flash(message) {
  document.getElementById("flash").textContent = message || "";
}

let pending = "";

/** Go to another screen, with a message shown there. */
export function go(hash, message = "") {
  pending = message;
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}

export function takeMessage() {
  const message = pending;
  pending = "";
  return message;
}

export function errorBox(error) {
  if (!(error instanceof ApiError)) return h("div", { class: "error", role: "alert" }, String(error.message || error));
  const fields = error.fields.map((f) => h("li", {}, h("code", {}, f.field), ": ", f.problem));
  const wait = error.retryAfter ? ` Try again in ${error.retryAfter} s.` : "";
  return h("div", { class: "error", role: "alert" }, h("p", {}, error.message + wait), fields.length ? h("ul", {}, fields) : null);
}

/** A button that runs `action`, disabled while it runs; its error shows in `where` (or after it). */
export function button(label, action, { kind = "", where = null, type = "button" } = {}) {
  const node = h("button", { type, class: kind });
  node.textContent = label;
  node.addEventListener("click", (event) => {
    if (type === "submit") return;
    event.preventDefault();
    run(node, action, where);
  });
  return node;
}

/** Run an action for a control: disable it, clear and show the error in `where`. */
export async function run(control, action, where) {
  const box = where || ensureBoxAfter(control);
  box.replaceChildren();
  control.disabled = true;
  try {
    return await action();
  } catch (error) {
    box.replaceChildren(errorBox(error));
  } finally {
    control.disabled = false;
  }
}

function ensureBoxAfter(control) {
  const next = control.parentElement.querySelector(":scope > .error-slot");
  if (next) return next;
  const box = h("div", { class: "error-slot" });
  control.parentElement.append(box);
  return box;
}

/** A form whose submit runs `action(formData)`; its error shows at the end of the form. */
export function form(props, children, action) {
  const slot = h("div", { class: "error-slot" });
  const node = h("form", { class: "stack", ...props }, children, slot);
  node.addEventListener("submit", (event) => {
    event.preventDefault();
    const submit = event.submitter || node.querySelector("button[type=submit]");
    run(submit, () => action(new FormData(node), submit), slot);
  });
  return node;
}

export function field(label, control, hint) {
  return h("label", {}, label, hint ? h("span", { class: "hint" }, hint) : null, control);
}

export function checkbox(label, props = {}) {
  return h("label", { class: "check" }, h("input", { type: "checkbox", ...props }), label);
}

export function select(name, options, value, props = {}) {
  return h("select", { name, ...props },
    options.map(([optionValue, text]) => h("option", { value: optionValue, selected: optionValue === value }, text)));
}

export function table(caption, headers, rows, empty = "Nothing yet.") {
  if (!rows.length) return h("p", { class: "hint" }, empty);
  return h("div", { class: "table-wrap" },
    h("table", {}, h("caption", {}, caption),
      h("thead", {}, h("tr", {}, headers.map((text) => h("th", { scope: "col" }, text)))),
      h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell) => h("td", {}, cell)))))));
}

export function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(Boolean).map(([term, value]) => [h("dt", {}, term), h("dd", {}, value ?? "—")]));
}

export const badge = (text) => h("span", { class: `badge ${text}` }, String(text).replaceAll("_", " "));

export function when(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** A table filled a page at a time: `load(cursor)` returns {rows, next}; "Show more" loads the next
 * page. `start()` loads the first page (call it once the node is on the page). */
export function pagedTable(caption, headers, load, empty = "Nothing yet.") {
  const body = h("tbody");
  const wrap = h("div", { class: "table-wrap" }, h("table", {}, h("caption", {}, caption),
    h("thead", {}, h("tr", {}, headers.map((text) => h("th", { scope: "col" }, text)))), body));
  const more = h("div", { class: "actions" });
  async function next(cursor) {
    const page = await load(cursor);
    for (const cells of page.rows) body.append(h("tr", {}, cells.map((cell) => h("td", {}, cell))));
    more.replaceChildren();
    if (page.next) more.append(button("Show more", () => next(page.next), { kind: "secondary" }));
    if (!body.children.length) wrap.replaceWith(h("p", { class: "hint" }, empty));
  }
  return { node: h("div", {}, wrap, more), start: () => next(undefined) };
}
