#include "console.hpp"

#include "console_files.hpp"
#include "http_server.hpp"

namespace peoplesync::server {

namespace {

constexpr std::string_view prefix = "/console/";

}  // namespace

bool is_console_path(const std::string& path) {
    return path == "/console" || path.rfind(prefix, 0) == 0;
}

void Console::handle(const HttpRequest& request, HttpResponse& response) {
    const bool data = request.path == "/console/session";
    add_security_headers(response, data);
    if (data) return access_.session_endpoint(request, response);
    if (!access_.allows(request.remote_address)) {
        error_answer(response, 403, "the console answers only on this machine (admin.allow_remote is false)");
        return;
    }
    if (request.method != "GET" && request.method != "HEAD") {
        response.headers.emplace_back("Allow", "GET");
        error_answer(response, 405, request.path + " takes GET, not " + request.method);
        return;
    }
    // Relative links in the page resolve under /console/ only with the slash.
    if (request.path == "/console") {
        response.status = 301;
        response.content_type = "text/plain; charset=utf-8";
        response.headers.emplace_back("Location", std::string(prefix));
        response.body = "The console is at /console/\n";
        return;
    }
    std::string_view name = std::string_view(request.path).substr(prefix.size());
    if (name.empty()) name = "index.html";
    const ConsoleFile* file = find_console_file(name);
    if (file == nullptr) {
        error_answer(response, 404, "the console has no file " + request.path + "; it starts at /console/");
        return;
    }
    response.headers.emplace_back("ETag", std::string(file->etag));
    // Asked again each time, so a new peoplesyncd's pages are never mixed with an old one's.
    response.headers.emplace_back("Cache-Control", "no-cache");
    if (request.header("If-None-Match") == file->etag) {
        response.status = 304;
        response.content_type.clear();
        return;
    }
    response.content_type = std::string(file->content_type);
    response.body = std::string(file->content);
}

}  // namespace peoplesync::server
