// command PIPELINE source|SINK NAME [ARGS], and webhook-credentials PIPELINE,
// which is `command PIPELINE source credentials URL`.
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "session.hpp"

namespace peoplesync::cli {

using nlohmann::json;

namespace {

// Where this configuration's peoplesyncd would serve, for a webhook's
// endpoint; none without a port.
std::vector<std::string> configured_url(const core::Settings& settings) {
    const auto& http = settings.http;
    if (http.port == 0) return {};
    std::string host = http.host == "0.0.0.0" ? "127.0.0.1" : http.host == "::" ? "::1" : http.host;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    return {std::string(http.tls.enabled() ? "https" : "http") + "://" + host + ":" + std::to_string(http.port)};
}

int run_plugin_command(Session& session, const std::string& pipeline, const std::string& plugin,
                       const std::string& action, std::vector<std::string> arguments, bool pass_url) {
    if (auto* d = session.daemon()) {
        if (pass_url) arguments = {d->url()};
        json out = d->post("/admin/v1/pipelines/" + pipeline + "/commands/" + plugin + "/" + action,
                           {{"arguments", arguments}});
        std::cout << out.value("output", "");
        return ok;
    }
    if (pass_url) arguments = configured_url(session.settings());
    auto& p = session.pipeline(pipeline);
    auto held = session.lock(pipeline);
    std::cout << (plugin == "source" ? p.source().command(action, arguments)
                                     : p.sink(plugin).command(action, arguments));
    return ok;
}

}  // namespace

int plugin_command(Session& session) {
    const auto& args = session.args();
    const std::string& pipeline = args.operand(0, "a pipeline name");
    const std::string& plugin = args.operand(1, "source or a sink's name");
    const std::string& action = args.operand(2, "a command name");
    std::vector<std::string> arguments(args.operands.begin() + 3, args.operands.end());
    return run_plugin_command(session, pipeline, plugin, action, std::move(arguments), false);
}

int webhook_credentials(Session& session) {
    const std::string& pipeline = session.args().operand(0, "a pipeline name");
    return run_plugin_command(session, pipeline, "source", "credentials", {}, true);
}

}  // namespace peoplesync::cli
