#include "admin_client.hpp"

#include <fstream>
#include <sstream>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include "tls_files.hpp"

namespace peoplesync::core {

using nlohmann::json;

namespace {

// An HTTPS session that connects before its first request, so that the
// certificate can be checked before anything is sent.
class PinnedSession final : public Poco::Net::HTTPSClientSession {
public:
    using HTTPSClientSession::HTTPSClientSession;

    // Connects to the daemon at `url` and goes on only when it presents the
    // certificate with the fingerprint `expected`.
    void connect_to(const std::string& url, const std::string& expected) {
        if (expected.empty())
            throw CertificateMismatch("peoplesyncd at " + url +
                                      ": its runtime file names no certificate fingerprint to recognise it by, so "
                                      "nothing was sent to it; restart peoplesyncd (this version writes one)");
        std::string presented;
        try {
            reconnect();
            presented = certificate_fingerprint(serverCertificate());
        } catch (const Poco::Exception& e) {
            throw Error("peoplesyncd at " + url + " did not answer: " + e.displayText());
        }
        if (presented != expected)
            throw CertificateMismatch("what answers at " + url + " presented a certificate with SHA-256 fingerprint " +
                                      presented + ", not peoplesyncd's (" + expected +
                                      ", as its runtime file says); nothing was sent to it. If peoplesyncd is not "
                                      "running, the runtime file is stale: remove it");
    }
};

}  // namespace

std::filesystem::path daemon_info_file(const std::filesystem::path& state_database) {
    return state_database.string() + ".peoplesyncd.json";
}

std::optional<DaemonInfo> read_daemon_info(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) return std::nullopt;
    std::stringstream text;
    text << in.rdbuf();
    json doc = json::parse(text.str(), nullptr, false);
    if (!doc.is_object()) return std::nullopt;
    DaemonInfo info;
    info.pid = doc.value("pid", std::int64_t{0});
    info.url = doc.value("url", "");
    info.token = doc.value("token", "");
    info.config = doc.value("config", "");
    info.started_at = doc.value("started_at", "");
    info.certificate_sha256 = doc.value("certificate_sha256", "");
    if (info.url.empty()) return std::nullopt;
    return info;
}

void write_daemon_info(const std::filesystem::path& file, const DaemonInfo& info) {
    json doc = {{"pid", info.pid}, {"url", info.url}, {"config", info.config}, {"started_at", info.started_at}};
    if (!info.token.empty()) doc["token"] = info.token;
    if (!info.certificate_sha256.empty()) doc["certificate_sha256"] = info.certificate_sha256;
    const std::filesystem::path temporary = file.string() + ".tmp";
    std::error_code ec;
    std::filesystem::remove(temporary, ec);
    {
        // Created empty and made private before the token is written into it.
        std::ofstream out(temporary, std::ios::trunc);
        if (!out) throw Error("cannot write " + temporary.string());
    }
    std::filesystem::permissions(temporary, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::replace, ec);
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << doc.dump(2) << "\n";
        if (!out) throw Error("cannot write " + temporary.string());
    }
    std::filesystem::rename(temporary, file, ec);
    if (ec) throw Error("cannot write " + file.string() + ": " + ec.message());
}

AdminClient::AdminClient(std::string url, std::string token, std::string certificate_sha256)
    : url_(std::move(url)), token_(std::move(token)), certificate_sha256_(std::move(certificate_sha256)) {
    while (!url_.empty() && url_.back() == '/') url_.pop_back();
}

std::optional<DaemonInfo> running_daemon(const Settings& settings) {
    auto info = read_daemon_info(daemon_info_file(settings.state_database));
    if (!info) return std::nullopt;
    AdminClient probe(info->url, "", info->certificate_sha256);
    json health;
    try {
        health = probe.get("/health");
    } catch (const CertificateMismatch&) {
        throw;
    } catch (const std::exception&) {
        return std::nullopt;  // a runtime file left by a daemon that is gone
    }
    if (health.value("service", "") != "peoplesyncd" || health.value("pid", std::int64_t{0}) != info->pid)
        return std::nullopt;
    return info;
}

std::optional<AdminClient> AdminClient::find(const Settings& settings) {
    auto info = running_daemon(settings);
    if (!info) return std::nullopt;
    std::string token = !settings.admin.token.empty() ? settings.admin.token : info->token;
    if (token.empty())
        throw Error("peoplesyncd (pid " + std::to_string(info->pid) + ") is running at " + info->url +
                    ", but its admin token is not known here: set admin.token in the configuration (or the "
                    "environment variable it names), or bypass the daemon with --local");
    return AdminClient(info->url, token, info->certificate_sha256);
}

json AdminClient::get(const std::string& path) const {
    return call("GET", path, "");
}

json AdminClient::post(const std::string& path, const json& body) const {
    return call("POST", path, body.dump());
}

json AdminClient::call(const std::string& method, const std::string& path, const std::string& body) const {
    Poco::URI uri(url_);
    // Connecting must be quick; a run the daemon performs for us may take long.
    const Poco::Timespan connect_timeout(2, 0), send_timeout(60, 0), receive_timeout(24 * 3600, 0);
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (uri.getScheme() == "https") {
        // The fingerprint stands for the chain of trust: a self-signed
        // certificate is fine, any other than the daemon's is refused.
        Poco::Net::Context::Ptr context =
            new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", Poco::Net::Context::VERIFY_NONE);
        context->enableExtendedCertificateVerification(false);
        auto pinned = std::make_unique<PinnedSession>(uri.getHost(), uri.getPort(), context);
        pinned->setTimeout(connect_timeout, send_timeout, receive_timeout);
        pinned->connect_to(url_, certificate_sha256_);
        session = std::move(pinned);
    } else {
        session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
        session->setTimeout(connect_timeout, send_timeout, receive_timeout);
    }
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!token_.empty()) request.set("Authorization", "Bearer " + token_);
    if (method == "POST") {
        request.setContentType("application/json");
        request.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    std::string text;
    Poco::Net::HTTPResponse response;
    try {
        std::ostream& out = session->sendRequest(request);
        out << body;
        std::istream& in = session->receiveResponse(response);
        Poco::StreamCopier::copyToString(in, text);
    } catch (const Poco::Exception& e) {
        throw Error("peoplesyncd at " + url_ + " did not answer: " + e.displayText());
    }
    json answer = json::parse(text, nullptr, false);
    const int status = static_cast<int>(response.getStatus());
    if (status >= 400) {
        std::string message =
            answer.is_object() && answer.contains("error") ? answer["error"].get<std::string>() : response.getReason();
        throw AdminError(status, message);
    }
    if (answer.is_discarded()) throw Error("peoplesyncd at " + url_ + " answered " + path + " with something not JSON");
    return answer;
}

}  // namespace peoplesync::core
