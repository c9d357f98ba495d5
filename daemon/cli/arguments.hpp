// The CLI's command line: one table of commands (their arguments, summary,
// options and handler) from which the parser, `peoplesync --help` and each
// command's own help are made. Options are parsed by Poco's OptionProcessor,
// as peoplesyncd's are.
#pragma once

#include <cstddef>
#include <map>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace peoplesync::cli {

// Exit statuses, documented in the README.
enum Exit : int { ok = 0, failed = 1, config_error = 2, rejected = 3, blocked = 4 };

// Wrong arguments, or a command refused before it acted: exit 2.
class UsageError : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Session;
struct Command;

// What the command line asked for.
class Arguments {
public:
    const Command* command = nullptr;                         // none: no command given
    std::vector<std::string> operands;                        // after the command's name
    std::map<std::string, std::string, std::less<>> options;  // by long name, without "--"

    bool flag(std::string_view name) const { return options.find(name) != options.end(); }
    std::string value(std::string_view name, std::string fallback = {}) const;
    // Operand `index`, or a usage error saying the command needs `what`.
    const std::string& operand(std::size_t index, const char* what) const;
    std::string operand_or(std::size_t index, std::string fallback = {}) const;
};

// One way of calling a command: `lead` names an option written before the
// operands (simulate --request ID), `operands` as the usage shows them.
struct Form {
    std::string_view lead;
    std::string_view operands;
    std::vector<std::string_view> options;
    std::string_view summary;
};

struct Command {
    std::string_view name;
    std::vector<Form> forms;
    std::string_view details;  // what its own help adds to the summaries
    int max_operands;          // -1: any number (passed on to a plugin)
    // One of the two: with the configuration loaded, or without it.
    int (*run)(Session&) = nullptr;
    int (*run_alone)(const Arguments&) = nullptr;

    // Every option of its forms, in the order the forms show them.
    std::vector<std::string_view> option_names() const;
};

const std::vector<Command>& commands();

// Fills `parsed` as it goes (so that an error can name the command); throws
// UsageError for an unknown command or option, a missing value, or an operand
// too many (unless --help asks for the command's usage).
void parse(int argc, char** argv, Arguments& parsed);

void print_commands(std::ostream& out);
void print_help(std::ostream& out, const Command& command);

}  // namespace peoplesync::cli
