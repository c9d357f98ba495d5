// The page's parts, made of elements and text nodes only: names and messages
// come from the HRIS, so text never reaches the page as markup (no innerHTML).

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

export function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  add(element, children);
  return element;
}

export function add(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

// Replaces what `element` holds; children as h() takes them (nested lists, text).
export function fill(element, ...children) {
  element.replaceChildren();
  return add(element, children);
}

export function when(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return h("time", { datetime: iso, title: iso }, dateFormat.format(date));
}

export function badge(text, kind) {
  return h("span", { class: "badge " + (kind || text) }, text);
}

export function chain(title) {
  return h("img", { src: "chain.svg", alt: "synced", title: title || "Synced from the HRIS", class: "chain", width: 16, height: 16 });
}

export function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(Boolean).map(([term, value]) => [h("dt", null, term), h("dd", null, value)]));
}

export function table(headings, rows, caption) {
  return h("div", { class: "table-wrap" },
    h("table", null,
      caption ? h("caption", { class: "visually-hidden" }, caption) : null,
      h("thead", null, h("tr", null, headings.map((heading) => {
        const [text, cls] = Array.isArray(heading) ? heading : [heading, null];
        return h("th", { scope: "col", class: cls }, text);
      }))),
      h("tbody", null, rows)));
}

export function cell(content, cls) {
  return h("td", { class: cls }, content);
}

export function errorBox(message) {
  return h("div", { class: "error-box", role: "alert" }, message);
}

export function plural(count, one, many) {
  return `${count} ${count === 1 ? one : many || one + "s"}`;
}

export function bytes(count) {
  if (count < 1024) return plural(count, "byte");
  if (count < 1024 * 1024) return `${(count / 1024).toFixed(1)} KiB`;
  return `${(count / 1024 / 1024).toFixed(1)} MiB`;
}
