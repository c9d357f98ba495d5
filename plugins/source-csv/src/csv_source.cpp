// source `csv`: people from an HRIS export file. Columns feed schema fields by
// header name, value maps translate the export's wording, and every finding
// names the file, the line and the column.
#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include <peoplesync/plugin.hpp>

#include "csv_reader.hpp"
#include "csv_settings.hpp"
#include "row_mapper.hpp"

namespace peoplesync::csv {

namespace {

constexpr std::int64_t progress_every = 50000;

// The file `path` names; for a pattern, the newest match (by modification
// time, then by the greater name).
std::filesystem::path choose_file(const CsvSettings& settings) {
    namespace fs = std::filesystem;
    fs::path path(settings.path);
    if (!settings.is_glob) return path;
    const std::string pattern = path.filename().string();
    std::error_code ec;
    fs::directory_iterator it(path.parent_path(), ec);
    if (ec)
        throw Error("no file matches \"" + settings.path + "\" (" + path.parent_path().string() + ": " + ec.message() +
                    ")");
    fs::path best;
    fs::file_time_type best_time;
    for (const auto& entry : it) {
        const std::string name = entry.path().filename().string();
        // As in a shell, a pattern matches hidden files only when it says so.
        if (name.front() == '.' && pattern.front() != '.') continue;
        if (!matches_wildcard(pattern, name) || !entry.is_regular_file(ec)) continue;
        const auto time = entry.last_write_time(ec);
        if (ec) continue;
        if (best.empty() || time > best_time || (time == best_time && entry.path().filename() > best.filename())) {
            best = entry.path();
            best_time = time;
        }
    }
    if (best.empty()) throw Error("no file matches \"" + settings.path + "\"");
    return best;
}

std::uint64_t mix(std::uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

// A 128-bit digest of a file's bytes at memory speed (not a cryptographic
// one: it tells an unchanged export from a changed one, nothing more).
std::string file_digest(const std::filesystem::path& file) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(file.string().c_str(), "rb"), &std::fclose);
    if (!in) return "";  // read() says why
    std::array<std::uint64_t, 2> h = {0x243f6a8885a308d3ull, 0x13198a2e03707344ull};
    std::uint64_t size = 0;
    std::vector<char> buffer(std::size_t{1} << 20);
    for (;;) {
        const std::size_t got = std::fread(buffer.data(), 1, buffer.size(), in.get());
        if (got == 0) break;
        std::size_t i = 0;
        for (; i + 8 <= got; i += 8) {
            std::uint64_t word;
            std::memcpy(&word, buffer.data() + i, 8);
            h[0] = ((h[0] ^ mix(word)) * 0x9e3779b97f4a7c15ull);
            h[0] = (h[0] << 27) | (h[0] >> 37);
            h[1] = ((h[1] ^ word) * 0xff51afd7ed558ccdull) + size + i;
            h[1] = (h[1] << 31) | (h[1] >> 33);
        }
        std::uint64_t tail = 0;
        std::memcpy(&tail, buffer.data() + i, got - i);
        h[0] = mix(h[0] ^ mix(tail + got - i));
        h[1] = mix(h[1] ^ tail ^ (got - i));
        size += got;
    }
    if (std::ferror(in.get())) return "";
    char text[64];
    std::snprintf(text, sizeof text, "%016llx%016llx-%llu", static_cast<unsigned long long>(mix(h[0] ^ size)),
                  static_cast<unsigned long long>(mix(h[1] + size)), static_cast<unsigned long long>(size));
    return text;
}

}  // namespace

class CsvSource final : public Source {
public:
    static constexpr const char* type = "csv";
    static constexpr const char* description =
        "People from a CSV export of the HRIS: columns mapped by header, value maps, newest file of a pattern.";
    static std::vector<OptionSpec> options() { return csv_options(); }

    CsvSource(const ConfigValue& config, Host& host) : host_(host), settings_(parse_settings(config, host)) {}

    Snapshot read(ReadContext& context) override {
        const std::filesystem::path file = choose_file(settings_);
        const std::string file_name = file.filename().string();
        host_.log().info("reading " + file.string());

        Snapshot snapshot;
        snapshot.origin = "file " + file.string();
        // Sized once: a million users must not be moved while the vector grows.
        const std::int64_t line_ends = CsvReader::count_line_ends(file);
        CsvReader reader(file, file_name, settings_.delimiter);

        reader.skip_lines(settings_.header_line - 1);
        CsvRecord record;
        if (!reader.next(record)) {
            if (settings_.header_line == 1)
                throw Error(file_name + ": the file is empty; its first line must name the columns");
            throw Error(file_name + ": the file ends before line " + std::to_string(settings_.header_line) +
                        ", where header_line says the column names are");
        }
        const Layout layout = read_layout(record, settings_, file_name);
        for (std::size_t i = 0; i < field_count; ++i)
            if (layout.column[i] >= 0)
                snapshot.field_labels[std::string(name_of(static_cast<Field>(i)))] =
                    "column \"" + layout.headers[static_cast<std::size_t>(layout.column[i])] + "\"";
        if (!layout.unread.empty()) {
            std::string list;
            for (const auto& name : layout.unread) list += (list.empty() ? "" : ", ") + name;
            host_.log().info(file_name + ": no column for " + list + "; they are read as empty");
        }

        snapshot.users.reserve(
            static_cast<std::size_t>(std::max<std::int64_t>(line_ends + 1 - settings_.header_line, 0)));
        RowMapper rows(settings_, layout, file_name);
        std::int64_t count = 0;
        while (reader.next(record)) {
            rows.add(record, snapshot);
            if (++count % progress_every == 0) context.progress(count);
        }
        context.progress(count);
        if (settings_.manager_by != ManagerBy::hris_id && layout.of(Field::manager) >= 0)
            resolve_managers(snapshot, settings_.manager_by);
        return snapshot;
    }

    // The chosen file and its bytes: the same file with the same bytes reads
    // as the same snapshot.
    std::string input_digest() override {
        std::filesystem::path file;
        try {
            file = choose_file(settings_);
        } catch (const Error&) {
            return "";  // read() says why
        }
        const std::string digest = file_digest(file);
        return digest.empty() ? "" : file.string() + "\n" + digest;
    }

private:
    Host& host_;
    CsvSettings settings_;
};

}  // namespace peoplesync::csv

PEOPLESYNC_PLUGIN(peoplesync::csv::CsvSource)
