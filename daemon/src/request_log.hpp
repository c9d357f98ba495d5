// Every request a push source accepted past authentication, as received:
// stored durably before it is answered, with its status as it goes through
// the pipeline (DESIGN §5: "You can view all the requests you have made to
// your Webhook Endpoint and run simulations").
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <Poco/Data/Session.h>
#include <nlohmann/json.hpp>

#include <peoplesync/model.hpp>

namespace peoplesync::core {

// received  -> stored, not yet validated
// validated -> valid, waiting for its run (diff, guard, apply or simulate)
// simulated, applied, blocked, failed -> what its run did (see run_id)
// rejected  -> refused: not JSON, malformed, or invalid under on_invalid: reject
struct PushRequest {
    std::int64_t id = 0;
    std::string pipeline;
    std::string received_at;  // ISO 8601 UTC
    std::string status;
    std::string mode;  // "test" or "live" when it was received; a test-mode request is never applied
    std::string remote_address;
    std::string content_type;
    std::int64_t size = 0;  // body bytes, uncompressed
    std::int64_t users = 0;
    std::int64_t run_id = 0;
    nlohmann::json findings = nlohmann::json::array();  // [{severity, location, message}]
    std::string message;
    std::string updated_at;

    bool pending() const { return status == "received" || status == "validated"; }
};

nlohmann::json findings_json(const std::vector<Finding>& findings);
nlohmann::json to_json(const PushRequest& request);

class RequestLog {
public:
    // Opens (and creates) the `push_requests` table in the state database,
    // on a connection of its own that syncs every commit to disk: an
    // acknowledged request survives a crash of the process or the machine.
    explicit RequestLog(const std::filesystem::path& state_database);
    ~RequestLog();
    RequestLog(const RequestLog&) = delete;
    RequestLog& operator=(const RequestLog&) = delete;

    // Stores a new request with its body (compressed); sets id and received_at.
    void record(PushRequest& request, const std::string& body);
    // Writes status, users, run_id, findings and message.
    void update(PushRequest& request);

    std::optional<PushRequest> get(std::int64_t id);
    std::string body(std::int64_t id);
    // Newest first; an empty pipeline means all. `before`: only requests
    // older than that request id (the next page), 0 for none.
    std::vector<PushRequest> list(const std::string& pipeline, std::int64_t limit, std::int64_t before = 0);
    // Oldest first: the requests of a pipeline with this status.
    std::vector<PushRequest> with_status(const std::string& pipeline, const std::string& status);
    // Oldest first: every request still received or validated, any pipeline.
    std::vector<PushRequest> pending();

private:
    std::mutex mutex_;
    std::unique_ptr<Poco::Data::Session> session_;
};

// A logged request's body as the snapshot its pipeline runs: the guide's
// JSON (snapshot_json.hpp), with the request's id, time and origin. Throws
// Error for a body that is not one.
Snapshot pushed_snapshot(const PushRequest& request, const std::string& body);

}  // namespace peoplesync::core
