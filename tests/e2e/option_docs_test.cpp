// The option tables in the READMEs are the configuration reference: each
// built-in plugin's README against what `peoplesync plugins --options`
// lists, and README.md's Configuration section against the daemon's own
// option tables. Every option has a row, with its default; no row names an
// option that does not exist.
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "option_tables.hpp"
#include "run_program.hpp"
#include "test_dir.hpp"

namespace {

struct Listed {
    std::string default_value;  // as listed; empty: none
    bool described = false;     // a sentence, not a value
};

struct Row {
    std::string default_cell;
    int line = 0;
};

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string trim(std::string text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string::npos) return {};
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// A table row's cells; "\|" is a | inside a cell.
std::vector<std::string> cells(const std::string& row) {
    std::vector<std::string> out;
    std::string cell;
    for (std::size_t i = 1; i < row.size(); ++i) {
        if (row[i] == '\\' && i + 1 < row.size() && row[i + 1] == '|') {
            cell += '|';
            ++i;
        } else if (row[i] == '|') {
            out.push_back(trim(cell));
            cell.clear();
        } else {
            cell += row[i];
        }
    }
    return out;
}

std::vector<std::string> code_spans(const std::string& cell) {
    std::vector<std::string> spans;
    static const std::regex span("`([^`]*)`");
    for (std::sregex_iterator it(cell.begin(), cell.end(), span), end; it != end; ++it) spans.push_back((*it)[1]);
    return spans;
}

// The rows of every table in `text` whose first header cell is `first_header`
// (case-insensitively), by the options their first cell names in backticks.
// A row naming several options ("`a`, `b`") gives each the matching code span
// of its default cell.
std::map<std::string, Row> option_rows(const std::string& text, const std::string& first_header) {
    std::map<std::string, Row> rows;
    std::istringstream in(text);
    std::string line;
    int number = 0;
    std::size_t default_column = std::string::npos;
    while (std::getline(in, line)) {
        ++number;
        if (line.rfind("|", 0) != 0) {
            default_column = std::string::npos;
            continue;
        }
        auto row = cells(line);
        if (row.empty()) continue;
        std::string head = row[0];
        std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
        if (head == first_header) {
            for (std::size_t i = 0; i < row.size(); ++i)
                if (row[i] == "default" || row[i] == "Default") default_column = i;
            continue;
        }
        if (default_column == std::string::npos || row.size() <= default_column || row[0].rfind("---", 0) == 0)
            continue;
        const auto names = code_spans(row[0]);
        const auto defaults = code_spans(row[default_column]);
        for (std::size_t i = 0; i < names.size(); ++i) {
            std::string cell = row[default_column];
            if (names.size() > 1 && defaults.size() == names.size()) cell = "`" + defaults[i] + "`";
            rows[names[i]] = {cell, number};
        }
    }
    return rows;
}

// The value a default cell gives: its first code span (else the cell), without quotes.
std::string documented_default(const std::string& cell) {
    auto spans = code_spans(cell);
    std::string value = spans.empty() ? cell : spans.front();
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    return value;
}

void check_table(const std::string& readme, const std::map<std::string, Row>& rows,
                 const std::map<std::string, Listed>& options, const std::string& listed_by) {
    for (const auto& [name, listed] : options) {
        auto row = rows.find(name);
        if (row == rows.end()) {
            ADD_FAILURE() << readme << ": no row for option " << name << " (" << listed_by << ")";
            continue;
        }
        const std::string where = readme + ":" + std::to_string(row->second.line) + ": " + name;
        if (listed.described) {
            EXPECT_FALSE(documented_default(row->second.default_cell).empty() || row->second.default_cell == "—")
                << where << ": the default (" << listed.default_value << ") is not described";
        } else if (!listed.default_value.empty()) {
            EXPECT_EQ(documented_default(row->second.default_cell), listed.default_value)
                << where << ": the default cell \"" << row->second.default_cell << "\" does not give the default";
        }
    }
    for (const auto& [name, row] : rows)
        EXPECT_TRUE(options.count(name) != 0)
            << readme << ":" << row.line << ": a row for " << name << ", which is no option (" << listed_by << ")";
}

// `peoplesync plugins --options`: kind and type → option → what it lists.
std::map<std::string, std::map<std::string, Listed>> listed_plugin_options() {
    const auto dir = peoplesync::testing::fresh_test_dir("option-docs");
    std::ofstream(dir / "peoplesync.yaml") << "pipelines:\n"
                                              "  - name: people\n"
                                              "    source: {type: csv, path: people.csv}\n"
                                              "    sinks: [{type: directory, database: directory.db}]\n";
    auto listing = peoplesync::testing::run_program(
        PEOPLESYNC_CLI, {"--config", (dir / "peoplesync.yaml").string(), "plugins", "--options"}, dir);
    std::filesystem::remove_all(dir);
    EXPECT_EQ(listing.status, 0) << listing.err;
    std::map<std::string, std::map<std::string, Listed>> plugins;
    static const std::regex plugin_line("^(source|sink) ([a-z_]+): .*");
    static const std::regex option_line("^    ([a-z_]+) +([a-z]+) ?(required )?(by default |default )?(.*)$");
    std::istringstream in(listing.out);
    std::string line, current;
    std::smatch match;
    while (std::getline(in, line)) {
        if (std::regex_match(line, match, plugin_line)) {
            current = std::string(match[1]) + "-" + std::string(match[2]);
            plugins[current];
        } else if (!current.empty() && std::regex_match(line, match, option_line)) {
            Listed listed;
            if (match[4].matched) {
                const std::string rest = match[5];
                listed.default_value = rest.substr(0, rest.find(". "));
                listed.described = match[4] == "by default ";
            }
            plugins[current][match[1]] = listed;
        }
    }
    return plugins;
}

TEST(OptionDocs, EveryBuiltInPluginsReadmeHasEveryOptionWithItsDefaultAndNoOther) {
    const auto plugins = listed_plugin_options();
    for (const char* plugin :
         {"source-csv", "source-ldap", "source-webhook", "sink-directory", "sink-webhook", "sink-postgres"}) {
        SCOPED_TRACE(plugin);
        auto options = plugins.find(plugin);
        ASSERT_NE(options, plugins.end()) << "peoplesync plugins --options does not list " << plugin;
        ASSERT_FALSE(options->second.empty()) << plugin << " lists no option";
        const std::string readme = std::string(PEOPLESYNC_SOURCE_DIR) + "/plugins/" + plugin + "/README.md";
        const auto rows = option_rows(read_text(readme), "option");
        check_table(readme, rows, options->second, "peoplesync plugins --options");
    }
}

// The Configuration section's tables name the top level's keys as written
// (`state_database`, `http.listen`) and a pipeline's relative to it
// (`sync.mode`, `sinks[].retry.max_age_secs`).
TEST(OptionDocs, TheReadmesConfigurationHasEveryDaemonOptionWithItsDefaultAndNoOther) {
    const std::string readme = std::string(PEOPLESYNC_SOURCE_DIR) + "/README.md";
    const std::string text = read_text(readme);
    const auto start = text.find("\n## Configuration\n");
    ASSERT_NE(start, std::string::npos) << readme << " has no Configuration section";
    const std::string section = text.substr(start, text.find("\n## ", start + 1) - start);
    const auto sections = peoplesync::core::configuration_option_tables();
    std::map<std::string, Listed> options;
    for (const auto& [path, specs] : sections) {
        std::string prefix = path.rfind("pipelines[]", 0) == 0 ? path.substr(std::string("pipelines[]").size()) : path;
        if (!prefix.empty() && prefix.front() == '.') prefix.erase(0, 1);
        if (!prefix.empty()) prefix += ".";
        for (const auto& spec : specs) {
            const std::string key = prefix + spec.name;
            // A map with a table of its own is documented by that table's rows.
            const bool has_table = std::any_of(sections.begin(), sections.end(), [&](const auto& other) {
                return other.path == (path.empty() ? spec.name : path + "." + spec.name);
            });
            if (!has_table) options[key] = {spec.default_value, spec.default_is_description};
        }
    }
    // The rows' line numbers count from the section's start.
    check_table(readme + " (Configuration)", option_rows(section, "key"), options, "the daemon's option tables");
}

}  // namespace
