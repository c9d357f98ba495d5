// The snapshot records file (<state>.snapshots.db), attached to a state
// database connection as "records": records appended in blocks of about
// 128 KiB, each record as its hash (16 bytes), its size (a varint) and its
// bytes, and found again by where its list says it is.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sqlite3.h>

#include "record_hash.hpp"
#include "sqlite_statement.hpp"

namespace peoplesync::core {

// Where a stored record is: block << 32 | the offset of its entry in the
// block (blocks are numbered from 1).
using RecordPlace = std::uint64_t;

// A stored snapshot's list: its records' hashes and places, in order.
struct StoredList {
    std::vector<RecordHash> hashes;
    std::vector<RecordPlace> places;  // as many as hashes
    std::uint32_t hash_family = 0;    // of the hashes (hash.hpp)
};

// The records file's schema version (PRAGMA records.user_version).
inline constexpr int records_file_version = 1;

// Attaches the records file as "records" unless it is, and brings its schema
// up to date; a file in a format no release wrote, or of a newer build, is
// refused with what to do.
void attach_records_file(sqlite3* db, const std::filesystem::path& records_file);

// Appends records to the records file, a block at a time, and tells where
// each went: places[i] for record i of the list.
class BlockWriter {
public:
    BlockWriter(sqlite3* db, std::vector<RecordPlace>& places);
    void add(std::size_t i, const RecordHash& hash, std::string_view bytes);
    void flush();

private:
    sqlite3* db_;
    std::vector<RecordPlace>& places_;
    sqlite::SqliteStatement insert_;
    std::string data_;
    std::vector<std::pair<std::size_t, std::size_t>> entries_;  // list position, offset in data_
};

// Finds stored records by place, each checked against its hash. Keeps the
// last few blocks read: a list's records mostly follow each other in their
// blocks.
class RecordFinder {
public:
    explicit RecordFinder(sqlite3* db);
    // The record's bytes into `out`; false when it is not there.
    bool find(const RecordHash& hash, RecordPlace place, std::string& out);
    bool holds(const RecordHash& hash, RecordPlace place) {
        std::string bytes;
        return find(hash, place, bytes);
    }

private:
    const std::string* block(std::int64_t id);

    sqlite::SqliteStatement block_;
    std::vector<std::pair<std::int64_t, std::string>> cache_;  // oldest first
};

// A list as snapshot_lists keeps it: the hashes as they are, the places
// deflated.
StoredList list_of(std::string_view hashes, std::string_view packed_places);

// The blocks records at these places are in, each once, in increasing order.
std::vector<std::int64_t> blocks_of(const std::vector<RecordPlace>& places);
// Blocks as snapshot_list_blocks keeps them: increasing ids as varint deltas.
std::string pack_blocks(const std::vector<std::int64_t>& blocks);
std::vector<std::int64_t> unpack_blocks(std::string_view packed);
// Removes these blocks from the records file, in one transaction.
void remove_blocks(sqlite3* db, const std::vector<std::int64_t>& blocks);

}  // namespace peoplesync::core
