#include "snapshot_store.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <sstream>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DeflatingStream.h>
#include <Poco/Exception.h>
#include <Poco/InflatingStream.h>
#include <Poco/StreamCopier.h>
#include <nlohmann/json.hpp>

#include "flat_index.hpp"
#include "sqlite_statement.hpp"

namespace peoplesync::core {

using nlohmann::json;
using sqlite::execute;
using sqlite::SqliteStatement;

namespace {

void put_varint(std::string& out, std::uint64_t value) {
    while (value >= 0x80) {
        out.push_back(static_cast<char>((value & 0x7f) | 0x80));
        value >>= 7;
    }
    out.push_back(static_cast<char>(value));
}

void put_text(std::string& out, std::string_view text) {
    put_varint(out, text.size());
    out.append(text);
}

class Reader {
public:
    explicit Reader(std::string_view bytes) : bytes_(bytes) {}
    std::uint64_t varint() {
        std::uint64_t value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (at_ >= bytes_.size()) throw Error("a stored snapshot is truncated");
            const auto byte = static_cast<unsigned char>(bytes_[at_++]);
            value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
            if ((byte & 0x80) == 0) return value;
        }
        throw Error("a stored snapshot is corrupt");
    }
    std::string text() {
        const auto size = varint();
        if (size > bytes_.size() - at_) throw Error("a stored snapshot is truncated");
        std::string out(bytes_.substr(at_, size));
        at_ += size;
        return out;
    }
    bool byte() {
        if (at_ >= bytes_.size()) throw Error("a stored snapshot is truncated");
        return bytes_[at_++] != '\0';
    }

private:
    std::string_view bytes_;
    std::size_t at_ = 0;
};

std::uint64_t mix(std::uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

std::uint64_t hash64(std::string_view bytes, std::uint64_t seed) {
    std::uint64_t h = seed ^ (bytes.size() * 0x9e3779b97f4a7c15ull);
    std::size_t i = 0;
    for (; i + 8 <= bytes.size(); i += 8) {
        std::uint64_t word;
        std::memcpy(&word, bytes.data() + i, 8);
        h = (h ^ mix(word)) * 0x9e3779b97f4a7c15ull;
        h = (h << 27) | (h >> 37);
    }
    std::uint64_t tail = 0;
    if (i < bytes.size()) std::memcpy(&tail, bytes.data() + i, bytes.size() - i);
    h = (h ^ mix(tail ^ seed)) * 0x9e3779b97f4a7c15ull;
    return mix(h);
}

std::string deflate(const std::string& text) {
    std::ostringstream out;
    Poco::DeflatingOutputStream stream(out, Poco::DeflatingStreamBuf::STREAM_ZLIB, 1);
    stream.write(text.data(), static_cast<std::streamsize>(text.size()));
    stream.close();
    return out.str();
}

std::string inflate(std::string_view data) {
    std::istringstream in{std::string(data)};
    Poco::InflatingInputStream stream(in, Poco::InflatingStreamBuf::STREAM_ZLIB);
    std::string out;
    try {
        Poco::StreamCopier::copyToString(stream, out);
    } catch (const Poco::Exception& e) {
        throw Error("a stored snapshot is corrupt: " + e.displayText());
    }
    return out;
}

// The metadata that identifies a snapshot's content; when it was received is
// a fact about the run, not the content, so an unchanged source dedupes.
std::string meta_of(const Snapshot& snapshot) {
    json findings = json::array();
    for (const Finding& f : snapshot.findings)
        findings.push_back({f.severity == Severity::error ? "error" : "warning", f.location, f.message, f.record});
    json labels = json::object();
    for (const auto& [k, v] : snapshot.field_labels) labels[k] = v;
    return json({{"pipeline", snapshot.pipeline},
                 {"origin", snapshot.origin},
                 {"request_id", snapshot.request_id},
                 {"field_labels", labels},
                 {"findings", findings}})
        // A source may hand over text that is not UTF-8; keep the snapshot storable.
        .dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string hex(const RecordHash& hash) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (auto word : hash)
        for (int shift = 60; shift >= 0; shift -= 4) out.push_back(digits[(word >> shift) & 0xf]);
    return out;
}

std::string_view as_bytes(const RecordHash& hash) {
    return {reinterpret_cast<const char*>(hash.data()), sizeof(RecordHash)};
}

// A record's text fields in the order they are stored (User or const User).
template <typename U>
auto record_texts(U& u) {
    return std::array{&u.hris_id,
                      &u.first_name,
                      &u.last_name,
                      &u.email,
                      &u.job_title,
                      &u.phone_number,
                      &u.employee_id,
                      &u.hire_date,
                      &u.profile_image.url,
                      &u.profile_image.last_modified,
                      &u.profile_image.cache_info,
                      &u.manager_hris_id};
}

}  // namespace

void encode_record(const UserView& u, std::string& out) {
    for (const auto* text : record_texts(u)) put_text(out, *text);
    out.push_back(u.active ? '\1' : '\0');
    put_varint(out, u.departments.size());
    for (const auto& path : u.departments) put_text(out, path);
}

RecordHash hash_bytes(std::string_view bytes) {
    return {hash64(bytes, 0x243f6a8885a308d3ull), hash64(bytes, 0x13198a2e03707344ull)};
}

namespace {

// hash_bytes() of the parts one after the other, without joining them: its
// first `Lanes` words.
template <std::size_t Lanes>
std::array<std::uint64_t, Lanes> hash_lanes(std::initializer_list<std::string_view> parts) {
    constexpr std::array<std::uint64_t, 2> seeds = {0x243f6a8885a308d3ull, 0x13198a2e03707344ull};
    std::size_t size = 0;
    for (std::string_view part : parts) size += part.size();
    std::array<std::uint64_t, Lanes> h{};
    for (std::size_t k = 0; k < Lanes; ++k) h[k] = seeds[k] ^ (size * 0x9e3779b97f4a7c15ull);
    auto add = [&h](std::uint64_t word) {
        const std::uint64_t mixed = mix(word);
        for (auto& lane : h) {
            lane = (lane ^ mixed) * 0x9e3779b97f4a7c15ull;
            lane = (lane << 27) | (lane >> 37);
        }
    };
    char carry[8];
    std::size_t carried = 0;  // bytes of a word begun at the end of a part
    for (std::string_view part : parts) {
        std::size_t i = 0;
        while (carried > 0 && carried < 8 && i < part.size()) carry[carried++] = part[i++];
        if (carried == 8) {
            std::uint64_t word;
            std::memcpy(&word, carry, 8);
            add(word);
            carried = 0;
        }
        for (; i + 8 <= part.size(); i += 8) {
            std::uint64_t word;
            std::memcpy(&word, part.data() + i, 8);
            add(word);
        }
        while (i < part.size()) carry[carried++] = part[i++];
    }
    std::uint64_t tail = 0;
    if (carried > 0) std::memcpy(&tail, carry, carried);
    std::array<std::uint64_t, Lanes> out;
    for (std::size_t k = 0; k < Lanes; ++k) out[k] = mix((h[k] ^ mix(tail ^ seeds[k])) * 0x9e3779b97f4a7c15ull);
    return out;
}

}  // namespace

RecordHash hash_parts(std::initializer_list<std::string_view> parts) {
    return hash_lanes<2>(parts);
}

std::uint64_t hash_parts_first(std::initializer_list<std::string_view> parts) {
    return hash_lanes<1>(parts)[0];
}

std::filesystem::path snapshot_records_file(const std::filesystem::path& state_file) {
    std::filesystem::path records = state_file;
    records.replace_filename(state_file.stem().string() + ".snapshots" + state_file.extension().string());
    return records;
}

namespace {

// Where a record with this hash goes first: its hash's first 64 bits as the
// rowid. Another record whose hash begins alike (about once in 10^10 stores of
// a million records) takes the next free rowid; records are never deleted, so
// the rowids from a hash's first to its record are all taken.
std::int64_t first_slot(const RecordHash& hash) {
    return static_cast<std::int64_t>(hash[0]);
}
std::int64_t next_slot(std::int64_t slot) {
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(slot) + 1);
}

// Finds stored records by hash: in the records file, or where 0.1
// development builds kept them, in the state database (snapshot_rows, or
// before it snapshot_records).
class RecordLookup {
public:
    explicit RecordLookup(sqlite3* db) : record_(db, "SELECT hash, data FROM records.snapshot_data WHERE id = ?") {
        for (const char* table : {"snapshot_rows", "snapshot_records"}) {
            SqliteStatement exists(db, "SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = ?");
            exists.bind(1, std::string_view(table));
            if (exists.next())
                legacy_.push_back(std::make_unique<SqliteStatement>(
                    db, std::string("SELECT hash, data FROM main.") + table + " WHERE hash = ?"));
            exists.next();
        }
    }
    // The statement positioned on the record (column 1: its bytes), or null.
    // The caller steps it to its end before the next lookup.
    SqliteStatement* find(const RecordHash& hash) {
        const std::string_view bytes = as_bytes(hash);
        for (std::int64_t slot = first_slot(hash);; slot = next_slot(slot)) {
            record_.bind(1, slot);
            if (!record_.next()) break;
            if (record_.blob(0) == bytes) return &record_;
            record_.next();
        }
        for (auto& statement : legacy_) {
            statement->bind_blob(1, bytes);
            if (statement->next()) return statement.get();
        }
        return nullptr;
    }
    bool holds(const RecordHash& hash) {
        SqliteStatement* found = find(hash);
        if (found == nullptr) return false;
        found->next();
        return true;
    }

private:
    SqliteStatement record_;
    std::vector<std::unique_ptr<SqliteStatement>> legacy_;
};

// Blocks hold records one after the other, each as its hash (16 bytes), its
// size (varint) and its bytes; a block is written once about this full.
constexpr std::size_t block_bytes = std::size_t{128} << 10;

RecordPlace place_of(std::int64_t block, std::size_t offset) {
    if (block <= 0 || block > std::int64_t{UINT32_MAX} || offset > UINT32_MAX)
        throw Error("the snapshot records file has no room for another block");
    return (static_cast<std::uint64_t>(block) << 32) | offset;
}

// Appends records to the records file, a block at a time, and tells where
// each went.
class BlockWriter {
public:
    BlockWriter(sqlite3* db, std::vector<RecordPlace>& places)
        : db_(db), places_(places), insert_(db, "INSERT INTO records.snapshot_blocks(records, data) VALUES(?, ?)") {}

    // Record `i` of the list.
    void add(std::size_t i, const RecordHash& hash, std::string_view bytes) {
        entries_.emplace_back(i, data_.size());
        data_.append(as_bytes(hash));
        put_varint(data_, bytes.size());
        data_.append(bytes);
        if (data_.size() >= block_bytes) flush();
    }

    void flush() {
        if (entries_.empty()) return;
        insert_.bind(1, static_cast<std::int64_t>(entries_.size())).bind_blob(2, data_).run();
        const std::int64_t block = sqlite3_last_insert_rowid(db_);
        for (const auto& [i, offset] : entries_) places_[i] = place_of(block, offset);
        entries_.clear();
        data_.clear();
    }

private:
    sqlite3* db_;
    std::vector<RecordPlace>& places_;
    SqliteStatement insert_;
    std::string data_;
    std::vector<std::pair<std::size_t, std::size_t>> entries_;  // list position, offset in data_
};

// Finds stored records by place, or (place 0) by hash; each checked against
// its hash. Keeps the last few blocks read: a list's records mostly follow
// each other in their blocks.
class RecordFinder {
public:
    explicit RecordFinder(sqlite3* db)
        : legacy_(db), block_(db, "SELECT data FROM records.snapshot_blocks WHERE id = ?") {}

    // The record's bytes into `out`; false when it is not there.
    bool find(const RecordHash& hash, RecordPlace place, std::string& out) {
        if (place == 0) {
            SqliteStatement* found = legacy_.find(hash);
            if (found == nullptr) return false;
            out.assign(found->blob(1));
            found->next();
            return true;
        }
        const std::string* data = block(static_cast<std::int64_t>(place >> 32));
        const std::size_t offset = place & 0xffffffffu;
        if (data == nullptr || offset > data->size() || data->size() - offset < sizeof(RecordHash)) return false;
        if (std::string_view(*data).substr(offset, sizeof(RecordHash)) != as_bytes(hash)) return false;
        Reader entry(std::string_view(*data).substr(offset + sizeof(RecordHash)));
        try {
            out = entry.text();
        } catch (const Error&) {
            return false;
        }
        return true;
    }
    bool holds(const RecordHash& hash, RecordPlace place) {
        std::string bytes;
        return find(hash, place, bytes);
    }

private:
    const std::string* block(std::int64_t id) {
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

    RecordLookup legacy_;
    SqliteStatement block_;
    std::vector<std::pair<std::int64_t, std::string>> cache_;  // oldest first
};

std::vector<RecordPlace> places_of(std::string_view packed, std::size_t count) {
    std::vector<RecordPlace> places(count, 0);
    if (packed.empty()) return places;  // a list stored before blocks: every record by its hash
    const std::string bytes = inflate(packed);
    if (bytes.size() != count * sizeof(RecordPlace)) throw Error("a stored snapshot's places are corrupt");
    if (count > 0) std::memcpy(places.data(), bytes.data(), bytes.size());
    return places;
}

StoredList list_of(std::string_view hashes, std::string_view packed_places) {
    StoredList list;
    list.hashes.resize(hashes.size() / sizeof(RecordHash));
    if (!list.hashes.empty()) std::memcpy(list.hashes.data(), hashes.data(), list.hashes.size() * sizeof(RecordHash));
    list.places = places_of(packed_places, list.hashes.size());
    return list;
}

}  // namespace

SnapshotStore::SnapshotStore(sqlite3* db, const std::filesystem::path& records_file) : db_(db) {
    // Records live in a file of their own, attached, in a rollback journal:
    // a page the file did not have needs no journal, so a large snapshot's
    // pages are written once, where WAL writes them twice. Nothing else is
    // written there, and it is written a run at a time.
    bool attached = false;
    {
        SqliteStatement list(db_, "PRAGMA database_list");
        while (list.next()) attached = attached || list.text(1) == "records";
    }
    if (!attached) {
        SqliteStatement attach(db_, "ATTACH DATABASE ? AS records");
        try {
            attach.bind(1, records_file.string()).run();
        } catch (const Error& e) {
            throw Error("cannot open the snapshot records file " + records_file.string() + ": " + e.what());
        }
    }
    // FULL: in a rollback journal, NORMAL may leave a file corrupt after a
    // power cut on some filesystems; records of past runs cannot be made again.
    execute(db_, "PRAGMA records.synchronous=FULL");
    execute(db_,
            "CREATE TABLE IF NOT EXISTS records.snapshot_data (id INTEGER PRIMARY KEY, hash BLOB NOT NULL, "
            "data BLOB NOT NULL)");
    execute(db_,
            "CREATE TABLE IF NOT EXISTS records.snapshot_blocks (id INTEGER PRIMARY KEY, records INTEGER NOT NULL, "
            "data BLOB NOT NULL)");
    execute(db_,
            "CREATE TABLE IF NOT EXISTS snapshot_lists (key TEXT PRIMARY KEY, pipeline TEXT NOT NULL, "
            "users INTEGER NOT NULL, stored_at TEXT NOT NULL, meta BLOB NOT NULL, records BLOB NOT NULL, "
            "origins BLOB NOT NULL, places BLOB)");
    // Lists stored before blocks have no places: their records are found by hash.
    SqliteStatement places(db_, "SELECT 1 FROM pragma_table_info('snapshot_lists') WHERE name = 'places'");
    const bool has_places = places.next();
    if (has_places) places.next();
    if (!has_places) execute(db_, "ALTER TABLE snapshot_lists ADD COLUMN places BLOB");
}

namespace {

std::size_t varint_size(std::uint64_t value) {
    std::size_t size = 1;
    for (; value >= 0x80; value >>= 7) ++size;
    return size;
}
std::size_t text_size(std::string_view text) {
    return varint_size(text.size()) + text.size();
}

// What encode_record writes, to the byte.
std::size_t record_size(const UserView& u) {
    std::size_t size = 1 + varint_size(u.departments.size());
    for (const auto* text : record_texts(u)) size += text_size(*text);
    for (const auto& path : u.departments) size += text_size(path);
    return size;
}

}  // namespace

EncodedSnapshot encode_snapshot(const Snapshot& snapshot) {
    EncodedSnapshot out;
    out.pipeline = snapshot.pipeline;
    // Sized once: growing a few hundred megabytes by doubling faults in and
    // copies twice as much.
    std::size_t records = 0, origins = 0;
    for (const UserView& user : snapshot.users) {
        records += record_size(user);
        origins += text_size(user.origin);
    }
    out.records.reserve(records);
    out.origins.reserve(origins);
    out.ends.reserve(snapshot.users.size());
    for (const UserView& user : snapshot.users) {
        encode_record(user, out.records);
        out.ends.push_back(out.records.size());
        put_text(out.origins, user.origin);
    }
    out.meta = meta_of(snapshot);
    return out;
}

EncodedSnapshot refer_to_snapshot(const Snapshot& snapshot) {
    EncodedSnapshot out;
    out.pipeline = snapshot.pipeline;
    out.users = &snapshot.users;
    out.meta = meta_of(snapshot);
    return out;
}

EncodedSnapshot compose_snapshot(const Snapshot& read, const StoredList& list, const std::vector<std::int64_t>& from,
                                 const std::vector<std::string>& origins) {
    if (origins.size() != from.size()) throw Error("a composed snapshot needs every record's origin");
    const std::vector<RecordHash>& base = list.hashes;
    if (list.places.size() != base.size()) throw Error("a composed snapshot's base list has no place for each record");
    EncodedSnapshot out = refer_to_snapshot(read);
    out.base = &list;
    out.stored.resize(from.size());
    out.stored_places.resize(from.size());
    std::size_t read_count = 0, bytes = 0;
    for (std::size_t i = 0; i < from.size(); ++i) {
        if (from[i] < 0) {
            ++read_count;
        } else {
            if (static_cast<std::size_t>(from[i]) >= base.size())
                throw Error("a composed snapshot names record " + std::to_string(from[i]) + " of a snapshot of " +
                            std::to_string(base.size()));
            out.stored[i] = base[static_cast<std::size_t>(from[i])];
            out.stored_places[i] = list.places[static_cast<std::size_t>(from[i])];
        }
        bytes += text_size(origins[i]);
    }
    if (read_count != read.users.size())
        throw Error("a composed snapshot reads " + std::to_string(read_count) + " records, not " +
                    std::to_string(read.users.size()));
    out.origins.reserve(bytes);
    for (const auto& origin : origins) put_text(out.origins, origin);
    return out;
}

std::string_view EncodedSnapshot::record(std::size_t i, std::string& scratch) const {
    if (users != nullptr) {
        scratch.clear();
        encode_record((*users)[i], scratch);
        return scratch;
    }
    const std::size_t begin = i == 0 ? 0 : ends[i - 1];
    return std::string_view(records).substr(begin, ends[i] - begin);
}

std::string SnapshotStore::store(const EncodedSnapshot& snapshot) {
    // Every record's hash; the list of hashes is the snapshot.
    const std::size_t n = snapshot.size();
    std::string scratch;
    std::vector<RecordHash> hashes(n);
    // Where each record's bytes are among those read (a composed snapshot's
    // stored records have none: they are never missing).
    std::vector<std::size_t> read_at;
    const bool composed = !snapshot.stored.empty();
    if (composed) {
        read_at.assign(n, SIZE_MAX);
        std::size_t k = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (snapshot.stored[i] != RecordHash{}) {
                hashes[i] = snapshot.stored[i];
                continue;
            }
            read_at[i] = k;
            hashes[i] = hash_bytes(snapshot.record(k++, scratch));
        }
        if (snapshot.stored_places.size() != n) throw Error("a composed snapshot has no place for each record");
        RecordFinder finder(db_);
        for (const std::size_t i : {std::size_t{0}, n / 2, n - 1})
            if (snapshot.stored[i] != RecordHash{} && !finder.holds(snapshot.stored[i], snapshot.stored_places[i]))
                throw Error("the records of the snapshot this run started from are gone from the records file");
    } else {
        for (std::size_t i = 0; i < n; ++i) hashes[i] = hash_bytes(snapshot.record(i, scratch));
    }
    auto bytes = [&](std::size_t i) { return snapshot.record(composed ? read_at[i] : i, scratch); };
    std::string read_origins;
    if (snapshot.users != nullptr && !composed)
        for (const UserView& user : *snapshot.users) put_text(read_origins, user.origin);
    const std::string& origins = snapshot.users != nullptr && !composed ? read_origins : snapshot.origins;
    const std::string_view list(reinterpret_cast<const char*>(hashes.data()), n * sizeof(RecordHash));
    const std::string key = hex(hash_parts({list, origins, snapshot.meta}));
    SqliteStatement exists(db_, "SELECT 1 FROM snapshot_lists WHERE key = ?");
    exists.bind(1, key);
    if (exists.next()) {
        exists.next();
        return key;
    }

    // Records the pipeline's previous snapshot holds are stored already (a
    // composed snapshot's: the one it was composed from).
    StoredList loaded;
    const StoredList* known_list = composed && snapshot.base != nullptr ? snapshot.base : &loaded;
    if (known_list == &loaded) {
        SqliteStatement previous(
            db_, "SELECT records, places FROM snapshot_lists WHERE pipeline = ? ORDER BY rowid DESC LIMIT 1");
        previous.bind(1, snapshot.pipeline);
        if (previous.next()) {
            try {
                loaded = list_of(previous.blob(0), previous.blob(1));
            } catch (const Error&) {
                loaded = {};  // a damaged list is no guide either
            }
            previous.next();
        }
    }
    // A previous list whose records are not here (the records file was lost
    // or replaced) is no guide: then every record is stored again.
    const StoredList none;
    if (!known_list->hashes.empty()) {
        RecordFinder finder(db_);
        const std::size_t m = known_list->hashes.size();
        for (const std::size_t k : {std::size_t{0}, m / 2, m - 1})
            if (!finder.holds(known_list->hashes[k], known_list->places[k])) {
                known_list = &none;
                break;
            }
    }
    const StoredList& known = *known_list;
    // Exports keep their order from one run to the next, so the previous
    // list is walked alongside; where they part, an index of it by hash
    // (made at the first such place) finds where to go on. A composed
    // snapshot's stored records are where it says.
    std::vector<RecordPlace> places(n, 0);
    std::vector<std::size_t> missing;
    auto known_at = [&known](std::size_t k) { return known.hashes[k]; };
    std::optional<flat::HashPositions<decltype(known_at)>> index;
    for (std::size_t i = 0, at = 0; i < n; ++i) {
        if (composed && read_at[i] == SIZE_MAX) {
            places[i] = snapshot.stored_places[i];
            continue;
        }
        if (at < known.hashes.size() && known.hashes[at] == hashes[i]) {
            places[i] = known.places[at++];
            continue;
        }
        if (!index) index.emplace(known_at, known.hashes.size());
        const std::size_t found = index->find(hashes[i]);
        if (found == flat::HashPositions<decltype(known_at)>::none) {
            missing.push_back(i);
        } else {
            places[i] = known.places[found];
            at = found + 1;
        }
    }
    // The records first, appended in the snapshot's order: a list is stored
    // only once every record it names is. Blocks left by a run that stopped
    // between the two are named by no list.
    if (!missing.empty()) {
        execute(db_, "BEGIN");  // locks only the records file, at the first insert
        try {
            BlockWriter blocks(db_, places);
            for (std::size_t i : missing) blocks.add(i, hashes[i], bytes(i));
            blocks.flush();
            execute(db_, "COMMIT");
        } catch (...) {
            execute(db_, "ROLLBACK");
            throw;
        }
    }
    execute(db_, "BEGIN IMMEDIATE");
    try {
        const std::string packed_meta = deflate(snapshot.meta), packed_origins = deflate(origins);
        const std::string packed_places =
            deflate(std::string(reinterpret_cast<const char*>(places.data()), n * sizeof(RecordPlace)));
        const std::string at = Poco::DateTimeFormatter::format(Poco::Timestamp(), Poco::DateTimeFormat::ISO8601_FORMAT);
        SqliteStatement add(
            db_,
            "INSERT INTO snapshot_lists(key, pipeline, users, stored_at, meta, records, origins, places) "
            "VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
        add.bind(1, key).bind(2, snapshot.pipeline).bind(3, static_cast<std::int64_t>(n)).bind(4, at);
        add.bind_blob(5, packed_meta).bind_blob(6, list).bind_blob(7, packed_origins).bind_blob(8, packed_places).run();
        execute(db_, "COMMIT");
    } catch (...) {
        execute(db_, "ROLLBACK");
        throw;
    }
    return key;
}

StoredList SnapshotStore::list(const std::string& key) {
    SqliteStatement select(db_, "SELECT records, places FROM snapshot_lists WHERE key = ?");
    select.bind(1, key);
    if (!select.next()) throw Error("the state database holds no snapshot " + key);
    StoredList list = list_of(select.blob(0), select.blob(1));
    select.next();
    return list;
}

Snapshot SnapshotStore::load(const std::string& key) {
    SqliteStatement select(db_, "SELECT meta, records, origins, stored_at, places FROM snapshot_lists WHERE key = ?");
    select.bind(1, key);
    if (!select.next()) throw Error("the state database holds no snapshot " + key);
    const std::string stored_at(select.text(3));
    const json meta = json::parse(inflate(select.blob(0)));
    StoredList list;
    try {
        list = list_of(select.blob(1), select.blob(4));
    } catch (const Error& e) {
        throw Error("snapshot " + key + " in the state database: " + e.what());
    }
    const std::string origins = inflate(select.blob(2));
    Reader origins_reader(origins);
    select.next();

    Snapshot s;
    s.pipeline = meta.at("pipeline").get<std::string>();
    s.origin = meta.at("origin").get<std::string>();
    s.received_at = stored_at;
    s.request_id = meta.at("request_id").get<std::string>();
    for (const auto& [k, v] : meta.at("field_labels").items()) s.field_labels[k] = v.get<std::string>();
    for (const auto& f : meta.at("findings"))
        s.findings.push_back({f[0] == "error" ? Severity::error : Severity::warning, f[1], f[2], f[3]});

    const std::size_t n = list.hashes.size();
    s.users.reserve(n);
    RecordFinder records(db_);
    std::string bytes;
    User u;
    for (std::size_t i = 0; i < n; ++i) {
        if (!records.find(list.hashes[i], list.places[i], bytes))
            throw Error("the state database lost a record of snapshot " + key);
        Reader r(bytes);
        for (std::string* text : record_texts(u)) *text = r.text();
        u.active = r.byte();
        u.departments.resize(r.varint());
        for (auto& path : u.departments) path = r.text();
        u.origin = origins_reader.text();
        s.users.push_back(u);
    }
    return s;
}

}  // namespace peoplesync::core
