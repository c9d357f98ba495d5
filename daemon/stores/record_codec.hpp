// How a snapshot's records are stored as bytes: a user record (everything
// but where it came from) as the texts of its first twelve fields, its
// active flag, its departments, then the texts of fields added since (see
// record_codec.cpp), each text as its length (a varint) and its bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <peoplesync/model.hpp>

namespace peoplesync::core {

void put_varint(std::string& out, std::uint64_t value);
void put_text(std::string& out, std::string_view text);
std::size_t varint_size(std::uint64_t value);
// What put_text() writes, in bytes.
std::size_t text_size(std::string_view text);

// Reads what put_varint() and put_text() wrote; a read past the end, or a
// varint longer than 64 bits, is an Error about a stored snapshot.
class ByteReader {
public:
    explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}
    std::uint64_t varint();
    std::string text();
    bool byte();
    bool at_end() const { return at_ == bytes_.size(); }
    std::size_t left() const { return bytes_.size() - at_; }

private:
    std::string_view bytes_;
    std::size_t at_ = 0;
};

// One user as bytes, origin excluded.
void encode_record(const UserView& user, std::string& out);
// What encode_record() writes, to the byte.
std::size_t record_size(const UserView& user);
// The user encode_record() wrote, into `user` (its origin left as it is).
void decode_record(std::string_view bytes, User& user);

}  // namespace peoplesync::core
