// The rows cache (<state>.rows/): per pipeline, the last clean run's record
// hashes, hris_ids, managers and email hashes, for change-only runs. A file
// is whole, as written (renamed into place, checksummed), or it is not read:
// a lost or damaged file costs one full read. No schema version: a file in
// another layout fails its magic or checksum and is read as missing. The
// hashes in it are of the hash family (hash.hpp) it names after its magic.
#include <algorithm>
#include <cstring>
#include <fstream>
#include <memory>

#include "hash.hpp"
#include "record_hash.hpp"
#include "state_store.hpp"

namespace peoplesync::core {

void RunRows::reserve(std::size_t records, std::size_t text_bytes) {
    hashes_.reserve(records);
    email_hashes_.reserve(records);
    ends_.reserve(2 * records);
    texts_.reserve(text_bytes);
}

void RunRows::add(std::uint64_t hash, std::string_view hris_id, std::string_view manager, std::uint64_t email_hash) {
    if (texts_.size() + hris_id.size() + manager.size() > UINT32_MAX)
        throw Error("a run's records name more than 4 GB of hris_ids");
    hashes_.push_back(hash);
    email_hashes_.push_back(email_hash);
    texts_ += hris_id;
    ends_.push_back(static_cast<std::uint32_t>(texts_.size()));
    texts_ += manager;
    ends_.push_back(static_cast<std::uint32_t>(texts_.size()));
}

namespace {

// PSROWS01: before the hash family was named in the file.
constexpr std::string_view rows_magic = "PSROWS02";

template <typename T>
bool take(std::string_view& in, std::size_t count, std::vector<T>& values) {
    if (count > in.size() / sizeof(T)) return false;
    values.resize(count);
    if (count > 0) std::memcpy(values.data(), in.data(), count * sizeof(T));
    in.remove_prefix(count * sizeof(T));
    return true;
}
std::uint64_t number(std::string_view& in) {
    std::uint64_t value = 0;
    if (in.size() >= sizeof value) std::memcpy(&value, in.data(), sizeof value);
    in.remove_prefix(std::min(in.size(), sizeof value));
    return value;
}
std::string text_of(std::uint64_t value) {
    return std::string(reinterpret_cast<const char*>(&value), sizeof value);
}

// "<hex of the pipeline's name>-": its files' names start so.
std::string rows_prefix(const std::string& pipeline) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : pipeline) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out + "-";
}

}  // namespace

std::filesystem::path run_rows_folder(const std::filesystem::path& state_file) {
    std::filesystem::path folder = state_file;
    folder.replace_extension(".rows");
    return folder;
}

std::filesystem::path StateStore::rows_file(const std::string& pipeline, std::int64_t run_id) const {
    return run_rows_folder(file_) / (rows_prefix(pipeline) + std::to_string(run_id) + ".rows");
}

std::optional<RunRows> StateStore::run_rows(const std::string& pipeline, std::int64_t run_id) {
    std::ifstream in(rows_file(pipeline, run_id), std::ios::binary | std::ios::ate);
    if (!in) return std::nullopt;
    const auto size = static_cast<std::size_t>(std::max<std::streamoff>(in.tellg(), 0));
    const auto buffer = std::make_unique_for_overwrite<char[]>(size);  // read into, not cleared first
    in.seekg(0);
    if (!in.read(buffer.get(), static_cast<std::streamsize>(size))) return std::nullopt;
    const std::string_view bytes(buffer.get(), size);
    // Whole, as written, or nothing: then the next run reads everything.
    if (bytes.size() < rows_magic.size() + 4 * sizeof(std::uint64_t) || !bytes.starts_with(rows_magic)) return {};
    std::string_view body(bytes.data(), bytes.size() - sizeof(std::uint64_t));
    std::string_view tail(bytes.data() + body.size(), sizeof(std::uint64_t));
    if (number(tail) != hash_parts64({body})) return std::nullopt;
    body.remove_prefix(rows_magic.size());
    // Hashes of another family say nothing about this build's.
    if (number(body) != hash::family) return std::nullopt;
    const std::uint64_t count = number(body), text_bytes = number(body);
    RunRows rows;
    rows.run_id = run_id;
    if (!take(body, count, rows.hashes_) || !take(body, count, rows.email_hashes_) ||
        !take(body, 2 * count, rows.ends_) || body.size() != text_bytes ||
        !std::is_sorted(rows.ends_.begin(), rows.ends_.end()) ||
        (rows.ends_.empty() ? 0 : rows.ends_.back()) != text_bytes)
        return std::nullopt;
    rows.texts_ = body;
    return rows;
}

std::future<void> StateStore::store_run_rows_async(const std::string& pipeline, std::function<RunRows()> make,
                                                   std::shared_future<void> start) {
    return std::async(std::launch::async, [this, pipeline, make = std::move(make), start]() {
        if (start.valid()) start.wait();
        RunRows rows = make();
        const std::filesystem::path file = rows_file(pipeline, rows.run_id);
        // Written part by part, each checked into the checksum on its way
        // (as hash_parts64() of the file without it): no copy of the
        // whole (80 MB for a million records).
        const std::string family = text_of(hash::family), count = text_of(rows.hashes_.size()),
                          text_bytes = text_of(rows.texts_.size());
        auto bytes_of = [](const auto& part) {
            return std::string_view(reinterpret_cast<const char*>(part.data()), part.size() * sizeof(part[0]));
        };
        const std::initializer_list<std::string_view> parts = {
            rows_magic,           family,     count, text_bytes, bytes_of(rows.hashes_), bytes_of(rows.email_hashes_),
            bytes_of(rows.ends_), rows.texts_};
        const std::string checksum = text_of(hash_parts64(parts));
        // Written beside and renamed into place: never half a file.
        std::filesystem::create_directories(file.parent_path());
        std::filesystem::path part = file;
        part += ".part";
        {
            std::ofstream out(part, std::ios::binary | std::ios::trunc);
            for (std::string_view bytes : parts) out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
            out.write(checksum.data(), static_cast<std::streamsize>(checksum.size()));
            out.close();
            if (!out) throw Error("cannot write " + part.string());
        }
        std::filesystem::rename(part, file);
    });
}

void StateStore::keep_run_rows(const std::string& pipeline, std::int64_t keep) {
    const std::string prefix = rows_prefix(pipeline), kept = prefix + std::to_string(keep) + ".rows";
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(run_rows_folder(file_), ec)) {
        const std::string name = entry.path().filename().string();
        if (name.starts_with(prefix) && name != kept) std::filesystem::remove(entry.path(), ec);
    }
}

void StateStore::forget_run_rows(const std::string& pipeline, std::int64_t run_id) {
    std::error_code ec;
    std::filesystem::remove(rows_file(pipeline, run_id), ec);
}

}  // namespace peoplesync::core
