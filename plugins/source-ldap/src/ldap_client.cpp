#include "ldap_client.hpp"

#include <ldap.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

namespace peoplesync::ldap_source {

namespace {

constexpr std::int64_t progress_every = 5000;

// libldap writes to its socket with write(2): a server that went away would
// raise SIGPIPE and end the whole daemon. The signal is held for this thread
// while we talk to the server, and a SIGPIPE raised meanwhile is taken back.
class SigpipeHold {
public:
    SigpipeHold() {
        sigemptyset(&pipe_);
        sigaddset(&pipe_, SIGPIPE);
        sigset_t pending;
        sigemptyset(&pending);
        sigpending(&pending);
        was_pending_ = sigismember(&pending, SIGPIPE) == 1;
        blocked_ = pthread_sigmask(SIG_BLOCK, &pipe_, &old_) == 0;
    }
    ~SigpipeHold() {
        if (!blocked_) return;
        if (!was_pending_) {
            sigset_t pending;
            sigemptyset(&pending);
            sigpending(&pending);
            if (sigismember(&pending, SIGPIPE) == 1) {
                const timespec zero{0, 0};
                sigtimedwait(&pipe_, nullptr, &zero);
            }
        }
        pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }
    SigpipeHold(const SigpipeHold&) = delete;
    SigpipeHold& operator=(const SigpipeHold&) = delete;

private:
    sigset_t pipe_{};
    sigset_t old_{};
    bool was_pending_ = false;
    bool blocked_ = false;
};

struct MessageDeleter {
    void operator()(LDAPMessage* message) const { ldap_msgfree(message); }
};
using Message = std::unique_ptr<LDAPMessage, MessageDeleter>;

struct ControlDeleter {
    void operator()(LDAPControl* control) const { ldap_control_free(control); }
};
using Control = std::unique_ptr<LDAPControl, ControlDeleter>;

struct ControlsDeleter {
    void operator()(LDAPControl** controls) const { ldap_controls_free(controls); }
};
using Controls = std::unique_ptr<LDAPControl*, ControlsDeleter>;

struct BerDeleter {
    void operator()(BerElement* ber) const { ber_free(ber, 0); }
};

// A string libldap allocated.
struct LdapString {
    char* text = nullptr;
    LdapString() = default;
    LdapString(const LdapString&) = delete;
    LdapString& operator=(const LdapString&) = delete;
    ~LdapString() { ldap_memfree(text); }
    std::string str() const { return text != nullptr ? std::string(text) : std::string(); }
};

struct Cookie {
    berval value{0, nullptr};
    Cookie() = default;
    Cookie(const Cookie&) = delete;
    Cookie& operator=(const Cookie&) = delete;
    ~Cookie() { clear(); }
    void clear() {
        ber_memfree(value.bv_val);
        value = {0, nullptr};
    }
};

// Frees the value arrays of one entry's attributes when the entry has been
// handed over, keeping the list's capacity for the next entry.
struct ValueArrays {
    std::vector<berval*>& arrays;
    explicit ValueArrays(std::vector<berval*>& list) : arrays(list) {}
    ValueArrays(const ValueArrays&) = delete;
    ValueArrays& operator=(const ValueArrays&) = delete;
    ~ValueArrays() {
        for (berval* values : arrays) ber_memfree(values);
        arrays.clear();
    }
};

timeval seconds(std::int64_t secs) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(secs);
    return tv;
}

int scope_of(Scope scope) {
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

// A read-ahead layer under libldap's message reader. Without it, libldap
// asks the socket for each message's header and then its body, two system
// calls (and a poll) per entry; with it, one read fetches many entries.
// Only for plain TCP: a TLS layer already reads whole records.
namespace read_ahead {

constexpr std::size_t buffer_bytes = 256 * 1024;

struct Buffer {
    std::unique_ptr<char[]> data{new char[buffer_bytes]};
    std::size_t begin = 0;
    std::size_t end = 0;
};

int setup(Sockbuf_IO_Desc* layer, void*) {
    layer->sbiod_pvt = new Buffer();
    return 0;
}

int remove(Sockbuf_IO_Desc* layer) {
    delete static_cast<Buffer*>(layer->sbiod_pvt);
    layer->sbiod_pvt = nullptr;
    return 0;
}

int control(Sockbuf_IO_Desc* layer, int option, void* argument) {
    const auto* buffer = static_cast<const Buffer*>(layer->sbiod_pvt);
    if (option == LBER_SB_OPT_DATA_READY && buffer->begin != buffer->end) return 1;
    return LBER_SBIOD_CTRL_NEXT(layer, option, argument);
}

ber_slen_t read(Sockbuf_IO_Desc* layer, void* destination, ber_len_t length) {
    auto* buffer = static_cast<Buffer*>(layer->sbiod_pvt);
    if (buffer->begin == buffer->end) {
        if (length >= buffer_bytes) return LBER_SBIOD_READ_NEXT(layer, destination, length);
        const ber_slen_t got = LBER_SBIOD_READ_NEXT(layer, buffer->data.get(), buffer_bytes);
        if (got <= 0) return got;
        buffer->begin = 0;
        buffer->end = static_cast<std::size_t>(got);
    }
    const std::size_t n = std::min<std::size_t>(length, buffer->end - buffer->begin);
    std::memcpy(destination, buffer->data.get() + buffer->begin, n);
    buffer->begin += n;
    return static_cast<ber_slen_t>(n);
}

ber_slen_t write(Sockbuf_IO_Desc* layer, void* source, ber_len_t length) {
    return LBER_SBIOD_WRITE_NEXT(layer, source, length);
}

Sockbuf_IO io = {setup, remove, control, read, write, nullptr};

}  // namespace read_ahead

// Options take `void*`; these keep the casts in one place.
int set_option(LDAP* ld, int option, int value) {
    return ldap_set_option(ld, option, &value);
}
int set_option(LDAP* ld, int option, const timeval& value) {
    return ldap_set_option(ld, option, &value);
}
int set_option(LDAP* ld, int option, const std::string& value) {
    return ldap_set_option(ld, option, value.c_str());
}

}  // namespace

std::string_view value_text(const berval& value) {
    return value.bv_len == 0 ? std::string_view() : std::string_view(value.bv_val, value.bv_len);
}

// libldap bounds the TCP connect and each wait for a message, but not the
// TLS handshake (a server that accepts and then says nothing would hold the
// read forever) nor a read of a message that stops half way. The watchdog
// shuts the socket down when a step overruns its deadline, which ends any
// blocked read or write with an error.
class LdapClient::Watchdog {
public:
    Watchdog() {
        callbacks_.lc_add = &Watchdog::connected;
        callbacks_.lc_del = &Watchdog::closing;
        callbacks_.lc_arg = this;
    }
    ~Watchdog() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
        }
        wake_.notify_one();
        if (thread_.joinable()) thread_.join();
    }
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

    ldap_conncb* callbacks() { return &callbacks_; }

    // From now on, the socket is shut down unless disarm() or another arm()
    // comes within `limit`. Cheap enough to call around every wait: the
    // thread is woken only when it has nothing to time.
    void arm(std::chrono::seconds limit) {
        deadline_.store((std::chrono::steady_clock::now() + limit).time_since_epoch().count());
        if (!thread_.joinable()) {
            thread_ = std::thread([this] { run(); });
        } else if (idle_.load()) {
            std::lock_guard<std::mutex> lock(mutex_);
            wake_.notify_one();
        }
    }
    void disarm() { deadline_.store(0); }
    bool fired() const { return fired_.load(); }

private:
    static int connected(LDAP*, Sockbuf* sb, LDAPURLDesc*, sockaddr*, ldap_conncb* context) {
        auto* self = static_cast<Watchdog*>(context->lc_arg);
        ber_socket_t fd = -1;
        ber_sockbuf_ctrl(sb, LBER_SB_OPT_GET_FD, &fd);
        std::lock_guard<std::mutex> lock(self->mutex_);
        self->fd_ = fd;
        return 0;
    }
    static void closing(LDAP*, Sockbuf*, ldap_conncb* context) {
        auto* self = static_cast<Watchdog*>(context->lc_arg);
        std::lock_guard<std::mutex> lock(self->mutex_);
        self->fd_ = -1;  // the number may be reused by anything once closed
    }

    void run() {
        std::unique_lock<std::mutex> lock(mutex_);
        while (!stop_) {
            const auto deadline = deadline_.load();
            if (deadline == 0) {
                // arm() stores the deadline, then looks at idle_; this
                // thread sets idle_, then looks at the deadline: one of the
                // two sees the other.
                idle_.store(true);
                if (deadline_.load() == 0) wake_.wait(lock);
                idle_.store(false);
                continue;
            }
            const std::chrono::steady_clock::time_point at{std::chrono::steady_clock::duration(deadline)};
            if (std::chrono::steady_clock::now() < at) {
                wake_.wait_until(lock, at);
                continue;
            }
            auto expected = deadline;  // unless arm() moved it meanwhile
            if (deadline_.compare_exchange_strong(expected, 0) && fd_ >= 0) {
                fired_.store(true);
                ::shutdown(fd_, SHUT_RDWR);
            }
        }
    }

    ldap_conncb callbacks_{};
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    ber_socket_t fd_ = -1;
    std::atomic<std::int64_t> deadline_{0};  // steady_clock ticks; 0: not armed
    std::atomic<bool> fired_{false};
    std::atomic<bool> idle_{false};
    std::thread thread_;
};

SearchHandler::~SearchHandler() = default;

LdapClient::LdapClient(const LdapSettings& settings) : settings_(settings), watchdog_(std::make_unique<Watchdog>()) {}

LdapClient::~LdapClient() {
    if (ld_ != nullptr) {
        SigpipeHold hold;
        watchdog_->disarm();
        ldap_unbind_ext(ld_, nullptr, nullptr);
    }
}

std::string LdapClient::diagnostic() const {
    LdapString text;
    if (ld_ == nullptr || ldap_get_option(ld_, LDAP_OPT_DIAGNOSTIC_MESSAGE, &text.text) != LDAP_OPT_SUCCESS) return {};
    return text.str();
}

// ldap_result() gives up after timeout_secs by itself; the watchdog only
// steps in when a read blocks past that.
std::chrono::seconds LdapClient::backstop() const {
    return std::chrono::seconds(settings_.timeout_secs + 2);
}

int LdapClient::result_code() const {
    int code = LDAP_OTHER;
    if (ld_ != nullptr) ldap_get_option(ld_, LDAP_OPT_RESULT_CODE, &code);
    return code;
}

void LdapClient::fail(Failure failure) const {
    throw Error(describe(settings_, failure));
}

void LdapClient::open(const std::string& password) {
    SigpipeHold hold;
    Failure failure;
    failure.step = Step::connect;
    int rc = ldap_initialize(&ld_, settings_.uri.c_str());
    if (rc != LDAP_SUCCESS) {
        failure.code = rc;
        fail(failure);
    }
    set_option(ld_, LDAP_OPT_PROTOCOL_VERSION, LDAP_VERSION3);
    // Referrals would be chased with the same credentials, to servers nobody
    // configured; they are reported instead.
    ldap_set_option(ld_, LDAP_OPT_REFERRALS, nullptr);  // LDAP_OPT_OFF
    set_option(ld_, LDAP_OPT_NETWORK_TIMEOUT, seconds(settings_.connect_timeout_secs));
    set_option(ld_, LDAP_OPT_TIMEOUT, seconds(settings_.timeout_secs));
    if (settings_.ldaps || settings_.start_tls) {
        set_option(ld_, LDAP_OPT_X_TLS_REQUIRE_CERT,
                   settings_.verify_certificate ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER);
        if (!settings_.ca_file.empty()) set_option(ld_, LDAP_OPT_X_TLS_CACERTFILE, settings_.ca_file);
        rc = set_option(ld_, LDAP_OPT_X_TLS_NEWCTX, 0);
        if (rc != LDAP_OPT_SUCCESS) {
            const std::string why = diagnostic();
            throw Error(settings_.uri + ": cannot set up TLS" +
                        (settings_.ca_file.empty() ? std::string()
                                                   : " with ca_file " + settings_.ca_file +
                                                         ": is it a readable PEM file of CA certificates?") +
                        (why.empty() || why == "(unknown error code)" ? std::string() : " (" + why + ")"));
        }
    }

    ldap_set_option(ld_, LDAP_OPT_CONNECT_CB, watchdog_->callbacks());
    watchdog_->arm(std::chrono::seconds(settings_.connect_timeout_secs));
    rc = ldap_connect(ld_);
    watchdog_->disarm();
    if (rc != LDAP_SUCCESS) {
        failure.code = watchdog_->fired() ? LDAP_TIMEOUT : rc;
        failure.diagnostic = diagnostic();
        fail(failure);
    }
    if (settings_.start_tls) {
        failure.step = Step::start_tls;
        watchdog_->arm(std::chrono::seconds(settings_.timeout_secs));
        rc = ldap_start_tls_s(ld_, nullptr, nullptr);
        watchdog_->disarm();
        if (rc != LDAP_SUCCESS) {
            failure.code = watchdog_->fired() ? LDAP_TIMEOUT : rc;
            failure.diagnostic = diagnostic();
            fail(failure);
        }
    }

    if (!settings_.ldaps && !settings_.start_tls) {
        Sockbuf* socket = nullptr;
        if (ldap_get_option(ld_, LDAP_OPT_SOCKBUF, &socket) == LDAP_OPT_SUCCESS && socket != nullptr)
            ber_sockbuf_add_io(socket, &read_ahead::io, LBER_SBIOD_LEVEL_PROVIDER + 1, nullptr);
    }

    if (settings_.bind_dn.empty()) return;  // LDAPv3: no bind is an anonymous session
    failure.step = Step::bind;
    berval credentials{password.size(), const_cast<char*>(password.data())};
    int id = 0;
    rc = ldap_sasl_bind(ld_, settings_.bind_dn.c_str(), nullptr /* LDAP_SASL_SIMPLE */, &credentials, nullptr, nullptr,
                        &id);
    if (rc != LDAP_SUCCESS) {
        failure.code = rc;
        failure.diagnostic = diagnostic();
        fail(failure);
    }
    timeval timeout = seconds(settings_.timeout_secs);
    LDAPMessage* raw = nullptr;
    watchdog_->arm(backstop());
    rc = ldap_result(ld_, id, LDAP_MSG_ALL, &timeout, &raw);
    watchdog_->disarm();
    Message answer(raw);
    if (rc <= 0) {
        failure.code = rc == 0 || watchdog_->fired() ? LDAP_TIMEOUT : result_code();
        failure.diagnostic = diagnostic();
        fail(failure);
    }
    int code = LDAP_OTHER;
    LdapString text;
    rc = ldap_parse_result(ld_, answer.get(), &code, nullptr, &text.text, nullptr, nullptr, 0);
    if (rc != LDAP_SUCCESS || code != LDAP_SUCCESS) {
        failure.code = rc != LDAP_SUCCESS ? rc : code;
        failure.diagnostic = text.str();
        fail(failure);
    }
}

int LdapClient::request_page(const std::string& filter, std::vector<char*>& attributes, const berval& cookie,
                             Failure& failure) {
    Control page;
    const bool paging = settings_.page_size > 0;
    if (paging) {
        LDAPControl* raw = nullptr;
        // Critical: a server that cannot page must say so rather than answer
        // with the first size limit's worth of entries.
        berval value = cookie;
        const int rc = ldap_create_page_control(ld_, static_cast<ber_int_t>(settings_.page_size), &value, 1, &raw);
        page.reset(raw);
        if (rc != LDAP_SUCCESS) {
            failure.code = rc;
            fail(failure);
        }
    }
    LDAPControl* server_controls[2] = {page.get(), nullptr};
    int id = 0;
    const int rc =
        ldap_search_ext(ld_, settings_.base_dn.c_str(), scope_of(settings_.scope), filter.c_str(), attributes.data(), 0,
                        paging ? server_controls : nullptr, nullptr, nullptr, LDAP_NO_LIMIT, &id);
    if (rc != LDAP_SUCCESS) {
        failure.code = rc;
        failure.diagnostic = diagnostic();
        fail(failure);
    }
    return id;
}

void LdapClient::deliver(LDAPMessage* entry, SearchHandler& handler, Failure& failure) {
    BerElement* raw_ber = nullptr;
    berval dn{0, nullptr};
    int rc = ldap_get_dn_ber(ld_, entry, &raw_ber, &dn);
    std::unique_ptr<BerElement, BerDeleter> ber(raw_ber);
    if (rc != LDAP_SUCCESS) {
        failure.code = LDAP_DECODING_ERROR;
        fail(failure);
    }
    ValueArrays arrays(value_arrays_);
    attributes_.clear();
    while (true) {
        berval name{0, nullptr};
        berval* values = nullptr;
        rc = ldap_get_attribute_ber(ld_, entry, ber.get(), &name, &values);
        if (values != nullptr) arrays.arrays.push_back(values);
        if (rc != LDAP_SUCCESS) {
            failure.code = LDAP_DECODING_ERROR;
            fail(failure);
        }
        if (name.bv_val == nullptr) break;
        std::size_t count = 0;
        while (values != nullptr && values[count].bv_val != nullptr) ++count;
        attributes_.push_back({value_text(name), std::span<const berval>(values, count)});
    }
    handler.entry(value_text(dn), attributes_);
}

// Paged searches are pipelined: the entries of a page are taken off the
// connection first and handed over when nothing else is waiting, so that
// the request for the next page leaves as soon as the server has finished a
// page and the server works on it while the handler maps the last one. At
// most one page of entries waits.
std::int64_t LdapClient::search(const std::string& filter, const std::string& filter_option,
                                const std::vector<std::string>& attributes, SearchHandler& handler) {
    SigpipeHold hold;
    Failure failure;
    failure.step = Step::search;
    failure.filter = filter;
    failure.filter_option = filter_option;

    std::vector<char*> attrs;
    for (const auto& a : attributes) attrs.push_back(const_cast<char*>(a.c_str()));
    attrs.push_back(nullptr);

    const bool paging = settings_.page_size > 0;
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
    int id = request_page(filter, attrs, cookie.value, failure);
    while (true) {
        timeval timeout = seconds(waiting.empty() ? settings_.timeout_secs : 0);
        LDAPMessage* raw = nullptr;
        watchdog_->arm(backstop());
        int rc = ldap_result(ld_, id, LDAP_MSG_ONE, &timeout, &raw);
        watchdog_->disarm();  // handing entries over may take long; only waits are timed
        Message message(raw);
        if (rc == 0 && !waiting.empty()) {
            hand_over(16);  // nothing has arrived meanwhile: catch up
            continue;
        }
        if (rc <= 0) {
            failure.code = rc == 0 || watchdog_->fired() ? LDAP_TIMEOUT : result_code();
            failure.diagnostic = diagnostic();
            if (rc == 0) ldap_abandon_ext(ld_, id, nullptr, nullptr);
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
        if (rc == LDAP_RES_SEARCH_REFERENCE) {
            ++references_;
            continue;
        }
        if (rc != LDAP_RES_SEARCH_RESULT) continue;  // intermediate responses: nothing for us

        int code = LDAP_OTHER;
        LdapString matched, text;
        char** referrals = nullptr;
        LDAPControl** raw_controls = nullptr;
        rc = ldap_parse_result(ld_, message.get(), &code, &matched.text, &text.text, &referrals, &raw_controls, 0);
        Controls controls(raw_controls);
        std::string referral;
        if (referrals != nullptr) {
            for (char** r = referrals; *r != nullptr; ++r) referral += (referral.empty() ? "" : " ") + std::string(*r);
            ber_memvfree(reinterpret_cast<void**>(referrals));
        }
        if (rc != LDAP_SUCCESS || code != LDAP_SUCCESS) {
            failure.code = rc != LDAP_SUCCESS ? rc : code;
            failure.diagnostic = text.str();
            failure.matched_dn = matched.str();
            failure.referral = referral;
            fail(failure);
        }
        bool more_pages = false;
        if (paging) {
            cookie.clear();
            LDAPControl* response = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, controls.get(), nullptr);
            if (response != nullptr && response->ldctl_value.bv_len > 0) {
                ber_int_t estimate = 0;
                rc = ldap_parse_pageresponse_control(ld_, response, &estimate, &cookie.value);
                if (rc != LDAP_SUCCESS) {
                    failure.code = rc;
                    fail(failure);
                }
            }
            more_pages = cookie.value.bv_len > 0;
        }
        if (more_pages) id = request_page(filter, attrs, cookie.value, failure);
        hand_over(waiting.size());
        if (paging) {
            handler.progress(delivered);
            reported = delivered;
        }
        if (!more_pages) break;
    }
    if (reported != delivered) handler.progress(delivered);
    return delivered;
}

}  // namespace peoplesync::ldap_source
