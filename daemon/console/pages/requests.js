// Webhook logs: the requests the HRIS pushed, and one request.

import { actionButton, statusRegion } from "../actions.js";
import { api } from "../api.js";
import { h, fill, when, badge, facts, table, cell, bytes } from "../dom.js";
import { pipelineFilter, pager, listParams } from "../lists.js";
import { findingsTable, reportView } from "../reports.js";
import { link } from "../routes.js";

export async function requestsPage(r) {
  const { params, query } = listParams(r);
  const [requests, pipelines] = await Promise.all([
    api("GET", `/admin/v1/requests?${query}`), api("GET", "/admin/v1/pipelines")]);
  const out = [h("h1", null, "Webhook logs"),
    h("div", { class: "toolbar" }, pipelineFilter(pipelines.filter((p) => p.pushes).map((p) => p.name), params.pipeline, "/requests"))];
  if (!requests.length) {
    out.push(h("p", null, params.before ? "No older requests." : "No request has been pushed yet."));
  } else {
    out.push(table(["Request", "Received", "Pipeline", "Mode", "Status", ["Users", "number"], ["Size", "number"], "From", "Run"],
      requests.map((q) => h("tr", null,
        cell(h("a", { href: link(`/requests/${q.id}`) }, `request ${q.id}`)),
        cell(when(q.received_at)),
        cell(q.pipeline),
        cell(badge(q.mode)),
        cell([badge(q.status), q.message ? h("div", { class: "muted" }, q.message) : null]),
        cell(String(q.users), "number"),
        cell(bytes(q.size), "number"),
        cell(h("span", { class: "mono" }, q.remote_address)),
        cell(q.run ? h("a", { href: link(`/runs/${q.run}`) }, `run ${q.run}`) : "—"))), "Pushed requests, newest first"));
  }
  out.push(pager("/requests", params, requests, "id"));
  return out;
}

export async function requestPage(r) {
  const id = r.segments[1];
  const request = await api("GET", `/admin/v1/requests/${encodeURIComponent(id)}`);
  const result = h("div", { class: "simulation" });
  const status = statusRegion();
  const out = [h("h1", null, `Request ${request.id}`),
    h("p", null, h("a", { href: link("/requests", { pipeline: request.pipeline }) }, "← Webhook logs")),
    h("section", { class: "card" },
      facts([
        ["Pipeline", request.pipeline],
        ["Received", when(request.received_at)],
        ["Mode", badge(request.mode)],
        ["Status", badge(request.status)],
        request.message ? ["Message", request.message] : null,
        ["Users", String(request.users)],
        ["Size", bytes(request.size)],
        request.body_removed_at ? ["Body", `removed ${when(request.body_removed_at)} (requests.keep_bodies)`] : null,
        ["Content type", request.content_type || "—"],
        ["From", request.remote_address],
        request.message_id ? ["Message id (webhook-id)", h("code", null, request.message_id)] : null,
        ["Run", request.run ? h("a", { href: link(`/runs/${request.run}`) }, `run ${request.run}`) : "none"],
      ]),
      h("div", { class: "actions" }, actionButton("Simulate", "primary", async () => {
        fill(result, h("p", { class: "loading" }, "Simulating…"));
        try {
          const report = await api("POST", `/admin/v1/requests/${encodeURIComponent(id)}/simulate`);
          fill(result, h("section", { class: "card" },
            h("h2", { id: "simulation", tabindex: "-1" }, "Simulation against the directory as it is now"), reportView(report)));
          result.querySelector("#simulation").focus();
        } catch (error) {
          fill(result);
          throw error;
        }
      }, status), h("span", { class: "muted" }, "Runs this request's snapshot against the destinations as they are now; writes nothing.")),
      status),
    h("section", { class: "card" }, h("h2", null, "Findings"), findingsTable(request.findings)),
    result];
  if (request.run_report) {
    const applied = request.run_report.status === "applied";
    out.push(h("section", { class: "card" },
      h("h2", null, applied ? `What run ${request.run} applied` : `What run ${request.run} would apply`),
      reportView(request.run_report)));
  }
  return out;
}
