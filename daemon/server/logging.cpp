#include "logging.hpp"

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/FileChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/PatternFormatter.h>
#if defined(_WIN32)
#include <Poco/EventLogChannel.h>
#else
#include <Poco/SyslogChannel.h>
#endif

#include <peoplesync/error.hpp>

namespace peoplesync::server {

void setup_logging(const core::LogSettings& settings) {
    Poco::AutoPtr<Poco::Channel> target;
    std::string pattern = "%Y-%m-%d %H:%M:%S.%i %p %s: %t";
    if (settings.target == "file") {
        Poco::AutoPtr<Poco::FileChannel> file(new Poco::FileChannel(settings.path.string()));
        file->setProperty("rotation", std::to_string(settings.rotate_bytes));
        file->setProperty("archive", "number");
        file->setProperty("purgeCount", std::to_string(settings.keep_files));
        file->setProperty("times", "utc");
        try {
            file->open();
        } catch (const Poco::Exception& e) {
            throw Error("log.path: cannot open " + settings.path.string() + ": " + e.displayText());
        }
        target = file;
    } else if (settings.target == "syslog") {
#if defined(_WIN32)
        target = new Poco::EventLogChannel("peoplesyncd");
#else
        Poco::AutoPtr<Poco::SyslogChannel> syslog(new Poco::SyslogChannel("peoplesyncd"));
        syslog->setProperty("facility", "LOG_DAEMON");
        target = syslog;
#endif
        pattern = "%s: %t";  // syslog adds the time and the level
    } else {
        target = new Poco::ConsoleChannel;  // stderr
    }
    Poco::AutoPtr<Poco::PatternFormatter> format(new Poco::PatternFormatter(pattern));
    format->setProperty("times", "UTC");
    Poco::AutoPtr<Poco::FormattingChannel> channel(new Poco::FormattingChannel(format, target));
    // Every logger made so far and every one made later (they inherit from the root).
    Poco::Logger::root().setChannel(channel);
    Poco::Logger::setChannel("", channel);
    Poco::Logger::root().setLevel(Poco::Logger::parseLevel(settings.level));
    Poco::Logger::setLevel("", Poco::Logger::parseLevel(settings.level));
}

}  // namespace peoplesync::server
