// The CSV grammar's two routes, differentially. The first byte picks the
// settings (delimiter, header_line, manager_by); the rest is the file.
//
// 1. CsvReader against RecordSplitter on the same bytes: both refuse them
//    with the same message, or both find the same records on the same
//    lines, and each record the splitter bounds reads alone as the reader
//    read it in the whole file.
// 2. The csv source, from a file: whenever read() accepts it, scan() finds
//    as many records with the origins read() gave its users, and
//    read_records() of every position is what read() returned (users,
//    findings, labels).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include <peoplesync/change_only.hpp>
#include <peoplesync/snapshot_json.hpp>
#include <peoplesync/testing.hpp>

#include "csv_reader.hpp"
#include "fuzz_support.hpp"
#include "record_splitter.hpp"

using namespace peoplesync;
using namespace peoplesync::csv;

extern "C" const PluginInfo* peoplesync_plugin_info();

namespace {

struct Quiet final : ReadContext {
    void progress(std::int64_t) override {}
};

struct Outcome {
    std::optional<std::string> error;
    std::vector<std::int64_t> lines;
    std::vector<std::vector<std::string>> fields;
};

std::vector<std::string> owned(const CsvRecord& record) {
    return {record.fields.begin(), record.fields.end()};
}

Outcome read_all(std::string_view data, char delimiter, std::int64_t skip) {
    Outcome out;
    try {
        CsvReader reader("fuzz.csv", delimiter, 4096);
        reader.reset(data, 1);
        reader.skip_lines(skip);
        CsvRecord record;
        while (reader.next(record)) {
            out.lines.push_back(record.line);
            out.fields.push_back(owned(record));
        }
    } catch (const Error& e) {
        out.error = e.what();
    }
    return out;
}

void compare_reader_and_splitter(std::string_view data, char delimiter, std::int64_t skip) {
    const Outcome read = read_all(data, delimiter, skip);
    std::vector<RecordBounds> bounds;
    std::optional<std::string> split_error;
    try {
        RecordSplitter splitter(data, "fuzz.csv", delimiter);
        splitter.skip_lines(skip);
        RecordBounds record;
        while (splitter.next(record)) bounds.push_back(record);
    } catch (const Error& e) {
        split_error = e.what();
    }
    fuzz::check(read.error == split_error, "the reader and the splitter disagree on refusing the file: \"" +
                                               read.error.value_or("") + "\" vs \"" + split_error.value_or("") + "\"");
    if (read.error) return;
    fuzz::check(bounds.size() == read.lines.size(), "the reader finds " + std::to_string(read.lines.size()) +
                                                        " records, the splitter " + std::to_string(bounds.size()));
    CsvReader alone("fuzz.csv", delimiter, 4096);
    for (std::size_t i = 0; i < bounds.size(); ++i) {
        const RecordBounds& b = bounds[i];
        fuzz::check(b.line == read.lines[i], "record " + std::to_string(i) + ": the reader says line " +
                                                 std::to_string(read.lines[i]) + ", the splitter " +
                                                 std::to_string(b.line));
        fuzz::check(b.begin <= b.end && b.end <= data.size(), "record " + std::to_string(i) + ": bounds outside");
        const bool quoted = data.substr(b.begin, b.end - b.begin).find('"') != std::string_view::npos;
        fuzz::check(quoted == b.has_quote, "record " + std::to_string(i) + ": has_quote is wrong");
        // As the csv source's read_records() reads it: the record and its line feed.
        alone.reset(data.substr(b.begin, std::min(b.end + 1, data.size()) - b.begin), b.line);
        CsvRecord record;
        fuzz::check(alone.next(record), "record " + std::to_string(i) + " does not read alone");
        fuzz::check(record.line == b.line && owned(record) == read.fields[i],
                    "record " + std::to_string(i) + " reads otherwise alone than in the whole file");
    }
}

std::string describe(const Snapshot& snapshot) {
    std::string out = to_json(snapshot) + "\n";
    for (const Finding& f : snapshot.findings)
        out += std::to_string(static_cast<int>(f.severity)) + " " + std::to_string(f.record) + " " + f.location + ": " +
               f.message + "\n";
    for (const auto& [field, label] : snapshot.field_labels) out += field + "=" + label + "\n";
    for (const UserView& user : snapshot.users) out += std::string(user.origin) + "\n";
    return out;
}

void compare_read_and_scan(std::string_view file_bytes, char delimiter, int header_line, const char* manager_by) {
    const std::filesystem::path file = fuzz::written_file("people.csv", file_bytes);
    // Per input: a host kept across inputs grows its log, which makes
    // libFuzzer look for leaks after every input.
    testing::MemoryHost host(file.parent_path().string());
    const ConfigValue options = testing::options({{"path", file.string()},
                                                  {"delimiter", delimiter == '\t' ? "\\t" : std::string(1, delimiter)},
                                                  {"header_line", std::to_string(header_line)},
                                                  {"department_level_separator", "/"},
                                                  {"manager_by", manager_by}});
    const PluginInfo* info = peoplesync_plugin_info();
    check_options(options, info->options);
    std::unique_ptr<Source> source(info->make_source(options, host));
    auto* scanner = dynamic_cast<RecordScanner*>(source.get());
    fuzz::check(scanner != nullptr, "the csv source is no RecordScanner");
    Quiet quiet;

    Snapshot whole;
    try {
        whole = source->read(quiet);
    } catch (const Error& e) {
        // scan() refuses what read() refuses.
        try {
            scanner->scan(quiet);
        } catch (const Error&) {
            return;
        }
        fuzz::fail(std::string("read() refuses the file, scan() takes it: ") + e.what());
    }
    std::optional<RecordScan> scan;
    try {
        scan = scanner->scan(quiet);
    } catch (const Error& e) {
        fuzz::fail(std::string("read() takes the file, scan() refuses it: ") + e.what());
    }
    fuzz::check(scan.has_value(), "scan() gave up on a file read() takes");
    fuzz::check(scan->origins.size() == whole.users.size() && scan->hashes.size() == whole.users.size(),
                "scan() finds " + std::to_string(scan->origins.size()) + " records, read() " +
                    std::to_string(whole.users.size()));
    for (std::size_t i = 0; i < scan->origins.size(); ++i)
        fuzz::check(scan->origins[i] == std::string(whole.users[i].origin),
                    "record " + std::to_string(i) + ": scan() says " + scan->origins[i] + ", read() " +
                        std::string(whole.users[i].origin));
    std::vector<std::int64_t> all(scan->origins.size());
    std::iota(all.begin(), all.end(), 0);
    const Snapshot records = scanner->read_records(all, quiet);
    scanner->end_scan();
    const std::string expected = describe(whole), got = describe(records);
    fuzz::check(expected == got, "read_records() of every record differs from read():\n" + expected + "--\n" + got);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    static constexpr char delimiters[] = {',', ';', '\t', '|'};
    static constexpr const char* managers[] = {"hris_id", "employee_id", "email", "hris_id"};
    const char delimiter = delimiters[data[0] & 3];
    const int header_line = 1 + ((data[0] >> 2) & 1);
    const char* manager_by = managers[(data[0] >> 3) & 3];
    const std::string_view file = fuzz::bytes(data + 1, size - 1);

    std::string_view body = file;
    if (body.starts_with("\xEF\xBB\xBF")) body.remove_prefix(3);
    compare_reader_and_splitter(body, delimiter, header_line - 1);
    compare_read_and_scan(file, delimiter, header_line, manager_by);
    return 0;
}
