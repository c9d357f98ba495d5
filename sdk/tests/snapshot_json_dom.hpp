// The JSON reader as it was before it streamed: nlohmann's document of the
// whole payload, then the users walked out of it. Kept as the reference the
// streaming reader is compared with (snapshot_json_stream_test.cpp) and
// measured against (tests/bench/json_parse_bench.cpp). And the writer as it
// was before it wrote as it went (to_json, at the end).
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <peoplesync/config.hpp>
#include <peoplesync/snapshot_json.hpp>

namespace peoplesync::dom_reference {

using nlohmann::json;

inline std::string type_name(const json& value) {
    switch (value.type()) {
        case json::value_t::null:
            return "null";
        case json::value_t::boolean:
            return "a boolean";
        case json::value_t::string:
            return "a string";
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
        case json::value_t::number_float:
            return "a number";
        case json::value_t::array:
            return "an array";
        case json::value_t::object:
            return "an object";
        default:
            return "a value of another type";
    }
}

// nlohmann's own document builder, keeping where parsing stopped: its
// exceptions carry the byte only for syntax errors, not for a number no
// double holds (1e400), which it reports as out_of_range.
class DocumentBuilder : public nlohmann::detail::json_sax_dom_parser<json> {
public:
    explicit DocumentBuilder(json& document) : json_sax_dom_parser(document, false) {}

    template <typename Exception>
    bool parse_error(std::size_t byte, const std::string&, const Exception& e) {
        byte_ = byte;
        message_ = e.what();
        // "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error ..." -> "syntax error ..."
        if (auto tag = message_.find("] "); message_.rfind("[json.exception.", 0) == 0 && tag != std::string::npos)
            message_.erase(0, tag + 2);
        if (message_.rfind("parse error", 0) == 0)
            if (auto colon = message_.find(": "); colon != std::string::npos) message_.erase(0, colon + 2);
        return false;
    }

    std::size_t byte() const { return byte_; }
    const std::string& message() const { return message_; }

private:
    std::size_t byte_ = 0;
    std::string message_;
};

// The JSON document `text` is, or Error("malformed JSON at byte N: ...").
// Nothing may follow the document but white space.
inline json parse_document(std::string_view text) {
    // nlohmann stops at a NUL byte as at the end of the input, so what
    // follows one would go unread; JSON allows a NUL nowhere.
    if (const auto nul = text.find('\0'); nul != std::string_view::npos)
        throw Error("malformed JSON at byte " + std::to_string(nul + 1) +
                    ": a NUL byte, which JSON allows nowhere (in a string it is written \\u0000)");
    json document;
    DocumentBuilder builder(document);
    if (!json::sax_parse(text.begin(), text.end(), &builder))
        throw Error("malformed JSON at byte " + std::to_string(builder.byte()) + ": " + builder.message());
    return document;
}

inline bool only_white_space(std::string_view text) {
    return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// Reads the users of one payload, collecting every problem.
class UserReader {
public:
    UserReader(Snapshot& snapshot, std::int64_t index, User& user) : snapshot_(snapshot), index_(index), user_(user) {}

    void error(std::string_view field, const std::string& message) {
        snapshot_.error(index_, snapshot_.locate(user_, field), message);
    }

    // A string field; null or absent leaves `out` empty.
    // `within`: the object's own field ("profile_image."), which locates the
    // part's finding (the reader located it as "users[0].url" until
    // 2026-12-06, which names a field the user does not have).
    void text(const json& object, std::string_view name, std::string& out, bool required,
              const std::string& within = "") {
        auto it = object.find(name);
        if (it == object.end() || it->is_null()) {
            if (required) error(within + std::string(name), "required field " + std::string(name) + " is missing");
            return;
        }
        if (!it->is_string()) {
            error(within + std::string(name), "expected a string, found " + type_name(*it));
            return;
        }
        out = it->get<std::string>();
    }

    void read(const json& object) {
        for (const auto& [key, value] : object.items())
            if (!field_named(key))
                snapshot_.warning(index_, snapshot_.locate(user_, key), "unknown field \"" + key + "\" is ignored");

        // Missing required text fields are validate_records()'s to report
        // (once, as "missing or empty"); here only their types are checked.
        // The text fields first, then the others, each its own way.
        for_each_field(user_, [&](auto id, auto& value) {
            constexpr FieldSpec spec = spec_of(decltype(id)::value);
            if constexpr (spec.kind == FieldKind::text) text(object, spec.name, value, false);
        });

        auto active = object.find("active");
        if (active == object.end() || active->is_null())
            error("active", "required field active is missing");
        else if (!active->is_boolean())
            error("active", "expected true or false, found " + type_name(*active));
        else
            user_.active = active->get<bool>();

        if (auto image = object.find("profile_image"); image != object.end() && !image->is_null()) {
            if (!image->is_object()) {
                error("profile_image", "expected an object, found " + type_name(*image));
            } else {
                text(*image, "url", user_.profile_image.url, false, "profile_image.");
                if (user_.profile_image.url.empty()) error("profile_image.url", "required field url is missing");
                text(*image, "cache_info", user_.profile_image.cache_info, false, "profile_image.");
                if (auto modified = image->find("last_modified"); modified != image->end() && !modified->is_null()) {
                    // The guide's own example sends a number here, its schema a date-time.
                    if (modified->is_string())
                        user_.profile_image.last_modified = modified->get<std::string>();
                    else if (modified->is_number_integer() || modified->is_number_unsigned())
                        user_.profile_image.last_modified = modified->dump();
                    else
                        error("profile_image.last_modified",
                              "expected a date-time or a number, found " + type_name(*modified));
                }
            }
        }

        if (auto departments = object.find("departments"); departments != object.end() && !departments->is_null()) {
            if (!departments->is_array()) {
                error("departments", "expected an array of strings, found " + type_name(*departments));
            } else {
                for (std::size_t i = 0; i < departments->size(); ++i) {
                    const json& path = (*departments)[i];
                    if (path.is_string())
                        user_.departments.push_back(path.get<std::string>());
                    else
                        error("departments[" + std::to_string(i) + "]", "expected a string, found " + type_name(path));
                }
            }
        }

        if (auto manager = object.find("manager"); manager != object.end() && !manager->is_null()) {
            if (!manager->is_object())
                error("manager", "expected an object with hris_id, found " + type_name(*manager));
            else
                text(*manager, "hris_id", user_.manager_hris_id, false, "manager.");
            if (manager->is_object() && user_.manager_hris_id.empty())
                error("manager.hris_id", "required field hris_id is missing");
        }
    }

private:
    Snapshot& snapshot_;
    std::int64_t index_;
    User& user_;
};

inline Snapshot parse_snapshot_json_dom(std::string_view text) {
    if (only_white_space(text))
        throw Error("the body is empty: send the snapshot as a JSON object, {\"users\": [...]}");
    const json document = parse_document(text);

    Snapshot snapshot;
    if (!document.is_object()) {
        snapshot.error(-1, "(payload)", "expected a JSON object with \"users\", found " + type_name(document));
        return snapshot;
    }
    for (const auto& [key, value] : document.items())
        if (key != "users") snapshot.warning(-1, key, "unknown field \"" + key + "\" is ignored");
    auto users = document.find("users");
    if (users == document.end()) {
        snapshot.error(-1, "users", "required field users is missing");
        return snapshot;
    }
    if (!users->is_array()) {
        snapshot.error(-1, "users", "expected an array of users, found " + type_name(*users));
        return snapshot;
    }
    snapshot.users.reserve(users->size());
    for (std::size_t i = 0; i < users->size(); ++i) {
        User user;
        user.origin = "users[" + std::to_string(i) + "]";
        const json& object = (*users)[i];
        UserReader reader(snapshot, static_cast<std::int64_t>(i), user);
        if (!object.is_object())
            reader.error("", "expected a user object, found " + type_name(object));
        else
            reader.read(object);
        snapshot.users.push_back(user);
    }
    return snapshot;
}

inline UserView add_user_json_dom(Snapshot& snapshot, std::string origin, std::string_view text) {
    json object;
    try {
        object = parse_document(text);
    } catch (const Error& e) {
        snapshot.unreadable(std::move(origin), e.what());
        return snapshot.users.back();
    }
    if (!object.is_object()) {
        snapshot.unreadable(std::move(origin), "expected a user object, found " + type_name(object));
        return snapshot.users.back();
    }
    User user;
    user.origin = std::move(origin);
    UserReader reader(snapshot, static_cast<std::int64_t>(snapshot.users.size()), user);
    reader.read(object);
    snapshot.users.push_back(user);
    return snapshot.users.back();
}

// to_json() as it was: a document of every user, then dumped.
inline std::string to_json(const Snapshot& snapshot, const std::vector<std::string>& fields = {}) {
    auto selected = [&](std::string_view name) {
        return fields.empty() || std::find(fields.begin(), fields.end(), name) != fields.end();
    };
    json users = json::array();
    for (const UserView user : snapshot.users) {
        json out = json::object();
        for_each_field(user, [&](auto id, const auto& value) {
            constexpr FieldSpec spec = spec_of(decltype(id)::value);
            if constexpr (spec.kind == FieldKind::text)
                if (spec.always_synced() || (selected(spec.name) && !value.empty())) out[spec.name] = value;
        });
        if (selected("profile_image") && !user.profile_image.url.empty()) {
            json image = {{"url", user.profile_image.url}};
            if (!user.profile_image.last_modified.empty()) {
                const std::string_view modified = user.profile_image.last_modified;
                bool digits = modified.find_first_not_of("0123456789") == std::string::npos && modified.size() < 19;
                image["last_modified"] = digits ? json(std::stoll(std::string(modified))) : json(modified);
            }
            if (!user.profile_image.cache_info.empty()) image["cache_info"] = user.profile_image.cache_info;
            out["profile_image"] = std::move(image);
        }
        if (selected("departments") && !user.departments.empty()) out["departments"] = user.departments.to_vector();
        out["active"] = user.active;
        if (selected("manager") && !user.manager_hris_id.empty()) out["manager"] = {{"hris_id", user.manager_hris_id}};
        users.push_back(std::move(out));
    }
    return json({{"users", std::move(users)}}).dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace peoplesync::dom_reference
