// The admin API's directories: every sink that is a directory
// (Sink::browser()), its users a page at a time and searched, one user, an
// edit of the fields no pipeline syncs, the department tree and a
// department's members. README.md lists the endpoints.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace peoplesync::server {

class Runtime;

// Answers /admin/v1/directories...; `segments` are the path's parts after
// /admin/v1/. Throws ApiError (admin_errors.hpp) or Error.
nlohmann::json directory_endpoint(Runtime& runtime, const std::string& method, const std::vector<std::string>& segments,
                                  const std::map<std::string, std::string>& query, const nlohmann::json& body);

}  // namespace peoplesync::server
