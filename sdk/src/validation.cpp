#include <peoplesync/validation.hpp>

#include <algorithm>
#include <future>
#include <iterator>
#include <string>
#include <vector>

#include "flat_index.hpp"

namespace peoplesync {

namespace {
bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}
}  // namespace

std::string trim(std::string_view text) {
    std::size_t begin = 0, end = text.size();
    while (begin < end && is_space(text[begin])) ++begin;
    while (end > begin && is_space(text[end - 1])) --end;
    return std::string(text.substr(begin, end - begin));
}

std::string fold_case(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

bool is_valid_email(std::string_view email) {
    if (email.size() > 254) return false;
    auto at = email.find('@');
    if (at == std::string_view::npos || at == 0 || email.find('@', at + 1) != std::string_view::npos) return false;
    std::string_view local = email.substr(0, at), domain = email.substr(at + 1);
    if (local.size() > 64 || local.front() == '.' || local.back() == '.') return false;
    for (char c : email)
        if (is_space(c) || c == ',' || c == '<' || c == '>' || c == '"' || static_cast<unsigned char>(c) < 0x20)
            return false;
    if (domain.empty() || domain.find('.') == std::string_view::npos) return false;
    // Every label of the domain is non-empty.
    std::size_t start = 0;
    while (start <= domain.size()) {
        auto dot = domain.find('.', start);
        auto label = domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (label.empty() || label.front() == '-' || label.back() == '-') return false;
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return true;
}

bool is_normal_department_path(std::string_view path) {
    std::size_t start = 0;
    while (true) {
        const auto sep = path.find('>', start);
        const auto segment = path.substr(start, sep == std::string_view::npos ? std::string_view::npos : sep - start);
        const bool first = start == 0, last = sep == std::string_view::npos;
        // Inner segments are " name "; the first has no leading, the last no trailing space.
        const std::size_t lead = first ? 0 : 1, trail = last ? 0 : 1;
        if (segment.size() <= lead + trail) return false;
        if (!first && segment.front() != ' ') return false;
        if (!last && segment.back() != ' ') return false;
        if (is_space(segment[lead]) || is_space(segment[segment.size() - trail - 1])) return false;
        if (last) return true;
        start = sep + 1;
    }
}

std::optional<std::string> normalize_department_path(std::string_view path) {
    if (is_normal_department_path(path)) return std::string(path);
    std::string out;
    std::size_t start = 0;
    while (true) {
        auto sep = path.find('>', start);
        std::string segment =
            trim(path.substr(start, sep == std::string_view::npos ? std::string_view::npos : sep - start));
        if (segment.empty()) return std::nullopt;
        if (!out.empty()) out += " > ";
        out += segment;
        if (sep == std::string_view::npos) break;
        start = sep + 1;
    }
    return out;
}

namespace {

// A finding and the record whose check made it (a duplicate also names the
// record that came first).
struct Emitted {
    std::size_t at;
    Finding finding;
};

// The records a source could not read as a user at all (a value that is no
// object, a line that is no JSON): its error is located at the record
// itself, not at one of its fields.
std::vector<char> unreadable_records(const Snapshot& snapshot) {
    std::vector<char> unreadable(snapshot.users.size(), 0);
    for (const auto& f : snapshot.findings)
        if (f.severity == Severity::error && f.record >= 0 && static_cast<std::size_t>(f.record) < unreadable.size() &&
            Text(f.location) == snapshot.users.origin(static_cast<std::size_t>(f.record)))
            unreadable[static_cast<std::size_t>(f.record)] = 1;
    return unreadable;
}

// Each record's own checks: required fields, email, department paths. A
// record that could not be read has its one error already: that it lacks
// every field follows from it.
std::vector<Emitted> check_each(const Snapshot& snapshot, const std::vector<char>& unreadable) {
    std::vector<Emitted> out;
    auto error = [&](std::size_t i, std::string location, std::string message) {
        out.push_back({i, {Severity::error, std::move(location), std::move(message), static_cast<std::int64_t>(i)}});
    };
    for (std::size_t i = 0; i < snapshot.users.size(); ++i) {
        if (unreadable[i]) continue;
        const UserView user = snapshot.users[i];
        auto require = [&](std::string_view name, std::string_view value) {
            if (value.empty())
                error(i, snapshot.locate(user, name), "required field " + std::string(name) + " is missing or empty");
        };
        for_each_field(user, [&](auto id, const auto& value) {
            constexpr FieldSpec spec = spec_of(decltype(id)::value);
            if constexpr (spec.required()) require(spec.name, value);
        });
        if (!user.email.empty() && !is_valid_email(user.email))
            error(i, snapshot.locate(user, field::email), "\"" + user.email + "\" is not an email address");
        for (const auto& path : user.departments)
            if (!is_normal_department_path(path) && !normalize_department_path(path))
                error(i, snapshot.locate(user, field::departments),
                      "\"" + path + "\" is not a department path: a level between \">\" is empty");
        if (user.profile_image.url.empty() && !user.profile_image.empty())
            error(i, snapshot.locate(user, field::profile_image), "profile_image needs a url");
    }
    return out;
}

// hris_id and email (case-insensitively) used once: a duplicate is an error
// on both records.
std::vector<Emitted> check_unique(const Snapshot& snapshot) {
    const auto n = snapshot.users.size();
    const Users& users = snapshot.users;
    // Each key's duplicates, in record order; then both keys' merged, a
    // record's hris_id before its email.
    auto duplicates = [&](auto& seen, auto key_of, std::string_view name) {
        std::vector<Emitted> out;
        seen.emplace_all(n, key_of, [&](std::size_t i, std::int64_t first_index) {
            const auto f = static_cast<std::size_t>(first_index);
            const UserView user = users[i], first = users[f];
            // Each record's finding quotes its own spelling (emails differ in case).
            out.push_back({i,
                           {Severity::error, snapshot.locate(user, name),
                            std::string(name) + " \"" + key_of(i) + "\" is also used by " + first.origin,
                            static_cast<std::int64_t>(i)}});
            out.push_back({i,
                           {Severity::error, snapshot.locate(first, name),
                            std::string(name) + " \"" + key_of(f) + "\" is also used by " + user.origin, first_index}});
        });
        return out;
    };
    auto hris_id_of = [&users](std::size_t i) { return users.hris_id(i); };
    auto email_of = [&users](std::size_t i) { return users.email(i); };
    flat::StringIndex<false> first_hris_id([&](std::int64_t i) { return hris_id_of(static_cast<std::size_t>(i)); });
    flat::StringIndex<true> first_email([&](std::int64_t i) { return email_of(static_cast<std::size_t>(i)); });
    const std::vector<Emitted> by_hris_id = duplicates(first_hris_id, hris_id_of, field::hris_id);
    const std::vector<Emitted> by_email = duplicates(first_email, email_of, field::email);
    std::vector<Emitted> out;
    out.reserve(by_hris_id.size() + by_email.size());
    std::merge(by_hris_id.begin(), by_hris_id.end(), by_email.begin(), by_email.end(), std::back_inserter(out),
               [](const Emitted& a, const Emitted& b) { return a.at < b.at; });
    return out;
}

// Large snapshots are checked on two threads.
constexpr std::size_t parallel_from = 50000;

}  // namespace

void validate_records(Snapshot& snapshot) {
    const std::vector<char> unreadable = unreadable_records(snapshot);
    std::vector<Emitted> each, unique;
    if (snapshot.users.size() >= parallel_from) {
        auto checked = std::async(std::launch::async, [&snapshot] { return check_unique(snapshot); });
        each = check_each(snapshot, unreadable);
        unique = checked.get();
    } else {
        each = check_each(snapshot, unreadable);
        unique = check_unique(snapshot);
    }
    // In record order, a record's own findings before its duplicates', as
    // one pass over the records would find them.
    snapshot.findings.reserve(snapshot.findings.size() + each.size() + unique.size());
    std::size_t a = 0, b = 0;
    while (a < each.size() || b < unique.size()) {
        const bool take_each = b == unique.size() || (a < each.size() && each[a].at <= unique[b].at);
        snapshot.findings.push_back(std::move(take_each ? each[a++].finding : unique[b++].finding));
    }
}

}  // namespace peoplesync
