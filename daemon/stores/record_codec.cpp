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

// A record's text fields in the order they are stored (User or const User).
template <typename U>
auto record_texts(U& u) {
    return std::array{&u.hris_id,
                      &u.first_name,
                      &u.last_name,
                      &u.email,
                      &u.job_title,
                      &u.phone_number,
                      &u.employee_id,
                      &u.hire_date,
                      &u.profile_image.url,
                      &u.profile_image.last_modified,
                      &u.profile_image.cache_info,
                      &u.manager_hris_id};
}

}  // namespace

void encode_record(const UserView& u, std::string& out) {
    for (const auto* text : record_texts(u)) put_text(out, *text);
    out.push_back(u.active ? '\1' : '\0');
    put_varint(out, u.departments.size());
    for (const auto& path : u.departments) put_text(out, path);
}

std::size_t record_size(const UserView& u) {
    std::size_t size = 1 + varint_size(u.departments.size());
    for (const auto* text : record_texts(u)) size += text_size(*text);
    for (const auto& path : u.departments) size += text_size(path);
    return size;
}

void decode_record(std::string_view bytes, User& u) {
    ByteReader r(bytes);
    for (std::string* text : record_texts(u)) *text = r.text();
    u.active = r.byte();
    u.departments.resize(r.varint());
    for (auto& path : u.departments) path = r.text();
}

}  // namespace peoplesync::core
