#include "http_delivery.hpp"

#include <memory>

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>

#include <peoplesync/text.hpp>

#include "signature.hpp"

namespace peoplesync::webhook_sink {

namespace {

using Outcome = DeliveryResult::Outcome;

// How much of an answer's body a message quotes, and how much is read at all.
constexpr std::size_t quoted_bytes = 300;
constexpr std::streamsize read_bytes = 64 * 1024;

// The start of an answer's body as one line of readable text.
std::string excerpt(std::string body, const std::string& api_key) {
    if (!api_key.empty())  // a receiver that echoes its request must not leak the key into logs
        for (auto at = body.find(api_key); at != std::string::npos; at = body.find(api_key, at))
            body.replace(at, api_key.size(), "***");
    std::size_t end = std::min(body.size(), quoted_bytes);
    while (end > 0 && end < body.size() && (static_cast<unsigned char>(body[end]) & 0xC0) == 0x80) --end;
    std::string text = replace_invalid_utf8(std::string_view(body).substr(0, end));
    for (char& c : text)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
    if (end < body.size()) text += "...";
    return text;
}

DeliveryResult result(Outcome outcome, std::string message, std::int64_t retry_after = -1) {
    DeliveryResult r;
    r.outcome = outcome;
    r.message = std::move(message);
    r.retry_after_secs = retry_after;
    return r;
}

}  // namespace

std::int64_t retry_after_secs(const std::string& value, std::int64_t now) {
    const std::string_view text = trim_view(value);
    if (text.empty()) return -1;
    if (text.find_first_not_of("0123456789") == std::string_view::npos) {
        if (text.size() > 9) return -1;
        return std::stoll(std::string(text));
    }
    Poco::DateTime date;
    int zone = 0;
    if (!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::HTTP_FORMAT, std::string(text), date, zone)) return -1;
    const std::int64_t at = date.timestamp().epochTime() - zone;
    return std::max<std::int64_t>(0, at - now);
}

HttpDelivery::HttpDelivery(DeliverySettings settings) : settings_(std::move(settings)) {
    if (!settings_.https) return;
    Poco::Net::initializeSSL();
    Poco::Net::Context::Params params;
    params.verificationMode =
        settings_.verify_certificate ? Poco::Net::Context::VERIFY_STRICT : Poco::Net::Context::VERIFY_NONE;
    params.caLocation = settings_.ca_file;
    params.loadDefaultCAs = settings_.ca_file.empty();
    try {
        tls_ = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    } catch (const Poco::Exception& e) {
        Poco::Net::uninitializeSSL();
        throw Error("cannot set up TLS" + (settings_.ca_file.empty() ? "" : " with ca_file " + settings_.ca_file) +
                    ": " + e.displayText());
    }
    // With verification on, Poco checks the host name against the certificate.
    tls_->enableExtendedCertificateVerification(settings_.verify_certificate);
}

HttpDelivery::~HttpDelivery() {
    if (settings_.https) {
        tls_.reset();
        Poco::Net::uninitializeSSL();
    }
}

DeliveryResult HttpDelivery::deliver(const Delivery& delivery, std::int64_t now) const {
    const DeliverySettings& s = settings_;
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (s.https)
        session = std::make_unique<Poco::Net::HTTPSClientSession>(s.host, s.port, tls_);
    else
        session = std::make_unique<Poco::Net::HTTPClientSession>(s.host, s.port);
    if (!s.proxy_host.empty()) session->setProxy(s.proxy_host, s.proxy_port);
    session->setTimeout(Poco::Timespan(s.connect_timeout_secs, 0), Poco::Timespan(s.timeout_secs, 0),
                        Poco::Timespan(s.timeout_secs, 0));

    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, s.target, Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(delivery.body.size()));
    request.set("User-Agent", s.user_agent);
    request.set("webhook-id", delivery.message_id);
    if (!s.api_key.empty()) request.set("X-HRIS-AUTHENTICATION", s.api_key);
    if (!s.signing_key.empty()) {
        request.set("webhook-timestamp", std::to_string(now));
        request.set("webhook-signature", sign(s.signing_key, delivery.message_id, now, delivery.body));
    }

    Poco::Net::HTTPResponse response;
    std::string body;
    try {
        std::ostream& out = session->sendRequest(request);
        out.write(delivery.body.data(), static_cast<std::streamsize>(delivery.body.size()));
        out.flush();
        if (!out) throw Poco::Net::NetException("the connection broke while sending");
        std::istream& in = session->receiveResponse(response);
        body.resize(static_cast<std::size_t>(read_bytes));
        in.read(body.data(), read_bytes);
        body.resize(static_cast<std::size_t>(in.gcount()));
    } catch (const Poco::Net::CertificateValidationException& e) {
        return result(Outcome::retry, "the TLS certificate of " + s.host + " is not trusted (" + e.displayText() +
                                          "); check ca_file, or the receiver's certificate");
    } catch (const Poco::Net::SSLException& e) {
        return result(Outcome::retry, "TLS with " + s.display_url + " failed (" + e.displayText() +
                                          "); check ca_file, or the receiver's certificate");
    } catch (const Poco::TimeoutException& e) {
        return result(Outcome::retry, "timed out talking to " + s.display_url + " (connect_timeout_secs " +
                                          std::to_string(s.connect_timeout_secs) + ", timeout_secs " +
                                          std::to_string(s.timeout_secs) + "): " + e.displayText());
    } catch (const Poco::Exception& e) {
        return result(Outcome::retry, "cannot deliver to " + s.display_url + ": " + e.displayText());
    } catch (const std::exception& e) {
        return result(Outcome::retry, "cannot deliver to " + s.display_url + ": " + e.what());
    }
    return answer(static_cast<int>(response.getStatus()), response.getReason(), body, response.get("Retry-After", ""),
                  response.get("Location", ""), now);
}

DeliveryResult HttpDelivery::answer(int status, const std::string& reason, const std::string& body,
                                    const std::string& retry_after, const std::string& location,
                                    std::int64_t now) const {
    std::string message = "HTTP " + std::to_string(status) + (reason.empty() ? "" : " " + reason);
    if (status >= 200 && status < 300) return result(Outcome::delivered, message);
    message += " from " + settings_.display_url;
    if (status >= 300 && status < 400 && !location.empty())
        message += " (moved to " + excerpt(location, settings_.api_key) + "; set url to the new address)";
    if (const std::string text = excerpt(body, settings_.api_key); !text.empty()) message += ": " + text;
    if (status >= 500 || status == 408 || status == 429)
        return result(Outcome::retry, message, retry_after_secs(retry_after, now));
    return result(Outcome::rejected, message);
}

}  // namespace peoplesync::webhook_sink
