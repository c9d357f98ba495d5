// An RFC 4180 reader that streams a file (or bytes already in memory) through
// a fixed buffer and hands out one record at a time as views into that
// buffer: quoted fields, doubled quotes, delimiters and line breaks inside
// quotes, CRLF or LF line ends, a UTF-8 byte order mark, blank lines skipped,
// the last line with or without a line end.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "csv_grammar.hpp"

namespace peoplesync::csv {

// Opens `file` for reading, without stdio's buffer. Throws Error, naming the
// file, when it is a folder or cannot be opened.
std::FILE* open_csv_file(const std::filesystem::path& file);

struct CsvRecord {
    std::int64_t line = 0;  // the physical line the record starts on, 1-based
    // The fields, unquoted. Valid until the next call to CsvReader::next().
    std::vector<std::string_view> fields;
    // The first field with text after its closing quote ("a"b), or -1. The
    // field holds the quoted text followed by the rest.
    int stray_text_field = -1;
};

class CsvReader {
public:
    static constexpr std::size_t default_buffer_bytes = std::size_t{1} << 20;
    static constexpr std::size_t max_record_bytes = grammar::max_record_bytes;

    // Opens `file`; `name` is how errors name it ("employees.csv"). Throws
    // Error when the file cannot be opened.
    CsvReader(const std::filesystem::path& file, std::string name, char delimiter,
              std::size_t buffer_bytes = default_buffer_bytes);
    // A reader of bytes in memory, given with reset().
    CsvReader(std::string name, char delimiter, std::size_t buffer_bytes = default_buffer_bytes);

    // Reads `bytes` from now on, as a stretch of a file whose first byte is on
    // `line`: records parse exactly as they do in the whole file, so `bytes`
    // must start where a record (or a blank line) starts. The bytes are
    // copied as they are read and must outlive the reading.
    void reset(std::string_view bytes, std::int64_t line);

    // Skips `count` physical lines as they are, quotes or not.
    void skip_lines(std::int64_t count);

    // Reads the next record. Returns false at the end of the file. Throws
    // Error, naming the line, for a quoted field that never closes.
    bool next(CsvRecord& record);

    // Line ends in the whole file, read apart from the records: an upper bound
    // on the number of records, to size the result once.
    static std::int64_t count_line_ends(const std::filesystem::path& file);

private:
    enum class Step { record, incomplete, end };
    enum class Kind : std::uint8_t { plain, doubled_quotes, stray_text };
    struct Span {
        std::size_t begin = 0, end = 0;            // the field, quotes excluded
        std::size_t tail_begin = 0, tail_end = 0;  // text after the closing quote
        Kind kind = Kind::plain;
    };

    Step parse(CsvRecord& record);
    void refill();
    std::size_t scan_unquoted(std::size_t from) const;
    std::string_view materialize(const Span& span);
    [[noreturn]] void fail_at(std::int64_t line, const std::string& message) const;

    struct Closer {
        void operator()(std::FILE* f) const { std::fclose(f); }
    };
    std::unique_ptr<std::FILE, Closer> file_;  // none: the reader reads memory_
    std::string_view memory_;                  // what is left of the bytes given to reset()
    std::string name_;
    char delimiter_;
    std::vector<char> buffer_;
    std::size_t pos_ = 0;               // the next unread byte
    std::size_t end_ = 0;               // the end of the bytes read
    bool eof_ = false;                  // nothing more to read into the buffer
    std::int64_t line_ = 1;             // the physical line at pos_
    std::int64_t open_quote_line_ = 0;  // set while a record stops inside quotes
    std::vector<Span> spans_;
};

}  // namespace peoplesync::csv
