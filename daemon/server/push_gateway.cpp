#include "push_gateway.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>
#include <string_view>

#include "manager_warnings.hpp"

namespace peoplesync::server {

namespace {
// How long a copy of a message waits for its original's validation before
// it is refused as busy (503), for its sender to send it again.
constexpr std::chrono::seconds original_wait{10};
}  // namespace

RequestNote& current_request_note() {
    thread_local RequestNote note;
    return note;
}

RequestGateway::RequestGateway(DaemonServices& services, core::Pipeline& pipeline, PipelineWorker& worker)
    : services_(services), pipeline_(pipeline), worker_(worker), log_(Poco::Logger::get("peoplesyncd.push")) {}

core::PushRequest RequestGateway::received(const HttpRequest& http) const {
    core::PushRequest request;
    request.pipeline = pipeline_.settings().name;
    request.status = "received";
    request.mode = std::string(core::to_string(pipeline_.mode()));
    request.remote_address = http.remote_address;
    request.content_type = http.header("Content-Type");
    request.size = static_cast<std::int64_t>(http.body.size());
    return request;
}

// Counts a request just logged and names it in the HTTP server's log line.
std::string RequestGateway::noted(const core::PushRequest& request) {
    services_.metrics.push_request(request.pipeline, request.status);
    const std::string id = std::to_string(request.id);
    current_request_note() = {request.pipeline, id};
    return id;
}

std::string RequestGateway::record_request(const HttpRequest& http) {
    core::PushRequest request = received(http);
    services_.requests.record(request, http.body);
    return noted(request);
}

RecordedMessage RequestGateway::record_message(const HttpRequest& http, const std::string& message_id,
                                               std::int64_t window_secs) {
    core::PushRequest request = received(http);
    request.message_id = message_id;
    const auto copy = services_.requests.record_message(request, http.body, window_secs, original_wait);
    RecordedMessage recorded;
    recorded.request_id = noted(request);
    recorded.mode = request.mode;
    if (copy.kind == core::RequestLog::EarlierCopy::Kind::none) return recorded;
    recorded.outcome = copy.kind == core::RequestLog::EarlierCopy::Kind::accepted ? RecordedMessage::Outcome::duplicate
                                                                                  : RecordedMessage::Outcome::busy;
    recorded.original_id = std::to_string(copy.original.id);
    recorded.message = request.message;
    log_.information("pipeline " + request.pipeline + " request " + recorded.request_id + ": " + request.message);
    return recorded;
}

core::PushRequest RequestGateway::logged(const std::string& request_id) {
    std::int64_t id = 0;
    try {
        id = std::stoll(request_id);
    } catch (const std::exception&) {
    }
    auto request = services_.requests.get(id);
    if (!request || request->pipeline != pipeline_.settings().name)
        throw Error("pipeline " + pipeline_.settings().name + " logged no request \"" + request_id + "\"");
    return *request;
}

PushReceipt RequestGateway::refuse(const std::string& request_id, const std::string& reason) {
    core::PushRequest request = logged(request_id);
    Finding finding{Severity::error, "request body", reason, -1};
    request.status = "rejected";
    request.message = reason;
    request.findings = core::findings_json({finding});
    services_.requests.update(request);
    services_.metrics.push_request(request.pipeline, request.status);
    return {request_id, request.mode, false, {finding}};
}

PushReceipt RequestGateway::submit(const std::string& request_id, Snapshot snapshot) {
    core::PushRequest request = logged(request_id);
    return admit(request, std::move(snapshot));
}

void RequestGateway::readmit(core::PushRequest request) {
    Snapshot snapshot;
    try {
        snapshot = core::pushed_snapshot(request, services_.requests.body(request.id));
    } catch (const std::exception& e) {
        refuse(std::to_string(request.id), e.what());
        return;
    }
    auto receipt = admit(request, std::move(snapshot));
    log_.information("pipeline " + request.pipeline + " request " + std::to_string(request.id) +
                     ", left unvalidated by the last stop: " + (receipt.accepted ? "validated" : "rejected"));
}

PushReceipt RequestGateway::admit(core::PushRequest& request, Snapshot snapshot) {
    snapshot.pipeline = request.pipeline;
    snapshot.origin = "request " + std::to_string(request.id);
    snapshot.received_at = request.received_at;
    snapshot.request_id = std::to_string(request.id);

    // The pipeline's first two stages. When the policy keeps every field
    // the run stores the snapshot normalized anyway: it is checked as it is,
    // and its run takes this validation. Otherwise they run on a copy, and
    // the run repeats them on the snapshot as received.
    const core::SyncPolicy& policy = pipeline_.settings().sync;
    const bool once = core::keeps_every_field(policy);
    std::optional<Snapshot> copy;
    if (!once) copy = snapshot;
    Snapshot& checked = once ? snapshot : *copy;
    core::normalize(checked, policy);
    core::Validation validation = core::validate_snapshot(checked, policy);

    const bool refused = !validation.rejection.empty();
    std::vector<Finding> findings = checked.findings;
    if (!refused && policy.syncs(field::manager))
        for (auto& warning : unknown_managers(checked, validation.invalid)) findings.push_back(std::move(warning));

    request.users = static_cast<std::int64_t>(snapshot.users.size());
    request.findings = core::findings_json(findings);
    PushReceipt receipt{std::to_string(request.id), request.mode, true, findings};
    if (refused) {
        request.status = "rejected";
        request.message = validation.rejection;
        receipt.accepted = false;
    } else {
        request.status = "validated";
        request.message = "";
        std::optional<core::Validation> validated;
        if (once) validated = std::move(validation);
        worker_.remember(request.id, std::move(snapshot), std::move(validated));
    }
    services_.requests.update(request);
    services_.metrics.push_request(request.pipeline, request.status);
    if (receipt.accepted) worker_.notify();
    return receipt;
}

std::vector<Finding> RequestGateway::unknown_managers(const Snapshot& snapshot, const std::vector<char>& invalid) {
    const std::vector<std::string> outside = core::managers_not_in_snapshot(snapshot, invalid);
    if (outside.empty()) return {};
    // Nobody, as the run's diffs say it together: a manager some destination lacks.
    std::set<std::string, std::less<>> nobody;
    for (const auto& sink : pipeline_.settings().sinks) {
        auto cannot_tell = [&](const std::string& why) {
            log_.warning("pipeline " + pipeline_.settings().name + ": sink " + sink.name +
                         " could not say which managers it holds; their warnings come with the run: " + why);
        };
        auto* lookup = dynamic_cast<HeldUsers*>(&pipeline_.sink(sink.name));
        if (lookup == nullptr) continue;  // the run gives those warnings
        std::optional<std::vector<std::string>> held;
        try {
            held = lookup->held_hris_ids(outside);
        } catch (const std::exception& e) {
            cannot_tell(e.what());
        } catch (...) {
            cannot_tell("the sink threw an exception that is not a std::exception");
        }
        if (!held) continue;
        const std::set<std::string_view> there(held->begin(), held->end());
        for (const auto& manager : outside)
            if (there.count(manager) == 0) nobody.insert(manager);
    }
    return core::unknown_manager_warnings(snapshot, invalid, nobody);
}

}  // namespace peoplesync::server
