// The console's files (daemon/console/), embedded in peoplesyncd by
// daemon/console/embed.cmake: nothing to install beside the binary, and
// never a page from another version than the API it calls.
#pragma once

#include <string_view>

namespace peoplesync::server {

struct ConsoleFile {
    std::string_view name;  // "main.js", "pages/runs.js"
    std::string_view content_type;
    std::string_view etag;  // quoted, as the header carries it
    std::string_view content;
};

// Null when there is no such file.
const ConsoleFile* find_console_file(std::string_view name);

}  // namespace peoplesync::server
