// The core's side of a push source (plugin.hpp's PushGateway): log the
// request durably before the plugin answers, validate the snapshot with the
// pipeline's own normalize and validate stages while the sender waits, and
// leave the rest (diff, guard, apply or simulate) to the pipeline's worker.
#pragma once

#include <Poco/Logger.h>

#include <peoplesync/http.hpp>

#include "pipeline.hpp"
#include "pipeline_worker.hpp"
#include "services.hpp"

namespace peoplesync::server {

class RequestGateway final : public PushGateway {
public:
    RequestGateway(DaemonServices& services, core::Pipeline& pipeline, PipelineWorker& worker);

    std::string record_request(const HttpRequest& request) override;
    RecordedMessage record_message(const HttpRequest& request, const std::string& message_id,
                                   std::int64_t window_secs) override;
    PushReceipt refuse(const std::string& request_id, const std::string& reason) override;
    PushReceipt submit(const std::string& request_id, Snapshot snapshot) override;

    // A request a stopped daemon left "received" (logged, maybe answered,
    // not yet validated): validates it as submit() would have.
    void readmit(core::PushRequest request);

private:
    PushReceipt admit(core::PushRequest& request, Snapshot snapshot);
    // The warnings about managers who are nobody that the run's diff will
    // give (manager_warnings.hpp), asking the sinks about only those the
    // snapshot does not name.
    std::vector<Finding> unknown_managers(const Snapshot& snapshot, const std::vector<char>& invalid);
    core::PushRequest logged(const std::string& request_id);
    core::PushRequest received(const HttpRequest& http) const;
    std::string noted(const core::PushRequest& request);

    DaemonServices& services_;
    core::Pipeline& pipeline_;
    PipelineWorker& worker_;
    Poco::Logger& log_;
};

// The id and pipeline of the request the calling thread serves, for its log
// line. Set by record_request(); cleared by the HTTP server.
struct RequestNote {
    std::string pipeline;
    std::string request_id;
};
RequestNote& current_request_note();

}  // namespace peoplesync::server
