// Reports: a run's counts, findings and ChangeSet.

import { h, badge, facts, table, cell, plural } from "./dom.js";
import { link } from "./routes.js";

const changeKinds = [
  ["created", "created"], ["linked", "linked"], ["updated", "updated"], ["reactivated", "reactivated"],
  ["deactivated", "deactivated"], ["unsynced", "unsynced"], ["departments_created", "departments created"],
  ["memberships_added", "memberships added"], ["memberships_removed", "memberships removed"],
  ["managers_changed", "managers changed"],
];

export function changeSummary(changes) {
  const parts = changeKinds.filter(([key]) => changes && changes[key] > 0).map(([key, label]) => `${changes[key]} ${label}`);
  return parts.length ? parts.join(", ") : "no changes";
}

function countsList(changes) {
  return h("ul", { class: "counts" }, changeKinds.map(([key, label]) => {
    const count = (changes && changes[key]) || 0;
    return h("li", { class: count ? null : "zero" }, h("strong", null, String(count)), " ", label);
  }));
}

export function findingsTable(findings) {
  if (!findings || !findings.length) return h("p", { class: "muted" }, "No findings.");
  return table(["Severity", "Where", "Finding"], findings.map((finding) => h("tr", null,
    cell(badge(finding.severity, finding.severity)),
    cell(h("code", null, finding.location || "—")),
    cell(finding.message))), "Findings");
}

function who(item) {
  return [h("code", null, item.hris_id || "—"), item.email ? ` <${item.email}>` : ""];
}

function fieldChanges(fields) {
  if (!fields || !fields.length) return null;
  return h("ul", { class: "plain" }, fields.map((f) =>
    h("li", null, h("code", null, f.field), ": ", f.old === "" ? h("span", { class: "muted" }, "(empty)") : f.old,
      " → ", f.new === "" ? h("span", { class: "muted" }, "(empty)") : f.new)));
}

function detailView(detail) {
  const out = [];
  const truncated = detail.truncated || {};
  const section = (key, title, item) => {
    const list = detail[key] || [];
    if (!list.length) return;
    const more = truncated[key] ? ` (the first ${list.length} of ${truncated[key]})` : "";
    out.push(h("h4", null, `${title}: ${truncated[key] || list.length}${more}`));
    out.push(h("ul", { class: "plain" }, list.map((entry) => h("li", null, item(entry)))));
  };
  section("created", "Created", (u) => who(u));
  section("linked", "Linked", (u) => [who(u), ` by ${u.by}`, u.previous_hris_id ? ` (was ${u.previous_hris_id})` : "", fieldChanges(u.fields)]);
  section("updated", "Updated", (u) => [who(u), fieldChanges(u.fields)]);
  section("reactivated", "Reactivated", (u) => who(u));
  section("deactivated", "Deactivated", (u) => who(u));
  section("unsynced", "Unsynced", (u) => who(u));
  section("departments_created", "Departments created", (d) => d);
  section("departments_adopted", "Departments adopted", (d) => d);
  section("memberships_added", "Memberships added", (m) => [h("code", null, m.hris_id), " joins ", m.department]);
  section("memberships_removed", "Memberships removed", (m) => [h("code", null, m.hris_id), " leaves ", m.department]);
  section("managers_changed", "Managers changed", (m) => [h("code", null, m.hris_id), ": ", m.old || "(none)", " → ", m.new || "(none)"]);
  if (detail.note) out.push(h("p", { class: "muted" }, detail.note));
  if (!out.length) out.push(h("p", { class: "muted" }, "Nothing to change."));
  return out;
}

export function reportView(report) {
  const out = [];
  out.push(facts([
    ["Status", [badge(report.status), report.mode ? [" ", badge(report.mode)] : null]],
    report.run ? ["Run", h("a", { href: link(`/runs/${report.run}`) }, `run ${report.run}`)] : null,
    ["Users in the snapshot", String(report.users ?? "—")],
    report.quarantined ? ["Quarantined", plural(report.quarantined, "record")] : null,
    report.message ? ["Message", report.message] : null,
    report.unchanged_since_run ? ["Unchanged since", h("a", { href: link(`/runs/${report.unchanged_since_run}`) }, `run ${report.unchanged_since_run}`)] : null,
  ]));
  out.push(h("h3", null, "Changes"));
  out.push(countsList(report.changes));
  out.push(h("h3", null, "Findings"));
  out.push(findingsTable(report.findings));
  for (const sink of report.sinks || []) {
    out.push(h("h3", null, `Sink ${sink.name}: `, badge(sink.status), ` — ${changeSummary(sink.changes)}`));
    if (sink.guard)
      out.push(sink.status === "blocked" ? h("div", { class: "notice danger" }, sink.guard) : h("p", { class: "muted" }, `Deletion guard: ${sink.guard}`));
    if (sink.message && sink.message !== sink.guard) out.push(h("p", null, sink.message));
    if (sink.detail) out.push(detailView(sink.detail));
  }
  return out;
}
