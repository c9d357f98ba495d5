// The 128-bit hash that names a stored record, and its relatives: the
// snapshot's key and the rows files' checksum. All of them hash.hpp's family.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace peoplesync::core {

using RecordHash = std::array<std::uint64_t, 2>;

RecordHash hash_bytes(std::string_view bytes);
// hash_bytes() of the parts one after the other, without joining them.
RecordHash hash_parts(std::initializer_list<std::string_view> parts);
// The 64-bit hash of the parts one after the other: a checksum.
std::uint64_t hash_parts64(std::initializer_list<std::string_view> parts);

// 32 hex digits.
std::string hash_hex(const RecordHash& hash);
// The hash's 16 bytes as they are stored.
inline std::string_view as_bytes(const RecordHash& hash) {
    return {reinterpret_cast<const char*>(hash.data()), sizeof(RecordHash)};
}

}  // namespace peoplesync::core
