// Windows' own LDAP client, wldap32, as the ldap source uses it: its
// headers need <windows.h> first, and a few result codes have other names
// than in OpenLDAP's <ldap.h>; the OpenLDAP names are defined here so that
// the code naming them reads the same on both platforms.
#pragma once

#ifndef _WIN32
#error "winldap_api.hpp is for the Windows build; Linux uses OpenLDAP's <ldap.h>"
#endif

#ifndef NOMINMAX
#define NOMINMAX
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
// winsock2.h (SOCKET, for the watchdog) must come before windows.h.
#include <winsock2.h>
// then
#include <windows.h>
// In this order: windows.h, then winldap.h (struct berval), then winber.h.
#include <winldap.h>
// after winldap.h
#include <winber.h>

#ifndef LDAP_ADMINLIMIT_EXCEEDED
#define LDAP_ADMINLIMIT_EXCEEDED LDAP_ADMIN_LIMIT_EXCEEDED
#endif
#ifndef LDAP_UNAVAILABLE_CRITICAL_EXTENSION
#define LDAP_UNAVAILABLE_CRITICAL_EXTENSION LDAP_UNAVAILABLE_CRIT_EXTENSION
#endif
#ifndef LDAP_INSUFFICIENT_ACCESS
#define LDAP_INSUFFICIENT_ACCESS LDAP_INSUFFICIENT_RIGHTS
#endif
