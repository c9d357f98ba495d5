#include "report.hpp"

#include <iomanip>

namespace peoplesync::core {

using nlohmann::json;

ChangeSummary RunReport::changes() const {
    ChangeSummary total;
    for (const auto& sink : sinks) {
        auto s = sink.changes.summary();
        total.created += s.created;
        total.linked += s.linked;
        total.updated += s.updated;
        total.reactivated += s.reactivated;
        total.deactivated += s.deactivated;
        total.unsynced += s.unsynced;
        total.departments_created += s.departments_created;
        total.memberships_added += s.memberships_added;
        total.memberships_removed += s.memberships_removed;
        total.managers_changed += s.managers_changed;
    }
    return total;
}

json plan_json(const RunReport& report, bool whole_snapshot) {
    nlohmann::json sinks = nlohmann::json::array();
    for (const auto& sink : report.sinks)
        sinks.push_back({{"name", sink.name}, {"changes", summary_json(sink.changes.summary())}});
    nlohmann::json plan = {{"sinks", std::move(sinks)}};
    if (whole_snapshot) plan["users"] = report.users;
    return plan;
}

json summary_json(const ChangeSummary& s) {
    return {{"created", s.created},
            {"linked", s.linked},
            {"updated", s.updated},
            {"reactivated", s.reactivated},
            {"deactivated", s.deactivated},
            {"unsynced", s.unsynced},
            {"departments_created", s.departments_created},
            {"memberships_added", s.memberships_added},
            {"memberships_removed", s.memberships_removed},
            {"managers_changed", s.managers_changed}};
}

namespace {

// Appends to a list unless it is full; counts what did not fit.
class CappedList {
public:
    CappedList(json& parent, const char* name, std::size_t limit) : parent_(parent), name_(name), limit_(limit) {}
    // The item is made only if it fits: a million created users make ten thousand.
    template <typename Make>
    void add(Make&& make) {
        ++total_;
        if (list_.size() < limit_) list_.push_back(make());
    }
    ~CappedList() {
        parent_[name_] = std::move(list_);
        if (total_ > limit_) parent_["truncated"][name_] = total_;
    }

private:
    json& parent_;
    const char* name_;
    std::size_t limit_;
    std::size_t total_ = 0;
    json list_ = json::array();
};

json user_ref(const UserChange& u) {
    return {{"hris_id", u.hris_id}, {"email", u.email}};
}

const char* linked_by(LinkedBy by) {
    switch (by) {
        case LinkedBy::hris_id:
            return "hris_id";
        case LinkedBy::email:
            return "email";
        case LinkedBy::none:
            break;
    }
    return "";
}

}  // namespace

json changes_json(const Snapshot& snapshot, const ChangeSet& changes, std::size_t limit) {
    json out = json::object();
    {
        CappedList created(out, "created", limit), linked(out, "linked", limit), updated(out, "updated", limit),
            reactivated(out, "reactivated", limit), deactivated(out, "deactivated", limit),
            unsynced(out, "unsynced", limit);
        for (const auto& c : changes.created)
            created.add([&] {
                const UserView& user = snapshot.users.at(static_cast<std::size_t>(c.snapshot_index));
                return json{{"hris_id", user.hris_id}, {"email", user.email}};
            });
        for (const auto& u : changes.users) {
            auto fields = [&u] {
                json list = json::array();
                for (const auto& f : u.fields)
                    list.push_back({{"field", f.field}, {"old", f.old_value}, {"new", f.new_value}});
                return list;
            };
            if (u.linked)
                linked.add([&] {
                    json item = user_ref(u);
                    item["by"] = linked_by(u.linked_by);
                    item["previous_hris_id"] = u.previous_hris_id;
                    item["fields"] = fields();
                    return item;
                });
            if (u.updated())
                updated.add([&] {
                    json item = user_ref(u);
                    item["fields"] = fields();
                    return item;
                });
            if (u.reactivated) reactivated.add([&] { return user_ref(u); });
            if (u.deactivated) deactivated.add([&] { return user_ref(u); });
            if (u.unsynced) unsynced.add([&] { return user_ref(u); });
        }
    }
    {
        CappedList created(out, "departments_created", limit), adopted(out, "departments_adopted", limit),
            added(out, "memberships_added", limit), removed(out, "memberships_removed", limit),
            managers(out, "managers_changed", limit);
        for (const auto& d : changes.departments_created) created.add([&] { return json(d); });
        for (const auto& d : changes.departments_adopted) adopted.add([&] { return json(d); });
        for (const auto& m : changes.memberships_added)
            added.add([&] { return json{{"hris_id", m.hris_id}, {"department", m.department}}; });
        for (const auto& m : changes.memberships_removed)
            removed.add([&] { return json{{"hris_id", m.hris_id}, {"department", m.department}}; });
        for (const auto& m : changes.managers)
            managers.add([&] {
                return json{{"hris_id", m.hris_id}, {"old", m.old_manager_hris_id}, {"new", m.new_manager_hris_id}};
            });
    }
    if (changes.created_memberships > 0 || changes.created_managers > 0)
        out["note"] =
            "created users join the departments and get the managers of their records; those memberships "
            "and managers are counted, not listed";
    return out;
}

json report_json(const RunReport& report, bool detail) {
    json findings = json::array();
    for (const auto& f : report.findings)
        findings.push_back({{"severity", to_string(f.severity)}, {"location", f.location}, {"message", f.message}});
    json sinks = json::array();
    for (const auto& s : report.sinks) {
        json sink = {{"name", s.name},
                     {"status", to_string(s.status)},
                     {"changes", summary_json(s.changes.summary())},
                     {"synced_before", s.synced_before},
                     {"removals", s.removals}};
        if (!s.guard.empty()) sink["guard"] = s.guard;
        if (!s.message.empty()) sink["message"] = s.message;
        if (detail && !s.detail.is_null()) sink["detail"] = s.detail;
        sinks.push_back(std::move(sink));
    }
    json out = {{"run", report.run_id},
                {"pipeline", report.pipeline},
                {"mode", to_string(report.mode)},
                {"status", to_string(report.status)},
                {"users", report.users},
                {"changes", summary_json(report.changes())},
                {"findings", std::move(findings)},
                {"quarantined", report.quarantined},
                {"sinks", std::move(sinks)},
                {"seconds",
                 {{"read", report.read_seconds},
                  {"store", report.store_seconds},
                  {"validate", report.validate_seconds},
                  {"diff", report.diff_seconds},
                  {"apply", report.apply_seconds}}}};
    if (!report.message.empty()) out["message"] = report.message;
    if (report.unchanged_since_run != 0) out["unchanged_since_run"] = report.unchanged_since_run;
    if (report.changed_records >= 0)
        out["change_only"] = {{"since_run", report.changed_since_run}, {"records_read", report.changed_records}};
    return out;
}

namespace {
// A stored result that cannot be parsed (written by another version) shows as empty.
json stored_result(const RunRecord& run) {
    if (run.result.empty()) return json::object();
    json out = json::parse(run.result, nullptr, false);
    return out.is_discarded() ? json::object() : out;
}
}  // namespace

void carry_findings(const RunRecord& run, RunReport& report) {
    const json result = stored_result(run);
    for (const auto& f : result.value("findings", json::array()))
        report.findings.push_back({f.value("severity", "") == "error" ? Severity::error : Severity::warning,
                                   f.value("location", ""), f.value("message", ""), -1});
    report.quarantined = result.value("quarantined", std::int64_t{0});
}

json run_summary_json(const RunRecord& r) {
    return {{"run", r.id},
            {"pipeline", r.pipeline},
            {"trigger", r.trigger},
            {"mode", r.mode},
            {"status", r.status},
            {"started_at", r.started_at},
            {"finished_at", r.finished_at},
            {"users", r.users},
            {"changes", stored_result(r).value("changes", json::object())},
            {"approved_by_run", r.approved_by_run},
            {"message", r.message}};
}

json run_detail_json(const RunRecord& r) {
    json result = stored_result(r);
    if (result.empty())
        result = {{"run", r.id},        {"pipeline", r.pipeline},    {"mode", r.mode},
                  {"status", r.status}, {"findings", json::array()}, {"sinks", json::array()}};
    result["trigger"] = r.trigger;
    result["started_at"] = r.started_at;
    result["finished_at"] = r.finished_at;
    result["snapshot"] = r.snapshot_key;
    if (r.approved_by_run) result["approved_by_run"] = r.approved_by_run;
    return result;
}

namespace {

void print_summary(std::ostream& out, const json& changes) {
    bool any = false;
    for (const char* name : {"created", "linked", "updated", "reactivated", "deactivated", "unsynced",
                             "departments_created", "memberships_added", "memberships_removed", "managers_changed"}) {
        const std::int64_t count = changes.value(name, 0);
        if (count == 0) continue;
        out << "    " << std::left << std::setw(22) << name << count << "\n";
        any = true;
    }
    if (!any) out << "    no changes\n";
}

std::string who(const json& item) {
    std::string text = item.value("hris_id", "");
    if (item.contains("email") && !item["email"].get<std::string>().empty())
        text += " <" + item["email"].get<std::string>() + ">";
    return text;
}

void print_detail(std::ostream& out, const json& detail) {
    auto list = [&](const char* key) -> const json& {
        static const json empty = json::array();
        return detail.contains(key) ? detail[key] : empty;
    };
    auto print_fields = [&](const json& item) {
        for (const auto& f : item.value("fields", json::array()))
            out << "        " << f["field"].get<std::string>() << ": \"" << f["old"].get<std::string>() << "\" -> \""
                << f["new"].get<std::string>() << "\"\n";
    };
    for (const auto& i : list("created")) out << "    + created      " << who(i) << "\n";
    for (const auto& i : list("linked")) {
        out << "    = linked       " << who(i) << " (by " << i["by"].get<std::string>() << ")\n";
        print_fields(i);
    }
    for (const auto& i : list("updated")) {
        out << "    ~ updated      " << who(i) << "\n";
        print_fields(i);
    }
    for (const auto& i : list("reactivated")) out << "    ^ reactivated  " << who(i) << "\n";
    for (const auto& i : list("deactivated")) out << "    v deactivated  " << who(i) << "\n";
    for (const auto& i : list("unsynced")) out << "    - unsynced     " << who(i) << "\n";
    for (const auto& d : list("departments_created")) out << "    + department   " << d.get<std::string>() << "\n";
    for (const auto& d : list("departments_adopted"))
        out << "    = department   " << d.get<std::string>() << " (now synced)\n";
    for (const auto& m : list("memberships_added"))
        out << "    + member       " << m["hris_id"].get<std::string>() << " in " << m["department"].get<std::string>()
            << "\n";
    for (const auto& m : list("memberships_removed"))
        out << "    - member       " << m["hris_id"].get<std::string>() << " from "
            << m["department"].get<std::string>() << "\n";
    for (const auto& m : list("managers_changed")) {
        auto name = [](const json& v) {
            return v.get<std::string>().empty() ? std::string("(none)") : v.get<std::string>();
        };
        out << "    ~ manager      " << m["hris_id"].get<std::string>() << ": " << name(m["old"]) << " -> "
            << name(m["new"]) << "\n";
    }
    if (detail.contains("truncated"))
        for (const auto& [name, total] : detail["truncated"].items())
            out << "    (" << name << ": " << total.get<std::int64_t>() << " in all, not all shown)\n";
}

}  // namespace

void print_report(std::ostream& out, const json& report, bool detail) {
    out << "run " << report["run"].get<std::int64_t>() << " of pipeline " << report["pipeline"].get<std::string>()
        << ": " << report["status"].get<std::string>() << " (" << report["mode"].get<std::string>() << " mode, "
        << report.value("users", 0)
        << (report.contains("unchanged_since_run") ? " users, unchanged: not read again)\n"
            : report.contains("change_only")
                ? " users, " + std::to_string(report["change_only"].value("records_read", 0)) +
                      " records changed since run " + std::to_string(report["change_only"].value("since_run", 0)) +
                      " and read)\n"
                : std::string(" users read)\n"));
    if (report.contains("message")) out << "  " << report["message"].get<std::string>() << "\n";
    if (const std::int64_t quarantined = report.value("quarantined", std::int64_t{0}); quarantined > 0)
        out << "  " << quarantined << (quarantined == 1 ? " record" : " records")
            << (report["status"] == to_string(RunStatus::simulated) ? " would be" : "")
            << " quarantined: left exactly as " << (quarantined == 1 ? "it is" : "they are")
            << " in the destination (on_invalid: skip)\n";
    const auto& findings = report["findings"];
    if (!findings.empty()) {
        std::size_t errors = 0;
        for (const auto& f : findings) errors += f["severity"] == "error";
        out << "  findings: " << errors << " error(s), " << findings.size() - errors << " warning(s)\n";
        std::size_t shown = 0;
        for (const auto& f : findings) {
            if (!detail && ++shown > 20) {
                out << "    ... " << findings.size() - 20 << " more (see: peoplesync show " << report["run"] << ")\n";
                break;
            }
            out << "    " << f["severity"].get<std::string>() << ": " << f["location"].get<std::string>() << ": "
                << f["message"].get<std::string>() << "\n";
        }
    }
    for (const auto& sink : report["sinks"]) {
        out << "  sink " << sink["name"].get<std::string>() << ": " << sink["status"].get<std::string>();
        if (sink.contains("message") && sink["message"] != sink.value("guard", ""))
            out << " (" << sink["message"].get<std::string>() << ")";
        out << "\n";
        if (sink.contains("guard")) out << "    guard: " << sink["guard"].get<std::string>() << "\n";
        print_summary(out, sink["changes"]);
        if (detail && sink.contains("detail")) print_detail(out, sink["detail"]);
    }
}

}  // namespace peoplesync::core
