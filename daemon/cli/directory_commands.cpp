// directory show|set: a user of a directory sink, read or edited as its users would.
#include <algorithm>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "session.hpp"

namespace peoplesync::cli {

namespace {

peoplesync::Sink& directory_sink(Session& session, const std::string& user) {
    const auto& args = session.args();
    std::vector<std::pair<std::string, std::string>> candidates;
    for (const auto& p : session.settings().pipelines) {
        if (args.flag("pipeline") && p.name != args.value("pipeline")) continue;
        for (const auto& s : p.sinks) {
            // A directory is a sink one can browse (Sink::browser()): the
            // directory sink's SQLite, postgres, or a plugin's.
            if (args.flag("sink") ? s.name == args.value("sink")
                                  : session.pipeline(p.name).sink(s.name).browser() != nullptr)
                candidates.emplace_back(p.name, s.name);
        }
    }
    if (candidates.empty()) throw UsageError("no directory sink matches; name one with --pipeline and --sink");
    if (candidates.size() > 1 && !args.flag("pipeline") && !args.flag("sink")) {
        // Several directories: the one that holds the user, if only one does.
        std::vector<std::pair<std::string, std::string>> holding;
        for (const auto& [p, s] : candidates)
            if (session.pipeline(p).sink(s).find_user(user)) holding.emplace_back(p, s);
        if (holding.empty()) throw peoplesync::Error("no user \"" + user + "\" in any directory");
        if (holding.size() == 1) candidates = holding;
    }
    if (candidates.size() > 1) {
        std::string list;
        for (const auto& [p, s] : candidates) list += " " + p + "/" + s;
        throw UsageError("several sinks match (" + list + " ); choose one with --pipeline and --sink");
    }
    return session.pipeline(candidates[0].first).sink(candidates[0].second);
}

}  // namespace

int directory(Session& session) {
    const auto& args = session.args();
    const std::string& action = args.operand(0, "show or set");
    const std::string& user = args.operand(1, "a user (hris_id or email)");
    auto& sink = directory_sink(session, user);
    if (action == "set") {
        const std::string& name = args.operand(2, "a field");
        const std::string& value = args.operand(3, "a value");
        sink.edit_user(user, name, value);
        std::cout << "updated " << name << " of " << user << "\n";
        return ok;
    }
    if (action != "show") throw UsageError("directory takes show or set, not \"" + action + "\"");
    auto record = sink.find_user(user);
    if (!record) throw peoplesync::Error("no user \"" + user + "\" in the directory");
    const auto& u = record->user;
    std::string synced;
    for (const auto& f : record->synced_fields) synced += (synced.empty() ? "" : ", ") + f;
    std::cout << "id            " << record->id << "\n"
              << "hris_id       " << u.hris_id << "\n"
              << "name          " << u.first_name << " " << u.last_name << "\n"
              << "email         " << u.email << "\n"
              << "active        " << (u.active ? "yes" : "no") << "\n";
    for_each_field(u, [](auto id, const auto& value) {
        constexpr FieldSpec spec = spec_of(decltype(id)::value);
        if constexpr (spec.kind == FieldKind::text && !spec.always_synced())
            std::cout << spec.name
                      << std::string(std::max<std::size_t>(14, spec.name.size() + 1) - spec.name.size(), ' ') << value
                      << "\n";
    });
    std::cout << "manager       " << u.manager_hris_id << "\n"
              << "departments   ";
    for (std::size_t i = 0; i < u.departments.size(); ++i) std::cout << (i ? "; " : "") << u.departments[i];
    std::cout << "\nsynced        " << (synced.empty() ? "no" : "yes: " + synced + " are read-only") << "\n";
    return ok;
}

}  // namespace peoplesync::cli
