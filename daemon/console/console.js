// The peoplesync console: one page, hash routes, every datum from the admin
// API. Text reaches the page only as text nodes (never innerHTML): names and
// messages come from the HRIS, and the Content-Security-Policy allows no
// inline script besides.
"use strict";

(() => {
  const session = { csrf: null, passwordSignIn: false };
  const defaultPageSize = 25;
  const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  let rendering = 0;
  let lastPath = null;

  // ---- The page's parts, made of elements and text nodes only.

  function h(tag, attributes, ...children) {
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

  function add(element, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return element;
  }

  // Replaces what `element` holds; children as h() takes them (nested lists, text).
  function fill(element, ...children) {
    element.replaceChildren();
    return add(element, children);
  }

  function when(iso) {
    if (!iso) return "—";
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return String(iso);
    return h("time", { datetime: iso, title: iso }, dateFormat.format(date));
  }

  function badge(text, kind) {
    return h("span", { class: "badge " + (kind || text) }, text);
  }

  function chain(title) {
    return h("img", { src: "chain.svg", alt: "synced", title: title || "Synced from the HRIS", class: "chain", width: 16, height: 16 });
  }

  function facts(pairs) {
    return h("dl", { class: "facts" }, pairs.filter(Boolean).map(([term, value]) => [h("dt", null, term), h("dd", null, value)]));
  }

  function table(headings, rows, caption) {
    return h("div", { class: "table-wrap" },
      h("table", null,
        caption ? h("caption", { class: "visually-hidden" }, caption) : null,
        h("thead", null, h("tr", null, headings.map((heading) => {
          const [text, cls] = Array.isArray(heading) ? heading : [heading, null];
          return h("th", { scope: "col", class: cls }, text);
        }))),
        h("tbody", null, rows)));
  }

  function cell(content, cls) {
    return h("td", { class: cls }, content);
  }

  function errorBox(message) {
    return h("div", { class: "error-box", role: "alert" }, message);
  }

  function plural(count, one, many) {
    return `${count} ${count === 1 ? one : many || one + "s"}`;
  }

  function bytes(count) {
    if (count < 1024) return plural(count, "byte");
    if (count < 1024 * 1024) return `${(count / 1024).toFixed(1)} KiB`;
    return `${(count / 1024 / 1024).toFixed(1)} MiB`;
  }

  // ---- Routes: #/path/segments?query.

  function route() {
    const raw = location.hash.replace(/^#/, "") || "/pipelines";
    const at = raw.indexOf("?");
    const path = at < 0 ? raw : raw.slice(0, at);
    const params = new URLSearchParams(at < 0 ? "" : raw.slice(at + 1));
    return { path, segments: path.split("/").filter(Boolean).map(decodeURIComponent), params };
  }

  function link(path, params) {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(params || {}))
      if (value !== null && value !== undefined && value !== "") query.set(name, value);
    const text = query.toString();
    return "#" + path + (text ? "?" + text : "");
  }

  function go(hash) {
    if (location.hash === hash) render();
    else location.hash = hash;
  }

  // ---- The admin API.

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET" && method !== "HEAD" && session.csrf) headers["X-CSRF-Token"] = session.csrf;
    let response;
    try {
      response = await fetch(path, {
        method, headers, credentials: "same-origin", cache: "no-store",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new ApiError(0, `peoplesyncd did not answer (${error.message}); is it running?`);
    }
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (error) {
      data = null;
    }
    if (!response.ok) {
      const message = (data && data.error) || `${response.status} ${response.statusText}`;
      if (response.status === 401 && path.startsWith("/admin/")) sessionEnded();
      throw new ApiError(response.status, message);
    }
    return data;
  }

  function sessionEnded() {
    if (!session.csrf) return;
    session.csrf = null;
    const here = location.hash;
    go(link("/signin", { ended: "1", then: here.startsWith("#/signin") ? "" : here }));
  }

  // An action's button: busy while it runs, its outcome said in `status` (a live region).
  function actionButton(label, cls, act, status) {
    const button = h("button", { type: "button", class: cls });
    add(button, [label]);
    button.addEventListener("click", async () => {
      button.disabled = true;
      if (status) fill(status);
      try {
        await act(button);
      } catch (error) {
        if (status) fill(status, errorBox(error.message));
        else alertBox(error.message);
      } finally {
        button.disabled = false;
      }
    });
    return button;
  }

  function alertBox(message) {
    const main = document.getElementById("main");
    main.prepend(errorBox(message));
  }

  function statusRegion() {
    return h("div", { role: "status", "aria-live": "polite" });
  }

  // A modal question; resolves true when confirmed. Escape or Cancel resolve false.
  function confirmAction(title, lines, confirmLabel, danger) {
    return new Promise((resolve) => {
      const before = document.activeElement;
      const cancel = h("button", { type: "button" }, "Cancel");
      const confirm = h("button", { type: "button", class: danger ? "danger" : "primary" }, confirmLabel);
      const dialog = h("dialog", { class: "confirm", "aria-labelledby": "confirm-title" },
        h("h2", { id: "confirm-title" }, title),
        lines.map((line) => h("p", null, line)),
        h("div", { class: "actions" }, cancel, confirm));
      const close = (answer) => {
        dialog.close();
        dialog.remove();
        if (before && before.focus) before.focus();
        resolve(answer);
      };
      cancel.addEventListener("click", () => close(false));
      confirm.addEventListener("click", () => close(true));
      dialog.addEventListener("cancel", (event) => {
        event.preventDefault();
        close(false);
      });
      document.body.append(dialog);
      dialog.showModal();
      cancel.focus();
    });
  }

  // ---- Reports: a run's counts, findings and ChangeSet.

  const changeKinds = [
    ["created", "created"], ["linked", "linked"], ["updated", "updated"], ["reactivated", "reactivated"],
    ["deactivated", "deactivated"], ["unsynced", "unsynced"], ["departments_created", "departments created"],
    ["memberships_added", "memberships added"], ["memberships_removed", "memberships removed"],
    ["managers_changed", "managers changed"],
  ];

  function changeSummary(changes) {
    const parts = changeKinds.filter(([key]) => changes && changes[key] > 0).map(([key, label]) => `${changes[key]} ${label}`);
    return parts.length ? parts.join(", ") : "no changes";
  }

  function countsList(changes) {
    return h("ul", { class: "counts" }, changeKinds.map(([key, label]) => {
      const count = (changes && changes[key]) || 0;
      return h("li", { class: count ? null : "zero" }, h("strong", null, String(count)), " ", label);
    }));
  }

  function findingsTable(findings) {
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

  function reportView(report) {
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

  // ---- Sign-in and sign-out.

  async function signInPage(r) {
    const ended = r.params.get("ended") === "1";
    const signedOut = r.params.get("out") === "1";
    const status = statusRegion();
    const secret = h("input", { id: "secret", name: "secret", type: "password", autocomplete: "current-password", required: true });
    const label = h("label", { for: "secret" }, "Admin token");
    let kind = "token";
    const choices = session.passwordSignIn
      ? h("fieldset", null, h("legend", { class: "visually-hidden" }, "Sign in with"),
        ["token", "password"].map((value) => h("label", null,
          h("input", {
            type: "radio", name: "kind", value, checked: value === "password",
            onchange: () => { kind = value; label.textContent = value === "token" ? "Admin token" : "Console password"; },
          }), value === "token" ? " Admin token" : " Console password")))
      : null;
    if (session.passwordSignIn) {
      kind = "password";
      label.textContent = "Console password";
    }
    const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
    const form = h("form", {
      onsubmit: async (event) => {
        event.preventDefault();
        submit.disabled = true;
        fill(status);
        try {
          const answer = await api("POST", "/console/session", { [kind]: secret.value });
          session.csrf = answer.csrf_token;
          go(r.params.get("then") || "#/pipelines");
        } catch (error) {
          fill(status, errorBox(error.status === 401 ? `Not signed in: ${error.message}.` : error.message));
          secret.select();
        } finally {
          submit.disabled = false;
        }
      },
    }, choices, label, secret, submit, status);
    return [h("section", { class: "card signin" },
      h("h1", null, "Sign in"),
      ended ? h("p", { class: "notice" }, "Your session ended; sign in again.") : null,
      signedOut ? h("p", { class: "success" }, "Signed out.") : null,
      h("p", { class: "muted" }, "Use the admin token: admin.token in the configuration, or the token peoplesyncd wrote to its runtime file (", h("code", null, "<state_database>.peoplesyncd.json"), ")",
        session.passwordSignIn ? ", or the console password." : "."),
      form)];
  }

  async function signOut() {
    try {
      await api("DELETE", "/console/session");
    } finally {
      session.csrf = null;
      go(link("/signin", { out: "1" }));
    }
  }

  // ---- Pipelines: the guide's integration page.

  async function pipelinesPage() {
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

  // ---- Webhook logs.

  function pipelineFilter(pipelines, current, path) {
    const select = h("select", { id: "pipeline-filter", onchange: () => go(link(path, { pipeline: select.value })) },
      h("option", { value: "" }, "every pipeline"),
      pipelines.map((name) => h("option", { value: name, selected: name === current }, name)));
    return h("div", { class: "field" }, h("label", { for: "pipeline-filter" }, "Pipeline"), select);
  }

  // How many lines a page shows: ?limit= in the route, else 25.
  function pageSize(r) {
    const asked = Number.parseInt(r.params.get("limit") || "", 10);
    return asked > 0 && asked <= 1000 ? asked : defaultPageSize;
  }

  // Newest first, a page at a time: "Older" continues before the last line's id.
  function pager(path, params, list, idKey) {
    const nav = h("nav", { class: "pager", "aria-label": "Pages" });
    const kept = { pipeline: params.pipeline, limit: params.limit };
    if (params.before) nav.append(h("a", { href: link(path, kept) }, "← Newest"));
    if (list.length === params.size)
      nav.append(h("a", { href: link(path, { ...kept, before: list[list.length - 1][idKey] }) }, "Older →"));
    return nav;
  }

  function listParams(r) {
    const params = { pipeline: r.params.get("pipeline") || "", before: r.params.get("before") || "", limit: r.params.get("limit") || "", size: pageSize(r) };
    const query = new URLSearchParams({ limit: params.size });
    if (params.pipeline) query.set("pipeline", params.pipeline);
    if (params.before) query.set("before", params.before);
    return { params, query };
  }

  async function requestsPage(r) {
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

  async function requestPage(r) {
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

  // ---- Runs.

  async function runsPage(r) {
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

  async function runPage(r) {
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

  // ---- Directories: People and Departments.

  // The directory a page shows, and a chooser when there are several.
  async function chosenDirectory(r, path) {
    const list = await api("GET", "/admin/v1/directories");
    if (!list.length) return { none: [h("p", null, "No pipeline has a directory sink.")] };
    const ref = r.params.get("sink") || list[0].ref;
    const current = list.find((d) => d.ref === ref);
    if (!current) throw new ApiError(404, `there is no directory ${ref}`);
    let chooser = null;
    if (list.length > 1) {
      const select = h("select", { id: "directory", onchange: () => go(link(path, { sink: select.value })) },
        list.map((d) => h("option", { value: d.ref, selected: d.ref === ref }, `${d.ref} (${d.type})`)));
      chooser = h("div", { class: "field" }, h("label", { for: "directory" }, "Directory"), select);
    } else {
      chooser = h("p", { class: "muted" }, `Directory ${current.ref}`);
    }
    return { current, chooser };
  }

  function directoryPath(ref) {
    return ref.split("/").map(encodeURIComponent).join("/");
  }

  function fullName(user) {
    const name = `${user.first_name || ""} ${user.last_name || ""}`.trim();
    return name || user.email || `user ${user.id}`;
  }

  function usersTable(ref, users, caption) {
    return table([["Synced", "icon"], "Name", "Email", "HRIS id", "Job title", "Active"], users.map((user) => h("tr", { "data-user": user.id },
      cell(user.synced ? chain() : h("span", { class: "visually-hidden" }, "not synced"), "icon"),
      cell(h("a", { href: link(`/people/${ref}/${user.id}`) }, fullName(user))),
      cell(user.email),
      cell(user.hris_id ? h("code", null, user.hris_id) : "—"),
      cell(user.job_title || ""),
      cell(user.active ? "yes" : "no"))), caption);
  }

  async function peoplePage(r) {
    const chosen = await chosenDirectory(r, "/people");
    const out = [h("h1", null, "People")];
    if (chosen.none) return out.concat(chosen.none);
    const ref = chosen.current.ref;
    const q = r.params.get("q") || "";
    const after = r.params.get("after") || "";
    const query = new URLSearchParams({ limit: pageSize(r) });
    if (q) query.set("q", q);
    if (after) query.set("after", after);
    const page = await api("GET", `/admin/v1/directories/${directoryPath(ref)}/users?${query}`);
    const search = h("input", { id: "search", type: "search", name: "q", value: q, placeholder: "name, email or hris_id" });
    out.push(h("div", { class: "toolbar" }, chosen.chooser,
      h("form", { role: "search", onsubmit: (event) => { event.preventDefault(); go(link("/people", { sink: ref, q: search.value.trim() })); } },
        h("div", { class: "field" }, h("label", { for: "search" }, "Search"), search),
        h("button", { type: "submit" }, "Search"),
        q ? h("a", { href: link("/people", { sink: ref }) }, "Clear") : null)));
    if (page.total !== null && page.total !== undefined) out.push(h("p", { class: "muted" }, q ? `${plural(page.total, "match", "matches")}` : plural(page.total, "user")));
    // While the daemon first reads a large directory's search table, a page may come back empty with more to read.
    if (!page.users.length && page.next) out.push(h("p", null, "No match on this page; the next one goes on searching."));
    else if (!page.users.length) out.push(h("p", null, q ? `Nobody matches “${q}”.` : "The directory has no users."));
    else out.push(usersTable(ref, page.users, "People"));
    const nav = h("nav", { class: "pager", "aria-label": "Pages" });
    if (after) nav.append(h("a", { href: link("/people", { sink: ref, q, limit: r.params.get("limit") }) }, "← First page"));
    if (page.next) nav.append(h("a", { href: link("/people", { sink: ref, q, after: page.next, limit: r.params.get("limit") }) }, "Next page →"));
    out.push(nav);
    return out;
  }

  const editableFields = [
    ["first_name", "First name"], ["last_name", "Last name"], ["email", "Email"], ["hris_id", "HRIS id"],
    ["job_title", "Job title"], ["phone_number", "Phone number"], ["employee_id", "Employee id"],
    ["hire_date", "Hire date"], ["manager", "Manager (hris_id or email)"], ["active", "Active"],
  ];

  function fieldValue(user, field) {
    if (field === "manager") return user.manager ? user.manager.hris_id || "" : "";
    if (field === "active") return user.active ? "true" : "false";
    return user[field] === null || user[field] === undefined ? "" : String(user[field]);
  }

  async function personPage(r) {
    const [, pipeline, sink, id] = r.segments;
    const ref = `${pipeline}/${sink}`;
    const user = await api("GET", `/admin/v1/directories/${directoryPath(ref)}/users/${encodeURIComponent(id)}`);
    const synced = new Set(user.synced ? user.synced_fields || [] : []);
    const status = statusRegion();
    const out = [h("h1", null, user.synced ? chain(`Synced by pipeline ${user.synced_by}`) : null, fullName(user)),
      h("p", null, h("a", { href: link("/people", { sink: ref }) }, "← People"))];
    out.push(h("section", { class: "card" },
      facts([
        ["Synced", user.synced ? `yes, by pipeline ${user.synced_by}` : "no: only edited here"],
        ["Email", user.email],
        ["HRIS id", user.hris_id ? h("code", null, user.hris_id) : "—"],
        ["Job title", user.job_title || "—"],
        ["Active", user.active ? "yes" : "no"],
        ["Manager", user.manager ? h("a", { href: link(`/people/${ref}/${user.manager.id}`) }, user.manager.name) : "none"],
        ["Reports", user.reports && user.reports.length
          ? [h("ul", { class: "plain" }, user.reports.map((report) => h("li", null, h("a", { href: link(`/people/${ref}/${report.id}`) }, report.name)))),
            user.report_count > user.reports.length ? h("p", { class: "muted" }, `the first ${user.reports.length} of ${user.report_count}`) : null]
          : "none"],
        ["Departments", user.departments && user.departments.length
          ? h("ul", { class: "plain" }, user.departments.map((d) => h("li", null, d.synced ? [chain("A synced department"), " "] : null,
            h("a", { href: link("/departments", { sink: ref, department: d.id }) }, d.path))))
          : "none"],
        ["Updated", when(user.updated_at)],
      ])));

    const inputs = {};
    const form = h("form", { class: "edit", "aria-labelledby": "edit-title", novalidate: true });
    for (const [field, label] of editableFields) {
      const readOnly = synced.has(field);
      const inputId = `field-${field}`;
      let input;
      if (field === "active") {
        input = h("select", { id: inputId, name: field, disabled: readOnly, "aria-describedby": readOnly ? `${inputId}-note` : null },
          h("option", { value: "true" }, "yes"), h("option", { value: "false" }, "no"));
        input.value = fieldValue(user, field);
      } else {
        input = h("input", { id: inputId, name: field, type: "text", value: fieldValue(user, field), readonly: readOnly, "aria-describedby": readOnly ? `${inputId}-note` : null });
      }
      inputs[field] = input;
      form.append(h("label", { for: inputId }, label), input);
      if (readOnly) form.append(h("p", { class: "note", id: `${inputId}-note` }, chain(`Synced by pipeline ${user.synced_by}`), ` Synced by pipeline ${user.synced_by}: read-only here; change it in the HRIS.`));
    }
    const save = h("button", { type: "submit", class: "primary" }, "Save");
    form.append(h("div", { class: "actions" }, save, status));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const changes = {};
      for (const [field] of editableFields)
        if (!synced.has(field) && inputs[field].value !== fieldValue(user, field)) changes[field] = inputs[field].value;
      fill(status);
      if (!Object.keys(changes).length) {
        fill(status, h("p", { class: "muted" }, "Nothing changed."));
        return;
      }
      save.disabled = true;
      try {
        await api("PATCH", `/admin/v1/directories/${directoryPath(ref)}/users/${encodeURIComponent(id)}`, changes);
        await render();
        const region = document.querySelector("form.edit [role=status]");
        if (region) fill(region, h("p", { class: "success" }, `Saved: ${Object.keys(changes).join(", ")}.`));
      } catch (error) {
        fill(status, errorBox(error.message));
      } finally {
        save.disabled = false;
      }
    });
    out.push(h("section", { class: "card" }, h("h2", { id: "edit-title" }, "Edit"),
      user.synced ? h("p", { class: "muted" }, `Fields pipeline ${user.synced_by} syncs are read-only; the others can be edited here.`) : null,
      form));
    return out;
  }

  async function departmentsPage(r) {
    const chosen = await chosenDirectory(r, "/departments");
    const out = [h("h1", null, "Departments")];
    if (chosen.none) return out.concat(chosen.none);
    const ref = chosen.current.ref;
    const selected = r.params.get("department") || "";
    const list = await api("GET", `/admin/v1/directories/${directoryPath(ref)}/departments`);
    out.push(h("div", { class: "toolbar" }, chosen.chooser));
    const children = new Map();
    for (const d of list) {
      const parent = d.parent_id === null || d.parent_id === undefined ? 0 : d.parent_id;
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(d);
    }
    const branch = (parent) => {
      const items = (children.get(parent) || []).slice().sort((a, b) => a.name.localeCompare(b.name));
      if (!items.length) return null;
      return h("ul", { class: "tree" }, items.map((d) => h("li", null,
        d.synced ? [chain("A synced department"), " "] : null,
        h("a", { href: link("/departments", { sink: ref, department: d.id }), "aria-current": String(d.id) === selected ? "true" : null }, d.name),
        h("span", { class: "muted" }, ` — ${plural(d.members, "member")}`),
        branch(d.id))));
    };
    const tree = list.length ? branch(0) : h("p", null, "The directory has no departments.");
    const side = h("div");
    if (selected) {
      const department = list.find((d) => String(d.id) === selected);
      const after = r.params.get("after") || "";
      const query = new URLSearchParams({ limit: pageSize(r) });
      if (after) query.set("after", after);
      const page = await api("GET", `/admin/v1/directories/${directoryPath(ref)}/departments/${encodeURIComponent(selected)}/members?${query}`);
      side.append(h("h2", null, department ? [department.synced ? chain("A synced department") : null, department.path] : `Department ${selected}`),
        page.users.length ? usersTable(ref, page.users, "Members") : h("p", null, "No members."));
      const nav = h("nav", { class: "pager", "aria-label": "Pages" });
      if (after) nav.append(h("a", { href: link("/departments", { sink: ref, department: selected, limit: r.params.get("limit") }) }, "← First page"));
      if (page.next) nav.append(h("a", { href: link("/departments", { sink: ref, department: selected, after: page.next, limit: r.params.get("limit") }) }, "Next page →"));
      side.append(nav);
    } else {
      side.append(h("p", { class: "muted" }, "Choose a department to see its members."));
    }
    out.push(h("div", { class: "columns" }, h("section", { class: "card", "aria-label": "Department tree" }, tree), h("section", { class: "card", "aria-label": "Members" }, side)));
    return out;
  }

  // ---- Deliveries: webhook sinks' outboxes.

  async function deliveriesPage() {
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

  // ---- The frame: navigation, sign-out, rendering a route.

  const pages = [
    ["pipelines", "Pipelines"], ["requests", "Webhook logs"], ["runs", "Runs"],
    ["people", "People"], ["departments", "Departments"], ["deliveries", "Deliveries"],
  ];

  function frame(signedIn, current) {
    const nav = document.getElementById("nav");
    nav.hidden = !signedIn;
    document.getElementById("sign-out").hidden = !signedIn;
    if (!nav.childElementCount)
      nav.append(...pages.map(([path, label]) => h("a", { href: `#/${path}`, "data-page": path }, label)));
    for (const a of nav.querySelectorAll("a")) {
      if (a.dataset.page === current) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
  }

  async function choosePage(r) {
    const [first, second] = r.segments;
    switch (first) {
      case "signin": return signInPage(r);
      case "pipelines": return pipelinesPage(r);
      case "requests": return second ? requestPage(r) : requestsPage(r);
      case "runs": return second ? runPage(r) : runsPage(r);
      case "people": return r.segments.length >= 4 ? personPage(r) : peoplePage(r);
      case "departments": return departmentsPage(r);
      case "deliveries": return deliveriesPage(r);
      default: throw new ApiError(404, `There is no page ${r.path}.`);
    }
  }

  async function render() {
    const r = route();
    const turn = ++rendering;
    const main = document.getElementById("main");
    const signingIn = r.segments[0] === "signin";
    if (!session.csrf && !(await checkSession()) && !signingIn) {
      if (turn === rendering) go(link("/signin", { then: location.hash }));
      return;
    }
    if (turn !== rendering) return;
    frame(Boolean(session.csrf) && !signingIn, r.segments[0]);
    const moved = lastPath !== location.hash;
    lastPath = location.hash;
    if (moved) fill(main, h("p", { class: "loading" }, "Loading…"));
    let content;
    try {
      content = await choosePage(r);
    } catch (error) {
      if (error.status === 401 && !session.csrf) return;
      content = [h("h1", null, "Something went wrong"), errorBox(error.message)];
    }
    if (turn !== rendering) return;
    fill(main, content);
    const heading = main.querySelector("h1");
    document.title = `${heading ? heading.textContent : "Console"} · peoplesync`;
    if (moved) {
      const focus = signingIn ? main.querySelector("input[type=password]") : heading;
      if (focus) {
        if (focus === heading) heading.setAttribute("tabindex", "-1");
        focus.focus();
      }
    }
  }

  // Whether the cookie's session lives; when not, whether a console password can sign in.
  async function checkSession() {
    try {
      const answer = await fetch("/console/session", { credentials: "same-origin", cache: "no-store" });
      const body = await answer.json();
      session.csrf = answer.ok ? body.csrf_token : null;
      session.passwordSignIn = Boolean(body.password_sign_in);
    } catch (error) {
      session.csrf = null;
    }
    return Boolean(session.csrf);
  }

  function start() {
    document.getElementById("sign-out").addEventListener("click", signOut);
    document.body.append(h("footer", { class: "bottom" }, `Times are shown in your time zone (${timeZone}).`));
    window.addEventListener("hashchange", render);
    render();
  }

  start();
})();
