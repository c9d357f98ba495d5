#include "compression.hpp"

#include <sstream>

#include <Poco/DeflatingStream.h>
#include <Poco/InflatingStream.h>
#include <Poco/StreamCopier.h>

namespace peoplesync::core {

std::string deflate(std::string_view text, int level) {
    std::ostringstream out;
    Poco::DeflatingOutputStream stream(out, Poco::DeflatingStreamBuf::STREAM_ZLIB, level);
    stream.write(text.data(), static_cast<std::streamsize>(text.size()));
    stream.close();
    return out.str();
}

std::string inflate(std::string_view data) {
    std::istringstream in{std::string(data)};
    Poco::InflatingInputStream stream(in, Poco::InflatingStreamBuf::STREAM_ZLIB);
    std::string out;
    Poco::StreamCopier::copyToString(stream, out);
    return out;
}

}  // namespace peoplesync::core
