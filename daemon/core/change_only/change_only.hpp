// The change-only boundary's own pieces, shared by its files and the run.
#pragma once

#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include <Poco/Logger.h>
#include "flat_index.hpp"

#include "pipeline.hpp"

namespace peoplesync::core {

// Each record's raw hash with the hris_id, manager and email it has once
// normalized.
inline RunRows rows_of(const Users& users, const std::vector<std::uint64_t>& hashes, std::int64_t run_id) {
    RunRows rows;
    rows.run_id = run_id;
    std::size_t bytes = 0;
    for (const UserView& user : users) bytes += user.hris_id.size() + user.manager_hris_id.size();
    rows.reserve(users.size(), bytes);
    for (std::size_t i = 0; i < users.size(); ++i)
        rows.add(hashes[i], users.hris_id(i), users.manager_hris_id(i), flat::folded_hash(users.email(i)));
    return rows;
}

// Waits for a write; whether it succeeded.
inline bool finished(std::future<void>& write) {
    try {
        write.get();
        return true;
    } catch (const std::exception& e) {
        Poco::Logger::get("peoplesync").warning(std::string("could not store the records' hashes: ") + e.what());
        return false;
    }
}

// The last run's inputs and, when its configuration is this one and no full
// resync is due, its rows (Pipeline::read_last_run), read once the input
// is known to have changed.
struct LastRun {
    std::optional<RunInputs> inputs;
    std::optional<RunRows> rows;
};

// What a change-only run compares with: the last run, when it was clean and
// the destinations are as it left them. Known before the source is scanned,
// so the run need not load whole destination indexes.
struct ChangeOnlyBase {
    RunInputs last;
    RunRows rows;
    // What the run looks the last run's records up with, and that run's
    // snapshot list: made from the above on a thread of its own while the
    // source scans (Pipeline::look_up_while_scanning). Last, so it is waited
    // for before what it reads goes.
    struct Lookups;
    std::future<std::shared_ptr<Lookups>> lookups;
};

// A change-only run's snapshot holds only the records that changed since the
// last run; the others are as that run left them in the destination.
struct UnreadRecords final : RestOfSource {
    // Whether a synced destination user is one of those records (by hris_id).
    std::function<bool(std::string_view hris_id)> kept;
    // The hris_ids of the last run's records that are gone from the source
    // (and not among the records read).
    std::vector<std::string> gone_records;
    // Whether one of those records names this hris_id as its manager.
    std::function<bool(std::string_view hris_id)> cited_as_manager;
    // The synced users the last run left in every destination: one per record.
    std::int64_t synced_before = 0;

    bool holds(std::string_view hris_id) const override { return kept(hris_id); }
    std::span<const std::string> gone() const override { return gone_records; }
};

// A change-only run that cannot be one; nothing was applied. Says why.
class NotChangeOnly : public Error {
public:
    using Error::Error;
};

// The fallback rules (fallback_rules.cpp), each throwing NotChangeOnly.
// After validation: the records read have no finding.
void expect_clean_records(const RunReport& report);
// After the diff: nothing a full run would do differently (a finding, the
// guard, departments to adopt, a renamed manager of a record not read, a
// destination not as the last run left it), and the run applies.
void expect_same_as_full_run(const RunReport& report, const UnreadRecords& unread, bool apply);

// Why a run reads every record; `routine` reasons (a source that never
// scans, a first run) only at debug level, so they do not fill the log.
inline void log_full_read(const std::string& pipeline, const std::string& why, bool routine = false) {
    Poco::Logger& log = Poco::Logger::get("peoplesync." + pipeline);
    if (routine)
        log.debug("reading every record: " + why);
    else
        log.information("reading every record: " + why);
}
inline bool full_resync_due(const RunInputs& last, std::int64_t every_secs) {
    return epoch_ms() / 1000 - last.full_at >= every_secs;
}
// The hash of the last run's record j.
struct RowHash {
    const RunRows* rows;
    std::uint64_t operator()(std::size_t j) const { return rows->hash(j); }
};
struct ChangeOnlyBase::Lookups {
    explicit Lookups(const RunRows& rows)
        : previous(RowHash{&rows}, rows.size()),
          by_hris([&rows](std::int64_t j) { return rows.hris_id(static_cast<std::size_t>(j)); }, rows.size()) {
        by_hris.emplace_all(
            rows.size(), [&rows](std::size_t j) { return rows.hris_id(j); }, [](std::size_t, std::int64_t) {});
    }
    flat::HashPositions<RowHash> previous;  // which record had a hash
    flat::StringIndex<false> by_hris;       // which record had an hris_id
    StoredList list;                        // the last run's snapshot list
    std::string list_error;                 // why that could not be read
};

}  // namespace peoplesync::core
