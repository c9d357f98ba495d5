// console-password: a password from stdin, hashed for admin.console_password_hash.
// It needs no configuration.
#include <iostream>
#include <optional>
#include <string>

#if defined(_WIN32)
#include <io.h>
#include <windows.h>
#else
#include <termios.h>
#include <unistd.h>
#endif

#include "arguments.hpp"
#include "console_password.hpp"
#include "session.hpp"

namespace peoplesync::cli {

namespace {

#if defined(_WIN32)
bool stdin_is_terminal() {
    return _isatty(_fileno(stdin)) != 0;
}

// Echo off on the console while `this` lives.
class QuietInput {
public:
    QuietInput() : console_(GetStdHandle(STD_INPUT_HANDLE)) {
        if (GetConsoleMode(console_, &saved_))
            SetConsoleMode(console_, saved_ & ~static_cast<DWORD>(ENABLE_ECHO_INPUT));
    }
    ~QuietInput() { SetConsoleMode(console_, saved_); }
    QuietInput(const QuietInput&) = delete;
    QuietInput& operator=(const QuietInput&) = delete;

private:
    HANDLE console_;
    DWORD saved_ = 0;
};
#else
bool stdin_is_terminal() {
    return isatty(STDIN_FILENO) != 0;
}

class QuietInput {
public:
    QuietInput() {
        tcgetattr(STDIN_FILENO, &saved_);
        termios quiet = saved_;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    ~QuietInput() { tcsetattr(STDIN_FILENO, TCSANOW, &saved_); }
    QuietInput(const QuietInput&) = delete;
    QuietInput& operator=(const QuietInput&) = delete;

private:
    termios saved_{};
};
#endif

// One line from stdin, without its line end; on a terminal, asked for without echo.
std::string read_secret_line(const char* prompt) {
    std::optional<QuietInput> quiet;
    if (stdin_is_terminal()) {
        std::cerr << prompt << std::flush;
        quiet.emplace();
    }
    std::string line;
    const bool got = static_cast<bool>(std::getline(std::cin, line));
    if (quiet) {
        quiet.reset();
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
    if (stdin_is_terminal() && read_secret_line("Again: ") != password) throw UsageError("the two passwords differ");
    std::cout << core::hash_console_password(password) << "\n";
    return ok;
}

}  // namespace peoplesync::cli
