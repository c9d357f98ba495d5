#include "windows_service.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include <windows.h>

#include <peoplesync/error.hpp>

namespace peoplesync::server::windows {

namespace {

constexpr std::array<std::string_view, 5> service_options{"registerService", "unregisterService", "displayName",
                                                          "description", "startup"};

std::string system_error(DWORD code) {
    char text[512] = {};
    const DWORD length = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr, code, 0,
                                        text, sizeof text, nullptr);
    std::string message(text, length);
    while (!message.empty() && (message.back() == '\n' || message.back() == '\r' || message.back() == ' '))
        message.pop_back();
    return message.empty() ? "Windows error " + std::to_string(code) : message;
}

struct ServiceHandle {
    SC_HANDLE handle;
    explicit ServiceHandle(SC_HANDLE h) : handle(h) {}
    ~ServiceHandle() {
        if (handle != nullptr) CloseServiceHandle(handle);
    }
    ServiceHandle(const ServiceHandle&) = delete;
    ServiceHandle& operator=(const ServiceHandle&) = delete;
};

std::wstring quoted(const std::filesystem::path& path) {
    return L"\"" + path.wstring() + L"\"";
}

}  // namespace

void accept_slash_options(std::vector<std::string>& args) {
    for (std::size_t i = 1; i < args.size(); ++i) {
        std::string& arg = args[i];
        if (arg.size() < 2 || arg[0] != '/') continue;
        const std::string_view name = std::string_view(arg).substr(1, arg.find_first_of("=:") - 1);
        if (std::find(service_options.begin(), service_options.end(), name) == service_options.end()) continue;
        arg = "--" + arg.substr(1);
        // Windows style also writes /startup:auto; Poco's Unix style wants /startup=auto.
        if (const auto colon = arg.find(':'); colon != std::string::npos && arg.find('=') == std::string::npos)
            arg[colon] = '=';
    }
}

std::filesystem::path config_option(const std::vector<std::string>& args) {
    std::string value;
    for (std::size_t i = 1; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if ((arg == "--config" || arg == "-c") && i + 1 < args.size())
            value = args[++i];
        else if (arg.rfind("--config=", 0) == 0)
            value = arg.substr(9);
    }
    if (value.empty()) return {};
    return std::filesystem::absolute(value).lexically_normal();
}

bool registers_service(const std::vector<std::string>& args) {
    return std::find(args.begin() + (args.empty() ? 0 : 1), args.end(), "--registerService") != args.end();
}

void set_service_config(const std::string& service, const std::filesystem::path& program,
                        const std::filesystem::path& config) {
    const ServiceHandle manager(OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));
    if (manager.handle == nullptr)
        throw Error("cannot open the service control manager: " + system_error(GetLastError()));
    const std::wstring name(service.begin(), service.end());
    const ServiceHandle handle(OpenServiceW(manager.handle, name.c_str(), SERVICE_CHANGE_CONFIG));
    if (handle.handle == nullptr)
        throw Error("cannot open the service " + service + ": " + system_error(GetLastError()));
    const std::wstring command = quoted(program) + L" --config " + quoted(config);
    if (!ChangeServiceConfigW(handle.handle, SERVICE_NO_CHANGE, SERVICE_NO_CHANGE, SERVICE_NO_CHANGE, command.c_str(),
                              nullptr, nullptr, nullptr, nullptr, nullptr, nullptr))
        throw Error("cannot set the command line of the service " + service + ": " + system_error(GetLastError()));
}

}  // namespace peoplesync::server::windows
