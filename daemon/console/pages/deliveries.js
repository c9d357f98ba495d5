// Deliveries: webhook sinks' outboxes.

import { actionButton, statusRegion, confirmAction } from "../actions.js";
import { api } from "../api.js";
import { h, when, badge, facts, table, cell, plural, bytes } from "../dom.js";
import { link, render } from "../routes.js";

export async function deliveriesPage() {
  const [outbox, pipelines] = await Promise.all([api("GET", "/admin/v1/outbox"), api("GET", "/admin/v1/pipelines")]);
  const out = [h("h1", null, "Deliveries")];
  const sinks = new Map();
  for (const pipeline of pipelines)
    for (const sink of pipeline.sinks)
      if (sink.delivery) sinks.set(`${pipeline.name}/${sink.name}`, { pipeline: pipeline.name, sink: sink.name, state: "idle", pending: 0, delivered: 0, messages: [] });
  for (const sink of outbox.sinks) sinks.set(`${sink.pipeline}/${sink.sink}`, sink);
  if (!sinks.size) out.push(h("p", null, "No pipeline has a sink that delivers to a remote receiver (a webhook sink)."));
  for (const sink of sinks.values()) out.push(outboxCard(sink));
  return out;
}

function outboxCard(sink) {
  const name = `${sink.pipeline} / ${sink.sink}`;
  const id = `outbox-${sink.pipeline}-${sink.sink}`;
  const status = statusRegion();
  const path = `/admin/v1/pipelines/${encodeURIComponent(sink.pipeline)}/sinks/${encodeURIComponent(sink.sink)}/outbox`;
  const card = h("section", { class: "card", "aria-labelledby": id },
    h("div", { class: "card-head" }, h("h2", { id }, name), badge(sink.state)),
    sink.stopped ? h("div", { class: "notice danger" }, h("strong", null, "Stopped: "), sink.stopped, sink.stopped_at ? [" (", when(sink.stopped_at), ")"] : null) : null,
    facts([
      ["Waiting", plural(sink.pending, "message")],
      ["Delivered", String(sink.delivered)],
      ["Last delivered", sink.last_delivered_at ? [when(sink.last_delivered_at), `: ${sink.last_delivered || ""}`] : "—"],
      sink.oldest_queued_at ? ["Oldest waiting since", when(sink.oldest_queued_at)] : null,
    ]));
  if (sink.messages && sink.messages.length) {
    card.append(table(["Message", "Run", "Queued", "Summary", ["Size", "number"], ["Failed attempts", "number"], "Last result", "Next attempt"],
      sink.messages.map((m) => h("tr", null,
        cell(String(m.id)),
        cell(h("a", { href: link(`/runs/${m.run}`) }, `run ${m.run}`)),
        cell(when(m.queued_at)),
        cell(m.summary),
        cell(bytes(m.bytes), "number"),
        cell(String(m.failed_attempts), "number"),
        cell(m.last_result || "—"),
        cell(sink.stopped ? "stopped" : when(m.next_attempt_at)))), "Waiting messages"));
  }
  if (sink.pending > 0 || sink.stopped) {
    card.append(h("div", { class: "actions" },
      actionButton("Retry", "primary", async () => {
        const yes = await confirmAction(`Retry ${name}?`, [
          `Its ${plural(sink.pending, "waiting message")} ${sink.pending === 1 ? "is" : "are"} sent again now, in order, with a fresh retry period.`,
          sink.stopped ? "Fix what stopped it first (a wrong key, say), or it stops again." : "",
        ].filter(Boolean), "Retry now", false);
        if (!yes) return;
        await api("POST", `${path}/retry`);
        render();
      }, status),
      actionButton("Drop", "danger", async () => {
        const yes = await confirmAction(`Drop the waiting messages of ${name}?`, [
          `${plural(sink.pending, "waiting message")} ${sink.pending === 1 ? "is" : "are"} dropped and never sent.`,
          "The next run sends what changed since the receiver's last acknowledged state.",
        ], "Drop them", true);
        if (!yes) return;
        await api("POST", `${path}/drop`);
        render();
      }, status)));
  }
  card.append(status);
  return card;
}
