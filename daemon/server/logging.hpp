// The daemon's log through Poco's logging: the console (for systemd's
// journal), a rotated file, or syslog.
#pragma once

#include "daemon_settings.hpp"

namespace peoplesync::server {

// Points the root logger (and so every logger) at the configured channel.
// Throws Error when the file cannot be opened.
void setup_logging(const core::LogSettings& settings);

}  // namespace peoplesync::server
