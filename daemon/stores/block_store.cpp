#include "block_store.hpp"

#include <algorithm>
#include <cstring>

#include <Poco/Exception.h>

#include "compression.hpp"
#include "record_codec.hpp"
#include "sqlite_migrations.hpp"

namespace peoplesync::core {

using sqlite::execute;
using sqlite::SqliteStatement;

namespace {

// Blocks hold records one after the other; a block is written once about
// this full.
constexpr std::size_t block_bytes = std::size_t{128} << 10;

RecordPlace place_of(std::int64_t block, std::size_t offset) {
    if (block <= 0 || block > std::int64_t{UINT32_MAX} || offset > UINT32_MAX)
        throw Error("the snapshot records file has no room for another block");
    return (static_cast<std::uint64_t>(block) << 32) | offset;
}

// Development builds before blocks (29 November 2026) kept records by hash
// in snapshot_data, and lists without places; no release reads them.
bool holds_records_by_hash(sqlite3* db) {
    if (!sqlite::has_table(db, "records", "snapshot_data")) return false;
    SqliteStatement any(db, "SELECT 1 FROM records.snapshot_data LIMIT 1");
    const bool found = any.next();
    if (found) any.next();
    return found;
}

void blocks(sqlite3* db) {
    // Left empty by the builds that wrote blocks beside it.
    execute(db, "DROP TABLE IF EXISTS records.snapshot_data");
    execute(db,
            "CREATE TABLE IF NOT EXISTS records.snapshot_blocks (id INTEGER PRIMARY KEY, records INTEGER NOT NULL, "
            "data BLOB NOT NULL)");
}

constexpr sqlite::Migration records_file_migrations[] = {{1, blocks}};
static_assert(std::size(records_file_migrations) == records_file_version);

}  // namespace

void attach_records_file(sqlite3* db, const std::filesystem::path& records_file) {
    // Records live in a file of their own, attached, in a rollback journal:
    // a page the file did not have needs no journal, so a large snapshot's
    // pages are written once, where WAL writes them twice. Nothing else is
    // written there, and it is written a run at a time.
    bool attached = false;
    {
        SqliteStatement list(db, "PRAGMA database_list");
        while (list.next()) attached = attached || list.text(1) == "records";
    }
    const std::string name = "the snapshot records file " + records_file.string();
    try {
        if (!attached) SqliteStatement(db, "ATTACH DATABASE ? AS records").bind(1, records_file.string()).run();
        // FULL: in a rollback journal, NORMAL may leave a file corrupt after a
        // power cut on some filesystems; records of past runs cannot be made again.
        execute(db, "PRAGMA records.synchronous=FULL");
        if (sqlite::schema_version(db, {"records", ""}) == 0 && holds_records_by_hash(db))
            throw Error(
                "it holds records in the format of a development build that no release reads (records by hash, "
                "before blocks); delete it, and peoplesync stores the next snapshots afresh (runs stored "
                "before then can no longer be simulated or approved)");
        sqlite::migrate(db, {"records", ""}, records_file_migrations);
    } catch (const Error& e) {
        throw Error("cannot open " + name + ": " + e.what());
    }
}

BlockWriter::BlockWriter(sqlite3* db, std::vector<RecordPlace>& places)
    : db_(db), places_(places), insert_(db, "INSERT INTO records.snapshot_blocks(records, data) VALUES(?, ?)") {}

void BlockWriter::add(std::size_t i, const RecordHash& hash, std::string_view bytes) {
    entries_.emplace_back(i, data_.size());
    data_.append(as_bytes(hash));
    put_varint(data_, bytes.size());
    data_.append(bytes);
    if (data_.size() >= block_bytes) flush();
}

void BlockWriter::flush() {
    if (entries_.empty()) return;
    insert_.bind(1, static_cast<std::int64_t>(entries_.size())).bind_blob(2, data_).run();
    const std::int64_t block = sqlite3_last_insert_rowid(db_);
    for (const auto& [i, offset] : entries_) places_[i] = place_of(block, offset);
    entries_.clear();
    data_.clear();
}

RecordFinder::RecordFinder(sqlite3* db) : block_(db, "SELECT data FROM records.snapshot_blocks WHERE id = ?") {}

bool RecordFinder::find(const RecordHash& hash, RecordPlace place, std::string& out) {
    const std::string* data = block(static_cast<std::int64_t>(place >> 32));
    const std::size_t offset = place & 0xffffffffu;
    if (data == nullptr || offset > data->size() || data->size() - offset < sizeof(RecordHash)) return false;
    if (std::string_view(*data).substr(offset, sizeof(RecordHash)) != as_bytes(hash)) return false;
    ByteReader entry(std::string_view(*data).substr(offset + sizeof(RecordHash)));
    try {
        out = entry.text();
    } catch (const Error&) {
        return false;
    }
    return true;
}

const std::string* RecordFinder::block(std::int64_t id) {
    for (auto& [cached, data] : cache_)
        if (cached == id) return &data;
    block_.bind(1, id);
    if (!block_.next()) return nullptr;
    std::string data(block_.blob(0));
    block_.next();
    if (cache_.size() == 8) cache_.erase(cache_.begin());
    cache_.emplace_back(id, std::move(data));
    return &cache_.back().second;
}

namespace {

std::vector<RecordPlace> places_of(std::string_view packed, std::size_t count) {
    // An empty list's places deflate to nothing.
    if (packed.empty() && count == 0) return {};
    if (packed.empty())
        throw Error("its list was stored by a development build before blocks, in a format no release reads");
    std::string bytes;
    try {
        bytes = inflate(packed);
    } catch (const Poco::Exception& e) {
        throw Error("a stored snapshot is corrupt: " + e.displayText());
    }
    if (bytes.size() != count * sizeof(RecordPlace)) throw Error("a stored snapshot's places are corrupt");
    std::vector<RecordPlace> places(count, 0);
    if (count > 0) std::memcpy(places.data(), bytes.data(), bytes.size());
    return places;
}

}  // namespace

std::vector<std::int64_t> blocks_of(const std::vector<RecordPlace>& places) {
    std::vector<std::int64_t> blocks;
    for (const RecordPlace place : places) {
        const auto block = static_cast<std::int64_t>(place >> 32);
        if (blocks.empty() || blocks.back() != block) blocks.push_back(block);
    }
    std::sort(blocks.begin(), blocks.end());
    blocks.erase(std::unique(blocks.begin(), blocks.end()), blocks.end());
    return blocks;
}

std::string pack_blocks(const std::vector<std::int64_t>& blocks) {
    std::string packed;
    std::int64_t last = 0;
    for (const std::int64_t block : blocks) {
        put_varint(packed, static_cast<std::uint64_t>(block - last));
        last = block;
    }
    return packed;
}

std::vector<std::int64_t> unpack_blocks(std::string_view packed) {
    std::vector<std::int64_t> blocks;
    ByteReader reader(packed, "a snapshot's list of blocks");
    std::int64_t last = 0;
    while (!reader.at_end()) {
        last += static_cast<std::int64_t>(reader.varint());
        blocks.push_back(last);
    }
    return blocks;
}

void remove_blocks(sqlite3* db, const std::vector<std::int64_t>& blocks) {
    if (blocks.empty()) return;
    execute(db, "BEGIN");
    try {
        SqliteStatement remove(db, "DELETE FROM records.snapshot_blocks WHERE id = ?");
        for (const std::int64_t block : blocks) remove.bind(1, block).run();
        execute(db, "COMMIT");
    } catch (...) {
        sqlite::roll_back(db);
        throw;
    }
}

StoredList list_of(std::string_view hashes, std::string_view packed_places) {
    StoredList list;
    list.hashes.resize(hashes.size() / sizeof(RecordHash));
    if (!list.hashes.empty()) std::memcpy(list.hashes.data(), hashes.data(), list.hashes.size() * sizeof(RecordHash));
    list.places = places_of(packed_places, list.hashes.size());
    return list;
}

}  // namespace peoplesync::core
