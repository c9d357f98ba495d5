// Poco's OptionProcessor parses the options, as in peoplesyncd: an option set
// per command (the global options and the command's), each option written in
// full (Poco would also take an unambiguous abbreviation: a script's `--det`
// would break the day another option begins alike).
#include "arguments.hpp"

#include <algorithm>
#include <cctype>
#include <iostream>
#include <memory>

#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionException.h>
#include <Poco/Util/OptionProcessor.h>
#include <Poco/Util/OptionSet.h>

#include "session.hpp"

namespace peoplesync::cli {

namespace {

struct OptionInfo {
    std::string_view name;
    std::string_view short_name;
    std::string_view argument;  // empty for a flag
    std::string_view description;
};

const std::vector<OptionInfo>& option_table() {
    static const std::vector<OptionInfo> table = {
        {"config", "c", "FILE", "the configuration file (default: $PEOPLESYNC_CONFIG, else ./etc/peoplesync.yaml)"},
        {"verbose", "v", "", "log debug messages on stderr"},
        {"local", "", "",
         "act in this process even while peoplesyncd serves the same state database (a run then waits for no one: "
         "it fails if the pipeline is running elsewhere)"},
        {"help", "h", "", "show the commands, or a command's usage, and exit"},
        {"version", "", "", "show the version and the plugin ABI, and exit"},
        {"options", "", "", "list each plugin's options too"},
        {"dry-run", "", "", "only simulate, even on a live pipeline"},
        {"force", "", "", "pass the deletion guard"},
        {"full", "", "", "read, validate and diff everything, even when nothing changed since the last run"},
        {"json", "", "", "print JSON rather than text"},
        {"detail", "", "", "list every change, not only the counts"},
        {"limit", "", "N", "at most N, the newest first (default 20)"},
        {"request", "", "ID", "a request pushed to a webhook source, rather than a run"},
        {"pipeline", "", "P", "the directory sink's pipeline"},
        {"sink", "", "S", "the directory sink's name"},
    };
    return table;
}

// Those every command takes, before or after its name.
const std::vector<std::string_view> global_options = {"config", "verbose", "local", "help", "version"};

const OptionInfo& option_info(std::string_view name) {
    const auto& table = option_table();
    auto it = std::find_if(table.begin(), table.end(), [name](const auto& o) { return o.name == name; });
    if (it == table.end()) throw std::logic_error("the CLI's option table has no " + std::string(name));
    return *it;
}

Poco::Util::OptionSet option_set(const std::vector<std::string_view>& names) {
    Poco::Util::OptionSet set;
    for (auto name : names) {
        const auto& info = option_info(name);
        Poco::Util::Option option(std::string(info.name), std::string(info.short_name), std::string(info.description));
        option.required(false).repeatable(true);
        if (!info.argument.empty()) option.argument(std::string(info.argument));
        set.addOption(option);
    }
    return set;
}

// The usage of one form, as `peoplesync --help` and the command's help show it.
std::string usage_of(const Command& command, const Form& form) {
    std::string usage(command.name);
    if (!form.lead.empty())
        usage += " --" + std::string(form.lead) + " " + std::string(option_info(form.lead).argument);
    if (!form.operands.empty()) usage += " " + std::string(form.operands);
    for (auto name : form.options) {
        const auto& info = option_info(name);
        usage += " [--" + std::string(name) + (info.argument.empty() ? "" : " " + std::string(info.argument)) + "]";
    }
    return usage;
}

const Command* find_command(std::string_view name) {
    const auto& table = commands();
    auto it = std::find_if(table.begin(), table.end(), [name](const auto& c) { return c.name == name; });
    return it == table.end() ? nullptr : &*it;
}

// Poco's formatter, with its wrapping and its option list at hand.
class Formatter : public Poco::Util::HelpFormatter {
public:
    using Poco::Util::HelpFormatter::formatOptions;
    using Poco::Util::HelpFormatter::formatText;
    using Poco::Util::HelpFormatter::HelpFormatter;
};

constexpr int summary_column = 32;
constexpr int text_width = 90;

// A summary as a sentence of its own.
std::string sentence(std::string_view summary) {
    std::string text(summary);
    if (!text.empty()) text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
    return text + ".";
}

const char* closing_note = R"(
The configuration is --config, else $PEOPLESYNC_CONFIG, else ./etc/peoplesync.yaml.
While peoplesyncd runs on the same state database, run, simulate, approve, enable,
disable and plugin commands go through its admin API; --local acts here instead
(a run then waits for no one: it fails if the pipeline is running elsewhere).
Exit status: 0 success, 1 run failed, 2 configuration or usage error,
             3 snapshot rejected, 4 run blocked by the deletion guard.
)";

int help(const Arguments& args) {
    if (args.operands.empty()) {
        print_commands(std::cout);
        return ok;
    }
    const Command* command = find_command(args.operands[0]);
    if (!command) throw UsageError("unknown command \"" + args.operands[0] + "\"");
    print_help(std::cout, *command);
    return ok;
}

}  // namespace

const std::vector<Command>& commands() {
    static const std::vector<Command> table = {
        {"validate",
         {{"",
           "",
           {},
           "check the configuration, every plugin it names and the TLS files, as peoplesyncd's start does"}},
         "Each pipeline is built with its plugins as a run builds it; nothing is read or written.",
         0,
         validate},
        {"plugins", {{"", "", {"options"}, "list the plugins found (and files refused, with why)"}}, "", 0, plugins},
        {"status",
         {{"", "", {}, "list pipelines with their mode (test or live)"}},
         "Also what sinks that deliver still have to send, and the peoplesyncd that serves this state database.",
         0,
         status},
        {"run",
         {{"",
           "PIPELINE",
           {"dry-run", "force", "full", "json", "detail"},
           "read the source and sync; test mode only simulates; --full even when nothing changed since the last run"}},
         "Exits 3 when the snapshot is rejected and 4 when the deletion guard blocks the run. Through peoplesyncd when "
         "it serves this state database. A pipeline whose snapshots are pushed (a webhook source) does not run on "
         "demand.",
         1,
         run},
        {"simulate",
         {{"", "RUN", {"json", "detail"}, "diff a logged run's snapshot against the destination now"},
          {"request", "", {"json", "detail"}, "diff a logged request's snapshot against the destination now"}},
         "Nothing is applied, whatever the pipeline's mode.",
         1,
         simulate},
        {"enable",
         {{"", "PIPELINE", {}, "go live with the pipeline's current configuration"}},
         "Any later change to the pipeline's configuration puts it back in test mode.",
         1,
         enable},
        {"disable", {{"", "PIPELINE", {}, "back to test mode"}}, "", 1, disable},
        {"approve",
         {{"", "RUN", {"json", "detail"}, "apply a run the deletion guard blocked"}},
         "The run's snapshot is applied as it was read, against the destination now.",
         1,
         approve},
        {"runs", {{"", "[PIPELINE]", {"limit", "json"}, "list recent runs"}}, "", 1, runs},
        {"show", {{"", "RUN", {"json"}, "one run with its findings and changes"}}, "", 1, show},
        {"requests",
         {{"", "[PIPELINE]", {"limit", "json"}, "list requests pushed to webhook sources"}},
         "",
         1,
         requests},
        {"request", {{"", "ID", {"json"}, "one pushed request with its findings and its run"}}, "", 1, request},
        {"webhook-credentials",
         {{"", "PIPELINE", {}, "make a webhook's endpoint and API key (shown once; rotates)"}},
         "The same as: peoplesync command PIPELINE source credentials.",
         1,
         webhook_credentials},
        {"command",
         {{"", "PIPELINE source|SINK NAME [ARGS]", {}, "run a plugin's command (see the plugin's README)"}},
         "Arguments that begin with - go after --, so that they are the command's.",
         -1,
         plugin_command},
        {"outbox",
         {{"", "[PIPELINE]", {"json"}, "what sinks that deliver (webhook) still have to send"},
          {"", "retry PIPELINE SINK", {}, "a stopped delivery: try its waiting messages again now"},
          {"",
           "drop PIPELINE SINK",
           {},
           "a stopped delivery: drop its waiting messages (the next run sends what changed since the last one "
           "delivered)"},
          {"", "deliver PIPELINE", {}, "try every waiting message now (without peoplesyncd)"}},
         "",
         3,
         outbox},
        {"directory",
         {{"", "show USER", {"pipeline", "sink"}, "a user of a directory sink, as its users see it"},
          {"",
           "set USER FIELD VALUE",
           {"pipeline", "sink"},
           "edit a user of a directory sink, as its users would (synced fields of synced users are read-only)"}},
         "USER is a hris_id or an email. With several directory sinks, the one holding the user, or the one "
         "--pipeline and --sink name.",
         4,
         directory},
        {"console-password",
         {{"", "", {}, "read a password from stdin and print its hash, for admin.console_password_hash"}},
         "It needs no configuration. On a terminal the password is asked for twice, without echo.",
         0,
         nullptr,
         console_password},
        {"help",
         {{"", "[COMMAND]", {}, "these commands, or a command's usage (as COMMAND --help)"}},
         "",
         1,
         nullptr,
         help},
    };
    return table;
}

std::vector<std::string_view> Command::option_names() const {
    std::vector<std::string_view> names;
    for (const auto& form : forms) {
        for (auto option : form.options)
            if (std::find(names.begin(), names.end(), option) == names.end()) names.push_back(option);
        if (!form.lead.empty() && std::find(names.begin(), names.end(), form.lead) == names.end())
            names.push_back(form.lead);
    }
    return names;
}

std::string Arguments::value(std::string_view name, std::string fallback) const {
    auto it = options.find(name);
    return it == options.end() ? fallback : it->second;
}

const std::string& Arguments::operand(std::size_t index, const char* what) const {
    if (operands.size() <= index) throw UsageError(std::string(command->name) + " needs " + what);
    return operands[index];
}

std::string Arguments::operand_or(std::size_t index, std::string fallback) const {
    return operands.size() > index ? operands[index] : fallback;
}

void parse(int argc, char** argv, Arguments& parsed) {
    std::vector<std::string_view> allowed = global_options;
    auto options = std::make_unique<Poco::Util::OptionSet>(option_set(allowed));
    auto processor = std::make_unique<Poco::Util::OptionProcessor>(*options);
    std::string pending;  // as written, an option whose value is the next argument
    std::string_view pending_name;
    bool operands_only = false;
    auto where = [&parsed] {
        return parsed.command ? std::string(parsed.command->name) + ": " : std::string("before the command: ");
    };
    for (int i = 1; i < argc; ++i) {
        const std::string argument = argv[i];
        std::string name, value;
        if (!pending.empty()) {
            processor->process(argument, name, value);
            parsed.options[name] = value;
            pending.clear();
        } else if (!operands_only && argument.size() > 1 && argument[0] == '-') {
            if (argument == "--") {
                operands_only = true;
                continue;
            }
            // Written in full: Poco alone would take an abbreviation.
            const bool is_long = argument[1] == '-';
            const std::string written =
                is_long ? argument.substr(2, argument.find_first_of("=:") - 2) : argument.substr(1, 1);
            auto option = std::find_if(allowed.begin(), allowed.end(), [&](auto known) {
                return is_long ? known == written : option_info(known).short_name == written;
            });
            if (option == allowed.end())
                throw UsageError(where() + "unknown option \"" + argument + "\"" +
                                 (parsed.command ? "" : " (a command's options follow its name)"));
            try {
                processor->process(argument, name, value);
            } catch (const Poco::Util::UnexpectedArgumentException&) {
                throw UsageError(where() + "--" + std::string(*option) + " takes no value: \"" + argument + "\"");
            } catch (const Poco::Util::OptionException& e) {
                throw UsageError(where() + "\"" + argument + "\": " + e.displayText());
            }
            if (name.empty()) {
                pending = argument;
                pending_name = *option;
            } else {
                parsed.options[name] = value;
            }
        } else if (parsed.command) {
            parsed.operands.push_back(argument);
        } else {
            parsed.command = find_command(argument);
            if (!parsed.command) throw UsageError("unknown command \"" + argument + "\"");
            const auto own = parsed.command->option_names();
            allowed.insert(allowed.end(), own.begin(), own.end());
            processor.reset();
            options = std::make_unique<Poco::Util::OptionSet>(option_set(allowed));
            processor = std::make_unique<Poco::Util::OptionProcessor>(*options);
        }
    }
    if (!pending.empty())
        throw UsageError(where() + pending + " needs a value (" + std::string(option_info(pending_name).argument) +
                         ")");
    const Command* command = parsed.command;
    if (command && !parsed.flag("help") && command->max_operands >= 0 &&
        parsed.operands.size() > static_cast<std::size_t>(command->max_operands))
        throw UsageError(where() + "an argument too many: \"" +
                         parsed.operands[static_cast<std::size_t>(command->max_operands)] + "\"");
}

void print_commands(std::ostream& out) {
    const Poco::Util::OptionSet none;
    Formatter formatter(none);
    formatter.setWidth(text_width);
    out << "usage: peoplesync [--config FILE] [--verbose] [--local] COMMAND [ARGS]\n"
           "       peoplesync COMMAND --help | peoplesync help COMMAND\n"
           "       peoplesync --version\n\nCommands:\n";
    for (const auto& command : commands()) {
        for (const auto& form : command.forms) {
            const std::string usage = "  " + usage_of(command, form);
            out << usage;
            int column = static_cast<int>(usage.size());
            if (column + 2 > summary_column) {
                out << "\n";
                column = 0;
            }
            out << std::string(static_cast<std::size_t>(std::max(0, summary_column - column)), ' ');
            formatter.formatText(out, std::string(form.summary), summary_column, summary_column);
            out << "\n";
        }
    }
    out << closing_note;
}

void print_help(std::ostream& out, const Command& command) {
    const auto own_options = option_set(command.option_names());
    Formatter formatter(own_options);
    formatter.setWidth(text_width);
    formatter.setUnixStyle(true);
    formatter.setAutoIndent();
    const char* prefix = "usage: peoplesync ";
    for (const auto& form : command.forms) {
        out << prefix << usage_of(command, form) << "\n";
        prefix = "       peoplesync ";
    }
    out << "\n";
    for (const auto& form : command.forms) {
        if (command.forms.size() == 1) {
            formatter.formatText(out, sentence(form.summary), 0);
        } else {
            out << "  " << usage_of(command, form) << "\n    ";
            formatter.formatText(out, sentence(form.summary), 4);
        }
        out << "\n";
    }
    if (!command.details.empty()) {
        out << "\n";
        formatter.formatText(out, std::string(command.details), 0);
        out << "\n";
    }
    if (!command.option_names().empty()) {
        out << "\nOptions:\n";
        formatter.formatOptions(out);
    }
    const auto global_set = option_set(global_options);
    Formatter global(global_set);
    global.setWidth(text_width);
    global.setUnixStyle(true);
    global.setAutoIndent();
    out << "\nGlobal options:\n";
    global.formatOptions(out);
}

}  // namespace peoplesync::cli
