// What a push source needs from the daemon's HTTP server: requests as plain
// values, routes, and the gateway that turns an accepted request into a run.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <peoplesync/model.hpp>

namespace peoplesync {

struct HttpRequest {
    std::string method;  // "POST"
    std::string path;    // "/hriswebhook/sync/e4a7.../", without the query
    std::string query;   // after '?', undecoded
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;  // read whole, within the server's max_body_bytes
    std::string remote_address;

    // The first header of that name, compared case-insensitively; empty if none.
    std::string header(std::string_view name) const;
};

struct HttpResponse {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

class HttpHandler {
public:
    virtual ~HttpHandler();
    // Handles a request whose path starts with the prefix the handler was
    // added for. Returns false when the request is not this handler's (e.g.
    // an endpoint token it does not own): the server tries the next handler
    // of the prefix, and answers 404 when none takes it. Called from the
    // server's threads, possibly at once.
    virtual bool handle(const HttpRequest& request, HttpResponse& response) = 0;
};

// The daemon's answer to a submitted snapshot.
struct PushReceipt {
    std::string request_id;
    std::string mode;       // "test" or "live"
    bool accepted = false;  // false: refused (invalid under on_invalid: reject); findings say why
    std::vector<Finding> findings;
};

// What PushGateway::record_message() made of a request.
struct RecordedMessage {
    enum class Outcome {
        fresh,      // logged as a new message: refuse() or submit() it as any other
        duplicate,  // a copy of a message the pipeline accepted: logged as such, never run; answer 2xx
        busy,       // a copy of a message still being received: logged as refused; ask for it again later
    };
    Outcome outcome = Outcome::fresh;
    std::string request_id;   // this request's, in the log
    std::string mode;         // "test" or "live"
    std::string original_id;  // duplicate, busy: the request this one copies
    std::string message;      // duplicate, busy: what to tell the sender
};

// How a push source hands what it received to its pipeline.
class PushGateway {
public:
    virtual ~PushGateway();
    // Stores an authenticated request durably and returns its id. Call it
    // before answering: nothing acknowledged may be lost.
    virtual std::string record_request(const HttpRequest& request) = 0;
    // Marks a recorded request refused (a body that is not a snapshot); the
    // receipt carries the mode and the reason as a finding, for the answer.
    virtual PushReceipt refuse(const std::string& request_id, const std::string& reason) = 0;
    // Validates the snapshot now and, if it can be used, queues it for the
    // pipeline, which diffs and applies it (or simulates, in test mode)
    // after the answer.
    virtual PushReceipt submit(const std::string& request_id, Snapshot snapshot) = 0;
    // record_request() for a request that carries its sender's id for the
    // message (Standard Webhooks' webhook-id). Delivery is at least once: a
    // sender that lost the answer sends the message again, with its id. A
    // request with the id and the body of one this pipeline accepted in the
    // last `window_secs` is logged as its duplicate, and must not be
    // submitted; one whose original is still being received waits for it.
    // Check and log are one step: two copies at once never both come out
    // fresh. The default logs every request as fresh.
    virtual RecordedMessage record_message(const HttpRequest& request, const std::string& message_id,
                                           std::int64_t window_secs);
};

}  // namespace peoplesync
