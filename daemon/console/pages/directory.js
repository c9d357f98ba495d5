// Directories: People, a person (with the edit form), and Departments.

import { statusRegion } from "../actions.js";
import { ApiError, api } from "../api.js";
import { h, fill, when, chain, facts, table, cell, errorBox, plural } from "../dom.js";
import { pageSize } from "../lists.js";
import { link, go, render } from "../routes.js";

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

export async function peoplePage(r) {
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

export async function personPage(r) {
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

export async function departmentsPage(r) {
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
