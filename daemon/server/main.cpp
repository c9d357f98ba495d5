// peoplesyncd: the daemon. Serves the push sources' webhooks and the admin
// API, runs scheduled pulls, reloads on SIGHUP, stops on SIGTERM/SIGINT.
//
//   peoplesyncd [--config FILE] [--pidfile FILE]     foreground (systemd Type=simple)
//   peoplesyncd --daemon --pidfile FILE ...          Unix: into the background once it serves
//   peoplesyncd /registerService ...                 Windows: see README.md
//   peoplesyncd --version
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Logger.h>
#include <Poco/Process.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionException.h>
#include <Poco/Util/OptionSet.h>
#include <Poco/Util/ServerApplication.h>

#if defined(POCO_OS_FAMILY_UNIX)
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#if defined(_WIN32)
#include <Poco/Net/Net.h>

#include "windows_service.hpp"
#endif

#include "daemon.hpp"
#include "logging.hpp"
#include "process_tuning.hpp"
#include "settings.hpp"
#include "version.hpp"

namespace {

using peoplesync::server::Daemon;
using Poco::Util::Application;

// A stop must not take longer than this, whatever runs (systemd's default
// TimeoutStopSec is longer; the issue asks for 10 s).
constexpr auto stop_deadline = std::chrono::milliseconds(9500);

std::filesystem::path default_config() {
    if (const char* env = std::getenv("PEOPLESYNC_CONFIG"); env && *env) return env;
    return "etc/peoplesync.yaml";
}

// Whole or not at all: a reader never sees the file half written.
void write_pidfile(const std::filesystem::path& file) {
    const std::filesystem::path temporary = file.string() + ".tmp";
    std::ofstream out(temporary, std::ios::trunc);
    out << Poco::Process::id() << "\n";
    out.close();
    if (!out) throw peoplesync::Error("cannot write the pid file " + temporary.string() + ": " + std::strerror(errno));
    std::error_code ec;
    std::filesystem::rename(temporary, file, ec);
    if (ec) {
        std::filesystem::remove(temporary, ec);
        throw peoplesync::Error("cannot write the pid file " + file.string() + ": " + ec.message());
    }
}

// What the main thread waits for: a reload or a stop, posted by the signal
// thread (or, on Windows, by the service control).
class Events {
public:
    enum class Kind { reload, stop };
    void post(Kind kind, std::string why) {
        {
            std::lock_guard lock(mutex_);
            if (kind == Kind::stop)
                stop_ = why;
            else
                reloads_ += 1;
        }
        wake_.notify_all();
    }
    // The next event; a stop wins over pending reloads.
    std::pair<Kind, std::string> wait() {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || reloads_ > 0; });
        if (stop_) return {Kind::stop, *stop_};
        reloads_ -= 1;
        return {Kind::reload, "SIGHUP"};
    }

private:
    std::mutex mutex_;
    std::condition_variable wake_;
    std::optional<std::string> stop_;
    int reloads_ = 0;
};

#if defined(POCO_OS_FAMILY_UNIX)
// The signals the daemon handles are blocked in every thread (main() blocks
// them before any thread starts, and threads inherit the mask); this one
// thread takes them with sigwait, so none can kill a thread mid-way.
sigset_t handled_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGQUIT);
    return set;
}

class SignalThread {
public:
    explicit SignalThread(Events& events)
        : thread_([this, &events] {
              const sigset_t set = handled_signals();
              while (true) {
                  int signal = 0;
                  if (sigwait(&set, &signal) != 0) continue;
                  if (done_) return;
                  if (signal == SIGHUP) {
                      events.post(Events::Kind::reload, "SIGHUP");
                  } else {
                      events.post(Events::Kind::stop, signal == SIGTERM  ? "SIGTERM"
                                                      : signal == SIGINT ? "SIGINT"
                                                                         : "SIGQUIT");
                  }
              }
          }) {}
    ~SignalThread() {
        done_ = true;
        pthread_kill(thread_.native_handle(), SIGTERM);  // wakes its sigwait
        thread_.join();
    }

private:
    std::atomic<bool> done_{false};
    std::thread thread_;
};
#else
// Windows: Poco's service control (or Ctrl-C in a console) ends `wait`.
class SignalThread {
public:
    SignalThread(Events& events, std::function<void()> wait)
        : thread_([&events, wait] {
              wait();
              events.post(Events::Kind::stop, "service stop");
          }) {}
    ~SignalThread() {
        Poco::Util::ServerApplication::terminate();
        thread_.join();
    }

private:
    std::thread thread_;
};
#endif

class PeoplesyncDaemon final : public Poco::Util::ServerApplication {
public:
    // `ready_pipe`: with --daemon, where the waiting parent learns that the
    // daemon serves (see detach()); -1 in the foreground.
    // `config`: the configuration file main() found on the command line, for
    // a Windows service, whose own arguments Poco does not read (empty: none).
    PeoplesyncDaemon(int ready_pipe, std::filesystem::path config)
        : ready_pipe_(ready_pipe), config_(std::move(config)) {
        // --config FILE on Windows too (Poco's default there is /config:FILE).
        setUnixOptions(true);
    }

protected:
    void defineOptions(Poco::Util::OptionSet& options) override {
#if defined(POCO_OS_FAMILY_UNIX)
        // Poco's --daemon, --pidfile and --umask are replaced: its --daemon
        // exits 0 before the daemon has done anything, and its pid file is
        // written before the daemon serves (and stays if it cannot).
        Application::defineOptions(options);
        options.addOption(
            Poco::Util::Option("daemon", "",
                               "run in the background; the command ends once the daemon serves, or "
                               "with the reason and exit status of a start that failed")
                .required(false)
                .repeatable(false)
                .callback(Poco::Util::OptionCallback<PeoplesyncDaemon>(this, &PeoplesyncDaemon::on_daemon)));
        options.addOption(
            Poco::Util::Option("pidfile", "", "write the daemon's process id to FILE once it serves")
                .required(false)
                .repeatable(false)
                .argument("FILE")
                .callback(Poco::Util::OptionCallback<PeoplesyncDaemon>(this, &PeoplesyncDaemon::on_pidfile)));
        options.addOption(
            Poco::Util::Option("umask", "", "the daemon's umask, octal (default with --daemon: 027)")
                .required(false)
                .repeatable(false)
                .argument("MASK")
                .callback(Poco::Util::OptionCallback<PeoplesyncDaemon>(this, &PeoplesyncDaemon::on_umask)));
#else
        ServerApplication::defineOptions(options);
#endif
        options.addOption(
            Poco::Util::Option("config", "c",
                               "the configuration file (default: $PEOPLESYNC_CONFIG, "
                               "else etc/peoplesync.yaml)")
                .required(false)
                .repeatable(false)
                .argument("FILE")
                .callback(Poco::Util::OptionCallback<PeoplesyncDaemon>(this, &PeoplesyncDaemon::on_config)));
        options.addOption(
            Poco::Util::Option("help", "h", "show the options and exit")
                .required(false)
                .repeatable(false)
                .callback(Poco::Util::OptionCallback<PeoplesyncDaemon>(this, &PeoplesyncDaemon::on_help)));
        options.addOption(
            Poco::Util::Option("version", "", "show the version and the plugin ABI, and exit")
                .required(false)
                .repeatable(false)
                .callback(Poco::Util::OptionCallback<PeoplesyncDaemon>(this, &PeoplesyncDaemon::on_version)));
    }

    void on_config(const std::string&, const std::string& value) {
        // Options are read before a daemon changes its directory to /: make the path absolute now.
        config_ = std::filesystem::absolute(value).lexically_normal();
    }

    void on_help(const std::string&, const std::string&) {
        help_ = true;
        stopOptionsProcessing();
    }

    void on_version(const std::string&, const std::string&) {
        version_ = true;
        stopOptionsProcessing();
    }

#if defined(POCO_OS_FAMILY_UNIX)
    // main() takes --daemon itself; what reaches here is an abbreviation of it.
    void on_daemon(const std::string&, const std::string&) {
        throw Poco::Util::InvalidArgumentException("write --daemon in full");
    }

    void on_pidfile(const std::string&, const std::string& value) {
        pidfile_ = std::filesystem::absolute(value).lexically_normal();
    }

    void on_umask(const std::string&, const std::string& value) {
        mode_t mask = 0;
        for (char c : value) {
            if (c < '0' || c > '7' || mask > 0777)
                throw Poco::Util::InvalidArgumentException("--umask takes an octal mask such as 027, not " + value);
            mask = static_cast<mode_t>(mask * 8 + static_cast<mode_t>(c - '0'));
        }
        ::umask(mask);
    }
#endif

    int main(const std::vector<std::string>&) override {
        if (help_) {
            Poco::Util::HelpFormatter help(options());
            help.setCommand(commandName());
            help.setUnixStyle(true);
#if defined(_WIN32)
            help.setUsage(
                "[--config FILE] | --registerService [--config FILE] [--startup=automatic|manual] "
                "[--displayName=NAME] [--description=TEXT] | --unregisterService | --version");
            help.setHeader(
                "The peoplesync daemon: serves webhook sources and the admin API, runs scheduled pipelines. "
                "Ctrl-C, or a stop of the service, stops it. The service commands may also be written "
                "/registerService, /unregisterService, /startup=...");
#else
            help.setUsage("[--config FILE] [--daemon] [--pidfile FILE] | --version");
            help.setHeader(
                "The peoplesync daemon: serves webhook sources and the admin API, runs scheduled pipelines. "
                "SIGHUP reloads the configuration; SIGTERM or SIGINT stops it.");
#endif
            help.format(std::cout);
            std::cout << std::endl;  // Poco's formatter ends without one
            return EXIT_OK;
        }
        if (version_) {
            std::cout << peoplesync::core::version_text("peoplesyncd");
            return EXIT_OK;
        }
        if (config_.empty()) config_ = std::filesystem::absolute(default_config()).lexically_normal();
#if defined(POCO_OS_FAMILY_UNIX)
        // As daemons do, so that the folder it was started from can go; the
        // options' paths are absolute by now.
        if (ready_pipe_ >= 0 && ::chdir("/") != 0)
            return failed_start(EXIT_OSERR, std::string("cannot change to /: ") + std::strerror(errno));
#endif
        auto& log = Poco::Logger::get("peoplesyncd");
        std::optional<peoplesync::core::Settings> settings;
        try {
            settings = peoplesync::core::load_settings(config_);
            peoplesync::server::setup_logging(settings->log);
        } catch (const std::exception& e) {
            return failed_start(EXIT_CONFIG, std::string("configuration error: ") + e.what());
        }
        const bool console_log = settings->log.target == "console";
        log_elsewhere_ = !console_log;

        Events events;
#if defined(POCO_OS_FAMILY_UNIX)
        SignalThread signals(events);
#else
        SignalThread signals(events, [this] { waitForTerminationRequest(); });
#endif
        std::optional<Daemon> daemon;
        try {
            daemon.emplace(std::move(*settings));
            daemon->start();
            if (!pidfile_.empty()) write_pidfile(pidfile_);
        } catch (const peoplesync::ConfigError& e) {
            return failed_start(EXIT_CONFIG, std::string("configuration error: ") + e.what());
        } catch (const std::exception& e) {
            return failed_start(EXIT_SOFTWARE, std::string("cannot start: ") + e.what());
        }
        leave_the_terminal(console_log);

        while (true) {
            auto [kind, why] = events.wait();
            if (kind == Events::Kind::stop) {
                log.information("received " + why);
                break;
            }
            log.information("received " + why + ": reloading the configuration");
            daemon->reload();
        }

        // If a sink takes longer than the deadline to finish applying, leave
        // anyway: each sink applies in one transaction, which the database
        // rolls back when the process is gone.
        std::mutex watch_mutex;
        std::condition_variable watch_wake;
        bool stopped = false;
        std::thread watchdog([&] {
            std::unique_lock lock(watch_mutex);
            if (watch_wake.wait_for(lock, stop_deadline, [&] { return stopped; })) return;
            log.critical("could not stop within 10 s; exiting now (an unfinished run's transaction is rolled back)");
            std::error_code ec;
            if (!pidfile_.empty()) std::filesystem::remove(pidfile_, ec);
            std::_Exit(EXIT_SOFTWARE);
        });
        daemon.reset();
        {
            std::lock_guard lock(watch_mutex);
            stopped = true;
        }
        watch_wake.notify_all();
        watchdog.join();
        std::error_code ec;
        if (!pidfile_.empty()) std::filesystem::remove(pidfile_, ec);
        return EXIT_OK;
    }

private:
    // A start that failed is logged, and said on stderr too when the log
    // goes elsewhere: with --daemon, stderr is still the terminal of the
    // command that waits for the daemon.
    int failed_start(int status, const std::string& message) {
        Poco::Logger::get("peoplesyncd").fatal(message);
        if (log_elsewhere_) std::cerr << "peoplesyncd: " << message << std::endl;
        return status;
    }

    // With --daemon, once it serves: the terminal is let go and the parent
    // waiting in detach() ends with 0.
    void leave_the_terminal(bool console_log) {
#if defined(POCO_OS_FAMILY_UNIX)
        if (ready_pipe_ < 0) return;
        if (console_log)
            std::cerr << "peoplesyncd: serving in the background; log.target is console, so its log goes nowhere "
                         "from now on (set log.target to file or syslog)"
                      << std::endl;
        std::cout.flush();
        const int null = ::open("/dev/null", O_RDWR);
        if (null >= 0) {
            for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) ::dup2(null, fd);
            if (null > STDERR_FILENO) ::close(null);
        }
        const char ready = 'R';
        [[maybe_unused]] const ssize_t written = ::write(ready_pipe_, &ready, 1);
        ::close(ready_pipe_);
        ready_pipe_ = -1;
#else
        (void)console_log;
#endif
    }

    int ready_pipe_;
    std::filesystem::path config_;
    std::filesystem::path pidfile_;
    bool help_ = false;
    bool version_ = false;
    bool log_elsewhere_ = false;
};

#if defined(POCO_OS_FAMILY_UNIX)
// The parent's side of --daemon: waits until the daemon serves (0) or ends
// (its exit status; it said why on the terminal they share).
int wait_for_daemon(int ready_pipe, pid_t daemon) {
    char ready = 0;
    ssize_t got = 0;
    do {
        got = ::read(ready_pipe, &ready, 1);
    } while (got < 0 && errno == EINTR);
    ::close(ready_pipe);
    if (got == 1) return Application::EXIT_OK;
    int status = 0;
    while (::waitpid(daemon, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);  // 0 too: --help, --version
    std::cerr << "peoplesyncd: the daemon was killed by signal " << WTERMSIG(status) << " before it served"
              << std::endl;
    return Application::EXIT_SOFTWARE;
}

// --daemon, before any thread exists: the child goes on as the daemon, in a
// session of its own, with the write end of a pipe in `ready_pipe`; the
// parent waits on the read end. Returns the parent's exit status, nothing
// in the daemon.
std::optional<int> detach(int& ready_pipe) {
    int ends[2];
    // Close-on-exec, so nothing the daemon runs holds the parent waiting (pipe2() is Linux's only).
    if (::pipe(ends) != 0 || ::fcntl(ends[0], F_SETFD, FD_CLOEXEC) != 0 || ::fcntl(ends[1], F_SETFD, FD_CLOEXEC) != 0) {
        std::cerr << "peoplesyncd: cannot start the daemon: " << std::strerror(errno) << std::endl;
        return Application::EXIT_OSERR;
    }
    const pid_t child = ::fork();
    if (child < 0) {
        std::cerr << "peoplesyncd: cannot start the daemon: " << std::strerror(errno) << std::endl;
        return Application::EXIT_OSERR;
    }
    if (child > 0) {
        ::close(ends[1]);
        return wait_for_daemon(ends[0], child);
    }
    ::close(ends[0]);
    ::setsid();
    ::umask(027);
    ready_pipe = ends[1];
    return std::nullopt;
}
#endif

}  // namespace

int main(int argc, char** argv) {
    peoplesync::core::tune_process();
    std::vector<char*> args(argv, argv + argc);
    int ready_pipe = -1;
#if defined(POCO_OS_FAMILY_UNIX)
    // Taken here, not by Poco: its parent would exit 0 at once, whatever becomes of the daemon.
    const auto daemon_flag = std::remove_if(args.begin() + (argc > 0 ? 1 : 0), args.end(),
                                            [](const char* arg) { return std::strcmp(arg, "--daemon") == 0; });
    if (daemon_flag != args.end()) {
        args.erase(daemon_flag, args.end());
        if (std::optional<int> parent_status = detach(ready_pipe)) return *parent_status;
    }
    // Before any thread exists: threads inherit the mask.
    const sigset_t set = handled_signals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    signal(SIGPIPE, SIG_IGN);
#endif
    std::filesystem::path config;
#if defined(_WIN32)
    Poco::Net::initializeNetwork();
    std::vector<std::string> words(args.begin(), args.end());
    peoplesync::server::windows::accept_slash_options(words);
    config = peoplesync::server::windows::config_option(words);
    args.clear();
    for (auto& word : words) args.push_back(word.data());
#endif
    const int count = static_cast<int>(args.size());
    args.push_back(nullptr);
    PeoplesyncDaemon app(ready_pipe, config);
    const int status = app.run(count, args.data());
#if defined(_WIN32)
    if (status == Application::EXIT_OK && peoplesync::server::windows::registers_service(words)) {
        if (config.empty()) config = std::filesystem::absolute(default_config()).lexically_normal();
        try {
            peoplesync::server::windows::set_service_config(app.config().getString("application.baseName"),
                                                            app.config().getString("application.path"), config);
            std::cout << "peoplesyncd: registered the service " << app.config().getString("application.baseName")
                      << ", with the configuration " << config.string() << std::endl;
        } catch (const std::exception& e) {
            std::cerr << "peoplesyncd: " << e.what() << std::endl;
            return Application::EXIT_SOFTWARE;
        }
    }
#endif
    return status;
}
