#include "tls_files.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <peoplesync/error.hpp>

namespace peoplesync::core {

namespace {

struct FreeBio {
    void operator()(BIO* bio) const { BIO_free(bio); }
};
struct FreeCertificate {
    void operator()(X509* certificate) const { X509_free(certificate); }
};
struct FreeKey {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

std::string read_file(const std::filesystem::path& file, const std::string& where) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) throw ConfigError(where + ": " + file.string() + " does not exist");
    if (!std::filesystem::is_regular_file(file, ec)) throw ConfigError(where + ": " + file.string() + " is not a file");
    std::ifstream in(file, std::ios::binary);
    if (!in) throw ConfigError(where + ": cannot read " + file.string() + ": " + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::unique_ptr<BIO, FreeBio> memory(const std::string& text) {
    return std::unique_ptr<BIO, FreeBio>(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// A key that asks for a passphrase is refused: nobody is there to type it.
int no_passphrase(char*, int, int, void*) {
    return 0;
}

std::string fingerprint_of(const X509* certificate) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (X509_digest(certificate, EVP_sha256(), digest, &size) != 1) throw Error("cannot hash a certificate");
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned int i = 0; i < size; ++i) {
        if (i > 0) out += ':';
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 0x0f];
    }
    return out;
}

}  // namespace

std::string check_tls_files(const TlsSettings& tls) {
    const std::string certificate_text = read_file(tls.certificate_file, tls.certificate_where);
    const std::string key_text = read_file(tls.private_key_file, tls.private_key_where);
    // The first certificate of a chain file is the one the server presents.
    std::unique_ptr<X509, FreeCertificate> certificate(
        PEM_read_bio_X509(memory(certificate_text).get(), nullptr, nullptr, nullptr));
    if (!certificate) {
        ERR_clear_error();
        throw ConfigError(tls.certificate_where + ": " + tls.certificate_file.string() +
                          " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }
    std::unique_ptr<EVP_PKEY, FreeKey> key(
        PEM_read_bio_PrivateKey(memory(key_text).get(), nullptr, no_passphrase, nullptr));
    if (!key) {
        ERR_clear_error();
        throw ConfigError(tls.private_key_where + ": " + tls.private_key_file.string() +
                          " holds no PEM private key, or one encrypted with a passphrase (the daemon needs it "
                          "unencrypted, readable only by its user)");
    }
    if (X509_check_private_key(certificate.get(), key.get()) != 1) {
        ERR_clear_error();
        throw ConfigError(tls.private_key_where + ": " + tls.private_key_file.string() +
                          " is not the private key of the certificate in " + tls.certificate_file.string());
    }
    return fingerprint_of(certificate.get());
}

std::string certificate_fingerprint(const Poco::Crypto::X509Certificate& certificate) {
    return fingerprint_of(certificate.certificate());
}

}  // namespace peoplesync::core
