#include "record_splitter.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <new>
#include <system_error>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

#include <peoplesync/error.hpp>

#include "csv_grammar.hpp"
#include "csv_reader.hpp"
#include "hash.hpp"
#include "two_threads.hpp"

namespace peoplesync::csv {

void FileBytes::release([[maybe_unused]] const char* from, [[maybe_unused]] const char* to) {
#if defined(__linux__)
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    const auto begin = (reinterpret_cast<std::uintptr_t>(from) + page - 1) / page * page;
    const auto end = reinterpret_cast<std::uintptr_t>(to) / page * page;
    const auto first = reinterpret_cast<std::uintptr_t>(data_.get());
    if (begin < first || end > first + size_ || end <= begin) return;
    // The pages read as zeros afterwards; a failure only keeps them.
    ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
#endif
}

namespace {

constexpr std::size_t digest_chunk_bytes = std::size_t{1} << 20;

std::uint64_t chunk_hash(std::string_view chunk, std::size_t number) {
    return hash::bytes(chunk, 0xa4093822299f31d0ull ^ number);
}

}  // namespace

FileBytes::Bytes FileBytes::allocate(std::size_t size) {
#if defined(__linux__)
    constexpr std::size_t huge_page = std::size_t{2} << 20;
    if (size >= huge_page) {
        const std::size_t rounded = (size + huge_page - 1) / huge_page * huge_page;
        if (void* memory = std::aligned_alloc(huge_page, rounded)) {
            ::madvise(memory, rounded, MADV_HUGEPAGE);  // only a hint: without it, the usual pages
            return Bytes(static_cast<char*>(memory));
        }
    }
#endif
    void* memory = std::malloc(std::max<std::size_t>(size, 1));
    if (memory == nullptr) throw std::bad_alloc();
    return Bytes(static_cast<char*>(memory));
}

FileBytes FileBytes::read(const std::filesystem::path& file, const std::string& name, FileBytes recycled,
                          Digest digest) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(open_csv_file(file), &std::fclose);
    std::error_code ec;
    const std::uintmax_t expected = std::filesystem::file_size(file, ec);
    // One byte more than expected, so that reading the whole file ends with a
    // short read rather than a copy into a larger buffer.
    const std::size_t wanted = ec ? CsvReader::default_buffer_bytes : static_cast<std::size_t>(expected) + 1;
    FileBytes bytes;
    if (recycled.capacity_ >= wanted && recycled.capacity_ / 2 <= wanted) {
        bytes.data_ = std::move(recycled.data_);
        bytes.capacity_ = recycled.capacity_;
    } else {
        recycled = {};
        bytes.data_ = allocate(wanted);
        bytes.capacity_ = wanted;
    }
    std::size_t& capacity = bytes.capacity_;
    auto make_room = [&bytes, &capacity] {
        if (bytes.size_ < capacity) return;
        capacity *= 2;  // the file grew while it was read
        Bytes larger = allocate(capacity);
        std::memcpy(larger.get(), bytes.data_.get(), bytes.size_);
        bytes.data_ = std::move(larger);
    };
    // The digest's chunks hashed so far, all of them whole and in order.
    std::vector<std::uint64_t> chunk_hashes;
    auto digest_the_rest = [&] {
        if (digest == Digest::no) return;
        const std::string_view all = bytes.view();
        for (std::size_t at = chunk_hashes.size() * digest_chunk_bytes; at < all.size(); at += digest_chunk_bytes)
            chunk_hashes.push_back(chunk_hash(all.substr(at, digest_chunk_bytes), chunk_hashes.size()));
        bytes.digest_ = digest_of(chunk_hashes, all.size());
    };

    // A large file is read as two halves at once: the time goes mostly to the
    // fresh memory the bytes land in, which each thread prepares for its half.
    // Each 1 MiB is read apart and hashed for the digest right after, while
    // it is still in the processor's cache.
    std::ifstream tail;  // reads on from the second half when that was read apart
    constexpr std::uintmax_t halves_from_bytes = std::uintmax_t{16} << 20;
    if (!ec && expected >= halves_from_bytes) {
        const std::size_t half = static_cast<std::size_t>(expected) / 2 / digest_chunk_bytes * digest_chunk_bytes,
                          rest = wanted - 1 - half;
        std::size_t head_bytes = 0, tail_bytes = 0;
        std::vector<std::uint64_t> head_hashes, tail_hashes;  // of whole chunks
        auto hash = [&](std::vector<std::uint64_t>& hashes, std::size_t at, std::size_t got) {
            if (digest == Digest::yes && got == digest_chunk_bytes)
                hashes.push_back(chunk_hash(std::string_view(bytes.data_.get() + at, got), at / digest_chunk_bytes));
        };
        tail.open(file, std::ios::binary);
        threads::run_both(
            [&] {
                if (!tail || !tail.seekg(static_cast<std::streamoff>(half))) return;
                while (tail_bytes < rest) {
                    const std::size_t want = std::min(digest_chunk_bytes, rest - tail_bytes);
                    tail.read(bytes.data_.get() + half + tail_bytes, static_cast<std::streamsize>(want));
                    const auto got = static_cast<std::size_t>(tail.gcount());
                    hash(tail_hashes, half + tail_bytes, got);
                    tail_bytes += got;
                    if (got < want) break;
                }
            },
            [&] {
                while (head_bytes < half) {
                    const std::size_t got = std::fread(bytes.data_.get() + head_bytes, 1,
                                                       std::min(digest_chunk_bytes, half - head_bytes), in.get());
                    hash(head_hashes, head_bytes, got);
                    head_bytes += got;
                    if (got < digest_chunk_bytes) break;
                }
            });
        if (head_bytes == half && tail_bytes == rest) {
            bytes.size_ = half + rest;
            chunk_hashes = std::move(head_hashes);
            chunk_hashes.insert(chunk_hashes.end(), tail_hashes.begin(), tail_hashes.end());
        } else {
            tail.close();  // the file changed size: read it again, in one go
            std::rewind(in.get());
        }
    }
    if (tail.is_open()) {
        while (tail) {
            make_room();
            tail.read(bytes.data_.get() + bytes.size_, static_cast<std::streamsize>(capacity - bytes.size_));
            bytes.size_ += static_cast<std::size_t>(tail.gcount());
        }
        if (tail.bad()) throw Error(name + ": cannot read the file");
        digest_the_rest();
        return bytes;
    }
    while (true) {
        make_room();
        const std::size_t n = std::fread(bytes.data_.get() + bytes.size_, 1, capacity - bytes.size_, in.get());
        if (n == 0) break;
        bytes.size_ += n;
    }
    if (std::ferror(in.get()) != 0)
        throw Error(name + ": cannot read the file: " + std::error_code(errno, std::generic_category()).message());
    digest_the_rest();
    return bytes;
}

std::string FileBytes::digest_of_file(const std::filesystem::path& file, const std::string& name) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(open_csv_file(file), &std::fclose);
    std::vector<char> chunk(digest_chunk_bytes);
    std::vector<std::uint64_t> chunk_hashes;
    std::uint64_t size = 0;
    while (true) {
        const std::size_t got = std::fread(chunk.data(), 1, chunk.size(), in.get());
        // Only the last chunk is short: read() hashes its bytes in the same
        // 1 MiB chunks.
        if (got > 0) chunk_hashes.push_back(chunk_hash({chunk.data(), got}, chunk_hashes.size()));
        size += got;
        if (got < chunk.size()) break;
    }
    if (std::ferror(in.get()) != 0)
        throw Error(name + ": cannot read the file: " + std::error_code(errno, std::generic_category()).message());
    return digest_of(chunk_hashes, size);
}

std::string FileBytes::digest_of(const std::vector<std::uint64_t>& chunk_hashes, std::uint64_t size) {
    const auto h = hash::parts128(
        {{reinterpret_cast<const char*>(chunk_hashes.data()), chunk_hashes.size() * sizeof(std::uint64_t)},
         {reinterpret_cast<const char*>(&size), sizeof size}});
    // Led by the hash family: a digest stored under another never matches.
    char text[80];
    std::snprintf(text, sizeof text, "h%u-%016llx%016llx-%llu", static_cast<unsigned>(hash::family),
                  static_cast<unsigned long long>(h[0]), static_cast<unsigned long long>(h[1]),
                  static_cast<unsigned long long>(size));
    return text;
}

RecordSplitter::RecordSplitter(std::string_view data, std::string name, char delimiter)
    : data_(data), name_(std::move(name)), delimiter_(delimiter) {}

std::size_t RecordSplitter::find(char c, std::size_t from, std::size_t to) const {
    const void* hit = std::memchr(data_.data() + from, c, to - from);
    return hit == nullptr ? to : static_cast<std::size_t>(static_cast<const char*>(hit) - data_.data());
}

void RecordSplitter::fail_at(std::int64_t line, const std::string& message) const {
    throw Error(name_ + ": line " + std::to_string(line) + ": " + message);
}

// CsvReader's message for the same record, which it gives once the record
// fills its largest buffer.
void RecordSplitter::fail_too_long(std::int64_t line, std::int64_t open_quote_line) const {
    fail_at(line, grammar::record_too_long_message(open_quote_line));
}

void RecordSplitter::skip_lines(std::int64_t count) {
    for (; count > 0 && pos_ < data_.size(); --count) {
        const std::size_t at = find('\n', pos_, data_.size());
        pos_ = at < data_.size() ? at + 1 : at;
        line_ += at < data_.size();
    }
}

// Steps through the grammar as CsvReader::parse() does, without taking
// fields apart: a quote opens a quoted field only where a field starts, so
// between quotes only the delimiters right before them matter.
bool RecordSplitter::next(RecordBounds& record) {
    const char* const data = data_.data();
    const std::size_t size = data_.size();
    std::size_t p = pos_;
    std::int64_t line = line_;

    // Blank lines between records are skipped (and counted).
    grammar::skip_blank_lines(data, size, true, p, line);
    if (p == size) {
        pos_ = p;
        line_ = line;
        return false;
    }
    record.begin = p;
    record.line = line;
    record.has_quote = false;
    // CsvReader refuses a record once it fills max_record_bytes; the quoted
    // field it is inside then is named.
    const std::size_t full = p + CsvReader::max_record_bytes;
    std::int64_t open_at_full = 0;

    std::size_t line_end = find('\n', p, size);
    // p is where a field starts.
    while (true) {
        const std::size_t quote = find('"', p, line_end);
        if (quote == line_end) break;  // the fields up to the line end are plain
        record.has_quote = true;
        if (!grammar::opens_quoted_field(data, p, quote, delimiter_)) {
            // A quote inside a plain field is text.
            const std::size_t stop = find(delimiter_, quote + 1, line_end);
            if (stop == line_end) break;
            p = stop + 1;
            continue;
        }
        const std::int64_t quote_line = line;
        const grammar::QuotedField quoted = grammar::close_quoted_field(data, quote, size, true);
        if (quoted.end != grammar::QuotedEnd::closed) {
            if (size - record.begin + 1 > CsvReader::max_record_bytes)
                fail_too_long(record.line, open_at_full > 0 ? open_at_full : quote < full ? quote_line : 0);
            fail_at(quote_line, grammar::unclosed_quote_message);
        }
        const std::size_t close = quoted.close;
        line += quoted.line_feeds;
        if (quote < full && close + 1 >= full) open_at_full = quote_line;
        // Text may follow the closing quote up to the delimiter; its quotes are text.
        line_end = find('\n', close + 1, size);
        const std::size_t stop = find(delimiter_, close + 1, line_end);
        if (stop == line_end) break;
        p = stop + 1;
    }
    record.end = line_end;
    // CsvReader holds the record and its line feed, or the byte past the end.
    if (line_end - record.begin + 1 > CsvReader::max_record_bytes) fail_too_long(record.line, open_at_full);
    pos_ = line_end < size ? line_end + 1 : size;
    line_ = line + (line_end < size ? 1 : 0);
    return true;
}

}  // namespace peoplesync::csv
