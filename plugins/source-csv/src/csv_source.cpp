// source `csv`: people from an HRIS export file. Columns feed schema fields by
// header name, value maps translate the export's wording, and every finding
// names the file, the line and the column.
#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include <peoplesync/change_only.hpp>
#include <peoplesync/plugin.hpp>

#include "csv_reader.hpp"
#include "csv_settings.hpp"
#include "hash.hpp"
#include "manager_cells.hpp"
#include "record_splitter.hpp"
#include "row_index.hpp"
#include "row_mapper.hpp"
#include "two_threads.hpp"

namespace peoplesync::csv {

namespace {

constexpr std::int64_t progress_every = 50000;

// read_records() parses this many records at a time: enough to make taking
// the next chunk cheap, few enough that the two threads end close together.
constexpr std::size_t chunk_records = 8192;

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

// Bumped whenever the same bytes may read differently: hashes of an earlier
// version then never match.
constexpr std::uint64_t scan_format = 1;

// Everything in the settings that decides how a record reads, hashed: a
// record hash from before a configuration change never matches after it.
std::uint64_t settings_hash(const CsvSettings& settings) {
    std::string text = std::to_string(scan_format);
    auto add = [&text](std::string_view part) { text.append(std::to_string(part.size())).append(1, ':').append(part); };
    add(std::string_view(&settings.delimiter, 1));
    for (const std::string& column : settings.columns) add(column);
    for (const ValueMap& map : settings.values) {
        add(std::to_string(map.entries().size()));
        for (const ValueMap::Entry& entry : map.entries()) {
            add(entry.key);
            add(entry.text);
            add(entry.flag ? "1" : "0");
        }
    }
    add(settings.department_separator);
    add(settings.department_level_separator);
    add(to_string(settings.manager_by));
    return hash::bytes(text, 0x452821e638d01377ull);
}

[[noreturn]] void fail_without_header(const CsvSettings& settings, const std::string& file_name) {
    if (settings.header_line == 1) throw Error(file_name + ": the file is empty; its first line must name the columns");
    throw Error(file_name + ": the file ends before line " + std::to_string(settings.header_line) +
                ", where header_line says the column names are");
}

// Managers given by employee_id or email are found in the file itself, so a
// record's manager depends on other records.
bool finds_managers_in_file(const CsvSettings& settings, const Layout& layout) {
    return settings.manager_by != ManagerBy::hris_id && layout.of(Field::manager) >= 0;
}

}  // namespace

class CsvSource final : public Source, public RecordScanner {
public:
    static constexpr const char* type = "csv";
    static constexpr const char* description =
        "People from a CSV export of the HRIS: columns mapped by header, value maps, newest file of a pattern.";
    static std::vector<OptionSpec> options() { return csv_options().specs(); }

    CsvSource(const ConfigValue& config, Host& host)
        : host_(host), settings_(parse_settings(config, host)), settings_hash_(settings_hash(settings_)) {}

    Snapshot read(ReadContext& context) override {
        // A whole read needs none of it; its memory is better freed.
        scanned_.reset();
        digested_.reset();
        const std::filesystem::path file = choose_file(settings_);
        const std::string file_name = file.filename().string();
        host_.log().info("reading " + file.string());

        // Sized once: a million users must not be moved while the vector grows.
        const std::int64_t line_ends = CsvReader::count_line_ends(file);
        CsvReader reader(file, file_name, settings_.delimiter);

        reader.skip_lines(settings_.header_line - 1);
        CsvRecord record;
        if (!reader.next(record)) fail_without_header(settings_, file_name);
        const Layout layout = read_header(record, file_name);
        Snapshot snapshot = start_snapshot(file, layout);

        snapshot.users.reserve(
            static_cast<std::size_t>(std::max<std::int64_t>(line_ends + 1 - settings_.header_line, 0)));
        RowMapper rows(settings_, layout, file_name);
        std::int64_t count = 0;
        while (reader.next(record)) {
            rows.add(record, snapshot);
            if (++count % progress_every == 0) context.progress(count);
        }
        context.progress(count);
        if (finds_managers_in_file(settings_, layout)) resolve_managers(snapshot, settings_.manager_by);
        return snapshot;
    }

    // Reads the file whole and splits it into records without parsing them.
    // A record's hash covers its bytes, the header and the settings, and,
    // when managers are given by employee_id or email, whom its manager cell
    // finds: the hris_id (as the bytes of that row) or why it finds none.
    std::optional<RecordScan> scan(ReadContext& context) override {
        auto scanned = std::make_unique<Scanned>();
        // The file the digest chose; the digest of the bytes split goes with
        // the scan, for the run to store: the file may have changed since.
        scanned->file = digested_ ? std::move(digested_->file) : choose_file(settings_);
        scanned->bytes =
            FileBytes::read(scanned->file, scanned->file.filename().string(), take_bytes(), FileBytes::Digest::yes);
        scanned->file_name = scanned->file.filename().string();
        const std::string& file_name = scanned->file_name;
        host_.log().info("scanning " + scanned->file.string());

        std::string_view data = scanned->bytes.view();
        if (data.starts_with("\xEF\xBB\xBF")) data.remove_prefix(3);
        scanned->data = data;
        RecordSplitter splitter(data, file_name, settings_.delimiter);
        splitter.skip_lines(settings_.header_line - 1);
        RecordBounds bounds;
        if (!splitter.next(bounds)) fail_without_header(settings_, file_name);
        CsvReader parser(file_name, settings_.delimiter);
        CsvRecord header;
        parser.reset(data.substr(bounds.begin, std::min(bounds.end + 1, data.size()) - bounds.begin), bounds.line);
        parser.next(header);
        scanned->layout = read_header(header, file_name);
        const std::uint64_t seed = hash::bytes(data.substr(bounds.begin, bounds.end - bounds.begin), settings_hash_);
        const bool finds_managers = finds_managers_in_file(settings_, scanned->layout);

        // Rows are rarely shorter than half the header; reserved memory that
        // stays unused is never touched.
        const std::size_t expected =
            (data.size() - bounds.end) / std::max<std::size_t>((bounds.end - bounds.begin) / 2, 8) + 1;
        RecordScan result;
        result.digest = digest_text(scanned->file, scanned->bytes.digest());
        result.hashes.reserve(expected);
        result.origins.reserve(expected);
        RecordPlaces places;
        places.begins.reserve(expected + 1);
        places.lines.reserve(expected);
        if (finds_managers) {
            places.ends.reserve(expected);
            places.quoted.reserve(expected);
        }
        std::int64_t count = 0;
        while (splitter.next(bounds)) {
            result.hashes.push_back(hash::bytes(data.substr(bounds.begin, bounds.end - bounds.begin), seed));
            set_origin(result.origins.emplace_back(), file_name, bounds.line);
            places.begins.push_back(bounds.begin);
            places.lines.push_back(bounds.line);
            if (finds_managers) {
                places.ends.push_back(bounds.end);
                places.quoted.push_back(bounds.has_quote ? 1 : 0);
            }
            if (++count % progress_every == 0) context.progress(count);
        }
        places.begins.push_back(data.size());
        if (finds_managers) {
            const RowMapper rows(settings_, scanned->layout, file_name);
            ManagerCells cells(settings_, scanned->layout, rows, file_name, data);
            cells.read(places);
            scanned->managers = cells.match();
            mix_managers(cells, scanned->managers, places.lines, result.hashes);
            scanned->manager_ids = cells.manager_ids(scanned->managers);
        }
        scanned->begins = std::move(places.begins);
        scanned->lines = std::move(places.lines);
        context.progress(count);
        scanned_ = std::move(scanned);
        return result;
    }

    void end_scan() override {
        scanned_.reset();
        digested_.reset();
    }

    Snapshot read_records(std::span<const std::int64_t> positions, ReadContext& context) override {
        if (!scanned_)
            throw Error("the csv source reads records only from the bytes of its last scan: call scan() first");
        const Scanned& scanned = *scanned_;
        const auto records = static_cast<std::int64_t>(scanned.lines.size());
        for (std::size_t i = 0; i < positions.size(); ++i) {
            if (positions[i] < 0 || positions[i] >= records)
                throw Error(scanned.file_name + ": there is no record at position " + std::to_string(positions[i]) +
                            "; the last scan found " + std::to_string(records) + " records (positions 0 to " +
                            std::to_string(records - 1) + ")");
            if (i > 0 && positions[i] <= positions[i - 1])
                throw Error(scanned.file_name + ": record positions must be in ascending order, each once; position " +
                            std::to_string(positions[i]) + " follows position " + std::to_string(positions[i - 1]));
        }

        Snapshot snapshot = start_snapshot(scanned.file, scanned.layout);
        const std::size_t count = positions.size();
        // Every record read: the host reads this scan no more. Its bytes go
        // as the users they become come, so that the two are not held at
        // once; and the scan goes when the read ends, however it ends.
        const bool whole = count > 0 && count == scanned.lines.size();
        struct EndScan {
            std::unique_ptr<Scanned>& scanned;
            bool whole;
            ~EndScan() {
                if (whole) scanned.reset();
            }
        } end_scan{scanned_, whole};
        std::mutex releasing;
        std::vector<char> parsed_chunks;
        std::size_t first_unparsed = 0, released = 0;  // a chunk, a byte of the data
        auto chunk_parsed = [&](std::size_t chunk) {
            if (!whole) return;
            const std::lock_guard lock(releasing);
            parsed_chunks[chunk] = 1;
            while (first_unparsed < parsed_chunks.size() && parsed_chunks[first_unparsed]) ++first_unparsed;
            const std::size_t until = first_unparsed == parsed_chunks.size()
                                          ? scanned.data.size()
                                          : scanned.begins[first_unparsed * chunk_records];
            if (until <= released) return;
            scanned_->bytes.release(scanned.data.data() + released, scanned.data.data() + until);
            released = until;
        };

        // Many records are parsed on two threads, each taking the next chunk
        // until none is left: both stay busy to the end although one runs
        // slower (its malloc arena is new). Each chunk's findings keep its
        // place, so that they follow the records' order.
        const std::size_t chunks = (count + chunk_records - 1) / chunk_records;
        std::vector<Users> chunk_users(chunks);
        // Findings about managers follow all others, as read() makes them.
        std::vector<std::vector<Finding>> chunk_findings(chunks), manager_findings(chunks);
        parsed_chunks.assign(chunks, 0);
        std::atomic<std::size_t> next_chunk = 0;
        std::atomic<std::int64_t> parsed = 0;
        // `progress` is given on this thread only: the context is not
        // thread-safe.
        auto parse_chunks = [&](RowMapper& mapper, CsvReader& reader, ReadContext* progress) {
            std::int64_t reported = 0;
            try {
                for (std::size_t chunk; (chunk = next_chunk++) < chunks;) {
                    const std::size_t from = chunk * chunk_records, to = std::min(count, from + chunk_records);
                    parse_range(positions, from, to, mapper, reader, chunk_users[chunk], snapshot,
                                chunk_findings[chunk], manager_findings[chunk]);
                    chunk_parsed(chunk);
                    const std::int64_t total = parsed += static_cast<std::int64_t>(to - from);
                    if (progress != nullptr && total / progress_every > reported / progress_every)
                        progress->progress(reported = total);
                }
            } catch (...) {
                next_chunk = chunks;  // the other thread stops too, and the error comes sooner
                throw;
            }
        };
        RowMapper rows(settings_, scanned.layout, scanned.file_name);
        CsvReader parser(scanned.file_name, settings_.delimiter);
        if (count < threads::worth_a_thread) {
            parse_chunks(rows, parser, &context);
        } else {
            threads::run_both(
                [&] {
                    RowMapper own_rows(settings_, scanned.layout, scanned.file_name);
                    CsvReader own_parser(scanned.file_name, settings_.delimiter);
                    parse_chunks(own_rows, own_parser, nullptr);
                },
                [&] { parse_chunks(rows, parser, &context); });
        }
        for (std::vector<Finding>& found : chunk_findings)
            snapshot.findings.insert(snapshot.findings.end(), std::make_move_iterator(found.begin()),
                                     std::make_move_iterator(found.end()));
        for (std::vector<Finding>& found : manager_findings)
            snapshot.findings.insert(snapshot.findings.end(), std::make_move_iterator(found.begin()),
                                     std::make_move_iterator(found.end()));
        context.progress(static_cast<std::int64_t>(count));
        snapshot.users.reserve(count);
        for (Users& users : chunk_users) snapshot.users.append(std::move(users));
        return snapshot;
    }

    // The chosen file and its bytes: the same file with the same bytes reads
    // as the same snapshot. Nothing is kept but the file chosen: a scan()
    // right after reads that file again, and says the digest of the bytes it
    // split (the file may have changed in between), which the run stores.
    std::string input_digest() override {
        auto digested = std::make_unique<Digested>();
        std::string digest;
        try {
            digested->file = choose_file(settings_);
            digest = digest_text(digested->file,
                                 FileBytes::digest_of_file(digested->file, digested->file.filename().string()));
        } catch (const Error&) {
            return "";  // read() and scan() say why
        }
        digested_ = std::move(digested);
        return digest;
    }

private:
    // What scan() keeps for read_records(): the bytes it split, where each
    // record starts, and whom each record's manager cell found.
    struct Scanned {
        std::filesystem::path file;
        std::string file_name;
        FileBytes bytes;
        std::string_view data;  // the bytes without a byte order mark
        Layout layout;
        std::vector<std::size_t> begins;  // per record, then the end of the data
        std::vector<std::int64_t> lines;  // per record
        std::vector<RowMatch> managers;   // per record, when managers are found in the file
        ManagerIds manager_ids;           // then too

        std::int64_t line_of(std::int64_t position) const { return lines[static_cast<std::size_t>(position)]; }
        // Records first to last, with what follows the last up to the next.
        std::string_view bytes_of(std::int64_t first, std::int64_t last) const {
            const std::size_t begin = begins[static_cast<std::size_t>(first)];
            return data.substr(begin, begins[static_cast<std::size_t>(last) + 1] - begin);
        }
    };

    // The header's layout, and the note about fields it has no column for.
    Layout read_header(const CsvRecord& header, const std::string& file_name) {
        Layout layout = read_layout(header, settings_, file_name);
        if (!layout.unread.empty()) {
            std::string list;
            for (const auto& name : layout.unread) list += (list.empty() ? "" : ", ") + name;
            host_.log().info(file_name + ": no column for " + list + "; they are read as empty");
        }
        return layout;
    }

    static Snapshot start_snapshot(const std::filesystem::path& file, const Layout& layout) {
        Snapshot snapshot;
        snapshot.origin = "file " + file.string();
        for (std::size_t i = 0; i < field_count; ++i)
            if (layout.column[i] >= 0)
                snapshot.field_labels[std::string(name_of(static_cast<Field>(i)))] =
                    "column \"" + layout.headers[static_cast<std::size_t>(layout.column[i])] + "\"";
        return snapshot;
    }

    // Folds whom each manager cell finds into its record's hash: the row's
    // bytes when it finds one row with an hris_id, else the lines a warning
    // names.
    static void mix_managers(const ManagerCells& cells, const std::vector<RowMatch>& matches,
                             const std::vector<std::int64_t>& lines, std::vector<std::uint64_t>& hashes) {
        const std::vector<std::uint64_t> own = hashes;
        threads::for_halves(hashes.size(), [&](std::size_t from, std::size_t to) {
            for (std::size_t i = from; i < to; ++i) {
                if (!cells.names_manager(i)) continue;
                const RowMatch match = matches[i];
                std::array<std::uint64_t, 3> found = {1, 0, 0};  // no row
                if (match.first != no_row && match.second != no_row)
                    found = {2, static_cast<std::uint64_t>(lines[match.first]),
                             static_cast<std::uint64_t>(lines[match.second])};
                else if (match.first != no_row && !cells.has_hris_id(match.first))
                    found = {3, static_cast<std::uint64_t>(lines[match.first]), 0};
                else if (match.first != no_row)
                    found = {4, own[match.first], 0};
                hashes[i] = hash::bytes({reinterpret_cast<const char*>(found.data()), sizeof found}, own[i]);
            }
        });
    }

    // Parses the records at positions[from, to) into `users`, as the
    // snapshot's users from..to - 1, and appends their findings to
    // `findings`, those about their managers (found as resolve_managers()
    // finds them, with the matches the scan found in the whole file) to
    // `manager_findings`. Only reads `snapshot` (for its field labels), so
    // that two threads can each parse records for it.
    void parse_range(std::span<const std::int64_t> positions, std::size_t from, std::size_t to, RowMapper& rows,
                     CsvReader& parser, Users& users, const Snapshot& snapshot, std::vector<Finding>& findings,
                     std::vector<Finding>& manager_findings) const {
        const Scanned& scanned = *scanned_;
        const bool finds_managers = finds_managers_in_file(settings_, scanned.layout);
        const std::function<std::string(std::uint32_t)> line_of = [&scanned](std::uint32_t row) {
            return std::to_string(scanned.line_of(row));
        };
        // Their records take about their bytes in the file (a little more
        // for the origin, the file name's and the line's), in one block.
        std::size_t bytes = 0;
        for (std::size_t i = from; i < to; ++i)
            bytes += scanned.bytes_of(positions[i], positions[i]).size() + Users::bytes_per_user + 24;
        users.reserve(to - from, bytes);
        CsvRecord record;
        User user;
        for (std::size_t i = from; i < to;) {
            // Consecutive records are parsed in one go, as read() parses them.
            std::size_t run_end = i + 1;
            while (run_end < to && positions[run_end] == positions[run_end - 1] + 1) ++run_end;
            parser.reset(scanned.bytes_of(positions[i], positions[run_end - 1]), scanned.line_of(positions[i]));
            for (; i < run_end; ++i) {
                if (!parser.next(record) || record.line != scanned.line_of(positions[i]))
                    throw Error(scanned.file_name + ": record " + std::to_string(positions[i]) +
                                " does not parse where the scan found it (line " +
                                std::to_string(scanned.line_of(positions[i])) + "); this is a bug in the csv source");
                user.clear();
                rows.fill(record, static_cast<std::int64_t>(i), user, snapshot, findings);
                if (finds_managers && !user.manager_hris_id.empty()) {
                    const RowMatch match = scanned.managers[static_cast<std::size_t>(positions[i])];
                    const std::string_view first_hris_id = match.first != no_row && match.second == no_row
                                                               ? scanned.manager_ids.of(match.first)
                                                               : std::string_view();
                    user.manager_hris_id = settled_manager(snapshot, manager_findings, i, user, settings_.manager_by,
                                                           match, first_hris_id, line_of);
                }
                users.push_back(user);
            }
        }
    }

    // What input_digest() chose, until the scan() right after reads it.
    struct Digested {
        std::filesystem::path file;
    };

    // A digest names the file as well as its bytes.
    static std::string digest_text(const std::filesystem::path& file, const std::string& bytes_digest) {
        return file.string() + "\n" + bytes_digest;
    }

    // The bytes of the last scan, to read into again; what held them is gone.
    FileBytes take_bytes() {
        FileBytes bytes = scanned_ ? std::move(scanned_->bytes) : FileBytes();
        digested_.reset();
        scanned_.reset();
        return bytes;
    }

    Host& host_;
    CsvSettings settings_;
    std::uint64_t settings_hash_;
    std::unique_ptr<Scanned> scanned_;    // the last scan's, until the next read() or scan()
    std::unique_ptr<Digested> digested_;  // the last digest's, until the next scan(), read() or end_scan()
};

}  // namespace peoplesync::csv

PEOPLESYNC_PLUGIN(peoplesync::csv::CsvSource)
