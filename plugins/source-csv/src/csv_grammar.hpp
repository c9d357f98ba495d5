// The CSV grammar's transitions, which CsvReader (taking every field apart)
// and RecordSplitter (finding only where records end) both step through:
// what a blank line between records is, where a quoted field closes, and
// what the reading says when a record cannot be read.
//
// The two keep their own loops over a record. CsvReader stops at every
// delimiter, since it hands out fields; RecordSplitter looks at none until a
// quote appears on the line (one memchr for the line feed, one for a quote),
// which is most of what makes a change-only scan of a million rows cheap. A
// loop shared by both would stop at every delimiter, or make CsvReader look
// at each line three times. csv_grammar_test.cpp pins the two loops to each
// other over the cases where they could part.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace peoplesync::csv::grammar {

// Skips the blank lines (LF, CRLF, or a lone CR as the very last byte) at
// `p`, counting them in `line`. `at_end`: nothing follows `data[end - 1]`;
// otherwise, a CR as the last byte may start a CRLF, and the skip stops
// there, returning false: more bytes are needed.
inline bool skip_blank_lines(const char* data, std::size_t end, bool at_end, std::size_t& p, std::int64_t& line) {
    while (p < end) {
        if (data[p] == '\n') {
            ++p;
            ++line;
        } else if (data[p] == '\r' && p + 1 == end) {
            if (!at_end) return false;
            ++p;
        } else if (data[p] == '\r' && data[p + 1] == '\n') {
            p += 2;
            ++line;
        } else {
            break;
        }
    }
    return true;
}

enum class QuotedEnd {
    closed,     // at `close`
    unclosed,   // the data ends inside the field
    undecided,  // the bytes so far end before it can tell: a quote as the last byte may be doubled
};

struct QuotedField {
    QuotedEnd end = QuotedEnd::closed;
    std::size_t close = 0;        // the closing quote
    bool doubled_quotes = false;  // a "" inside, to be unquoted
    std::int64_t line_feeds = 0;  // inside the field: the lines it spans, less one
};

// The quoted field whose opening quote is at `open`: inside it every quote
// is doubled, and delimiters and line ends are text.
inline QuotedField close_quoted_field(const char* data, std::size_t open, std::size_t end, bool at_end) {
    QuotedField field;
    std::size_t q = open + 1;
    while (true) {
        const void* hit = std::memchr(data + q, '"', end - q);
        if (hit == nullptr) {
            field.end = at_end ? QuotedEnd::unclosed : QuotedEnd::undecided;
            return field;
        }
        const auto r = static_cast<std::size_t>(static_cast<const char*>(hit) - data);
        if (r + 1 == end && !at_end) {
            field.end = QuotedEnd::undecided;
            return field;
        }
        if (r + 1 < end && data[r + 1] == '"') {
            field.doubled_quotes = true;
            q = r + 2;
            continue;
        }
        field.close = r;
        field.line_feeds = std::count(data + open + 1, data + r, '\n');
        return field;
    }
}

// A quote opens a quoted field only where a field starts; anywhere else it is
// text.
inline bool opens_quoted_field(const char* data, std::size_t field_start, std::size_t quote, char delimiter) {
    return quote == field_start || data[quote - 1] == delimiter;
}

// A record longer than this is refused: it is almost always a quote that
// never closes, and buffering the rest of the file for it would be costly.
inline constexpr std::size_t max_record_bytes = std::size_t{64} << 20;

inline const char* const unclosed_quote_message =
    "a quoted field starts here and is never closed (the file ends inside it)";

// For a record that reaches max_record_bytes inside the quoted field that
// opens on `open_quote_line` (0: outside quotes).
inline std::string record_too_long_message(std::int64_t open_quote_line) {
    std::string message = "a record is longer than " + std::to_string(max_record_bytes >> 20) + " MiB";
    if (open_quote_line > 0)
        message += "; the quoted field that opens on line " + std::to_string(open_quote_line) +
                   " probably lacks its closing quote";
    return message;
}

}  // namespace peoplesync::csv::grammar
