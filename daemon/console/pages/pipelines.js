// Pipelines: the guide's integration page.

import { actionButton, statusRegion, confirmAction } from "../actions.js";
import { api } from "../api.js";
import { h, fill, when, badge, facts, errorBox } from "../dom.js";
import { changeSummary } from "../reports.js";
import { link, render } from "../routes.js";

export async function pipelinesPage() {
  const pipelines = await api("GET", "/admin/v1/pipelines");
  const out = [h("h1", null, "Pipelines")];
  if (!pipelines.length) out.push(h("p", null, "No pipeline is configured."));
  for (const pipeline of pipelines) out.push(pipelineCard(pipeline));
  return out;
}

function modeBadges(pipeline) {
  return [badge(pipeline.mode === "live" ? "live" : "test mode", pipeline.mode),
    pipeline.configuration_changed_since_enabled ? [" ", badge("configuration changed since it was enabled", "changed")] : null];
}

function pipelineCard(pipeline) {
  const id = `pipeline-${pipeline.name}`;
  const status = statusRegion();
  const sync = pipeline.sync || {};
  const last = pipeline.last_run;
  const card = h("section", { class: "card", "aria-labelledby": id },
    h("div", { class: "card-head" }, h("h2", { id }, pipeline.name), modeBadges(pipeline)),
    pipeline.configuration_changed_since_enabled
      ? h("p", { class: "notice" }, "Its configuration changed since it was enabled, so it is back in test mode: runs are simulated until it is enabled again.")
      : null,
    facts([
      ["Source", [pipeline.source, pipeline.pushes ? " (pushed to peoplesyncd)" : ""]],
      ["Sinks", pipeline.sinks.map((sink, i) => [i ? ", " : "", `${sink.name} (${sink.type})`])],
      ["Sync mode", sync.mode === "one_to_one" ? "1:1 (one_to_one): users missing from a snapshot are deactivated" : "normal: users missing from a snapshot are unsynced, and stay active"],
      ["Synced fields", (sync.fields || []).join(", ")],
      ["Last run", last ? [h("a", { href: link(`/runs/${last.run}`) }, `run ${last.run}`), " ", badge(last.status), " ", when(last.finished_at || last.started_at), ` — ${changeSummary(last.changes)}`] : "none yet"],
      ["Next run", pipeline.pushes ? "when the HRIS pushes a snapshot" : pipeline.next_run_at ? when(pipeline.next_run_at) : pipeline.schedule ? "—" : "no schedule: runs when started"],
      pipeline.busy ? ["Now", pipeline.doing || "running"] : null,
    ]));
  const actions = h("div", { class: "actions" });
  if (pipeline.mode === "live") {
    actions.append(actionButton("Disable (back to test mode)", null, async () => {
      const yes = await confirmAction(`Disable ${pipeline.name}?`, [
        "Back to test mode: its runs are simulated and logged, and nothing is applied to its sinks until it is enabled again.",
      ], "Disable", false);
      if (!yes) return;
      await api("POST", `/admin/v1/pipelines/${encodeURIComponent(pipeline.name)}/disable`);
      render();
    }, status));
  } else {
    actions.append(actionButton("Enable (go live)", "primary", async () => {
      const sinks = pipeline.sinks.map((sink) => `${sink.name} (${sink.type})`).join(", ");
      const yes = await confirmAction(`Go live with ${pipeline.name}?`, [
        `Going live means every snapshot ${pipeline.pushes ? "the HRIS pushes" : "a run reads"} is applied to ${sinks}: users are created, linked and updated, and ` +
          (sync.mode === "one_to_one" ? "users missing from a snapshot are deactivated (1:1 mode)." : "users missing from a snapshot are unsynced (normal mode) and stay active."),
        "Until now its runs were only simulated. The deletion guard still blocks a run that would remove too many users.",
        "It goes live with the configuration as it is now; any change to it puts the pipeline back in test mode until it is enabled again.",
      ], "Go live", false);
      if (!yes) return;
      await api("POST", `/admin/v1/pipelines/${encodeURIComponent(pipeline.name)}/enable`);
      render();
    }, status));
  }
  card.append(actions);
  if (pipeline.source === "webhook") card.append(webhookPanel(pipeline));
  card.append(status);
  return card;
}

// What a plugin command printed, "name: value" a line.
function commandLines(output) {
  const out = {};
  for (const line of output.split("\n")) {
    const at = line.indexOf(": ");
    if (at > 0 && !line.startsWith(" ")) out[line.slice(0, at)] = line.slice(at + 2);
  }
  return out;
}

function webhookPanel(pipeline) {
  const command = (name, argumentsList) =>
    api("POST", `/admin/v1/pipelines/${encodeURIComponent(pipeline.name)}/commands/source/${name}`, { arguments: argumentsList });
  const endpoint = h("div", null, h("p", { class: "loading" }, "Loading the endpoint…"));
  const shown = h("div");
  const status = statusRegion();
  const panel = h("div", null, h("h3", null, "Webhook"), endpoint,
    h("div", { class: "actions" }, actionButton("New credentials", null, async () => {
      const yes = await confirmAction(`New webhook credentials for ${pipeline.name}?`, [
        "A new endpoint URL and API key are made, and the old ones stop working at once: the HRIS must be given the new ones.",
        "The API key is shown only once; peoplesync keeps only its hash.",
      ], "Make new credentials", true);
      if (!yes) return;
      const made = commandLines((await command("credentials", [location.origin])).output);
      fill(shown, h("div", { class: "secret", role: "region", "aria-label": "New credentials" },
        h("p", null, h("strong", null, "The API key is shown only now."), " Copy it into the HRIS's webhook settings; the old key and endpoint no longer work."),
        facts([["Endpoint URL", h("code", { class: "endpoint-url" }, made.url)], ["API key", h("code", { class: "key" }, made.api_key)]]),
        h("p", null, "Send the guide's example (from the folder of webhook-data-example.json):"),
        h("pre", { class: "curl" }, [
          `curl --header "X-HRIS-AUTHENTICATION: ${made.api_key}" \\`,
          '--header "Content-Type: application/json" \\',
          "-X POST \\",
          "--data-binary '@webhook-data-example.json' \\",
          made.url,
        ].join("\n"))));
      loadEndpoint();
    }, status)), shown, status);
  const loadEndpoint = async () => {
    try {
      const lines = commandLines((await command("endpoint", [])).output);
      if (!lines.endpoint) {
        fill(endpoint, h("p", { class: "notice" }, "No credentials yet: make them with New credentials, then give the endpoint URL and the API key to the HRIS."));
        return;
      }
      fill(endpoint, facts([
        ["Endpoint URL", h("code", { class: "endpoint-url" }, location.origin + lines.endpoint)],
        ["Credentials made", when(lines.created_at)],
        ["API key", "shown once when made; only its hash is kept"],
      ]));
    } catch (error) {
      fill(endpoint, errorBox(error.message));
    }
  };
  loadEndpoint();
  return panel;
}
