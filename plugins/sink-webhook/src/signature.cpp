#include "signature.hpp"

#include <sstream>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/HMACEngine.h>
#include <Poco/SHA2Engine.h>
#include <Poco/StreamCopier.h>

#include <peoplesync/error.hpp>

namespace peoplesync::webhook_sink {

namespace {

// Poco 1.11's HMACEngine needs the block and digest sizes that its
// SHA2Engine does not declare.
class Sha256Engine : public Poco::SHA2Engine {
public:
    enum { BLOCK_SIZE = 64, DIGEST_SIZE = 32 };
    Sha256Engine() : Poco::SHA2Engine(Poco::SHA2Engine::SHA_256) {}
};

constexpr std::string_view prefix = "whsec_";

bool is_base64(std::string_view text) {
    if (text.empty() || text.size() % 4 != 0) return false;
    std::size_t padding = 0;
    while (padding < 2 && text[text.size() - 1 - padding] == '=') ++padding;
    for (std::size_t i = 0; i < text.size() - padding; ++i) {
        const char c = text[i];
        const bool ok =
            (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
        if (!ok) return false;
    }
    return true;
}

std::string base64(const unsigned char* data, std::size_t size) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    encoder.close();
    return out.str();
}

}  // namespace

std::string signing_key(std::string_view secret) {
    if (secret.substr(0, prefix.size()) != prefix)
        throw Error("a signing secret starts with \"whsec_\" followed by the key in base64");
    const std::string_view encoded = secret.substr(prefix.size());
    if (!is_base64(encoded))
        throw Error(
            "the signing secret is not \"whsec_\" followed by valid base64 (A-Z, a-z, 0-9, +, / and = "
            "padding)");
    std::istringstream in{std::string(encoded)};
    Poco::Base64Decoder decoder(in);
    std::string key;
    Poco::StreamCopier::copyToString(decoder, key);
    if (key.empty()) throw Error("the signing secret's key is empty");
    return key;
}

std::string sign(std::string_view key, std::string_view message_id, std::int64_t timestamp, std::string_view body) {
    Poco::HMACEngine<Sha256Engine> hmac{std::string(key)};
    const std::string stamp = std::to_string(timestamp);
    hmac.update(message_id.data(), message_id.size());
    hmac.update('.');
    hmac.update(stamp);
    hmac.update('.');
    hmac.update(body.data(), body.size());
    const auto& digest = hmac.digest();
    return "v1," + base64(digest.data(), digest.size());
}

}  // namespace peoplesync::webhook_sink
