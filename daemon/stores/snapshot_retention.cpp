// Which runs' snapshots the state database keeps (runs.keep_snapshots and
// keep_snapshots_days), and removing the others with the blocks only they
// held.
#include <algorithm>
#include <set>

#include <Poco/Data/SQLite/Utility.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timespan.h>
#include <Poco/Timestamp.h>

#include "snapshot_store.hpp"
#include "sqlite_statement.hpp"
#include "state_store.hpp"

namespace peoplesync::core {

using sqlite::execute;
using sqlite::roll_back;
using sqlite::SqliteStatement;

std::vector<std::int64_t> SnapshotStore::blocks_of_list(const std::string& key) {
    SqliteStatement recorded(db_, "SELECT blocks FROM snapshot_list_blocks WHERE key = ?");
    recorded.bind(1, key);
    if (recorded.next()) {
        std::vector<std::int64_t> blocks = unpack_blocks(recorded.blob(0));
        recorded.next();
        return blocks;
    }
    const std::vector<std::int64_t> blocks = blocks_of(list(key).places);
    SqliteStatement(db_, "INSERT OR REPLACE INTO snapshot_list_blocks(key, blocks) VALUES(?, ?)")
        .bind(1, key)
        .bind_blob(2, pack_blocks(blocks))
        .run();
    return blocks;
}

SnapshotStore::Removed SnapshotStore::remove(const std::vector<std::string>& keys) {
    Removed removed;
    if (keys.empty()) return removed;
    // The blocks of the lists removed; a list whose blocks cannot be told
    // (a damaged one) is removed, and its blocks stay.
    std::vector<std::int64_t> freed;
    execute(db_, "BEGIN IMMEDIATE");
    try {
        SqliteStatement drop_list(db_, "DELETE FROM snapshot_lists WHERE key = ?");
        SqliteStatement drop_blocks(db_, "DELETE FROM snapshot_list_blocks WHERE key = ?");
        for (const std::string& key : keys) {
            if (!holds(key)) continue;
            try {
                const std::vector<std::int64_t> blocks = blocks_of_list(key);
                freed.insert(freed.end(), blocks.begin(), blocks.end());
            } catch (const Error&) {
            }
            drop_list.bind(1, key).run();
            drop_blocks.bind(1, key).run();
            ++removed.snapshots;
        }
        execute(db_, "COMMIT");
    } catch (...) {
        roll_back(db_);
        throw;
    }
    std::sort(freed.begin(), freed.end());
    freed.erase(std::unique(freed.begin(), freed.end()), freed.end());
    if (freed.empty()) return removed;

    // Of those, the blocks a list left holds stay. If one of them cannot be
    // told, every block stays. Lists stored before their blocks were
    // recorded get theirs made after the read (blocks_of_list() records them).
    std::vector<std::int64_t> held;
    std::vector<std::string> unrecorded;
    {
        SqliteStatement all(db_,
                            "SELECT l.key, b.key IS NULL, b.blocks FROM snapshot_lists l "
                            "LEFT JOIN snapshot_list_blocks b ON b.key = l.key");
        while (all.next()) {
            if (all.integer(1) != 0) {
                unrecorded.emplace_back(all.text(0));
                continue;
            }
            try {
                const std::vector<std::int64_t> blocks = unpack_blocks(all.blob(2));
                held.insert(held.end(), blocks.begin(), blocks.end());
            } catch (const Error&) {
                return removed;
            }
        }
    }
    for (const std::string& key : unrecorded) {
        try {
            const std::vector<std::int64_t> blocks = blocks_of_list(key);
            held.insert(held.end(), blocks.begin(), blocks.end());
        } catch (const Error&) {
            return removed;
        }
    }
    std::sort(held.begin(), held.end());
    std::vector<std::int64_t> unheld;
    std::set_difference(freed.begin(), freed.end(), held.begin(), held.end(), std::back_inserter(unheld));
    remove_blocks(db_, unheld);
    removed.blocks = unheld.size();
    return removed;
}

bool StateStore::holds_snapshot(const std::string& key) {
    std::lock_guard lock(mutex_);
    return snapshots_->holds(key);
}

SnapshotStore::Removed StateStore::keep_snapshots(const std::string& pipeline, const SnapshotRetention& retention) {
    if (retention.keep_runs == 0 && retention.keep_days == 0) return {};
    std::lock_guard lock(mutex_);
    sqlite3* db = Poco::Data::SQLite::Utility::dbHandle(*session_);
    std::set<std::string> kept;
    // The newest runs' within the retention (run ids grow with their start).
    const std::string cutoff =
        retention.keep_days == 0
            ? std::string()
            : Poco::DateTimeFormatter::format(Poco::Timestamp() - Poco::Timespan(retention.keep_days, 0, 0, 0, 0),
                                              Poco::DateTimeFormat::ISO8601_FRAC_FORMAT);
    {
        SqliteStatement newest(db, "SELECT snapshot_key, started_at FROM runs WHERE pipeline = ? ORDER BY id DESC");
        newest.bind(1, pipeline);
        std::int64_t runs = 0;
        while (newest.next()) {
            if (newest.text(0).empty()) continue;
            if ((retention.keep_runs != 0 && runs == retention.keep_runs) ||
                (!cutoff.empty() && newest.text(1) < cutoff))
                break;
            kept.emplace(newest.text(0));
            ++runs;
        }
    }
    // The one the next run builds on (a change-only run's base, an unchanged
    // input's no-op).
    {
        SqliteStatement base(db, "SELECT snapshot_key FROM run_inputs WHERE pipeline = ?");
        base.bind(1, pipeline);
        while (base.next()) kept.emplace(base.text(0));
    }
    // A run a process left running is settled with its snapshot; the newest
    // blocked run can still be approved.
    {
        SqliteStatement awaiting(db,
                                 "SELECT snapshot_key, status FROM runs WHERE pipeline = ? AND status IN "
                                 "('running', 'blocked') AND approved_by_run = 0 ORDER BY id DESC");
        awaiting.bind(1, pipeline);
        bool blocked = false;
        while (awaiting.next()) {
            if (awaiting.text(1) == "blocked") {
                if (blocked) continue;
                blocked = true;
            }
            kept.emplace(awaiting.text(0));
        }
    }
    std::vector<std::string> past;
    {
        SqliteStatement stored(db, "SELECT key FROM snapshot_lists WHERE pipeline = ?");
        stored.bind(1, pipeline);
        while (stored.next())
            if (!kept.contains(std::string(stored.text(0)))) past.emplace_back(stored.text(0));
    }
    return snapshots_->remove(past);
}

}  // namespace peoplesync::core
