#include "record_codec.hpp"

#include <array>

#include <peoplesync/error.hpp>

namespace peoplesync::core {

void put_varint(std::string& out, std::uint64_t value) {
    while (value >= 0x80) {
        out.push_back(static_cast<char>((value & 0x7f) | 0x80));
        value >>= 7;
    }
    out.push_back(static_cast<char>(value));
}

void put_text(std::string& out, std::string_view text) {
    put_varint(out, text.size());
    out.append(text);
}

std::size_t varint_size(std::uint64_t value) {
    std::size_t size = 1;
    for (; value >= 0x80; value >>= 7) ++size;
    return size;
}
std::size_t text_size(std::string_view text) {
    return varint_size(text.size()) + text.size();
}

std::uint64_t ByteReader::varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (at_ >= bytes_.size()) throw Error("a stored snapshot is truncated");
        const auto byte = static_cast<unsigned char>(bytes_[at_++]);
        value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) return value;
    }
    throw Error("a stored snapshot is corrupt");
}

std::string ByteReader::text() {
    const auto size = varint();
    if (size > bytes_.size() - at_) throw Error("a stored snapshot is truncated");
    std::string out(bytes_.substr(at_, size));
    at_ += size;
    return out;
}

bool ByteReader::byte() {
    if (at_ >= bytes_.size()) throw Error("a stored snapshot is truncated");
    return bytes_[at_++] != '\0';
}

namespace {

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

std::array<std::string_view, field_texts> texts_of(const UserView& u) {
    std::array<std::string_view, field_texts> texts;
    std::size_t k = 0;
    for_each_text(u, [&](Text text) { texts[k++] = text; });
    return texts;
}

// How many texts are stored: the first format's, and later fields' up to the
// last that is not empty.
std::size_t stored_texts(const std::array<std::string_view, field_texts>& texts) {
    std::size_t end = field_texts;
    while (end > first_format_texts && texts[end - 1].empty()) --end;
    return end;
}

}  // namespace

void encode_record(const UserView& u, std::string& out) {
    const auto texts = texts_of(u);
    for (std::size_t k = 0; k < first_format_texts; ++k) put_text(out, texts[k]);
    out.push_back(u.active ? '\1' : '\0');
    put_varint(out, u.departments.size());
    for (const auto& path : u.departments) put_text(out, path);
    for (std::size_t k = first_format_texts, end = stored_texts(texts); k < end; ++k) put_text(out, texts[k]);
}

std::size_t record_size(const UserView& u) {
    const auto texts = texts_of(u);
    std::size_t size = 1 + varint_size(u.departments.size());
    for (std::size_t k = 0, end = stored_texts(texts); k < end; ++k) size += text_size(texts[k]);
    for (const auto& path : u.departments) size += text_size(path);
    return size;
}

void decode_record(std::string_view bytes, User& u) {
    ByteReader r(bytes);
    std::array<std::string*, field_texts> texts;
    std::size_t k = 0;
    for_each_text(u, [&](std::string& text) { texts[k++] = &text; });
    for (k = 0; k < first_format_texts; ++k) *texts[k] = r.text();
    u.active = r.byte();
    // Each department takes a byte at least: a damaged count must not size the vector.
    const std::uint64_t departments = r.varint();
    if (departments > r.left()) throw Error("a stored snapshot is corrupt");
    u.departments.resize(departments);
    for (auto& path : u.departments) path = r.text();
    for (k = first_format_texts; k < field_texts; ++k)
        if (r.at_end())
            texts[k]->clear();
        else
            *texts[k] = r.text();
}

}  // namespace peoplesync::core
