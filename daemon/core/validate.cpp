// The validate stage: the SDK's record checks (sdk/src/validation.cpp), then
// the checks that span records: manager cycles.
#include "validate.hpp"

#include <algorithm>

#include <peoplesync/validation.hpp>

#include "flat_index.hpp"

namespace peoplesync::core {

namespace {

// Marks every user on a manager cycle. Managers are looked up by hris_id
// among the snapshot's users (the first of duplicates).
void find_manager_cycles(Snapshot& snapshot) {
    const auto n = snapshot.users.size();
    flat::StringIndex<false> by_hris(
        [&snapshot](std::int64_t i) -> std::string_view { return snapshot.users.hris_id(static_cast<std::size_t>(i)); },
        n);
    by_hris.emplace_all(
        n, [&snapshot](std::size_t i) { return snapshot.users.hris_id(i); }, [](std::size_t, std::int64_t) {});
    std::vector<char> state(n, 0);  // 0 new, 1 on the current chain, 2 done
    std::vector<std::size_t> chain;
    for (std::size_t start = 0; start < n; ++start) {
        if (state[start] != 0) continue;
        chain.clear();
        std::size_t at = start;
        while (true) {
            state[at] = 1;
            chain.push_back(at);
            const std::string_view manager = snapshot.users.manager_hris_id(at);
            const std::int64_t found = manager.empty() ? flat::StringIndex<>::none : by_hris.find(manager);
            if (found == flat::StringIndex<>::none) break;
            const auto next = static_cast<std::size_t>(found);
            if (state[next] == 2) break;
            if (state[next] == 1) {
                auto first = std::find(chain.begin(), chain.end(), next);
                std::string description;
                for (auto it = first; it != chain.end(); ++it) description += snapshot.users[*it].hris_id + " -> ";
                description += snapshot.users[next].hris_id;
                for (auto it = first; it != chain.end(); ++it) {
                    const UserView& user = snapshot.users[*it];
                    snapshot.error(static_cast<std::int64_t>(*it), snapshot.locate(user, field::manager),
                                   "manager chain forms a cycle: " + description);
                }
                break;
            }
            at = next;
        }
        for (auto i : chain) state[i] = 2;
    }
}

}  // namespace

std::vector<char> validate(Snapshot& snapshot, const SyncPolicy& policy) {
    validate_records(snapshot);
    if (policy.syncs(field::manager)) find_manager_cycles(snapshot);
    std::vector<char> invalid(snapshot.users.size(), 0);
    for (const auto& finding : snapshot.findings)
        if (finding.severity == Severity::error && finding.record >= 0 &&
            finding.record < static_cast<std::int64_t>(invalid.size()))
            invalid[static_cast<std::size_t>(finding.record)] = 1;
    return invalid;
}

Validation validate_snapshot(Snapshot& snapshot, const SyncPolicy& policy) {
    Validation validation;
    validation.invalid = validate(snapshot, policy);
    validation.invalid_count = std::count(validation.invalid.begin(), validation.invalid.end(), 1);
    const bool unusable = std::any_of(snapshot.findings.begin(), snapshot.findings.end(),
                                      [](const Finding& f) { return f.severity == Severity::error && f.record < 0; });
    const std::int64_t invalid = validation.invalid_count;
    if (unusable)
        validation.rejection = "the snapshot cannot be used; nothing was applied";
    else if (invalid > 0 && policy.on_invalid == InvalidPolicy::reject)
        validation.rejection = std::to_string(invalid) + " invalid record" + (invalid == 1 ? "" : "s") +
                               "; nothing was applied (on_invalid: reject)";
    return validation;
}

}  // namespace peoplesync::core
