// What the state store reads back from disk, damaged: a snapshot record's
// bytes (decode_record), a stored list (list_of: hashes and deflated
// places), a rows cache file (StateStore::run_rows), whose checksum the
// target makes right so the damage reaches the parser behind it, and the
// webhook sink's state in the outbox (parse_state of bytes). A damaged
// input is an Error (or, for a rows file, read as missing), never a crash;
// what decodes re-encodes to bytes that decode to the same; what is encoded
// decodes to what was encoded.
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <peoplesync/model.hpp>
#include <peoplesync/snapshot_json.hpp>

#include "block_store.hpp"
#include "fuzz_support.hpp"
#include "hash.hpp"
#include "record_codec.hpp"
#include "state_store.hpp"
#include "webhook_state.hpp"

using namespace peoplesync;
using namespace peoplesync::core;

namespace {

std::string encoded(const UserView& user) {
    std::string out;
    encode_record(user, out);
    fuzz::check(out.size() == record_size(user), "record_size() differs from what encode_record() writes");
    return out;
}

// Bytes that decode re-encode to bytes that decode to the same user.
void decode_damaged_record(std::string_view bytes) {
    User user;
    try {
        decode_record(bytes, user);
    } catch (const Error&) {
        return;
    }
    const std::string once = encoded(user);
    User again;
    decode_record(once, again);
    fuzz::check(encoded(again) == once, "a decoded record does not re-encode consistently");
}

// Users made of the bytes, split at NULs into texts: encoded, they decode to
// themselves.
void round_trip(std::string_view bytes) {
    User user;
    std::size_t k = 0;
    std::vector<std::string> parts;
    for (std::size_t from = 0; from <= bytes.size();) {
        const std::size_t to = std::min(bytes.find('\0', from), bytes.size());
        parts.emplace_back(bytes.substr(from, to - from));
        from = to + 1;
    }
    for_each_text(user, [&](std::string& text) {
        if (k < parts.size()) text = parts[k++];
    });
    user.active = !bytes.empty() && (bytes.front() & 1);
    for (; k < parts.size(); ++k) user.departments.push_back(parts[k]);
    const std::string once = encoded(user);
    User back;
    decode_record(once, back);
    fuzz::check(encoded(back) == once, "a record does not decode to what was encoded");
    fuzz::check(back.departments == user.departments && back.active == user.active,
                "a record's departments or active flag changed on the way");
}

void read_list(std::string_view bytes) {
    if (bytes.size() < 2) return;
    const std::size_t split =
        (static_cast<unsigned char>(bytes[0]) << 8 | static_cast<unsigned char>(bytes[1])) % (bytes.size() - 1);
    bytes.remove_prefix(2);
    try {
        const StoredList list = list_of(bytes.substr(0, split), bytes.substr(split));
        fuzz::check(list.places.size() == list.hashes.size(), "a list has more places than hashes, or fewer");
    } catch (const Error&) {
    }
}

// The rows file of run 1 of pipeline "p", with the right magic, family and
// checksum around `body`.
void read_rows_file(std::string_view body) {
    static const std::filesystem::path folder = [] {
        char name[] = "/tmp/peoplesync-fuzz-rows-XXXXXX";
        if (mkdtemp(name) == nullptr) fuzz::fail("no temporary folder");
        return std::filesystem::path(name);
    }();
    static StateStore store(folder / "state.db");
    const std::uint64_t family = hash::family;
    std::string file = "PSROWS02";
    file.append(reinterpret_cast<const char*>(&family), sizeof family);
    file.append(body);
    const std::uint64_t checksum = hash_parts64({file});
    file.append(reinterpret_cast<const char*>(&checksum), sizeof checksum);
    std::filesystem::create_directories(run_rows_folder(store.file()));
    {
        std::ofstream out(run_rows_folder(store.file()) / "70-1.rows", std::ios::binary | std::ios::trunc);
        out.write(file.data(), static_cast<std::streamsize>(file.size()));
    }
    const std::optional<RunRows> rows = store.run_rows("p", 1);
    if (!rows) return;
    std::size_t text_bytes = 0;
    for (std::size_t i = 0; i < rows->size(); ++i) {
        text_bytes += rows->hris_id(i).size() + rows->manager(i).size();
        (void)rows->hash(i);
        (void)rows->email_hash(i);
    }
    fuzz::check(text_bytes == rows->text_bytes(), "a rows file's texts overlap or leave gaps");
}

// A webhook sink's state of bytes: an Error, or a state that writes bytes
// that read back to the same.
void read_webhook_state(std::string_view bytes) {
    std::string state = "PSWS";
    state.append(bytes);
    webhook_sink::WebhookState read;
    try {
        read = webhook_sink::parse_state(state);
    } catch (const Error&) {
        return;
    }
    const std::string once = webhook_sink::dump_state(read);
    fuzz::check(webhook_sink::dump_state(webhook_sink::parse_state(once)) == once,
                "a webhook sink state does not read back to what was written");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view bytes = fuzz::bytes(data + 1, size - 1);
    if ((data[0] & 7) == 4) {
        read_webhook_state(bytes);
        return 0;
    }
    switch (data[0] & 3) {
        case 0:
            decode_damaged_record(bytes);
            break;
        case 1:
            round_trip(bytes);
            break;
        case 2:
            read_list(bytes);
            break;
        default:
            read_rows_file(bytes);
            break;
    }
    return 0;
}
