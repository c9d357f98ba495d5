#include "csv_reader.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <system_error>

#include <peoplesync/error.hpp>

#include "csv_grammar.hpp"
#include "text.hpp"

namespace peoplesync::csv {

std::FILE* open_csv_file(const std::filesystem::path& file) {
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) throw Error(file.string() + ": is a folder, not a file");
    std::FILE* f = std::fopen(file.string().c_str(), "rb");
    if (f == nullptr)
        throw Error(file.string() +
                    ": cannot open the file: " + std::error_code(errno, std::generic_category()).message());
    // The reader has its own buffer; stdio's would only copy once more.
    std::setvbuf(f, nullptr, _IONBF, 0);
    return f;
}

CsvReader::CsvReader(const std::filesystem::path& file, std::string name, char delimiter, std::size_t buffer_bytes)
    : file_(open_csv_file(file)),
      name_(std::move(name)),
      delimiter_(delimiter),
      buffer_(std::max<std::size_t>(buffer_bytes, 16)) {
    refill();
    if (end_ >= 3 && std::memcmp(buffer_.data(), "\xEF\xBB\xBF", 3) == 0) pos_ = 3;
}

CsvReader::CsvReader(std::string name, char delimiter, std::size_t buffer_bytes)
    : name_(std::move(name)), delimiter_(delimiter), buffer_(std::max<std::size_t>(buffer_bytes, 16)) {
    eof_ = true;
}

void CsvReader::reset(std::string_view bytes, std::int64_t line) {
    memory_ = bytes;
    pos_ = 0;
    end_ = 0;
    eof_ = false;
    line_ = line;
    open_quote_line_ = 0;
}

void CsvReader::fail_at(std::int64_t line, const std::string& message) const {
    throw Error(name_ + ": line " + std::to_string(line) + ": " + message);
}

void CsvReader::refill() {
    char* data = buffer_.data();
    if (pos_ > 0) {
        std::memmove(data, data + pos_, end_ - pos_);
        end_ -= pos_;
        pos_ = 0;
    }
    if (end_ == buffer_.size()) {
        // One record fills the whole buffer.
        if (buffer_.size() >= max_record_bytes) {
            fail_at(line_, grammar::record_too_long_message(open_quote_line_));
        }
        buffer_.resize(std::min(buffer_.size() * 2, max_record_bytes));
        data = buffer_.data();
    }
    std::size_t n;
    if (file_) {
        n = std::fread(data + end_, 1, buffer_.size() - end_, file_.get());
    } else {
        n = std::min(memory_.size(), buffer_.size() - end_);
        if (n > 0) std::memcpy(data + end_, memory_.data(), n);
        memory_.remove_prefix(n);
    }
    if (n == 0) {
        if (file_ && std::ferror(file_.get()) != 0)
            throw Error(name_ + ": cannot read the file: " + std::error_code(errno, std::generic_category()).message());
        eof_ = true;
    }
    end_ += n;
}

void CsvReader::skip_lines(std::int64_t count) {
    while (count > 0) {
        const void* hit = std::memchr(buffer_.data() + pos_, '\n', end_ - pos_);
        if (hit != nullptr) {
            pos_ = static_cast<std::size_t>(static_cast<const char*>(hit) - buffer_.data()) + 1;
            ++line_;
            --count;
        } else if (eof_) {
            pos_ = end_;
            return;
        } else {
            pos_ = end_;
            refill();
        }
    }
}

// The fast path: most fields are unquoted, so look for the delimiter or a
// line feed eight bytes at a time.
std::size_t CsvReader::scan_unquoted(std::size_t from) const {
    const char* data = buffer_.data();
    const char delimiter = delimiter_;
    std::size_t i = from;
    if constexpr (std::endian::native == std::endian::little) {
        constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
        const std::uint64_t d = ones * static_cast<unsigned char>(delimiter), n = ones * '\n';
        for (; i + 8 <= end_; i += 8) {
            std::uint64_t word;
            std::memcpy(&word, data + i, 8);
            const std::uint64_t x = word ^ d, y = word ^ n;
            // The lowest byte that is zero in x or y is exact; higher ones may be false alarms.
            const std::uint64_t hit = (((x - ones) & ~x) | ((y - ones) & ~y)) & highs;
            if (hit != 0) return i + static_cast<std::size_t>(std::countr_zero(hit) / 8);
        }
    }
    while (i < end_ && data[i] != delimiter && data[i] != '\n') ++i;
    return i;
}

CsvReader::Step CsvReader::parse(CsvRecord& record) {
    const char* const data = buffer_.data();
    const std::size_t end = end_;
    std::size_t p = pos_;
    std::int64_t line = line_;

    // Blank lines between records are skipped (and counted).
    const bool blank_lines_end = grammar::skip_blank_lines(data, end, eof_, p, line);
    if (!blank_lines_end || p == end) {
        pos_ = p;
        line_ = line;
        return blank_lines_end && eof_ ? Step::end : Step::incomplete;
    }
    pos_ = p;
    line_ = line;
    open_quote_line_ = 0;
    spans_.clear();
    int stray = -1;

    while (true) {
        Span span;
        std::size_t stop;  // where the field's text ends: a delimiter, a line end or the end of the data
        if (p < end && data[p] == '"') {
            const grammar::QuotedField quoted = grammar::close_quoted_field(data, p, end, eof_);
            if (quoted.end == grammar::QuotedEnd::unclosed) fail_at(line, grammar::unclosed_quote_message);
            if (quoted.end == grammar::QuotedEnd::undecided) {
                open_quote_line_ = line;
                return Step::incomplete;
            }
            const std::size_t q = quoted.close;
            line += quoted.line_feeds;
            span.begin = p + 1;
            span.end = q;
            span.kind = quoted.doubled_quotes ? Kind::doubled_quotes : Kind::plain;
            stop = scan_unquoted(q + 1);
            std::size_t tail_end = stop;
            if ((stop == end || data[stop] == '\n') && tail_end > q + 1 && data[tail_end - 1] == '\r') --tail_end;
            bool blank = true;
            for (std::size_t i = q + 1; i < tail_end && blank; ++i) blank = is_blank(data[i]);
            if (!blank) {
                span.kind = Kind::stray_text;
                span.tail_begin = q + 1;
                span.tail_end = tail_end;
                if (stray < 0) stray = static_cast<int>(spans_.size());
            }
        } else {
            stop = scan_unquoted(p);
            span.begin = p;
            span.end = stop;
            if ((stop == end || data[stop] == '\n') && span.end > span.begin && data[span.end - 1] == '\r') --span.end;
        }
        if (stop == end && !eof_) return Step::incomplete;
        spans_.push_back(span);
        if (stop < end && data[stop] == delimiter_) {
            p = stop + 1;
            continue;
        }
        // A line end or the end of the file closes the record.
        p = stop < end ? stop + 1 : stop;
        if (stop < end) ++line;
        break;
    }

    record.line = line_;
    record.stray_text_field = stray;
    record.fields.resize(spans_.size());
    for (std::size_t i = 0; i < spans_.size(); ++i) record.fields[i] = materialize(spans_[i]);
    pos_ = p;
    line_ = line;
    return Step::record;
}

// Unquotes a field in place, once its record is complete: the text only ever
// gets shorter, and a record is never parsed again once it is handed out.
std::string_view CsvReader::materialize(const Span& span) {
    char* data = buffer_.data();
    if (span.kind == Kind::plain) return {data + span.begin, span.end - span.begin};
    std::size_t w = span.begin;
    for (std::size_t i = span.begin; i < span.end; ++i) {
        data[w++] = data[i];
        if (data[i] == '"') ++i;  // inside quotes every quote is doubled
    }
    if (span.kind == Kind::stray_text) {
        std::memmove(data + w, data + span.tail_begin, span.tail_end - span.tail_begin);
        w += span.tail_end - span.tail_begin;
    }
    return {data + span.begin, w - span.begin};
}

bool CsvReader::next(CsvRecord& record) {
    while (true) {
        switch (parse(record)) {
            case Step::record:
                return true;
            case Step::end:
                return false;
            case Step::incomplete:
                refill();
                break;
        }
    }
}

std::int64_t CsvReader::count_line_ends(const std::filesystem::path& file) {
    std::unique_ptr<std::FILE, Closer> f(open_csv_file(file));
    std::vector<char> buffer(default_buffer_bytes);
    std::int64_t count = 0;
    while (true) {
        const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), f.get());
        if (n == 0) break;
        const char* at = buffer.data();
        const char* const stop = at + n;
        while (const void* hit = std::memchr(at, '\n', static_cast<std::size_t>(stop - at))) {
            ++count;
            at = static_cast<const char*>(hit) + 1;
        }
    }
    return count;
}

}  // namespace peoplesync::csv
