// How a user record is stored as bytes: everything but where it came from,
// as the texts of its first twelve fields, its active flag, its departments,
// then the texts of fields added since (see below), each text as its length
// (a varint) and its bytes. The core's snapshot store and records files and
// the webhook sink's state are written in it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <peoplesync/error.hpp>
#include <peoplesync/model.hpp>

namespace peoplesync {

inline void put_varint(std::string& out, std::uint64_t value);
inline void put_text(std::string& out, std::string_view text);
inline std::size_t varint_size(std::uint64_t value);
// What put_text() writes, in bytes.
inline std::size_t text_size(std::string_view text);

// Reads what put_varint() and put_text() wrote; a read past the end, or a
// varint longer than 64 bits, is an Error about `what` the bytes are ("a
// stored snapshot is truncated").
class ByteReader {
public:
    explicit ByteReader(std::string_view bytes, std::string_view what = "a stored snapshot")
        : bytes_(bytes), what_(what) {}
    inline std::uint64_t varint();
    inline std::string text();
    inline bool byte();
    // The next `size` bytes as they are.
    inline std::string_view bytes(std::uint64_t size);
    bool at_end() const { return at_ == bytes_.size(); }
    std::size_t left() const { return bytes_.size() - at_; }
    [[noreturn]] void fail(std::string_view problem) const {
        throw Error(std::string(what_) + " is " + std::string(problem));
    }

private:
    std::string_view bytes_;
    std::string_view what_;
    std::size_t at_ = 0;
};

// One user as bytes, origin excluded.
inline void encode_record(const UserView& user, std::string& out);
// What encode_record() writes, to the byte.
inline std::size_t record_size(const UserView& user);
// The user encode_record() wrote, into `user` (its origin left as it is);
// damaged bytes are an Error about `what` they are.
inline void decode_record(std::string_view bytes, User& user, std::string_view what = "a stored snapshot");

inline void put_varint(std::string& out, std::uint64_t value) {
    while (value >= 0x80) {
        out.push_back(static_cast<char>((value & 0x7f) | 0x80));
        value >>= 7;
    }
    out.push_back(static_cast<char>(value));
}

inline void put_text(std::string& out, std::string_view text) {
    put_varint(out, text.size());
    out.append(text);
}

inline std::size_t varint_size(std::uint64_t value) {
    std::size_t size = 1;
    for (; value >= 0x80; value >>= 7) ++size;
    return size;
}
inline std::size_t text_size(std::string_view text) {
    return varint_size(text.size()) + text.size();
}

inline std::uint64_t ByteReader::varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (at_ >= bytes_.size()) fail("truncated");
        const auto byte = static_cast<unsigned char>(bytes_[at_++]);
        value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) return value;
    }
    fail("corrupt");
}

inline std::string_view ByteReader::bytes(std::uint64_t size) {
    if (size > bytes_.size() - at_) fail("truncated");
    const std::string_view out = bytes_.substr(at_, size);
    at_ += size;
    return out;
}

inline std::string ByteReader::text() {
    return std::string(bytes(varint()));
}

inline bool ByteReader::byte() {
    if (at_ >= bytes_.size()) fail("truncated");
    return bytes_[at_++] != '\0';
}

namespace record_format {

// The first format stored the texts of the table's first twelve fields
// (hris_id to manager), active and the departments. A field added to the
// table since has its texts after those, up to the last that is not empty:
// a record without a value for them keeps the bytes (and the content hash)
// an earlier build gave it, and a record an earlier build wrote reads with
// them empty.
constexpr std::size_t first_format_fields = 12;
static_assert(field_specs[first_format_fields - 1].id == FieldId::manager);
constexpr std::size_t first_format_texts = [] {
    std::size_t texts = 0;
    for (std::size_t i = 0; i < first_format_fields; ++i) texts += field_specs[i].texts();
    return texts;
}();
static_assert(first_format_texts == 12);
constexpr bool later_fields_are_texts = [] {
    for (std::size_t i = first_format_fields; i < field_count; ++i)
        if (field_specs[i].kind != FieldKind::text) return false;
    return true;
}();
static_assert(later_fields_are_texts, "a field added to the table after manager is stored only if it is a text");

inline std::array<std::string_view, field_texts> texts_of(const UserView& u) {
    std::array<std::string_view, field_texts> texts;
    std::size_t k = 0;
    for_each_text(u, [&](Text text) { texts[k++] = text; });
    return texts;
}

// How many texts are stored: the first format's, and later fields' up to the
// last that is not empty.
inline std::size_t stored_texts(const std::array<std::string_view, field_texts>& texts) {
    std::size_t end = field_texts;
    while (end > first_format_texts && texts[end - 1].empty()) --end;
    return end;
}

}  // namespace record_format

inline void encode_record(const UserView& u, std::string& out) {
    const auto texts = record_format::texts_of(u);
    for (std::size_t k = 0; k < record_format::first_format_texts; ++k) put_text(out, texts[k]);
    out.push_back(u.active ? '\1' : '\0');
    put_varint(out, u.departments.size());
    for (const auto& path : u.departments) put_text(out, path);
    for (std::size_t k = record_format::first_format_texts, end = record_format::stored_texts(texts); k < end; ++k)
        put_text(out, texts[k]);
}

inline std::size_t record_size(const UserView& u) {
    const auto texts = record_format::texts_of(u);
    std::size_t size = 1 + varint_size(u.departments.size());
    for (std::size_t k = 0, end = record_format::stored_texts(texts); k < end; ++k) size += text_size(texts[k]);
    for (const auto& path : u.departments) size += text_size(path);
    return size;
}

inline void decode_record(std::string_view bytes, User& u, std::string_view what) {
    ByteReader r(bytes, what);
    std::array<std::string*, field_texts> texts;
    std::size_t k = 0;
    for_each_text(u, [&](std::string& text) { texts[k++] = &text; });
    for (k = 0; k < record_format::first_format_texts; ++k) *texts[k] = r.text();
    u.active = r.byte();
    // Each department takes a byte at least: a damaged count must not size the vector.
    const std::uint64_t departments = r.varint();
    if (departments > r.left()) r.fail("corrupt");
    u.departments.resize(departments);
    for (auto& path : u.departments) path = r.text();
    for (k = record_format::first_format_texts; k < field_texts; ++k)
        if (r.at_end())
            texts[k]->clear();
        else
            *texts[k] = r.text();
}

}  // namespace peoplesync
