// zlib streams for what the state database keeps deflated: snapshot lists'
// metadata, origins and places, and the request log's bodies.
#pragma once

#include <string>
#include <string_view>

namespace peoplesync::core {

// Level 1 (fastest) to 9 (smallest).
std::string deflate(std::string_view text, int level);
// Throws Poco::Exception on data that is not a zlib stream.
std::string inflate(std::string_view data);

}  // namespace peoplesync::core
