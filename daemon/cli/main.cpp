// peoplesync: run, simulate, enable and inspect pipelines from a shell.
// arguments.cpp holds the commands' table; each group of commands its file.
#include <iostream>

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/PatternFormatter.h>
#if defined(_WIN32)
#include <Poco/Net/Net.h>
#endif

#include "arguments.hpp"
#include "error_text.hpp"
#include "process_tuning.hpp"
#include "session.hpp"
#include "version.hpp"

namespace {

namespace cli = peoplesync::cli;

void setup_logging(bool verbose) {
    Poco::AutoPtr<Poco::PatternFormatter> format(new Poco::PatternFormatter("%p %s: %t"));
    Poco::AutoPtr<Poco::ConsoleChannel> console(new Poco::ConsoleChannel(std::cerr));
    Poco::AutoPtr<Poco::FormattingChannel> channel(new Poco::FormattingChannel(format, console));
    Poco::Logger::root().setChannel(channel);
    Poco::Logger::root().setLevel(verbose ? Poco::Message::PRIO_DEBUG : Poco::Message::PRIO_WARNING);
}

int run(const cli::Arguments& args) {
    if (args.flag("version")) {
        std::cout << peoplesync::core::version_text("peoplesync");
        return cli::ok;
    }
    if (args.flag("help")) {
        if (args.command)
            cli::print_help(std::cout, *args.command);
        else
            cli::print_commands(std::cout);
        return cli::ok;
    }
    if (!args.command) {
        cli::print_commands(std::cout);
        return cli::config_error;
    }
    if (args.command->run_alone) return args.command->run_alone(args);
    setup_logging(args.flag("verbose"));
    cli::Session session(args);
    return args.command->run(session);
}

}  // namespace

int main(int argc, char** argv) {
    peoplesync::core::tune_process();
#if defined(_WIN32)
    Poco::Net::initializeNetwork();  // Winsock, for the admin API's client
#endif
    cli::Arguments args;
    try {
        cli::parse(argc, argv, args);
        return run(args);
    } catch (const cli::UsageError& e) {
        std::cerr << "peoplesync: " << e.what() << "\n"
                  << "run peoplesync "
                  << (args.command && args.command->name != "help" ? std::string(args.command->name) + " --help"
                                                                   : "--help")
                  << " for usage\n";
        return cli::config_error;
    } catch (const peoplesync::ConfigError& e) {
        std::cerr << "peoplesync: configuration error: " << e.what() << "\n";
        return cli::config_error;
    } catch (const std::exception& e) {
        std::cerr << "peoplesync: " << peoplesync::core::error_text(e) << "\n";
        return cli::failed;
    } catch (...) {
        // A plugin command may throw anything; say so rather than abort.
        std::cerr << "peoplesync: an exception that is not a std::exception\n";
        return cli::failed;
    }
}
