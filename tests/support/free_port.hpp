// A port of 127.0.0.1 for a test's own server (slapd, PostgreSQL).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <random>
#include <stdexcept>

namespace peoplesync::testing {

// A port nobody listens on right now, below the kernel's ephemeral range
// (32768 and up here): tests running beside this one get their listening
// and outgoing ports from that range, so none of them can take this port
// between now and the server binding it.
inline int free_port() {
    static std::mt19937 random(std::random_device{}());
    std::uniform_int_distribution<int> pick(20000, 32000);
    for (int attempt = 0; attempt < 200; ++attempt) {
        const int port = pick(random);
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) throw std::runtime_error("socket() failed");
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
        ::close(fd);
        if (bound) return port;
    }
    throw std::runtime_error("cannot find a free port on 127.0.0.1 between 20000 and 32000");
}

}  // namespace peoplesync::testing
