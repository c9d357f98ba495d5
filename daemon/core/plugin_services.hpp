// What a plugin instance gets from the host: its log, its key-value state,
// paths, push routes and its outbox.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <Poco/Logger.h>

#include <peoplesync/plugin.hpp>

#include "push_host.hpp"
#include "settings.hpp"
#include "state_store.hpp"

namespace peoplesync::core {

// What a plugin instance gets from the host.
class PluginServices final : public Host, public Logger {
public:
    PluginServices(const Settings& settings, StateStore& state, std::string pipeline, const std::string& role,
                   PushHost* push = nullptr)
        : settings_(settings),
          push_(push),
          pipeline_(std::move(pipeline)),
          logger_(Poco::Logger::get("peoplesync." + pipeline_ + "." + role)),
          values_(state.key_value(pipeline_ + "/" + role)) {}

    Logger& log() override { return *this; }
    KeyValueStore& state() override { return *values_; }
    std::int64_t now() override {
        return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    }
    std::string resolve_path(const std::string& path) override { return settings_.resolve(path).string(); }
    const std::string& pipeline() override { return pipeline_; }
    void add_route(const std::string& path_prefix, HttpHandler& handler) override {
        if (push_ == nullptr) return Host::add_route(path_prefix, handler);
        push_->add_route(pipeline_, path_prefix, handler);
    }
    PushGateway& push() override { return push_ != nullptr ? push_->push(pipeline_) : Host::push(); }
    Outbox& outbox() override { return outbox_ ? *outbox_ : Host::outbox(); }
    void set_outbox(std::unique_ptr<Outbox> outbox) { outbox_ = std::move(outbox); }

    void debug(const std::string& message) override { logger_.debug(message); }
    void info(const std::string& message) override { logger_.information(message); }
    void warning(const std::string& message) override { logger_.warning(message); }
    void error(const std::string& message) override { logger_.error(message); }

private:
    const Settings& settings_;
    PushHost* push_;
    std::string pipeline_;
    Poco::Logger& logger_;
    std::unique_ptr<KeyValueStore> values_;
    std::unique_ptr<Outbox> outbox_;
};

}  // namespace peoplesync::core
