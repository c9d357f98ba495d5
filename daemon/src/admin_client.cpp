#include "admin_client.hpp"

#include <fstream>
#include <sstream>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

namespace peoplesync::core {

using nlohmann::json;

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
    if (info.url.empty()) return std::nullopt;
    return info;
}

void write_daemon_info(const std::filesystem::path& file, const DaemonInfo& info) {
    json doc = {{"pid", info.pid}, {"url", info.url}, {"config", info.config}, {"started_at", info.started_at}};
    if (!info.token.empty()) doc["token"] = info.token;
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

AdminClient::AdminClient(std::string url, std::string token) : url_(std::move(url)), token_(std::move(token)) {
    while (!url_.empty() && url_.back() == '/') url_.pop_back();
}

std::optional<DaemonInfo> running_daemon(const Settings& settings) {
    auto info = read_daemon_info(daemon_info_file(settings.state_database));
    if (!info) return std::nullopt;
    AdminClient probe(info->url, "");
    json health;
    try {
        health = probe.get("/health");
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
    return AdminClient(info->url, token);
}

json AdminClient::get(const std::string& path) const {
    return call("GET", path, "");
}

json AdminClient::post(const std::string& path, const json& body) const {
    return call("POST", path, body.dump());
}

json AdminClient::call(const std::string& method, const std::string& path, const std::string& body) const {
    Poco::URI uri(url_);
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (uri.getScheme() == "https") {
        // The CLI talks to the daemon on this machine: it takes its certificate as it is.
        Poco::Net::Context::Ptr context =
            new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", Poco::Net::Context::VERIFY_NONE);
        context->enableExtendedCertificateVerification(false);
        session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), context);
    } else {
        session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    }
    // Connecting must be quick; a run the daemon performs for us may take long.
    session->setTimeout(Poco::Timespan(2, 0), Poco::Timespan(60, 0), Poco::Timespan(24 * 3600, 0));
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
