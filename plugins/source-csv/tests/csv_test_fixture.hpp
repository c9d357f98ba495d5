// A fresh folder per test, CSV files written into it, and the csv source
// loaded from the built plugin exactly as the daemon loads it.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <peoplesync/change_only.hpp>
#include <peoplesync/plugin.hpp>

#include "settings.hpp"
#include "test_host.hpp"

namespace peoplesync::csv_test {

namespace fs = std::filesystem;

class CsvSourceTest : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = fs::temp_directory_path() /
               ("peoplesync-csv-" + std::to_string(::getpid()) + "-" + info->test_suite_name() + "-" + info->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        host_ = std::make_unique<testing::TestHost>(dir_);
    }
    void TearDown() override {
        source_.reset();
        host_.reset();
        fs::remove_all(dir_);
    }

    fs::path write(const std::string& name, const std::string& content) {
        fs::path file = dir_ / name;
        fs::create_directories(file.parent_path());
        std::ofstream out(file, std::ios::binary);
        out << content;
        return file;
    }

    std::shared_ptr<Source> make(const std::string& yaml) {
        source_ = testing::built_plugins().make_source("csv", core::parse_config_text(yaml, "source.yaml"), *host_);
        return source_;
    }

    Snapshot read(const std::string& yaml) { return make(yaml)->read(context_); }

    // The csv source's change-only reads (a capability beside Source).
    static RecordScanner& scanner(Source& source) { return dynamic_cast<RecordScanner&>(source); }

    // The message of the Error that reading throws, or "" when it does not.
    std::string read_error(const std::string& yaml) {
        auto source = make(yaml);
        try {
            source->read(context_);
        } catch (const Error& e) {
            return e.what();
        }
        return "";
    }

    // The message of the ConfigError that creating the source throws.
    std::string config_error(const std::string& yaml) {
        try {
            make(yaml);
        } catch (const ConfigError& e) {
            return e.what();
        }
        return "";
    }

    // "error people.csv:3 column \"email\": message" for each finding.
    static std::vector<std::string> findings(const Snapshot& snapshot) {
        std::vector<std::string> out;
        for (const auto& f : snapshot.findings)
            out.push_back(std::string(to_string(f.severity)) + " #" + std::to_string(f.record) + " " + f.location +
                          ": " + f.message);
        return out;
    }

    const fs::path& dir() const { return dir_; }
    testing::TestHost& host() { return *host_; }
    testing::NullReadContext& context() { return context_; }

private:
    fs::path dir_;
    std::unique_ptr<testing::TestHost> host_;
    std::shared_ptr<Source> source_;
    testing::NullReadContext context_;
};

// The header with every field under its own name.
inline const char* const plain_header = "hris_id,first_name,last_name,email\n";

}  // namespace peoplesync::csv_test
