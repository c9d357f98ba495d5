// The ldap source loaded from the built plugin exactly as the daemon loads
// it, a configuration written as YAML, and helpers to read and to collect
// the errors of reading.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <peoplesync/plugin.hpp>

#include "settings.hpp"
#include "slapd_server.hpp"
#include "test_host.hpp"
#include "test_org.hpp"

namespace peoplesync::ldap_test {

inline const char* const password_env = "PEOPLESYNC_TEST_LDAP_PASSWORD";

// N in "<uri>: the connection was lost after N entries (...", or -1.
inline long lost_after(const std::string& message, const std::string& uri) {
    const std::string prefix = uri + ": the connection was lost after ";
    if (message.rfind(prefix, 0) != 0) return -1;
    return std::stol(message.substr(prefix.size()));
}

inline fs::path test_dir(const std::string& what) {
    return fs::temp_directory_path() / ("peoplesync-ldap-" + std::to_string(::getpid()) + "-" + what);
}

// A progress listener that can act in the middle of a read.
class CallbackContext final : public ReadContext {
public:
    void progress(std::int64_t records) override {
        calls.push_back(records);
        if (on_progress) on_progress(records);
    }
    std::vector<std::int64_t> calls;
    std::function<void(std::int64_t)> on_progress;
};

class LdapTestBase : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = test_dir(std::string(info->test_suite_name()) + "-" + info->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        host_ = std::make_unique<testing::TestHost>(dir_);
        ::setenv(password_env, SlapdServer::bind_password, 1);
    }
    void TearDown() override {
        source_.reset();
        host_.reset();
        fs::remove_all(dir_);
    }

    // The options that reach `server` as the service account, as YAML, with
    // some of them replaced (an empty value leaves the option out).
    static std::string connection(const SlapdServer& server,
                                  const std::vector<std::pair<std::string, std::string>>& replaced = {}) {
        std::vector<std::pair<std::string, std::string>> options = {{"uri", server.uri()},
                                                                    {"bind_dn", SlapdServer::bind_dn},
                                                                    {"bind_password_env", password_env},
                                                                    {"base_dn", people_dn}};
        for (const auto& [key, value] : replaced) {
            auto it = std::find_if(options.begin(), options.end(), [&](const auto& o) { return o.first == key; });
            if (it != options.end())
                it->second = value;
            else
                options.emplace_back(key, value);
        }
        std::string yaml;
        for (const auto& [key, value] : options)
            if (!value.empty()) yaml += key + ": '" + value + "'\n";
        return yaml;
    }

    std::shared_ptr<Source> make(const std::string& yaml) {
        source_ = testing::built_plugins().make_source("ldap", core::parse_config_text(yaml, "source.yaml"), *host_);
        return source_;
    }

    Snapshot read(const std::string& yaml) { return make(yaml)->read(context_); }

    // The message of the Error reading throws; a read that succeeds fails
    // the test.
    std::string read_error(const std::string& yaml) {
        auto source = make(yaml);
        try {
            Snapshot snapshot = source->read(context_);
            ADD_FAILURE() << "the read succeeded with " << snapshot.users.size() << " users";
        } catch (const ConfigError& e) {
            ADD_FAILURE() << "a configuration error, not a read error: " << e.what();
        } catch (const Error& e) {
            return e.what();
        }
        return "";
    }

    // The message of the ConfigError creating the source throws.
    std::string config_error(const std::string& yaml) {
        try {
            make(yaml);
            ADD_FAILURE() << "the configuration was accepted:\n" << yaml;
        } catch (const ConfigError& e) {
            return e.what();
        }
        return "";
    }

    static UserView user(const Snapshot& snapshot, const std::string& hris_id) {
        auto it = std::find_if(snapshot.users.begin(), snapshot.users.end(),
                               [&](const UserView& u) { return u.hris_id == hris_id; });
        if (it == snapshot.users.end()) throw std::runtime_error("no user " + hris_id + " in the snapshot");
        return *it;
    }

    // "warning uid=x,...: message" per finding.
    static std::vector<std::string> findings(const Snapshot& snapshot) {
        std::vector<std::string> out;
        for (const auto& f : snapshot.findings)
            out.push_back(std::string(to_string(f.severity)) + " " + f.location + ": " + f.message);
        return out;
    }

    static bool has(const std::vector<std::string>& lines, const std::string& line) {
        return std::find(lines.begin(), lines.end(), line) != lines.end();
    }

    const fs::path& dir() const { return dir_; }
    testing::TestHost& host() { return *host_; }
    CallbackContext& context() { return context_; }

private:
    fs::path dir_;
    std::unique_ptr<testing::TestHost> host_;
    std::shared_ptr<Source> source_;
    CallbackContext context_;
};

// Tests that only read share one server with the test organisation.
class SharedServerTest : public LdapTestBase {
protected:
    static void SetUpTestSuite() {
        try {
            server_ = std::make_unique<SlapdServer>(test_dir("shared-server"), ldif(org()));
        } catch (const std::exception& e) {
            server_error_ = e.what();
        }
    }
    static void TearDownTestSuite() {
        if (server_) {
            const fs::path dir = server_->dir();
            server_.reset();
            fs::remove_all(dir);
        }
    }
    void SetUp() override {
        LdapTestBase::SetUp();
        ASSERT_TRUE(server_) << "no test server: " << server_error_;
    }
    static SlapdServer& server() { return *server_; }
    static std::string connection(const std::vector<std::pair<std::string, std::string>>& replaced = {}) {
        return LdapTestBase::connection(*server_, replaced);
    }

private:
    static inline std::unique_ptr<SlapdServer> server_;
    static inline std::string server_error_;
};

}  // namespace peoplesync::ldap_test
