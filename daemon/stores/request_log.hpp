// Every request a push source accepted past authentication, as received:
// stored durably before it is answered, with its status as it goes through
// the pipeline (docs/design.md §4; the webhook guide: "You can view all the requests you have made to
// your Webhook Endpoint and run simulations").
#pragma once

#include <chrono>
#include <condition_variable>
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
// duplicate -> a copy of an accepted message (same message id and body); never runs
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
    std::string message_id;  // the sender's id for its message (webhook-id); empty when it sent none
    // When its body was removed (BodyRetention); empty while it is kept.
    std::string body_removed_at;

    bool pending() const { return status == "received" || status == "validated"; }
};

nlohmann::json findings_json(const std::vector<Finding>& findings);
nlohmann::json to_json(const PushRequest& request);

// How long the bodies of finished requests are kept (0: no limit). A
// request's row stays for good; its body (needed only to run it, to
// simulate a request refused before its run, and to tell a copy from a new
// message) goes once it is finished (not received or validated) and either
// of its pipeline's `keep` newer requests exist or it was received more than
// `keep_days` days ago.
struct BodyRetention {
    std::int64_t keep = 0;
    std::int64_t keep_days = 0;
    bool operator==(const BodyRetention&) const = default;
};

class RequestLog {
public:
    // Opens (and creates) the `push_requests` table in the state database,
    // on a connection of its own that syncs every commit to disk: an
    // acknowledged request survives a crash of the process or the machine.
    explicit RequestLog(const std::filesystem::path& state_database);
    ~RequestLog();
    RequestLog(const RequestLog&) = delete;
    RequestLog& operator=(const RequestLog&) = delete;

    // Where the bodies are kept: <state database>.requests/, a file each.
    static std::filesystem::path bodies_folder(const std::filesystem::path& state_database);

    // Stores a new request with its body (a file, synced before the row
    // names it); sets id and received_at. Then removes the bodies of the
    // pipeline that the retention no longer keeps.
    void record(PushRequest& request, const std::string& body);
    // Writes status, users, run_id, findings and message; once the request is
    // finished, removes the bodies of the pipeline the retention no longer
    // keeps.
    void update(PushRequest& request);

    // None until set: the CLI keeps every body; the daemon sets its
    // configuration's `requests` at start and at each reload.
    void set_body_retention(const BodyRetention& retention);
    // Removes the bodies that the retention no longer keeps, of one pipeline
    // or (empty) of all; returns how many. Their rows say when
    // (body_removed_at); their files go once the rows say so.
    std::int64_t remove_old_bodies(const std::string& pipeline = "");

    // What record_message() found before it stored a request.
    struct EarlierCopy {
        enum class Kind { none, accepted, in_flight } kind = Kind::none;
        PushRequest original;
    };
    // record() for a request with its sender's message id: when an earlier
    // request of the pipeline with that id and the same body was accepted
    // (validated, whatever its run did since) and received no longer than
    // `window_secs` ago, the request is stored as its "duplicate". While the
    // earlier one is still "received" (being validated), this waits for it,
    // up to `wait`, then stores the request "rejected". Check and store are
    // one step under the log's lock: of two copies at once one is the original.
    EarlierCopy record_message(PushRequest& request, const std::string& body, std::int64_t window_secs,
                               std::chrono::milliseconds wait);

    std::optional<PushRequest> get(std::int64_t id);
    std::string body(std::int64_t id);
    // Newest first; an empty pipeline means all. `before`: only requests
    // older than that request id (the next page), 0 for none.
    std::vector<PushRequest> list(const std::string& pipeline, std::int64_t limit, std::int64_t before = 0);
    // Oldest first: the requests of a pipeline with this status.
    std::vector<PushRequest> with_status(const std::string& pipeline, const std::string& status);
    // Oldest first: every request still received or validated, any pipeline.
    std::vector<PushRequest> pending();

    // Removes the body files no request names: those of a process that
    // stopped between a body's file and its row. Only for the one process
    // that receives requests (peoplesyncd), before it serves them.
    void remove_unlogged_bodies();

    struct StoredBody;

private:
    struct KeptBody {
        std::string file;    // the file's name; empty for an empty body
        std::string digest;  // body_digest()
    };
    KeptBody keep_body(const std::string& body);
    void insert(PushRequest& request, const KeptBody& body);
    void insert_row(PushRequest& request, const KeptBody& body);
    std::string body_of(const StoredBody& stored) const;
    EarlierCopy earlier_copy(const PushRequest& request, const std::string& body, const std::string& digest,
                             std::int64_t window_secs);
    bool same_body(std::int64_t id, const std::string& body, const std::string& digest);
    void tidy(const std::string& pipeline);  // remove_old_bodies(), its failure left for the next time

    std::mutex mutex_;
    std::condition_variable status_changed_;  // update() wakes record_message() waiting for an original
    std::unique_ptr<Poco::Data::Session> session_;
    std::filesystem::path bodies_;
    BodyRetention retention_;  // under mutex_
};

// A logged request's body as the snapshot its pipeline runs: the guide's
// JSON (snapshot_json.hpp), with the request's id, time and origin. Throws
// Error for a body that is not one.
Snapshot pushed_snapshot(const PushRequest& request, const std::string& body);

}  // namespace peoplesync::core
