#include "record_hash.hpp"

#include "hash.hpp"

namespace peoplesync::core {

RecordHash hash_bytes(std::string_view bytes) {
    return hash::bytes128(bytes);
}

RecordHash hash_parts(std::initializer_list<std::string_view> parts) {
    return hash::parts128(parts);
}

std::uint64_t hash_parts64(std::initializer_list<std::string_view> parts) {
    return hash::parts(parts);
}

std::string hash_hex(const RecordHash& hash) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (auto word : hash)
        for (int shift = 60; shift >= 0; shift -= 4) out.push_back(digits[(word >> shift) & 0xf]);
    return out;
}

}  // namespace peoplesync::core
