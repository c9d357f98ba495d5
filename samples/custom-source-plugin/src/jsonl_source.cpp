// A peoplesync source that reads people from a JSON-lines file: one user
// object in the HRIS guide's format per line, blank lines skipped.
#include <filesystem>
#include <fstream>

#include <peoplesync/config.hpp>

#include <peoplesync/plugin.hpp>
#include <peoplesync/snapshot_json.hpp>

namespace {

// What the configuration says, filled by the option table below.
struct JsonlSettings {
    std::string path;
    std::int64_t progress_every = 0;
};

class JsonlSource final : public peoplesync::Source {
public:
    static constexpr const char* type = "jsonl";
    static constexpr const char* description = "People from a JSON-lines file, one guide-format user per line";

    // One row per option: its type, name, description, default, and the
    // member it fills. The host checks a configuration against it before
    // the plugin is made; read() fills the settings, defaults included.
    static const peoplesync::OptionTable<JsonlSettings>& option_table() {
        namespace option = peoplesync::option;
        static const peoplesync::OptionTable<JsonlSettings> table = {
            {option::string("path", "The JSON-lines file.").required(), &JsonlSettings::path},
            {option::integer("progress_every", "Users read between two progress reports.")
                 .fallback("10000")
                 .range(1, 1000000000),
             &JsonlSettings::progress_every},
        };
        return table;
    }
    static std::vector<peoplesync::OptionSpec> options() { return option_table().specs(); }

    // Validates the configuration only; the file is opened by read().
    JsonlSource(const peoplesync::ConfigValue& config, peoplesync::Host& host)
        : settings_(option_table().read(config)), path_(host.resolve_path(settings_.path)) {}

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
            if (std::ssize(snapshot.users) % settings_.progress_every == 0)
                context.progress(std::ssize(snapshot.users));
        }
        if (in.bad()) throw peoplesync::Error(path_ + ": read failed");
        return snapshot;
    }

private:
    const JsonlSettings settings_;
    const std::string path_;
};

}  // namespace

PEOPLESYNC_PLUGIN(JsonlSource)
