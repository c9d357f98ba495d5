// Lists newest first, a page at a time, filtered by pipeline (webhook logs, runs).

import { h } from "./dom.js";
import { link, go } from "./routes.js";

const defaultPageSize = 25;

export function pipelineFilter(pipelines, current, path) {
  const select = h("select", { id: "pipeline-filter", onchange: () => go(link(path, { pipeline: select.value })) },
    h("option", { value: "" }, "every pipeline"),
    pipelines.map((name) => h("option", { value: name, selected: name === current }, name)));
  return h("div", { class: "field" }, h("label", { for: "pipeline-filter" }, "Pipeline"), select);
}

// How many lines a page shows: ?limit= in the route, else 25.
export function pageSize(r) {
  const asked = Number.parseInt(r.params.get("limit") || "", 10);
  return asked > 0 && asked <= 1000 ? asked : defaultPageSize;
}

// Newest first, a page at a time: "Older" continues before the last line's id.
export function pager(path, params, list, idKey) {
  const nav = h("nav", { class: "pager", "aria-label": "Pages" });
  const kept = { pipeline: params.pipeline, limit: params.limit };
  if (params.before) nav.append(h("a", { href: link(path, kept) }, "← Newest"));
  if (list.length === params.size)
    nav.append(h("a", { href: link(path, { ...kept, before: list[list.length - 1][idKey] }) }, "Older →"));
  return nav;
}

export function listParams(r) {
  const params = { pipeline: r.params.get("pipeline") || "", before: r.params.get("before") || "", limit: r.params.get("limit") || "", size: pageSize(r) };
  const query = new URLSearchParams({ limit: params.size });
  if (params.pipeline) query.set("pipeline", params.pipeline);
  if (params.before) query.set("before", params.before);
  return { params, query };
}
