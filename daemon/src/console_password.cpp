#include "console_password.hpp"

#include <sstream>
#include <vector>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <Poco/RandomStream.h>
#include <Poco/StreamCopier.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <peoplesync/error.hpp>

namespace peoplesync::core {

namespace {

constexpr const char* scheme = "pbkdf2-sha256";
constexpr std::size_t salt_bytes = 16;
constexpr std::size_t hash_bytes = 32;
// Below this a hash is too cheap to guess against; above, a sign-in would take minutes.
constexpr std::int64_t fewest_iterations = 10000;
constexpr std::int64_t most_iterations = 100000000;

std::string base64(const std::string& bytes) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << bytes;
    encoder.close();
    return out.str();
}

bool from_base64(const std::string& text, std::string& bytes) {
    if (text.empty() || text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") !=
                            std::string::npos)
        return false;
    try {
        std::istringstream in(text);
        Poco::Base64Decoder decoder(in);
        bytes.clear();
        Poco::StreamCopier::copyToString(decoder, bytes);
        return true;
    } catch (const Poco::Exception&) {
        return false;
    }
}

std::string derive(const std::string& password, const std::string& salt, std::int64_t iterations) {
    std::string out(hash_bytes, '\0');
    if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                          reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()),
                          static_cast<int>(iterations), EVP_sha256(), static_cast<int>(out.size()),
                          reinterpret_cast<unsigned char*>(out.data())) != 1)
        throw Error("the password could not be hashed (OpenSSL's PBKDF2 failed)");
    return out;
}

struct ParsedHash {
    std::int64_t iterations = 0;
    std::string salt;
    std::string hash;
};

// Empty when it parsed; else what is wrong.
std::string parse(const std::string& text, ParsedHash& parsed) {
    const std::string form =
        "write the hash \"peoplesync console-password\" prints: " + std::string(scheme) + "$ITERATIONS$SALT$HASH";
    std::vector<std::string> parts;
    std::size_t at = 0;
    while (true) {
        const auto next = text.find('$', at);
        parts.push_back(text.substr(at, next == std::string::npos ? std::string::npos : next - at));
        if (next == std::string::npos) break;
        at = next + 1;
    }
    if (parts.size() != 4 || parts[0] != scheme) return "not a console password hash: " + form;
    std::size_t used = 0;
    try {
        parsed.iterations = std::stoll(parts[1], &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != parts[1].size() || parsed.iterations < fewest_iterations ||
        parsed.iterations > most_iterations)
        return "the iteration count \"" + parts[1] + "\" is not a number from " + std::to_string(fewest_iterations) +
               " to " + std::to_string(most_iterations) + "; " + form;
    if (!from_base64(parts[2], parsed.salt) || parsed.salt.size() < 8)
        return "the salt is not base64 of at least 8 bytes; " + form;
    if (!from_base64(parts[3], parsed.hash) || parsed.hash.size() != hash_bytes)
        return "the hash is not base64 of 32 bytes (SHA-256); " + form;
    return {};
}

}  // namespace

std::string hash_console_password(const std::string& password, std::int64_t iterations) {
    Poco::RandomInputStream random;
    std::string salt(salt_bytes, '\0');
    random.read(salt.data(), static_cast<std::streamsize>(salt.size()));
    return std::string(scheme) + "$" + std::to_string(iterations) + "$" + base64(salt) + "$" +
           base64(derive(password, salt, iterations));
}

std::string console_password_hash_problem(const std::string& hash) {
    ParsedHash parsed;
    return parse(hash, parsed);
}

bool console_password_matches(const std::string& password, const std::string& hash) {
    ParsedHash parsed;
    if (!parse(hash, parsed).empty()) return false;
    const std::string derived = derive(password, parsed.salt, parsed.iterations);
    return CRYPTO_memcmp(derived.data(), parsed.hash.data(), hash_bytes) == 0;
}

}  // namespace peoplesync::core
