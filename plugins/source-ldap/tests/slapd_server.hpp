// A real slapd for the tests: a temporary folder with its configuration, a
// self-signed certificate for 127.0.0.1 (by default), an mdb database loaded with
// slapadd while the server is stopped, and the server listening on free
// ports of 127.0.0.1 (ldap:// and ldaps://). Stopped by its pidfile when the
// object goes away, whether the test passed or not.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "free_port.hpp"

namespace peoplesync::ldap_test {

using testing::free_port;

namespace fs = std::filesystem;

inline std::string read_text(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
}

inline void write_text(const fs::path& file, const std::string& text) {
    std::ofstream out(file, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + file.string());
}

// The path of a program in /usr/sbin or /usr/bin, or "" when not installed.
inline std::string program(const std::string& name) {
    for (const char* dir : {"/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/"})
        if (fs::exists(std::string(dir) + name)) return dir + name;
    return "";
}

// Runs `command` through the shell with its output in `log`; throws with
// that output when it fails.
inline void run(const std::string& command, const fs::path& log) {
    const int status = std::system((command + " >" + log.string() + " 2>&1").c_str());
    if (status != 0)
        throw std::runtime_error("`" + command + "` failed (status " + std::to_string(status) + "):\n" +
                                 read_text(log));
}

inline bool accepts_connections(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return ok;
}

// True while `pid` names a process that has not exited (a zombie has).
inline bool running(pid_t pid) {
    if (pid <= 0 || ::kill(pid, 0) != 0) return false;
    const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
    const auto paren = stat.rfind(')');
    return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] != 'Z';
}

// The directory of the tests and the bench: people under ou=people, a
// service account to bind as, and the schema for the account flags of
// Active Directory (userAccountControl) and 389/Oracle (nsAccountLock).
inline const char* const test_schema = R"(
attributetype ( 1.2.840.113556.1.4.8 NAME 'userAccountControl'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 2.16.840.1.113730.3.1.610 NAME 'nsAccountLock'
  EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.99999.1.1 NAME 'peoplesyncTestAccount' AUXILIARY
  MAY ( userAccountControl $ nsAccountLock ) )
)";

struct ServerOptions {
    std::string sizelimit = "size.soft=10 size.hard=10 size.prtotal=unlimited";
    std::string certificate_names = "IP:127.0.0.1";  // the certificate's subjectAltName
};

class SlapdServer {
public:
    static constexpr const char* suffix = "dc=example,dc=com";
    static constexpr const char* bind_dn = "cn=peoplesync,ou=services,dc=example,dc=com";
    static constexpr const char* bind_password = "s3cret-Pa55";

    SlapdServer(fs::path dir, const std::string& ldif, ServerOptions options = {}) : dir_(std::move(dir)) {
        slapd_ = program("slapd");
        const std::string slapadd = program("slapadd");
        if (slapd_.empty() || slapadd.empty() || program("openssl").empty())
            throw std::runtime_error("slapd, slapadd or openssl is not installed; run scripts/setup");
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "db");
        write_text(dir_ / "test.schema", test_schema);
        write_text(dir_ / "org.ldif", ldif);
        run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1 "
            "-addext subjectAltName=" +
                options.certificate_names + " -keyout " + (dir_ / "server.key").string() + " -out " +
                (dir_ / "ca.pem").string(),
            dir_ / "openssl.log");
        const std::string d = dir_.string();
        write_text(dir_ / "slapd.conf",
                   "include /etc/ldap/schema/core.schema\n"
                   "include /etc/ldap/schema/cosine.schema\n"
                   "include /etc/ldap/schema/inetorgperson.schema\n"
                   "include " +
                       d +
                       "/test.schema\n"
                       "pidfile " +
                       d +
                       "/slapd.pid\n"
                       "argsfile " +
                       d +
                       "/slapd.args\n"
                       "modulepath /usr/lib/ldap\n"
                       "moduleload back_mdb\n"
                       "sizelimit " +
                       options.sizelimit +
                       "\n"
                       "TLSCertificateFile " +
                       d +
                       "/ca.pem\n"
                       "TLSCertificateKeyFile " +
                       d +
                       "/server.key\n"
                       "database mdb\n"
                       "maxsize 1073741824\n"
                       "suffix \"" +
                       std::string(suffix) +
                       "\"\n"
                       "rootdn \"cn=admin," +
                       std::string(suffix) +
                       "\"\n"
                       "rootpw admin-secret\n"
                       "directory " +
                       d +
                       "/db\n"
                       "access to attrs=userPassword by anonymous auth by * none\n"
                       "access to * by * read\n");
        run(slapadd + " -q -f " + (dir_ / "slapd.conf").string() + " -l " + (dir_ / "org.ldif").string(),
            dir_ / "slapadd.log");
        start();
    }

    ~SlapdServer() {
        try {
            stop();
        } catch (...) {
        }
    }

    SlapdServer(const SlapdServer&) = delete;
    SlapdServer& operator=(const SlapdServer&) = delete;

    // Starts on free ports; a port taken in between makes slapd fail, so
    // a few attempts are made.
    void start() {
        std::string error;
        for (int attempt = 0; attempt < 5; ++attempt) {
            port_ = free_port();
            tls_port_ = free_port();
            if (tls_port_ == port_) continue;
            try {
                run(slapd_ + " -f " + (dir_ / "slapd.conf").string() + " -h \"" + uri() + "/ " + ldaps_uri() + "/\"",
                    dir_ / "slapd.log");
            } catch (const std::exception& e) {
                error = e.what();
                continue;
            }
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
            while (std::chrono::steady_clock::now() < deadline) {
                pid_ = read_pid();
                // Our slapd, alive, on both ports (a slapd that could not bind exits).
                if (pid_ > 0 && running(pid_) && accepts_connections(port_) && accepts_connections(tls_port_) &&
                    running(pid_))
                    return;
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
            error = "slapd did not answer on 127.0.0.1:" + std::to_string(port_) + " within 10 s";
            stop();
        }
        throw std::runtime_error("cannot start slapd in " + dir_.string() + ": " + error);
    }

    // Stops the server by its pidfile and waits until it is gone.
    void stop() {
        const pid_t pid = read_pid();
        if (pid <= 0) return;
        ::kill(pid, SIGCONT);
        ::kill(pid, SIGTERM);
        if (!wait_gone(pid, std::chrono::seconds(10))) {
            ::kill(pid, SIGKILL);
            wait_gone(pid, std::chrono::seconds(5));
        }
        fs::remove(dir_ / "slapd.pid");
        pid_ = 0;
    }

    // The server dies at once, as in a crash or a pulled cable.
    void kill() {
        const pid_t pid = read_pid();
        if (pid <= 0) return;
        ::kill(pid, SIGKILL);
        wait_gone(pid, std::chrono::seconds(5));
        fs::remove(dir_ / "slapd.pid");
        pid_ = 0;
    }

    // The server stops answering but keeps its connections open.
    void pause() {
        const pid_t pid = read_pid();
        ::kill(pid, SIGSTOP);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!stopped(pid) && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    void resume() { ::kill(read_pid(), SIGCONT); }

    std::string uri() const { return "ldap://127.0.0.1:" + std::to_string(port_); }
    std::string ldaps_uri() const { return "ldaps://127.0.0.1:" + std::to_string(tls_port_); }
    int port() const { return port_; }
    fs::path ca_file() const { return dir_ / "ca.pem"; }
    const fs::path& dir() const { return dir_; }

private:
    pid_t read_pid() const {
        std::ifstream in(dir_ / "slapd.pid");
        long pid = 0;
        in >> pid;
        return static_cast<pid_t>(pid);
    }

    static bool stopped(pid_t pid) {
        const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
        const auto paren = stat.rfind(')');
        return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'T';
    }

    static bool wait_gone(pid_t pid, std::chrono::seconds limit) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (running(pid)) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return true;
    }

    fs::path dir_;
    std::string slapd_;
    int port_ = 0;
    int tls_port_ = 0;
    pid_t pid_ = 0;
};

}  // namespace peoplesync::ldap_test
