// A peoplesync source that reads people from a JSON-lines file: one user
// object in the HRIS guide's format per line, blank lines skipped.
#include <filesystem>
#include <fstream>

#include <peoplesync/plugin.hpp>
#include <peoplesync/snapshot_json.hpp>

namespace {

class JsonlSource final : public peoplesync::Source {
public:
    static constexpr const char* type = "jsonl";
    static constexpr const char* description = "People from a JSON-lines file, one guide-format user per line";
    static std::vector<peoplesync::OptionSpec> options() {
        return {peoplesync::option::string("path", "The JSON-lines file.").required()};
    }

    // Validates the configuration only; the file is opened by read().
    JsonlSource(const peoplesync::ConfigValue& config, peoplesync::Host& host)
        : path_(host.resolve_path(config.at("path").as_string())) {}

    peoplesync::Snapshot read(peoplesync::ReadContext& context) override {
        std::ifstream in(path_);
        if (!in) throw peoplesync::Error(path_ + ": cannot be read");
        peoplesync::Snapshot snapshot;
        snapshot.origin = "file " + path_;
        const std::string name = std::filesystem::path(path_).filename().string();
        std::string line;
        for (int number = 1; std::getline(in, line); ++number) {
            if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
            // Problems with a line become findings located "people.jsonl:12.email".
            peoplesync::add_user_json(snapshot, name + ":" + std::to_string(number), line);
            if (snapshot.users.size() % 10000 == 0) context.progress(std::ssize(snapshot.users));
        }
        if (in.bad()) throw peoplesync::Error(path_ + ": read failed");
        return snapshot;
    }

private:
    std::string path_;
};

}  // namespace

PEOPLESYNC_PLUGIN(JsonlSource)
