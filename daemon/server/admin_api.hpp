// The admin API: JSON over the daemon's HTTP server under /admin/v1/, for
// the bearer token or a console session (admin_access.hpp), and by default
// for clients on this machine only. The CLI and the console use it while the
// daemon runs; README.md lists the endpoints.
#pragma once

#include <peoplesync/http.hpp>

namespace peoplesync::server {

class Daemon;

class AdminApi {
public:
    explicit AdminApi(Daemon& daemon) : daemon_(daemon) {}
    void handle(const HttpRequest& request, HttpResponse& response);

private:
    Daemon& daemon_;
};

}  // namespace peoplesync::server
