// DOM helpers. Every dynamic string goes in through textContent or an attribute
// value, never through innerHTML, so data cannot become markup.

/**
 * el("a", {href: url, class: "x", "data-testid": "y", text: "label", on: {click}}, child, ...)
 * Children are nodes or strings (strings become text nodes); null/false are skipped.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "class") node.className = value;
    else if (key === "on") for (const [type, handler] of Object.entries(value)) node.addEventListener(type, handler);
    else if (key === "hidden") node.hidden = Boolean(value);
    else if (key === "checked" || key === "disabled" || key === "selected") node[key] = Boolean(value);
    else if (key === "value") node.value = String(value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A clone of <template id=...>'s first element. */
export function fromTemplate(id) {
  const template = document.getElementById(id);
  if (!template) throw new Error(`template #${id} is missing from index.html`);
  return template.content.firstElementChild.cloneNode(true);
}

/** Every [data-ref] element under root, by its name. */
export function refs(root) {
  const found = {};
  for (const node of root.querySelectorAll("[data-ref]")) found[node.dataset.ref] = node;
  if (root.dataset?.ref) found[root.dataset.ref] = root;
  return found;
}

/** A simple table: columns [{label, value(row, index) -> string|Node, num?}], rows; the first column heads its row. */
export function table(columns, rows, { caption, rowClass, testid } = {}) {
  const head = el("tr", {}, columns.map((c) => el("th", { scope: "col", class: c.num ? "num" : null, text: c.label })));
  const body = rows.map((row, rowIndex) =>
    el(
      "tr",
      { class: rowClass ? rowClass(row) : null },
      columns.map((c, index) => {
        const value = c.value(row, rowIndex);
        const cell = el(index === 0 && c.header !== false ? "th" : "td", { class: c.num ? "num" : null });
        if (index === 0 && c.header !== false) cell.setAttribute("scope", "row");
        append(cell, [value]);
        return cell;
      }),
    ),
  );
  return el(
    "table",
    { "data-testid": testid },
    caption ? el("caption", { text: caption }) : null,
    el("thead", {}, head),
    el("tbody", {}, body),
  );
}
