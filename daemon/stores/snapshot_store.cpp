#include "snapshot_store.hpp"

#include <cstdint>
#include <optional>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Exception.h>
#include <nlohmann/json.hpp>

#include "compression.hpp"
#include "flat_index.hpp"
#include "hash.hpp"
#include "record_codec.hpp"
#include "sqlite_statement.hpp"

namespace peoplesync::core {

using nlohmann::json;
using sqlite::execute;
using sqlite::roll_back;
using sqlite::SqliteStatement;

namespace {

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

std::string inflated(std::string_view data) {
    try {
        return inflate(data);
    } catch (const Poco::Exception& e) {
        throw Error("a stored snapshot is corrupt: " + e.displayText());
    }
}

}  // namespace

std::filesystem::path snapshot_records_file(const std::filesystem::path& state_file) {
    std::filesystem::path records = state_file;
    records.replace_filename(state_file.stem().string() + ".snapshots" + state_file.extension().string());
    return records;
}

SnapshotStore::SnapshotStore(sqlite3* db, const std::filesystem::path& records_file) : db_(db) {
    attach_records_file(db_, records_file);
}

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
    if (list.hash_family != hash::family)
        throw Error("a composed snapshot's base list is of hash family " + std::to_string(list.hash_family) + ", not " +
                    std::to_string(hash::family));
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
    const std::string key = hash_hex(hash_parts({list, origins, snapshot.meta}));
    SqliteStatement exists(db_, "SELECT hash_family FROM snapshot_lists WHERE key = ?");
    exists.bind(1, key);
    if (exists.next()) {
        const std::int64_t family = exists.integer(0);
        exists.next();
        if (family == hash::family) return key;
        // Another family's key for other content: storing this one under it
        // would lose that snapshot.
        throw Error("the snapshot's key " + key + " is taken by a snapshot of hash family " + std::to_string(family) +
                    "; nothing was stored");
    }

    // Records the pipeline's previous snapshot holds are stored already (a
    // composed snapshot's: the one it was composed from).
    StoredList loaded;
    const StoredList* known_list = composed && snapshot.base != nullptr ? snapshot.base : &loaded;
    if (known_list == &loaded) {
        SqliteStatement previous(db_,
                                 "SELECT records, places, hash_family FROM snapshot_lists WHERE pipeline = ? "
                                 "ORDER BY rowid DESC LIMIT 1");
        previous.bind(1, snapshot.pipeline);
        // A list of another hash family is no guide: its hashes may name
        // other bytes than this build's do.
        if (previous.next() && previous.integer(2) == hash::family) {
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
            roll_back(db_);
            throw;
        }
    }
    const std::string packed_blocks = pack_blocks(blocks_of(places));
    execute(db_, "BEGIN IMMEDIATE");
    try {
        const std::string packed_meta = deflate(snapshot.meta, 1), packed_origins = deflate(origins, 1);
        const std::string packed_places =
            deflate(std::string_view(reinterpret_cast<const char*>(places.data()), n * sizeof(RecordPlace)), 1);
        const std::string at = Poco::DateTimeFormatter::format(Poco::Timestamp(), Poco::DateTimeFormat::ISO8601_FORMAT);
        SqliteStatement add(
            db_,
            "INSERT INTO snapshot_lists(key, pipeline, users, stored_at, meta, records, origins, places, hash_family) "
            "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)");
        add.bind(1, key).bind(2, snapshot.pipeline).bind(3, static_cast<std::int64_t>(n)).bind(4, at);
        add.bind_blob(5, packed_meta).bind_blob(6, list).bind_blob(7, packed_origins).bind_blob(8, packed_places);
        add.bind(9, static_cast<std::int64_t>(hash::family)).run();
        SqliteStatement(db_, "INSERT OR REPLACE INTO snapshot_list_blocks(key, blocks) VALUES(?, ?)")
            .bind(1, key)
            .bind_blob(2, packed_blocks)
            .run();
        execute(db_, "COMMIT");
    } catch (...) {
        roll_back(db_);
        throw;
    }
    return key;
}

StoredList SnapshotStore::list(const std::string& key) {
    SqliteStatement select(db_, "SELECT records, places, hash_family FROM snapshot_lists WHERE key = ?");
    select.bind(1, key);
    if (!select.next()) throw Error("the state database holds no snapshot " + key);
    StoredList list;
    try {
        list = list_of(select.blob(0), select.blob(1));
    } catch (const Error& e) {
        throw Error("snapshot " + key + " in the state database: " + e.what());
    }
    list.hash_family = static_cast<std::uint32_t>(select.integer(2));
    select.next();
    return list;
}

bool SnapshotStore::holds(const std::string& key) {
    SqliteStatement select(db_, "SELECT 1 FROM snapshot_lists WHERE key = ?");
    select.bind(1, key);
    const bool found = select.next();
    if (found) select.next();
    return found;
}

Snapshot SnapshotStore::load(const std::string& key) {
    SqliteStatement select(db_, "SELECT meta, records, origins, stored_at, places FROM snapshot_lists WHERE key = ?");
    select.bind(1, key);
    if (!select.next()) throw Error("the state database holds no snapshot " + key);
    const std::string stored_at(select.text(3));
    // The list first: one of a format no release wrote says so.
    StoredList list;
    try {
        list = list_of(select.blob(1), select.blob(4));
    } catch (const Error& e) {
        throw Error("snapshot " + key + " in the state database: " + e.what());
    }
    const json meta = json::parse(inflated(select.blob(0)));
    const std::string origins = inflated(select.blob(2));
    ByteReader origins_reader(origins);
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
        decode_record(bytes, u);
        u.origin = origins_reader.text();
        s.users.push_back(u);
    }
    return s;
}

}  // namespace peoplesync::core
