// One loaded configuration: its plugins, pipelines, their workers and
// gateways, and the routes its push sources serve. A reload builds a new
// Runtime beside the running one and switches over only when all of it
// could be built, so a bad configuration never replaces a good one.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "delivery_worker.hpp"
#include "pipeline.hpp"
#include "pipeline_worker.hpp"
#include "plugin_host.hpp"
#include "push_gateway.hpp"
#include "services.hpp"
#include "settings.hpp"

namespace peoplesync::server {

class Runtime final : public core::PushHost {
public:
    // Loads the plugins and builds every pipeline (no I/O beyond that).
    // Throws ConfigError or Error saying what is wrong.
    Runtime(DaemonServices& services, core::Settings settings);
    ~Runtime() override;
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    // Starts the push sources (they add their routes) and the workers.
    void start();
    // Validates requests a stopped daemon left "received"; fails those of
    // pipelines that are gone. Once, before the first start().
    void recover();
    // Push sources stop, workers take no new work (see PipelineWorker::stop).
    void stop(bool cancel);
    void join();
    // Stopped, and every worker's thread has ended.
    bool finished() const;

    struct Route {
        std::string prefix;
        std::string pipeline;
        HttpHandler* handler = nullptr;
    };
    const std::vector<Route>& routes() const { return routes_; }

    struct Entry {
        std::unique_ptr<core::Pipeline> pipeline;
        std::unique_ptr<PipelineWorker> worker;
        std::unique_ptr<DeliveryWorker> delivery;  // when a sink delivers to a remote receiver
        std::unique_ptr<RequestGateway> gateway;
        bool pushes = false;
    };
    const core::Settings& settings() const { return settings_; }
    // Null when the configuration has no such pipeline.
    Entry* find(const std::string& name);
    std::vector<std::string> names() const;
    // Every pipeline's Pipeline::open_sinks(), before start().
    void open_sinks();

    void add_route(const std::string& pipeline, const std::string& path_prefix, HttpHandler& handler) override;
    PushGateway& push(const std::string& pipeline) override;

private:
    DaemonServices& services_;
    core::Settings settings_;
    std::unique_ptr<core::PluginHost> plugins_;
    std::map<std::string, Entry> entries_;
    std::vector<Route> routes_;
    bool started_ = false;
    bool stopped_ = false;
};

}  // namespace peoplesync::server
