// console-password: a password from stdin, hashed for admin.console_password_hash.
// It needs no configuration.
#include <iostream>
#include <string>

#include <termios.h>
#include <unistd.h>

#include "arguments.hpp"
#include "console_password.hpp"
#include "session.hpp"

namespace peoplesync::cli {

namespace {

// One line from stdin, without its line end; on a terminal, asked for without echo.
std::string read_secret_line(const char* prompt) {
    const bool terminal = isatty(STDIN_FILENO) != 0;
    termios saved{};
    if (terminal) {
        std::cerr << prompt << std::flush;
        tcgetattr(STDIN_FILENO, &saved);
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::string line;
    const bool got = static_cast<bool>(std::getline(std::cin, line));
    if (terminal) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        std::cerr << "\n";
    }
    if (!got) throw UsageError("console-password reads the password from stdin, and got nothing");
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

}  // namespace

int console_password(const Arguments&) {
    const std::string password = read_secret_line("Console password: ");
    if (password.size() < 12) throw UsageError("the console password is too short: use at least 12 characters");
    if (isatty(STDIN_FILENO) != 0 && read_secret_line("Again: ") != password)
        throw UsageError("the two passwords differ");
    std::cout << core::hash_console_password(password) << "\n";
    return ok;
}

}  // namespace peoplesync::cli
