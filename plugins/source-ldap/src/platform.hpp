// What differs between the platforms the ldap source is built for, apart
// from the LDAP client library itself (ldap_client.cpp over OpenLDAP,
// ldap_client_windows.cpp over wldap32).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace peoplesync::ldap_source {

// The value of an environment variable as UTF-8, or nothing when it is not
// set. On Windows it is read as UTF-16 (the narrow environment is in the
// ANSI code page, which would garble a password outside it).
std::optional<std::string> environment_text(const std::string& name);

#ifdef _WIN32
// True under Wine, whose wldap32 differs from Windows' (see README, Windows).
bool running_under_wine();

// UTF-8 <-> UTF-16, as wldap32's W functions take and return text.
std::wstring widen(std::string_view utf8);
std::string narrow(std::wstring_view utf16);
std::string narrow(const wchar_t* utf16);  // nullptr: ""

// The system's words for a Win32, Winsock or SSPI error, or "".
std::string system_message(std::uint32_t code);
#endif

}  // namespace peoplesync::ldap_source
