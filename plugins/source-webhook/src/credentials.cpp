#include "credentials.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/RandomStream.h>
#include <Poco/SHA2Engine.h>
#include <nlohmann/json.hpp>

#include <peoplesync/error.hpp>

namespace peoplesync::webhook {

std::string random_hex(std::size_t bytes) {
    // /dev/urandom on Unix, the system's cryptographic generator on Windows.
    Poco::RandomInputStream random;
    std::string raw(bytes, '\0');
    random.read(raw.data(), static_cast<std::streamsize>(raw.size()));
    if (static_cast<std::size_t>(random.gcount()) != bytes) throw Error("the system's random source failed");
    static const char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes * 2);
    for (unsigned char c : raw) {
        out += digits[c >> 4];
        out += digits[c & 0x0f];
    }
    return out;
}

std::string sha256_hex(std::string_view text) {
    Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
    sha.update(text.data(), static_cast<unsigned>(text.size()));
    return Poco::DigestEngine::digestToHex(sha.digest());
}

bool equal_in_constant_time(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    unsigned char difference = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        difference |= static_cast<unsigned char>(static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]));
    return difference == 0;
}

std::string to_stored(const Credentials& c) {
    return nlohmann::json{
        {"endpoint_token", c.endpoint_token}, {"key_sha256", c.key_sha256}, {"created_at", c.created_at}}
        .dump();
}

std::optional<Credentials> from_stored(const std::string& text) {
    auto doc = nlohmann::json::parse(text, nullptr, false);
    if (!doc.is_object()) return std::nullopt;
    Credentials c;
    c.endpoint_token = doc.value("endpoint_token", "");
    c.key_sha256 = doc.value("key_sha256", "");
    c.created_at = doc.value("created_at", "");
    if (c.endpoint_token.empty() || c.key_sha256.size() != 64) return std::nullopt;
    return c;
}

}  // namespace peoplesync::webhook
