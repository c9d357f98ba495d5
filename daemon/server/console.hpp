// The operator's console at /console/: its pages (files embedded in the
// binary; they hold no data, so they need no session) and the sign-in at
// /console/session. The pages get every datum from the admin API, with the
// session cookie and the CSRF token AdminAccess gives them.
#pragma once

#include <peoplesync/http.hpp>

#include "admin_access.hpp"

namespace peoplesync::server {

class Console {
public:
    explicit Console(AdminAccess& access) : access_(access) {}
    // Any path that is /console or under /console/.
    void handle(const HttpRequest& request, HttpResponse& response);

private:
    AdminAccess& access_;
};

bool is_console_path(const std::string& path);

}  // namespace peoplesync::server
