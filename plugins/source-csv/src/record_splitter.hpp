// Splits a CSV file's bytes into records without parsing their fields, for
// change-only reads: where each record starts and ends, and its line. The
// records are exactly those CsvReader hands out, and a file CsvReader refuses
// is refused with the same message.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace peoplesync::csv {

// A whole file's bytes, as read once: they stay as they were when the file
// changes on disk afterwards.
class FileBytes {
public:
    enum class Digest { no, yes };

    // Reads `file`; `name` is how errors name it. Throws Error, naming the
    // file, as CsvReader does. The memory of `recycled` is used again when
    // the file fits: memory that is already the process's is filled faster.
    // With Digest::yes, digest() is that of the bytes read.
    static FileBytes read(const std::filesystem::path& file, const std::string& name, FileBytes recycled,
                          Digest digest = Digest::no);

    // The digest read() would give `file`'s bytes now, read through a small
    // buffer and kept nowhere: telling an unchanged export costs no memory
    // the size of the file (whose fresh pages, on a virtual machine, took
    // most of that time: 182 MB in 0.10-0.26 s kept, 0.05 s through 1 MiB).
    static std::string digest_of_file(const std::filesystem::path& file, const std::string& name);

    std::string_view view() const { return {data_.get(), size_}; }

    // A digest of the bytes at memory speed (not a cryptographic one: it
    // tells an unchanged export from a changed one, nothing more): each
    // 1 MiB is hashed (hash.hpp) as it is read, and those hashes are
    // folded into two words with the size. Empty unless read with
    // Digest::yes.
    const std::string& digest() const { return digest_; }

    // Gives the memory of the whole pages in [from, to) (inside view())
    // back to the system, where it can: the bytes there are no longer the
    // file's. For bytes read once and done with.
    void release(const char* from, const char* to);

private:
    struct FreeBytes {
        void operator()(char* bytes) const { std::free(bytes); }
    };
    using Bytes = std::unique_ptr<char[], FreeBytes>;
    // Memory for `size` bytes, not cleared. A large file's goes in huge pages
    // where the system offers them (Linux's transparent huge pages, asked for
    // the region): every fresh page costs a fault when first written, and on
    // a virtual machine those faults take most of a large read. Measured on
    // this project's machine, 182 MB read into fresh memory: 0.66 s in 4 KiB
    // pages, 0.04 s in 2 MiB ones.
    static Bytes allocate(std::size_t size);
    static std::string digest_of(const std::vector<std::uint64_t>& chunk_hashes, std::uint64_t size);

    Bytes data_;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
    std::string digest_;
};

struct RecordBounds {
    std::size_t begin = 0;   // its first byte
    std::size_t end = 0;     // past its last byte, the line feed that ends it excluded
    std::int64_t line = 0;   // the physical line it starts on
    bool has_quote = false;  // a quote somewhere in it: only CsvReader can take its fields apart
};

class RecordSplitter {
public:
    // `data` is the file without its byte order mark; `name` is how errors
    // name it ("employees.csv").
    RecordSplitter(std::string_view data, std::string name, char delimiter);

    // Skips `count` physical lines as they are, quotes or not.
    void skip_lines(std::int64_t count);

    // The next record; false at the end of the data. Throws Error, naming the
    // line, for a quoted field that never closes or a record longer than
    // CsvReader::max_record_bytes.
    bool next(RecordBounds& record);

private:
    std::size_t find(char c, std::size_t from, std::size_t to) const;
    [[noreturn]] void fail_at(std::int64_t line, const std::string& message) const;
    [[noreturn]] void fail_too_long(std::int64_t line, std::int64_t open_quote_line) const;

    std::string_view data_;
    std::string name_;
    char delimiter_;
    std::size_t pos_ = 0;    // the next unread byte
    std::int64_t line_ = 1;  // the physical line at pos_
};

}  // namespace peoplesync::csv
