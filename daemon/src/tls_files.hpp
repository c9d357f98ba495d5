// The daemon's TLS certificate and key, read before it serves (and by
// `peoplesync validate`), and the fingerprint by which the CLI recognises
// the daemon it talks to.
#pragma once

#include <string>

#include <Poco/Crypto/X509Certificate.h>

#include "daemon_settings.hpp"

namespace peoplesync::core {

// Reads the certificate and key files as the daemon's HTTPS server will:
// both readable PEM, the key unencrypted and the certificate's own. Returns
// the certificate's fingerprint. Throws ConfigError naming the file, line
// and key of the setting.
std::string check_tls_files(const TlsSettings& tls);

// The SHA-256 of the certificate (DER), as `openssl x509 -fingerprint
// -sha256` writes it: "AB:CD:...".
std::string certificate_fingerprint(const Poco::Crypto::X509Certificate& certificate);

}  // namespace peoplesync::core
