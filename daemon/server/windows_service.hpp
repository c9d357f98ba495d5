// peoplesyncd as a Windows service: what Poco's ServerApplication leaves out.
// Poco registers the service (--registerService), runs it under the service
// control manager and ends its wait on a stop; these give the service the
// configuration it was registered with.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace peoplesync::server::windows {

// Poco's service commands in the Windows style (/registerService,
// /unregisterService, /displayName=..., /description=..., /startup=...)
// rewritten to its Unix style (--registerService ...), which the daemon's
// other options use.
void accept_slash_options(std::vector<std::string>& args);

// The configuration file the command line names (--config FILE,
// --config=FILE, -c FILE), absolute; empty when it names none.
std::filesystem::path config_option(const std::vector<std::string>& args);

// Whether the command line asks to register the service.
bool registers_service(const std::vector<std::string>& args);

// The command line the service control manager starts `service` with: the
// program and --config `config`. The service control manager gives the
// program no other arguments, and starts it in the system folder, so the
// configuration must be named, and by its full path.
void set_service_config(const std::string& service, const std::filesystem::path& program,
                        const std::filesystem::path& config);

}  // namespace peoplesync::server::windows
