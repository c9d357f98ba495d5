// Runs, and one run: its report, Simulate, and Approve for a blocked one.

import { actionButton, statusRegion, confirmAction } from "../actions.js";
import { api } from "../api.js";
import { h, fill, when, badge, facts, table, cell } from "../dom.js";
import { pipelineFilter, pager, listParams } from "../lists.js";
import { changeSummary, reportView } from "../reports.js";
import { link } from "../routes.js";

export async function runsPage(r) {
  const { params, query } = listParams(r);
  const [runs, pipelines] = await Promise.all([api("GET", `/admin/v1/runs?${query}`), api("GET", "/admin/v1/pipelines")]);
  const out = [h("h1", null, "Runs"), h("div", { class: "toolbar" }, pipelineFilter(pipelines.map((p) => p.name), params.pipeline, "/runs"))];
  if (!runs.length) {
    out.push(h("p", null, params.before ? "No older runs." : "No run yet."));
  } else {
    out.push(table(["Run", "Pipeline", "Trigger", "Mode", "Status", "Started", ["Users", "number"], "Changes", "Message"],
      runs.map((run) => h("tr", null,
        cell(h("a", { href: link(`/runs/${run.run}`) }, `run ${run.run}`)),
        cell(run.pipeline),
        cell(run.trigger),
        cell(badge(run.mode)),
        cell(badge(run.status)),
        cell(when(run.started_at)),
        cell(String(run.users), "number"),
        cell(changeSummary(run.changes)),
        cell(run.message || ""))), "Runs, newest first"));
  }
  out.push(pager("/runs", params, runs, "run"));
  return out;
}

export async function runPage(r) {
  const id = r.segments[1];
  const run = await api("GET", `/admin/v1/runs/${encodeURIComponent(id)}`);
  const result = h("section", { "aria-label": "Result" });
  const status = statusRegion();
  const actions = h("div", { class: "actions" });
  const out = [h("h1", null, `Run ${run.run}`), h("p", null, h("a", { href: link("/runs", { pipeline: run.pipeline }) }, "← Runs"))];
  if (run.status === "blocked") {
    const counts = changeSummary(run.changes);
    const why = (run.sinks || []).map((sink) => sink.guard).filter(Boolean);
    out.push(h("section", { class: "card", "aria-labelledby": "blocked" },
      h("h2", { id: "blocked" }, "Blocked by the deletion guard"),
      why.map((text) => h("p", { class: "notice danger" }, text)),
      h("p", null, `Approving applies this run's snapshot as a new run: ${counts}.`),
      h("div", { class: "actions" }, actionButton(`Approve: apply ${counts}`, "danger", async () => {
        const yes = await confirmAction(`Approve run ${run.run}?`, [
          `Pipeline ${run.pipeline} applies this run's snapshot now, as a new run: ${counts}.`,
          "This is what the deletion guard stopped; it cannot be undone by peoplesync.",
        ], "Approve and apply", true);
        if (!yes) return;
        const report = await api("POST", `/admin/v1/runs/${encodeURIComponent(id)}/approve`);
        fill(result, h("section", { class: "card" },
          h("h2", { id: "approved", tabindex: "-1" }, `Approved: run ${report.run} `, badge(report.status)),
          h("p", null, h("a", { href: link(`/runs/${report.run}`) }, `Open run ${report.run}`)),
          reportView(report)));
        result.querySelector("#approved").focus();
      }, status)), status));
  }
  actions.append(actionButton("Simulate against the directory now", null, async () => {
    const report = await api("POST", `/admin/v1/runs/${encodeURIComponent(id)}/simulate`);
    fill(result, h("section", { class: "card" },
      h("h2", { id: "simulation", tabindex: "-1" }, "Simulation against the directory as it is now"), reportView(report)));
    result.querySelector("#simulation").focus();
  }, status));
  out.push(h("section", { class: "card" },
    facts([
      ["Pipeline", run.pipeline],
      ["Trigger", run.trigger || "—"],
      ["Started", when(run.started_at)],
      ["Finished", when(run.finished_at)],
      run.approved_by_run ? ["Approved by", h("a", { href: link(`/runs/${run.approved_by_run}`) }, `run ${run.approved_by_run}`)] : null,
    ]),
    reportView(run), actions), result);
  return out;
}
