#include "dn_parser.hpp"

#include <cstddef>

// The rules below follow ldap_bv2dn_x(), ldap_bv2rdn_x(), str2strval() and
// hexstr2binval() of OpenLDAP's libraries/libldap/getdn.c for the flags
// LDAP_DN_FORMAT_LDAPV3 (no LDAP_DN_PEDANTIC, no LDAP_DN_P_* restrictions),
// including their leniencies: one or more spaces around separators and
// '=', attribute options after ';' dropped from the type, trailing
// unescaped spaces dropped from a value, anything after a space in a
// "#hex" value ignored up to the next separator.

namespace peoplesync::ldap_source::portable {

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_hex(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_ldh(char c) {
    return is_alpha(c) || is_digit(c) || c == '-';
}
bool is_printable(char c) {
    return c >= ' ' && c <= '~';  // bytes from 0x80 are not (char is signed, as in C)
}
bool is_value_end(char c) {
    return c == ',' || c == '+';
}
// LDAP_DN_NE: the characters a string value may not hold unescaped.
bool is_ne(char c) {
    return c == ',' || c == ';' || c == '+' || c == '"' || c == '<' || c == '>';
}
bool may_escape(char c) {
    return c == '\\' || is_ne(c) || c == '=' || is_space(c) || c == '#';
}
bool need_escape(char c) {
    return c == '\\' || is_ne(c);
}
int hex_value(char c) {
    if (is_digit(c)) return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return c - 'a' + 10;
}
char hex_byte(char high, char low) {
    return static_cast<char>((hex_value(high) << 4) | hex_value(low));
}

class Parser {
public:
    explicit Parser(std::string_view text) : s_(text) {}

    std::optional<std::vector<Rdn>> dn() {
        std::vector<Rdn> out;
        if (s_.empty()) return out;
        if (s_.find('\0') != std::string_view::npos) return std::nullopt;
        for (p_ = 0; p_ < s_.size(); ++p_) {
            auto rdn = this->rdn();
            if (!rdn) return std::nullopt;
            if (p_ < s_.size() && at(p_) != ',') return std::nullopt;
            out.push_back(std::move(*rdn));
            if (p_ >= s_.size()) return out;
        }
        return std::nullopt;  // a trailing ','
    }

private:
    // The byte at i, or NUL past the end, as C reads the terminator.
    char at(std::size_t i) const { return i < s_.size() ? s_[i] : '\0'; }

    enum class State { before_ava, oid_type, string_type, before_equals, binary_value, string_value, got_ava };

    // From p_ to the next RDN separator (or the end), where p_ is left.
    std::optional<Rdn> rdn() {
        Rdn out;
        State state = State::before_ava;
        Ava ava;
        while (at(p_) != '\0' || state == State::got_ava) {
            switch (state) {
                case State::before_ava:
                    if (is_space(at(p_))) ++p_;
                    if (is_space(at(p_))) {
                        ++p_;
                        while (at(p_) != '\0' && is_space(at(p_))) ++p_;
                        if (at(p_) == '\0') return std::nullopt;
                    }
                    if (is_digit(at(p_))) {
                        state = State::oid_type;
                        break;
                    }
                    if (!is_alpha(at(p_))) return std::nullopt;
                    state = State::string_type;
                    break;
                case State::oid_type: {
                    // ldap_int_parse_numericoid(): digits, and digits after each dot.
                    const std::size_t start = p_;
                    while (at(p_) != '\0') {
                        if (!is_digit(at(p_))) return std::nullopt;
                        ++p_;
                        while (is_digit(at(p_))) ++p_;
                        if (at(p_) != '.') break;
                        ++p_;
                    }
                    ava.type.assign(s_.substr(start, p_ - start));
                    state = State::before_equals;
                    break;
                }
                case State::string_type: {
                    const std::size_t start = p_++;
                    std::size_t end = std::string_view::npos;
                    for (; at(p_) != '\0'; ++p_) {
                        if (is_ldh(at(p_))) continue;
                        if (at(p_) == ';') {
                            end = p_;
                            while (is_ldh(at(p_)) || at(p_) == ';') ++p_;
                        }
                        break;
                    }
                    ava.type.assign(s_.substr(start, (end != std::string_view::npos ? end : p_) - start));
                    state = State::before_equals;
                    break;
                }
                case State::before_equals:
                    if (is_space(at(p_)))
                        for (++p_; is_space(at(p_)); ++p_) {
                        }
                    if (at(p_) != '=') return std::nullopt;
                    ++p_;
                    if (is_space(at(p_)))
                        for (++p_; is_space(at(p_)); ++p_) {
                        }
                    if (at(p_) == '#') {
                        ++p_;
                        ava.binary = true;
                        state = State::binary_value;
                        break;
                    }
                    ava.binary = false;
                    ava.value.clear();
                    state = at(p_) == '\0' ? State::got_ava : State::string_value;
                    break;
                case State::binary_value:
                    if (!binary_value(ava.value)) return std::nullopt;
                    state = State::got_ava;
                    break;
                case State::string_value:
                    if (!string_value(ava.value)) return std::nullopt;
                    state = State::got_ava;
                    break;
                case State::got_ava:
                    out.push_back(std::move(ava));
                    ava = Ava();
                    if (at(p_) != '+') return out;
                    ++p_;
                    state = State::before_ava;
                    break;
            }
        }
        return std::nullopt;  // the DN ended inside an AVA
    }

    // hexstr2binval()
    bool binary_value(std::string& value) {
        const std::size_t start = p_;
        std::size_t end = std::string_view::npos;
        for (; at(p_) != '\0'; p_ += 2) {
            if (is_value_end(at(p_))) break;
            if (is_space(at(p_))) {
                end = p_;
                while (at(p_) != '\0' && !is_value_end(at(p_))) ++p_;
                break;
            }
            if (!is_hex(at(p_)) || !is_hex(at(p_ + 1))) return false;
        }
        const std::size_t length = ((end != std::string_view::npos ? end : p_) - start) / 2;
        value.clear();
        for (std::size_t i = 0; i < length; ++i) value += hex_byte(s_[start + 2 * i], s_[start + 2 * i + 1]);
        return true;
    }

    // str2strval()
    bool string_value(std::string& value) {
        const std::size_t start = p_;
        std::size_t escapes = 0;
        std::size_t end = std::string_view::npos;
        for (; p_ < s_.size(); ++p_) {
            const char c = s_[p_];
            if (c == '\\') {
                ++p_;
                if (at(p_) == '\0') return false;
                if (may_escape(at(p_))) {
                    ++escapes;
                    continue;
                }
                if (is_hex(at(p_)) && is_hex(at(p_ + 1))) {
                    escapes += 2;
                    ++p_;
                    continue;
                }
                return false;
            }
            if (!is_printable(c)) continue;  // UTF-8 and control characters pass as they are
            if (is_value_end(c)) break;
            if (need_escape(c)) return false;
        }
        if (p_ > start + 1 && is_space(at(p_ - 1)) && at(p_ - 2) != '\\') {
            for (end = p_ - 1; end > start + 1 && is_space(at(end - 1)) && at(end - 2) != '\\'; --end) {
            }
        }
        const std::size_t length = (end != std::string_view::npos ? end : p_) - start - escapes;
        value.clear();
        for (std::size_t from = start; value.size() < length;) {
            if (s_[from] == '\\') {
                ++from;
                if (may_escape(s_[from])) {
                    value += s_[from++];
                } else {
                    value += hex_byte(s_[from], s_[from + 1]);
                    from += 2;
                }
            } else {
                value += s_[from++];
            }
        }
        return true;
    }

    std::string_view s_;
    std::size_t p_ = 0;
};

}  // namespace

std::optional<std::vector<Rdn>> parse_dn(std::string_view text) {
    return Parser(text).dn();
}

}  // namespace peoplesync::ldap_source::portable
