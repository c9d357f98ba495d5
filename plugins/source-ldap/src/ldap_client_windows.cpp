// LdapClient over Windows' own LDAP client, wldap32: the Windows twin of
// ldap_client.cpp, with the same behaviour where wldap32 allows it (see
// README, Windows). Text crosses wldap32 through its W functions, as
// UTF-16, so that DNs, filters and passwords outside the ANSI code page
// survive; attribute values are bytes and pass untouched.
#include "ldap_client.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include "ldap_url.hpp"
#include "platform.hpp"

namespace peoplesync::ldap_source {

namespace {

constexpr std::int64_t progress_every = 5000;
constexpr ULONG result_failed = static_cast<ULONG>(-1);  // ldap_result(), ldap_simple_bindW()
// How much longer than its own limit a wldap32 call may take before the
// calling thread stops waiting for it (Watch, below).
constexpr std::chrono::seconds grace{2};

struct MessageDeleter {
    void operator()(LDAPMessage* message) const { ldap_msgfree(message); }
};
using Message = std::unique_ptr<LDAPMessage, MessageDeleter>;

struct Unbind {
    void operator()(LDAP* ld) const { ldap_unbind(ld); }
};
using Handle = std::unique_ptr<LDAP, Unbind>;

struct CookieDeleter {
    void operator()(berval* cookie) const { ber_bvfree(cookie); }
};
using Cookie = std::unique_ptr<berval, CookieDeleter>;

// A string wldap32 allocated.
struct WideString {
    wchar_t* text = nullptr;
    WideString() = default;
    WideString(const WideString&) = delete;
    WideString& operator=(const WideString&) = delete;
    ~WideString() {
        if (text != nullptr) ldap_memfreeW(text);
    }
    std::string str() const { return narrow(text); }
};

l_timeval seconds(std::int64_t secs) {
    l_timeval tv{};
    tv.tv_sec = static_cast<LONG>(secs);
    return tv;
}

ULONG scope_of(Scope scope) {
    switch (scope) {
        case Scope::base:
            return LDAP_SCOPE_BASE;
        case Scope::one:
            return LDAP_SCOPE_ONELEVEL;
        case Scope::sub:
            return LDAP_SCOPE_SUBTREE;
    }
    return LDAP_SCOPE_SUBTREE;
}

// Wine's wldap32 lacks a few options of Windows' (it says "fixme" on stderr
// when asked for them): they are not asked for there.
bool wine() {
    static const bool under_wine = running_under_wine();
    return under_wine;
}

// Wine's wldap32 is OpenLDAP inside and gives OpenLDAP's own (negative)
// client error codes from LDAP_OPT_ERROR_NUMBER; wldap32's are the same
// errors 0x50 higher (LDAP_SERVER_DOWN is -1 there, 0x51 here).
int wldap_code(ULONG raw) {
    const auto code = static_cast<LONG>(raw);
    if (code < 0 && code >= -17) return 0x50 - code;
    return static_cast<int>(code);
}

// The LDAP error of the last failed call on `ld`.
int last_error(LDAP* ld) {
    ULONG number = 0;
    if (ld != nullptr && ldap_get_optionW(ld, LDAP_OPT_ERROR_NUMBER, &number) == LDAP_SUCCESS && number != 0)
        return wldap_code(number);
    const ULONG last = LdapGetLastError();
    if (last != 0 && last <= static_cast<ULONG>(LDAP_REFERRAL_LIMIT_EXCEEDED)) return static_cast<int>(last);
    return LDAP_OTHER;
}

// The Winsock or SSPI error behind a failed call, if the system kept one.
std::uint32_t system_error() {
    const DWORD error = ::GetLastError();
    return error >= 10000 ? static_cast<std::uint32_t>(error) : 0;
}

// What wldap32 or the server said about the last failure on `ld`, if it
// keeps anything (Wine keeps nothing).
std::string diagnostic_of(LDAP* ld) {
    if (ld == nullptr || wine()) return {};
    for (int option : {LDAP_OPT_SERVER_ERROR, LDAP_OPT_ERROR_STRING}) {
        WideString text;
        if (ldap_get_optionW(ld, option, &text.text) == LDAP_SUCCESS && text.text != nullptr) {
            std::string out = text.str();
            if (!out.empty()) return out;
        }
    }
    return {};
}

// True once `ld` has a connection. (Some builds write an int-sized
// descriptor, -1 when there is none.)
bool connected(LDAP* ld) {
    SOCKET socket = 0;
    if (ldap_get_optionW(ld, LDAP_OPT_DESC, &socket) != LDAP_SUCCESS) return false;
    return socket != 0 && socket != INVALID_SOCKET && socket != 0xFFFFFFFFu;
}

// verify_certificate: false. wldap32 calls this in place of its own check;
// it must free the certificate context.
BOOLEAN __cdecl accept_any_certificate(PLDAP, PCCERT_CONTEXT certificate) {
    if (certificate != nullptr) ::CertFreeCertificateContext(certificate);
    return TRUE;
}

[[noreturn]] void fail_with(const LdapSettings& settings, const Failure& failure) {
    throw Error(describe(settings, failure));
}

// wldap32 does not bound every wait itself. Wine's (OpenLDAP inside) blocks
// in recv() for a message that stops half way, and neither shutting the
// socket down from another thread nor its own timeouts end that; it does
// not bound a TCP connect; and its TLS handshake loops for ever when the
// server closes the connection during it. So every wldap32 call that may
// block runs on a worker thread, between begin() and end(), and the calling
// thread waits for the worker no longer than each call's limit and `grace`
// (the limit being the one wldap32 is given: connect_timeout_secs or
// timeout_secs). Should a call overrun, the calling thread reports the
// timeout and leaves the worker behind, with the LDAP handle: the worker
// frees it, and touches nothing else, if the call ever returns.
struct Watch {
    std::mutex mutex;
    std::condition_variable finished;
    bool waiting = false;  // the worker is in a call that may block
    Step step = Step::connect;
    std::chrono::steady_clock::time_point deadline;
    bool done = false;
    bool abandoned = false;
    LDAP* ld = nullptr;        // after abandoning: the handle the worker frees
    HMODULE plugin = nullptr;  // after abandoning: this plugin, held loaded for the worker
    std::exception_ptr error;

    // The worker calls wldap32 for `next`, which should return within `limit`.
    void begin(Step next, std::chrono::seconds limit) {
        std::lock_guard<std::mutex> lock(mutex);
        waiting = true;
        step = next;
        deadline = std::chrono::steady_clock::now() + limit + grace;
    }
    // The call has returned. True when the calling thread stopped waiting
    // meanwhile: the worker must then stop at once (throw Abandoned).
    bool end() {
        std::lock_guard<std::mutex> lock(mutex);
        waiting = false;
        return abandoned;
    }
};

struct Abandoned {};  // thrown on the worker after the calling thread gave up

// Runs `work(watch)` on a worker thread and waits for it, as Watch says.
// `give_up(watch)` runs, under the lock, when the calling thread stops
// waiting, before the timeout is thrown.
template <class Work, class GiveUp>
void watched(const LdapSettings& settings, Work work, GiveUp give_up) {
    auto watch = std::make_shared<Watch>();
    std::thread([watch, work = std::move(work)]() mutable {
        std::exception_ptr error;
        try {
            work(*watch);
        } catch (const Abandoned&) {
        } catch (...) {
            error = std::current_exception();
        }
        LDAP* orphan = nullptr;
        HMODULE plugin = nullptr;
        {
            std::lock_guard<std::mutex> lock(watch->mutex);
            watch->done = true;
            watch->error = error;
            if (watch->abandoned) {
                std::swap(orphan, watch->ld);
                std::swap(plugin, watch->plugin);
            }
            watch->finished.notify_all();
        }
        if (orphan != nullptr) ldap_unbind(orphan);
        if (plugin != nullptr) {
            // Left behind, this thread may outlive the plugin's other users:
            // it lets go of the plugin without returning into its code.
            { [[maybe_unused]] auto drop = std::move(work); }
            watch.reset();
            ::FreeLibraryAndExitThread(plugin, 0);
        }
    }).detach();

    std::unique_lock<std::mutex> lock(watch->mutex);
    while (!watch->done) {
        const auto now = std::chrono::steady_clock::now();
        if (watch->waiting && now >= watch->deadline) {
            watch->abandoned = true;
            // The worker will run this plugin's code when wldap32 returns,
            // perhaps after the daemon has unloaded it: it is held loaded
            // for the worker, which lets go of it as it ends.
            ::GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS, reinterpret_cast<LPCWSTR>(&wine),
                                 &watch->plugin);
            give_up(*watch);
            Failure failure;
            failure.step = watch->step;
            failure.code = LDAP_TIMEOUT;
            fail_with(settings, failure);
        }
        // Until the current call's deadline; while the worker works between
        // calls (mapping entries), it is looked at now and then.
        watch->finished.wait_until(lock, watch->waiting ? watch->deadline : now + grace);
    }
    if (watch->error) std::rethrow_exception(watch->error);
}

// Connects, starts TLS and binds, as LdapClient::open() describes; runs on
// the worker, with its own copy of the settings.
LDAP* connect_and_bind(const LdapSettings& settings, std::wstring& password, Watch& watch) {
    const std::chrono::seconds connect_limit(settings.connect_timeout_secs);
    const std::chrono::seconds answer_limit(settings.timeout_secs);
    Failure failure;
    failure.step = Step::connect;
    auto call_returned = [&watch] {
        if (watch.end()) throw Abandoned();
    };

    const auto url = portable::parse_ldap_url(settings.uri);  // checked by parse_settings()
    if (!url || !url->host) {
        failure.code = LDAP_PARAM_ERROR;
        fail_with(settings, failure);
    }
    // An IPv6 address keeps its brackets, with the port, as wldap32 reads
    // "host:port" in the host name.
    std::wstring host = widen(url->ipv6 ? "[" + *url->host + "]:" + std::to_string(url->port) : *url->host);
    Handle ld(ldap_sslinitW(host.data(), static_cast<ULONG>(url->port), settings.ldaps ? 1 : 0));
    if (!ld) {
        failure.code = last_error(nullptr);
        failure.system_error = system_error();
        fail_with(settings, failure);
    }

    ULONG version = LDAP_VERSION3;
    ldap_set_optionW(ld.get(), LDAP_OPT_PROTOCOL_VERSION, &version);
    // Referrals would be chased with the same credentials, to servers nobody
    // configured; they are reported instead.
    ldap_set_optionW(ld.get(), LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
    if (!wine()) {
        // A connection lost half way must fail the read, as with libldap,
        // not be made again behind its back.
        ldap_set_optionW(ld.get(), LDAP_OPT_AUTO_RECONNECT, LDAP_OPT_OFF);
        // Bounds a write to a server that stopped reading.
        l_timeval send_timeout = seconds(settings.timeout_secs);
        ldap_set_optionW(ld.get(), LDAP_OPT_SEND_TIMEOUT, &send_timeout);
    }
    // Wine takes no certificate callback, and checks no certificate either:
    // there, unchecked is what happens anyway (and verify_certificate: true
    // is refused when the configuration is read).
    if ((settings.ldaps || settings.start_tls) && !settings.verify_certificate && !wine()) {
        const ULONG rc =
            ldap_set_optionW(ld.get(), LDAP_OPT_SERVER_CERTIFICATE, reinterpret_cast<void*>(&accept_any_certificate));
        if (rc != LDAP_SUCCESS)
            throw Error(settings.uri +
                        ": verify_certificate: false cannot be honoured: wldap32 refused the certificate callback "
                        "that accepts any certificate (LDAP_OPT_SERVER_CERTIFICATE: " +
                        narrow(ldap_err2stringW(rc)) + ")");
    }

    // The TCP connection and, for ldaps://, the TLS handshake.
    watch.begin(Step::connect, connect_limit);
    l_timeval connect_timeout = seconds(settings.connect_timeout_secs);
    ULONG rc = ldap_connect(ld.get(), &connect_timeout);
    call_returned();
    if (rc != LDAP_SUCCESS) {
        failure.code = wldap_code(rc);
        failure.system_error = system_error();
        failure.diagnostic = diagnostic_of(ld.get());
        fail_with(settings, failure);
    }
    // Wine's ldap_connect() does nothing: its wldap32 connects (and runs the
    // TLS handshake of ldaps://) when the first request is sent. That first
    // request is then timed, and its failures told, as the connection.
    bool connecting = !connected(ld.get());
    auto first_request_failed = [&](Step step, int code) {
        failure.step = connecting && (code == LDAP_SERVER_DOWN || code == LDAP_CONNECT_ERROR) ? Step::connect : step;
        failure.code = code;
        failure.system_error = system_error();
        failure.diagnostic = diagnostic_of(ld.get());
        fail_with(settings, failure);
    };

    if (settings.start_tls) {
        watch.begin(Step::start_tls, connecting ? connect_limit + answer_limit : answer_limit);
        ULONG server_code = 0;
        rc = ldap_start_tls_sW(ld.get(), &server_code, nullptr, nullptr, nullptr);
        call_returned();
        if (rc != LDAP_SUCCESS)
            first_request_failed(Step::start_tls, server_code != 0 ? static_cast<int>(server_code) : wldap_code(rc));
        connecting = false;
    }

    // LDAPv3 needs no bind for an anonymous session; but where the
    // connection is made by the first request (Wine), an anonymous session
    // binds anonymously, so that the connection is made here, and told as
    // such, rather than by the search.
    if (!settings.bind_dn.empty() || connecting) {
        failure.step = Step::bind;
        std::wstring dn = widen(settings.bind_dn);
        watch.begin(connecting ? Step::connect : Step::bind, connecting ? connect_limit : answer_limit);
        const ULONG id = settings.bind_dn.empty() ? ldap_simple_bindW(ld.get(), nullptr, nullptr)
                                                  : ldap_simple_bindW(ld.get(), dn.data(), password.data());
        call_returned();
        if (id == result_failed) first_request_failed(Step::bind, last_error(ld.get()));

        watch.begin(Step::bind, answer_limit);
        l_timeval timeout = seconds(settings.timeout_secs);
        LDAPMessage* raw = nullptr;
        rc = ldap_result(ld.get(), id, LDAP_MSG_ALL, &timeout, &raw);
        Message answer(raw);
        call_returned();
        if (rc == 0 || rc == result_failed) {
            failure.code = rc == 0 ? LDAP_TIMEOUT : last_error(ld.get());
            failure.diagnostic = diagnostic_of(ld.get());
            fail_with(settings, failure);
        }
        ULONG code = LDAP_OTHER;
        WideString text;
        rc = ldap_parse_resultW(ld.get(), answer.get(), &code, nullptr, &text.text, nullptr, nullptr, FALSE);
        if (rc != LDAP_SUCCESS || code != LDAP_SUCCESS) {
            failure.code = rc != LDAP_SUCCESS ? wldap_code(rc) : static_cast<int>(code);
            failure.diagnostic = text.str();
            fail_with(settings, failure);
        }
    }
    return ld.release();
}

}  // namespace

std::string_view value_text(const berval& value) {
    return value.bv_len == 0 ? std::string_view() : std::string_view(value.bv_val, value.bv_len);
}

SearchHandler::~SearchHandler() = default;

LdapClient::LdapClient(const LdapSettings& settings) : settings_(settings) {}

LdapClient::~LdapClient() {
    if (ld_ != nullptr) ldap_unbind(ld_);
}

std::string LdapClient::diagnostic() const {
    return diagnostic_of(ld_);
}

int LdapClient::result_code() const {
    return last_error(ld_);
}

void LdapClient::fail(Failure failure) const {
    throw Error(describe(settings_, failure));
}

// On the worker (see Watch), with copies of the settings and the password
// that outlive this client, should it stop waiting. Once the worker is done
// (and was not left behind), the handle is this client's.
void LdapClient::open(const std::string& password) {
    auto opened = std::make_shared<LDAP*>(nullptr);
    watched(
        settings_,
        [settings = settings_, secret = widen(password), opened](Watch& watch) mutable {
            struct Wipe {
                std::wstring& secret;
                ~Wipe() { ::SecureZeroMemory(secret.data(), secret.size() * sizeof(wchar_t)); }
            } wipe{secret};
            *opened = connect_and_bind(settings, secret, watch);
        },
        [](Watch&) {});  // the handle is the worker's until it is done: it frees it, if it ever gets one
    ld_ = *opened;
}

void LdapClient::deliver(LDAPMessage* entry, SearchHandler& handler, Failure& failure) {
    // The value arrays are freed when the entry has been handed over (or
    // not), keeping the lists' capacity for the next entry.
    struct Release {
        std::vector<berval**>& arrays;
        ~Release() {
            for (berval** values : arrays) ldap_value_free_len(values);
            arrays.clear();
        }
    } release{value_arrays_};

    {
        WideString dn;
        dn.text = ldap_get_dnW(ld_, entry);
        if (dn.text == nullptr) {
            failure.code = LDAP_DECODING_ERROR;
            fail(failure);
        }
        dn_ = dn.str();
    }
    names_.clear();
    values_.clear();
    value_counts_.clear();
    BerElement* ber = nullptr;
    for (wchar_t* name = ldap_first_attributeW(ld_, entry, &ber); name != nullptr;
         name = ldap_next_attributeW(ld_, entry, ber)) {
        berval** values = ldap_get_values_lenW(ld_, entry, name);
        names_.push_back(narrow(name));
        ldap_memfreeW(name);
        std::size_t count = 0;
        if (values != nullptr) {
            value_arrays_.push_back(values);
            for (berval** value = values; *value != nullptr; ++value, ++count) values_.push_back(**value);
        }
        value_counts_.push_back(count);
    }
    if (ber != nullptr) ber_free(ber, 0);

    // The views, now that the lists they point into have stopped growing.
    attributes_.clear();
    std::size_t first = 0;
    for (std::size_t i = 0; i < names_.size(); ++i) {
        attributes_.push_back({names_[i], std::span<const berval>(values_.data() + first, value_counts_[i])});
        first += value_counts_[i];
    }
    handler.entry(dn_, attributes_);
}

// As in ldap_client.cpp: paged searches are pipelined, the entries of a page
// taken off the connection first and handed over when nothing else is
// waiting, so that the request for the next page leaves as soon as the
// server has finished a page. At most one page of entries waits.
//
// The search runs on the worker (see Watch). Each wldap32 call that may
// block (sending a request, waiting for a message) is made between
// watch.begin() and returned(), with nothing of this client touched in
// between: should this thread stop waiting meanwhile, it hands the handle
// to the worker, which frees it when the call returns and touches nothing
// else.
std::int64_t LdapClient::search(const std::string& filter, const std::string& filter_option,
                                const std::vector<std::string>& attributes, SearchHandler& handler) {
    std::int64_t found = 0;
    watched(
        settings_,
        [&, this](Watch& watch) {
            Failure failure;
            failure.step = Step::search;
            failure.filter = filter;
            failure.filter_option = filter_option;
            LDAP* const ld = ld_;
            const std::chrono::seconds limit(settings_.timeout_secs);
            auto returned = [&watch] {
                if (watch.end()) throw Abandoned();
            };

            std::wstring base = widen(settings_.base_dn);
            std::wstring wide_filter = widen(filter);
            std::vector<std::wstring> names;
            names.reserve(attributes.size());
            for (const auto& a : attributes) names.push_back(widen(a));
            std::vector<wchar_t*> attrs;
            for (auto& name : names) attrs.push_back(name.data());
            attrs.push_back(nullptr);
            const ULONG scope = scope_of(settings_.scope);
            const bool paging = settings_.page_size > 0;
            const auto page_size = static_cast<ULONG>(settings_.page_size);

            auto request_page = [&](berval* cookie) {
                PLDAPControlW page = nullptr;
                if (paging) {
                    // Critical: a server that cannot page must say so rather
                    // than answer with the first size limit's worth of entries.
                    const ULONG rc = ldap_create_page_controlW(ld, page_size, cookie, 1, &page);
                    if (rc != LDAP_SUCCESS) {
                        failure.code = wldap_code(rc);
                        fail(failure);
                    }
                }
                PLDAPControlW server_controls[2] = {page, nullptr};
                ULONG id = 0;
                watch.begin(Step::search, limit);
                const ULONG rc = ldap_search_extW(ld, base.data(), scope, wide_filter.data(), attrs.data(), 0,
                                                  paging ? server_controls : nullptr, nullptr, 0, 0, &id);
                if (page != nullptr) ldap_control_freeW(page);
                returned();
                if (rc != LDAP_SUCCESS) {
                    failure.code = wldap_code(rc);
                    failure.diagnostic = diagnostic();
                    fail(failure);
                }
                return id;
            };

            std::int64_t delivered = 0;
            std::int64_t reported = 0;
            std::deque<Message> waiting;
            auto hand_over = [&](std::size_t most) {
                for (; most > 0 && !waiting.empty(); --most) {
                    deliver(waiting.front().get(), handler, failure);
                    waiting.pop_front();
                    ++delivered;
                }
            };

            Cookie cookie;
            ULONG id = request_page(nullptr);
            while (true) {
                l_timeval timeout = seconds(waiting.empty() ? settings_.timeout_secs : 0);
                LDAPMessage* raw = nullptr;
                watch.begin(Step::search, limit);
                ULONG rc = ldap_result(ld, id, LDAP_MSG_ONE, &timeout, &raw);
                Message message(raw);
                returned();
                if (rc == 0 && !waiting.empty()) {
                    hand_over(16);  // nothing has arrived meanwhile: catch up
                    continue;
                }
                if (rc == 0 || rc == result_failed) {
                    failure.code = rc == 0 ? LDAP_TIMEOUT : result_code();
                    failure.diagnostic = diagnostic();
                    if (rc == 0) ldap_abandon(ld, id);
                    fail(failure);
                }
                if (rc == LDAP_RES_SEARCH_ENTRY) {
                    ++failure.entries;
                    if (paging) {
                        waiting.push_back(std::move(message));
                        continue;
                    }
                    deliver(message.get(), handler, failure);
                    ++delivered;
                    if (delivered - reported >= progress_every) {
                        handler.progress(delivered);
                        reported = delivered;
                    }
                    continue;
                }
                if (rc == LDAP_RES_REFERRAL) {  // a search continuation reference
                    ++references_;
                    continue;
                }
                if (rc != LDAP_RES_SEARCH_RESULT) continue;  // intermediate responses: nothing for us

                ULONG code = LDAP_OTHER;
                WideString matched, text;
                wchar_t** referrals = nullptr;
                PLDAPControlW* controls = nullptr;
                rc = ldap_parse_resultW(ld, message.get(), &code, &matched.text, &text.text, &referrals, &controls,
                                        FALSE);
                struct FreeControls {
                    PLDAPControlW* controls;
                    ~FreeControls() {
                        if (controls != nullptr) ldap_controls_freeW(controls);
                    }
                } free_controls{controls};
                std::string referral;
                if (referrals != nullptr) {
                    for (wchar_t** r = referrals; *r != nullptr; ++r)
                        referral += (referral.empty() ? "" : " ") + narrow(*r);
                    ldap_value_freeW(referrals);
                }
                if (rc != LDAP_SUCCESS || code != LDAP_SUCCESS) {
                    failure.code = rc != LDAP_SUCCESS ? wldap_code(rc) : static_cast<int>(code);
                    failure.diagnostic = text.str();
                    failure.matched_dn = matched.str();
                    failure.referral = referral;
                    fail(failure);
                }
                bool more_pages = false;
                if (paging) {
                    berval* next = nullptr;
                    ULONG estimate = 0;
                    rc = controls != nullptr ? ldap_parse_page_controlW(ld, controls, &estimate, &next)
                                             : static_cast<ULONG>(LDAP_CONTROL_NOT_FOUND);
                    cookie.reset(next);
                    // No paged-results control in the answer: the last page.
                    if (rc != LDAP_SUCCESS && rc != LDAP_CONTROL_NOT_FOUND) {
                        failure.code = wldap_code(rc);
                        fail(failure);
                    }
                    more_pages = cookie && cookie->bv_len > 0;
                }
                if (more_pages) id = request_page(cookie.get());
                hand_over(waiting.size());
                if (paging) {
                    handler.progress(delivered);
                    reported = delivered;
                }
                if (!more_pages) break;
            }
            if (reported != delivered) handler.progress(delivered);
            found = delivered;
        },
        [this](Watch& watch) {
            watch.ld = ld_;  // in use by the worker, which frees it
            ld_ = nullptr;
        });
    return found;
}

}  // namespace peoplesync::ldap_source
