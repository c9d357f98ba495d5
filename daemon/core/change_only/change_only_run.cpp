// A change-only run: parses only the records whose raw hash differs from
// the last clean run's, and falls back to a full read (before anything is
// applied) whenever the result could differ from a full run's.
#include <unordered_set>

#include "change_only.hpp"
#include "flat_index.hpp"
#include "next_run.hpp"
#include "pipeline.hpp"
#include "run_support.hpp"

namespace peoplesync::core {

std::optional<RunReport> Pipeline::change_only(const RecordScan& scan, ChangeOnlyBase& base_run,
                                               const RunRequest& request, RunRecord& record, const std::string& digest,
                                               std::vector<std::future<DestinationIndex>>& indexes,
                                               ProgressListener& progress, std::string& attempted_snapshot,
                                               NextRun& next) {
    auto whole = [&](const std::string& why) -> std::optional<RunReport> {
        log_full_read(settings_.name, why);
        indexes = load_indexes();  // for the full read the run makes instead
        return std::nullopt;
    };
    const RunInputs* const last = &base_run.last;
    const RunRows* const rows = &base_run.rows;
    const std::string since = "run " + std::to_string(last->run_id);
    const std::size_t n = scan.hashes.size(), m = rows->size();
    if (scan.origins.size() != n)
        throw Error("the source's scan gave " + std::to_string(scan.origins.size()) + " origins for " +
                    std::to_string(n) + " records");

    // Which of the last run's records each record is, by the hash of its bytes.
    const auto started = std::chrono::steady_clock::now();
    if (!base_run.lookups.valid()) look_up_while_scanning(base_run);
    const std::shared_ptr<ChangeOnlyBase::Lookups> lookups = base_run.lookups.get();
    const auto& previous = lookups->previous;
    if (previous.duplicates()) return whole(since + " read two records with the same bytes");
    std::vector<std::int64_t> from(n, -1);
    std::vector<char> kept(m, 0);
    std::vector<std::int64_t> changed;
    // Records mostly follow the last run's in its order: the record after
    // the last one found is tried first, without a lookup. The last run's
    // hashes are distinct, so an equal one there is the one the lookup finds.
    std::size_t next_in_order = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t j = next_in_order < m && rows->hash(next_in_order) == scan.hashes[i]
                                  ? next_in_order
                                  : previous.find(scan.hashes[i]);
        if (j == previous.none) {
            changed.push_back(static_cast<std::int64_t>(i));
        } else if (kept[j]) {
            return whole(scan.origins[i] + " repeats an earlier record");
        } else {
            kept[j] = 1;
            from[i] = static_cast<std::int64_t>(j);
            next_in_order = j + 1;
        }
    }
    if (changed.size() * 5 > n)
        return whole(std::to_string(changed.size()) + " of " + std::to_string(n) + " records changed since " + since);

    Snapshot partial = calling(source_label(), [&] { return scanner_->read_records(changed, progress); });
    if (partial.users.size() != changed.size())
        throw Error("the source read " + std::to_string(partial.users.size()) + " records for the " +
                    std::to_string(changed.size()) + " asked");
    partial.pipeline = settings_.name;
    if (partial.received_at.empty()) partial.received_at = now_iso8601();
    const double read_seconds = seconds_since(started);
    const SyncPolicy& policy = settings_.sync;
    const bool shared = keeps_every_field(policy);
    Snapshot raw;
    if (!shared) raw = partial;  // stored as read: a later run may sync more fields
    normalize(partial, policy);

    // The records read by hris_id, and the last run's records gone.
    flat::StringIndex<false> read_by_hris(
        [&partial](std::int64_t k) -> std::string_view { return partial.users.hris_id(static_cast<std::size_t>(k)); },
        partial.users.size());
    for (std::size_t k = 0; k < partial.users.size(); ++k)
        read_by_hris.emplace(partial.users.hris_id(k), static_cast<std::int64_t>(k));
    UnreadRecords unread;
    for (std::size_t j = 0; j < m; ++j)
        if (!kept[j] && read_by_hris.find(rows->hris_id(j)) == flat::StringIndex<>::none)
            unread.gone_records.emplace_back(rows->hris_id(j));
    unread.synced_before = static_cast<std::int64_t>(m);
    // Of each destination, the users the records read, their managers and
    // the records gone name, loading while the rest is checked.
    std::vector<std::string> asked(unread.gone_records);
    for (const UserView& user : partial.users) {
        asked.emplace_back(user.hris_id);
        if (!user.manager_hris_id.empty()) asked.emplace_back(user.manager_hris_id);
    }
    std::vector<std::future<DestinationIndex>> some;
    for (std::size_t i = 0; i < sinks_.size(); ++i)
        some.push_back(threads::on_a_thread([this, s = sinks_[i].get(), applier = appliers_[i], &asked] {
            return calling(sink_label(s), [s, applier, &asked] {
                std::optional<DestinationIndex> index = applier->load_index_for(asked);
                return index ? std::move(*index) : s->load_index();
            });
        }));

    // Against the records not read: an hris_id one of them has, a manager
    // chain through them back to a record read, an address one of them has
    // (by hash: a false alarm only costs the full read).
    const flat::StringIndex<false>& by_hris = lookups->by_hris;
    auto unread_index = [&](std::string_view hris_id) {
        const std::int64_t j = by_hris.find(hris_id);
        return j != flat::StringIndex<>::none && kept[static_cast<std::size_t>(j)] ? j : flat::StringIndex<>::none;
    };
    for (const UserView& user : partial.users)
        if (unread_index(user.hris_id) != flat::StringIndex<>::none)
            return whole(user.origin + " has the hris_id of a record that did not change");
    if (policy.syncs(field::manager)) {
        auto manager_of = [&](std::string_view hris_id) -> std::string_view {
            if (auto k = read_by_hris.find(hris_id); k != flat::StringIndex<>::none)
                return partial.users.manager_hris_id(static_cast<std::size_t>(k));
            if (auto j = unread_index(hris_id); j != flat::StringIndex<>::none)
                return rows->manager(static_cast<std::size_t>(j));
            return {};
        };
        for (const UserView& user : partial.users) {
            std::size_t steps = 0;
            for (std::string_view at = user.manager_hris_id; !at.empty(); at = manager_of(at)) {
                if (at == user.hris_id) return whole(user.origin + " is on a manager cycle");
                if (++steps > n) return whole("a manager chain from " + user.origin + " does not end");
            }
        }
    }
    {
        std::vector<std::uint64_t> emails;  // looked up once per record not read: a small flat table
        emails.reserve(partial.users.size());
        for (const UserView& user : partial.users) emails.push_back(flat::folded_hash(user.email));
        const auto email_at = [&emails](std::size_t k) { return emails[k]; };
        const flat::HashPositions<decltype(email_at)> read_emails(email_at, emails.size());
        for (std::size_t j = 0; j < m; ++j)
            if (kept[j] && read_emails.find(rows->email_hash(j)) != read_emails.none)
                return whole("a changed record's email may be that of " + std::string(rows->hris_id(j)) +
                             ", whose record did not change");
    }
    unread.kept = [&](std::string_view hris_id) { return unread_index(hris_id) != flat::StringIndex<>::none; };
    // Asked only about users the run renames, which few runs do: made then.
    std::optional<std::unordered_set<std::string_view>> unread_managers;
    unread.cited_as_manager = [&](std::string_view hris_id) {
        if (!unread_managers) {
            unread_managers.emplace();
            for (std::size_t j = 0; j < m; ++j)
                if (kept[j] && !rows->manager(j).empty()) unread_managers->insert(rows->manager(j));
        }
        return unread_managers->count(hris_id) > 0;
    };
    if (!lookups->list_error.empty())
        return whole(std::string("the snapshot of ") + since + " cannot be read: " + lookups->list_error);
    const StoredList& base = lookups->list;
    if (base.hashes.size() != m) return whole("the snapshot of " + since + " does not hold its records");

    // Stored while the run goes on, as a full run's is (the run only reads
    // the records). When the run reads everything after all, it nearly
    // always stores the same snapshot; the caller forgets this one if not.
    std::future<StateStore::StoredSnapshot> stored = state_.store_encoded_async(
        [&] { return compose_snapshot(shared ? partial : raw, base, from, scan.origins); }, 0, {}, record.id);
    auto stored_key = [&stored]() -> std::string {
        try {
            return stored.get().key;
        } catch (const std::exception&) {
            return {};
        }
    };
    // This run's rows: the last run's for records not read. Made on the
    // store's thread from a copy of what the records read give them (the run
    // goes on with those); the scan, the last run's rows and `from` outlive
    // the store, which is waited for before this returns.
    RunRows read_rows;
    read_rows.reserve(changed.size(), 0);
    for (std::size_t k = 0; k < partial.users.size(); ++k) {
        const UserView& user = partial.users[k];
        read_rows.add(scan.hashes[static_cast<std::size_t>(changed[k])], user.hris_id, user.manager_hris_id,
                      flat::folded_hash(user.email));
    }
    auto make_rows = [&scan, rows, &from, read = std::move(read_rows), run_id = record.id]() {
        RunRows made;
        made.run_id = run_id;
        made.reserve(from.size(), rows->text_bytes());  // about the last run's
        for (std::size_t i = 0, k = 0; i < from.size(); ++i) {
            if (from[i] >= 0) {
                const auto j = static_cast<std::size_t>(from[i]);
                made.add(scan.hashes[i], rows->hris_id(j), rows->manager(j), rows->email_hash(j));
            } else {
                made.add(read.hash(k), read.hris_id(k), read.manager(k), read.email_hash(k));
                ++k;
            }
        }
        return made;
    };
    std::future<void> rows_stored = state_.store_run_rows_async(settings_.name, std::move(make_rows));
    auto give_up = [&] {
        attempted_snapshot = stored_key();
        if (finished(rows_stored)) state_.forget_run_rows(settings_.name, record.id);
    };
    RunReport report;
    try {
        report = process(partial, request, record.id, progress, std::move(some), true, &unread);
    } catch (const NotChangeOnly& e) {
        give_up();
        return whole(e.what());
    } catch (...) {
        give_up();
        throw;
    }
    report.read_seconds = read_seconds;
    report.users = static_cast<std::int64_t>(n);
    report.changed_records = static_cast<std::int64_t>(changed.size());
    report.changed_since_run = last->run_id;
    record.users = static_cast<std::int64_t>(n);
    take_stored_snapshot(stored, record, report);
    hold_after_commit_for_tests(report);
    next = leave_for_next_run(report, record, digest, last, finished(rows_stored));
    return report;
}

}  // namespace peoplesync::core
