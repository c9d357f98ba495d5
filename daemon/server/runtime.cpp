#include "runtime.hpp"

#include <algorithm>

#include <Poco/Logger.h>

namespace peoplesync::server {

Runtime::Runtime(DaemonServices& services, core::Settings settings)
    : services_(services), settings_(std::move(settings)) {
    plugins_ = std::make_unique<core::PluginHost>(settings_.plugin_dirs);
    for (const auto& pipeline : settings_.pipelines) {
        Entry entry;
        entry.pipeline = std::make_unique<core::Pipeline>(settings_, pipeline, *plugins_, services_.state, this);
        entry.pushes = entry.pipeline->source().pushes();
        entry.worker = std::make_unique<PipelineWorker>(services_, *entry.pipeline, entry.pushes);
        entry.gateway = std::make_unique<RequestGateway>(services_, *entry.pipeline, *entry.worker);
        if (!entry.pipeline->delivering_sinks().empty())
            entry.delivery = std::make_unique<DeliveryWorker>(services_, *entry.pipeline);
        entries_.emplace(pipeline.name, std::move(entry));
    }
}

Runtime::~Runtime() {
    stop(true);
    join();
    // Workers go before the pipelines they serve; the plugins before their libraries.
    for (auto& [name, entry] : entries_) {
        entry.gateway.reset();
        entry.delivery.reset();
        entry.worker.reset();
        entry.pipeline.reset();
    }
}

Runtime::Entry* Runtime::find(const std::string& name) {
    auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : &it->second;
}

std::vector<std::string> Runtime::names() const {
    std::vector<std::string> out;
    for (const auto& pipeline : settings_.pipelines) out.push_back(pipeline.name);
    return out;
}

void Runtime::open_sinks() {
    for (const auto& name : names()) find(name)->pipeline->open_sinks();
}

void Runtime::add_route(const std::string& pipeline, const std::string& path_prefix, HttpHandler& handler) {
    if (started_) throw Error("routes are added in start(), while the daemon starts the source");
    routes_.push_back({path_prefix, pipeline, &handler});
}

PushGateway& Runtime::push(const std::string& pipeline) {
    Entry* entry = find(pipeline);
    if (entry == nullptr || !entry->pushes) throw Error("pipeline " + pipeline + " has no push source");
    return *entry->gateway;
}

void Runtime::recover() {
    auto& log = Poco::Logger::get("peoplesyncd.push");
    services_.requests.remove_unlogged_bodies();  // nothing is being received yet
    for (auto& request : services_.requests.pending()) {
        Entry* entry = find(request.pipeline);
        if (entry == nullptr || !entry->pushes) {
            request.status = "failed";
            request.message = "pipeline " + request.pipeline + " is no longer configured with a push source";
            services_.requests.update(request);
            log.warning("request " + std::to_string(request.id) + ": " + request.message);
            continue;
        }
        if (request.status == "received") entry->gateway->readmit(request);
    }
}

void Runtime::start() {
    for (auto& [name, entry] : entries_)
        if (entry.pushes) entry.pipeline->source().start();
    // Longest prefix first, so a more specific route wins.
    std::stable_sort(routes_.begin(), routes_.end(),
                     [](const Route& a, const Route& b) { return a.prefix.size() > b.prefix.size(); });
    started_ = true;
    for (auto& [name, entry] : entries_) {
        entry.worker->start();
        if (entry.delivery) entry.delivery->start();
    }
}

void Runtime::stop(bool cancel) {
    if (!stopped_ && started_) {
        for (auto& [name, entry] : entries_) {
            if (!entry.pushes) continue;
            try {
                entry.pipeline->source().stop();
            } catch (const std::exception& e) {
                Poco::Logger::get("peoplesyncd").warning("pipeline " + name + ": stopping the source: " + e.what());
            }
        }
    }
    stopped_ = true;
    for (auto& [name, entry] : entries_)
        if (entry.worker) entry.worker->stop(cancel);
    for (auto& [name, entry] : entries_)
        if (entry.delivery) entry.delivery->stop();
}

void Runtime::join() {
    for (auto& [name, entry] : entries_)
        if (entry.worker) entry.worker->join();
    for (auto& [name, entry] : entries_)
        if (entry.delivery) entry.delivery->join();
}

}  // namespace peoplesync::server

namespace peoplesync::server {

bool Runtime::finished() const {
    if (!stopped_) return false;
    for (const auto& [name, entry] : entries_)
        if (entry.worker && !entry.worker->finished()) return false;
    return true;
}

}  // namespace peoplesync::server
