// parse_snapshot_json() and add_user_json() read the payload as it is
// parsed (nlohmann's SAX interface), without a document of the whole body.
// They must say exactly what the reader that built a document said, for
// every input: the same users, findings in the same order, the same errors
// byte for byte. That reader is kept here, as it was, and both are run on
// the sdk tests' payloads, the samples and a few thousand generated ones
// (random users, wrong types, duplicate and unknown keys, nested junk,
// truncations and flipped bytes).
#include <cstdint>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <peoplesync/config.hpp>
#include <peoplesync/snapshot_json.hpp>

namespace peoplesync {
namespace dom_reference {

using nlohmann::json;

// The reader as it was before it streamed: a document of the whole payload,
// then the users walked out of it.
namespace {

std::string type_name(const json& value) {
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
json parse_document(std::string_view text) {
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

bool only_white_space(std::string_view text) {
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
    void text(const json& object, std::string_view name, std::string& out, bool required) {
        auto it = object.find(name);
        if (it == object.end() || it->is_null()) {
            if (required) error(name, "required field " + std::string(name) + " is missing");
            return;
        }
        if (!it->is_string()) {
            error(name, "expected a string, found " + type_name(*it));
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
                text(*image, "url", user_.profile_image.url, false);
                if (user_.profile_image.url.empty()) error("profile_image.url", "required field url is missing");
                text(*image, "cache_info", user_.profile_image.cache_info, false);
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
                text(*manager, "hris_id", user_.manager_hris_id, false);
            if (manager->is_object() && user_.manager_hris_id.empty())
                error("manager.hris_id", "required field hris_id is missing");
        }
    }

private:
    Snapshot& snapshot_;
    std::int64_t index_;
    User& user_;
};

}  // namespace

Snapshot parse_snapshot_json_dom(std::string_view text) {
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

UserView add_user_json_dom(Snapshot& snapshot, std::string origin, std::string_view text) {
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

}  // namespace dom_reference

namespace {

using namespace std::string_literals;

// Every field of every user, then every finding, lengths first so that no
// two different results read the same.
std::string describe(const Snapshot& snapshot) {
    std::ostringstream out;
    const auto put = [&](std::string_view text) { out << text.size() << ':' << text << ' '; };
    out << snapshot.users.size() << " users\n";
    for (const UserView user : snapshot.users) {
        put(user.origin);
        for_each_field(user, [&](auto id, const auto& value) {
            constexpr FieldSpec spec = spec_of(decltype(id)::value);
            out << spec.name << '=';
            if constexpr (spec.kind == FieldKind::image) {
                put(value.url);
                put(value.last_modified);
                put(value.cache_info);
            } else if constexpr (spec.kind == FieldKind::departments) {
                out << value.size() << "[ ";
                for (const Text path : value) put(path);
                out << "] ";
            } else if constexpr (spec.kind == FieldKind::flag) {
                out << (value ? "true " : "false ");
            } else {
                put(value);
            }
        });
        out << '\n';
    }
    out << snapshot.findings.size() << " findings\n";
    for (const Finding& f : snapshot.findings) {
        out << to_string(f.severity) << ' ' << f.record << ' ';
        put(f.location);
        put(f.message);
        out << '\n';
    }
    return out.str();
}

template <typename Parse>
std::string outcome(Parse&& parse) {
    try {
        return describe(parse());
    } catch (const Error& e) {
        return "Error: "s + e.what();
    } catch (const std::exception& e) {
        return "another exception: "s + e.what();
    }
}

std::string payload_read_by_dom(std::string_view text) {
    return outcome([&] { return dom_reference::parse_snapshot_json_dom(text); });
}
std::string payload_read_as_parsed(std::string_view text) {
    return outcome([&] { return parse_snapshot_json(text); });
}

// A snapshot that already holds a user and labels a field, so that the
// record index and Snapshot::locate() are exercised.
Snapshot one_user_in() {
    Snapshot snapshot;
    snapshot.field_labels["email"] = "column \"Mail\"";
    add_user_json(snapshot, "first", R"({"hris_id": "0"})");
    return snapshot;
}

std::string user_read_by_dom(std::string_view text) {
    return outcome([&] {
        Snapshot snapshot = one_user_in();
        const UserView user = dom_reference::add_user_json_dom(snapshot, "people.jsonl:2", text);
        if (user.origin.data() != snapshot.users.back().origin.data()) throw std::logic_error("not the user added");
        return snapshot;
    });
}
std::string user_read_as_parsed(std::string_view text) {
    return outcome([&] {
        Snapshot snapshot = one_user_in();
        const UserView user = add_user_json(snapshot, "people.jsonl:2", text);
        if (user.origin.data() != snapshot.users.back().origin.data()) throw std::logic_error("not the user added");
        return snapshot;
    });
}

// Both readers on `text`, as a payload and as one user.
void expect_same(std::string_view text) {
    ASSERT_EQ(payload_read_by_dom(text), payload_read_as_parsed(text)) << "payload: " << text;
    ASSERT_EQ(user_read_by_dom(text), user_read_as_parsed(text)) << "one user: " << text;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// The payloads of the sdk's other tests, and the edges the streaming reader
// must keep: payload shape, duplicate keys, key order, nesting, numbers.
const std::vector<std::string> known_payloads = {
    R"({"users": [{"hris_id": "1", "first_name": "Ada", "last_name": "L", "email": "ada@example.com", "active": true}]})",
    R"({"users": [{"hris_id": "1", "first_name": "Ada", "employee_id": 1e400, "active": true}]})",
    R"({"generated": 1e999, "users": []})",
    R"({"users": [], "n": 1)" + std::string(400, '0') + "}",
    R"({"users": [{"hris_id": "1"}]}x)",
    R"({"users": [{"hris_id": "1"}]})"s + "\0"s,
    R"({"users": [{"hris_id": "1"}]})"s + "\0x"s,
    "\0{\"users\": []}"s,
    R"({"users": [)"s + "\0"s + "]}",
    "",
    " \r\n\t",
    R"({"users":[{"hris_id":"A1","first_name":"Ann","last_name":"Lee","email":"ann@example.com","active":true}]})",
    R"({"users":[{"hris_id":"A","first_name":"A","last_name":"B","active":true}]})",
    R"({"users":[{"hris_id":17,"first_name":"A","last_name":"B","email":"a@b.co","active":"yes","departments":"Sales"}]})",
    R"({"users":[{"hris_id":"A","first_name":"A","last_name":"B","email":"bob@","active":true}]})",
    R"({"users":[{"hris_id":"A1","active":true,"departments":["Sales >> EMEA", 5]}]})",
    R"({"users":[{"hris_id":"A1","active":true,"profile_image":{"cache_info":"x"},"manager":{}}]})",
    R"({"users":[
        {"hris_id":"A","first_name":"A","last_name":"A","email":"Same@Example.com","active":true},
        {"hris_id":"B","first_name":"B","last_name":"B","email":"b@example.com","active":true},
        {"hris_id":"A","first_name":"C","last_name":"C","email":"same@example.COM","active":true}]})",
    R"({"users":[{"hris_id":"A","first_name":"A","last_name":"A","email":"a@example.com",
        "active":true,"nickname":"Al"}],"sent_by":"hris"})",
    "[1,2]",
    "{}",
    R"({"users":{}})",
    R"({"users":["x"]})",
    R"({"users": [ {"hris_id": "A",, } ]})",
    R"({"users": [1, "x", null, [], {"first_name": "A"}]})",
    R"({"users": [
      {"hris_id": "1", "first_name": "A", "last_name": "L", "email": "Ada@Example.com", "active": true},
      {"hris_id": "2", "first_name": "A", "last_name": "M", "email": "ada@example.com", "active": true}]})",
    R"({"hris_id": "7", "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "active": true,
        "departments": ["Eng > Core"], "manager": {"hris_id": "1"}})",
    R"({"hris_id": "1", "first_name": "A", "last_name": "B",)",
    R"(["not", "a", "user"])",
    R"({"hris_id": 3, "first_name": "C", "last_name": "D", "email": "c@d.e"})",
    R"({"hris_id": "1", "employee_id": 1e400})",
    "{\"hris_id\": \"2\"}\0{}"s,
    // Payload shape.
    "null",
    "true",
    "17",
    "-1.5",
    R"("users")",
    "[]",
    R"([{"users": []}])",
    R"({"users": null})",
    R"({"users": 5})",
    R"({"users": "[]"})",
    R"({"users": [], "users": 5})",
    R"({"users": 5, "users": [{"hris_id": "b"}]})",
    R"({"users": [{"hris_id": "a", "x": 1}, 7], "users": [{"hris_id": "b", "y": 2}]})",
    R"({"zeta": 1, "users": [{"q": 1}], "alpha": {"users": []}, "Beta": [], "zeta": 2, "": 0, "\u00e9": 1})",
    R"({"users": [{"users": [{"hris_id": "x"}]}]})",
    // Key order and duplicates inside a user.
    R"({"users": [{"zz": 1, "aa": 2, "Zz": 3, "hris_id": 1, "hris_id": "ok", "aa": 4, "\u0000": 5, "\u00ff": 6}]})",
    R"({"users": [{"active": true, "active": "no"}, {"active": "no", "active": false}, {"active": null}]})",
    R"({"users": [{"profile_image": {"url": "u"}, "profile_image": "x"}, {"profile_image": 1, "profile_image": {}}]})",
    R"({"users": [{"profile_image": {"url": 5, "cache_info": [], "last_modified": 1.5, "url": "ok", "x": {}}}]})",
    R"({"users": [{"profile_image": {"last_modified": 1700000000}}, {"profile_image": {"last_modified": -0}},
                  {"profile_image": {"last_modified": 18446744073709551615, "url": ""}},
                  {"profile_image": {"last_modified": 18446744073709551616}},
                  {"profile_image": {"last_modified": "2024-01-01T00:00:00Z", "url": null}},
                  {"profile_image": {"last_modified": true}}, {"profile_image": null}, {"profile_image": []}]})",
    R"({"users": [{"departments": ["a", ["b"], {"c": 1}, null, true, 1, 1.0, "d"], "departments": ["e"]},
                  {"departments": ["e"], "departments": {}}, {"departments": []}, {"departments": null}]})",
    R"({"users": [{"manager": {"hris_id": 7}}, {"manager": {"hris_id": ""}}, {"manager": "boss"},
                  {"manager": {"hris_id": "m", "hris_id": null}}, {"manager": {"name": "m"}}, {"manager": []}]})",
    R"({"users": [{"email": {"deep": [[[[{"a": [1, {"b": null}]}]]]]}, "hris_id": [[], {}], "hire_date": 2024}]})",
    R"({"users": [{"first_name": "\ud83d\ude00 \u00e9\t\"q\"", "last_name": "a\u0000b"}]})",
    R"({"users": [{"first_name": "\ud83d"}]})",
    "{\"users\": [{\"first_name\": \"\xff\"}]}",
    R"({"users": [{"hire_date": 1e400}]})",
    R"({"users": [{"x": -1e-400, "y": 1E+2, "z": 0.0}]})",
    R"({"users": [{"a": 1}] /* comment */})",
    std::string(20000, '[') + std::string(20000, ']'),
    R"({"users": [)" + std::string(20000, '[') + std::string(20000, ']') + "]}",
    R"({"users": [{"junk": )" + std::string(20000, '[') + std::string(20000, ']') + "}]}",
    R"({"users": [)" + std::string(20000, '[') + "]}",
};

TEST(SnapshotJsonStream, ReadsTheKnownPayloadsAsTheDocumentDid) {
    for (const std::string& text : known_payloads) expect_same(text);
    expect_same(read_file(PEOPLESYNC_SAMPLES_DIR "/webhook-data-example.json"));
}

TEST(SnapshotJsonStream, ReadsTheGuidesExampleAsBefore) {
    const Snapshot snapshot = parse_snapshot_json(read_file(PEOPLESYNC_SAMPLES_DIR "/webhook-data-example.json"));
    ASSERT_EQ(snapshot.users.size(), 1u);
    EXPECT_EQ(snapshot.users[0].hris_id, "1FdzdQf35CffSd53");
    EXPECT_EQ(snapshot.users[0].profile_image.last_modified, "23323123123123");
    EXPECT_TRUE(snapshot.findings.empty());
}

// A small generator of payloads with all that a sender may get wrong.
class Generator {
public:
    explicit Generator(std::uint32_t seed) : random_(seed) {}

    std::size_t below(std::size_t n) { return static_cast<std::size_t>(random_() % n); }
    bool chance(std::size_t percent) { return below(100) < percent; }
    template <typename T, std::size_t N>
    const T& pick(const T (&from)[N]) {
        return from[below(N)];
    }

    std::string space() {
        static const char* const spaces[] = {"", "", "", " ", "\n  ", "\t", "\r\n"};
        return pick(spaces);
    }

    std::string string() {
        static const char* const strings[] = {
            R"("")",
            R"("a")",
            R"("Ada")",
            R"("ada@example.com")",
            R"("Sales > EMEA")",
            R"("Eng>Core")",
            R"(" padded ")",
            R"("\u00e9t\u00e9")",
            R"("tab\there")",
            R"("q\"uote\\")",
            R"("\u0000nul")",
            R"("\ud83d\ude00")",
            R"("1700000000")",
            R"("2024-05-01T10:00:00Z")",
            R"("x > ")",
        };
        return pick(strings);
    }

    std::string scalar() {
        static const char* const scalars[] = {"null",
                                              "true",
                                              "false",
                                              "0",
                                              "-0",
                                              "17",
                                              "-5",
                                              "1.5",
                                              "1e3",
                                              "-2E-2",
                                              "1e400",
                                              "18446744073709551615",
                                              "18446744073709551616",
                                              "9223372036854775807",
                                              "-9223372036854775809"};
        return chance(40) ? string() : pick(scalars);
    }

    std::string any(int depth = 0) {
        const std::size_t kind = below(depth > 3 ? 6 : 10);
        if (kind < 6) return scalar();
        if (kind < 8) {
            std::string out = "[" + space();
            const std::size_t n = below(4);
            for (std::size_t i = 0; i < n; ++i) out += (i ? "," : "") + space() + any(depth + 1);
            return out + space() + "]";
        }
        std::string out = "{";
        const std::size_t n = below(4);
        for (std::size_t i = 0; i < n; ++i) out += (i ? "," : "") + key() + ":" + space() + any(depth + 1);
        return out + "}";
    }

    std::string key() {
        static const char* const keys[] = {
            "hris_id",     "first_name", "last_name",     "email",       "job_title", "phone_number",
            "employee_id", "hire_date",  "profile_image", "departments", "active",    "manager",
            "url",         "cache_info", "last_modified", "users",       "nickname",  "Zeta",
            "alpha",       "",           "\\u00e9",       "hris_id ",    "\\u0000",   "EMAIL",
        };
        return "\"" + std::string(pick(keys)) + "\"";
    }

    // A value for field `name` that is usually right and often not.
    std::string field_value(std::string_view name) {
        if (chance(25)) return any();
        if (name == "active") return chance(50) ? "true" : "false";
        if (name == "profile_image") {
            std::string out = "{";
            const char* const parts[] = {"url", "last_modified", "cache_info", "size"};
            const std::size_t n = below(5);
            for (std::size_t i = 0; i < n; ++i)
                out += std::string(i ? "," : "") + "\"" + pick(parts) + "\":" + (chance(70) ? string() : scalar());
            return out + "}";
        }
        if (name == "departments") {
            std::string out = "[";
            const std::size_t n = below(4);
            for (std::size_t i = 0; i < n; ++i) out += (i ? "," : "") + (chance(80) ? string() : any(2));
            return out + "]";
        }
        if (name == "manager") return chance(80) ? "{\"hris_id\":" + string() + "}" : "{" + key() + ":" + any(2) + "}";
        return string();
    }

    std::string user() {
        if (chance(5)) return any();
        static const char* const names[] = {"hris_id",       "first_name",   "last_name",   "email",
                                            "job_title",     "phone_number", "employee_id", "hire_date",
                                            "profile_image", "departments",  "active",      "manager"};
        std::vector<std::string> members;
        for (const char* name : names)
            if (chance(70)) members.push_back("\"" + std::string(name) + "\":" + space() + field_value(name));
        const std::size_t extra = below(3);
        for (std::size_t i = 0; i < extra; ++i) members.push_back(key() + ":" + any(1));
        if (!members.empty() && chance(20)) members.push_back(members[below(members.size())]);
        for (std::size_t i = members.size(); i > 1; --i) std::swap(members[i - 1], members[below(i)]);
        std::string out = "{" + space();
        for (std::size_t i = 0; i < members.size(); ++i) out += (i ? "," + space() : "") + members[i];
        return out + space() + "}";
    }

    std::string payload() {
        if (chance(3)) return any();
        std::vector<std::string> members;
        if (!chance(5)) {
            std::string users = "[";
            const std::size_t n = below(6);
            for (std::size_t i = 0; i < n; ++i) users += (i ? "," + space() : "") + user();
            members.push_back("\"users\":" + space() + (chance(95) ? users + "]" : any()));
        }
        const std::size_t extra = below(3);
        for (std::size_t i = 0; i < extra; ++i) members.push_back(key() + ":" + any(1));
        for (std::size_t i = members.size(); i > 1; --i) std::swap(members[i - 1], members[below(i)]);
        std::string out = space() + "{";
        for (std::size_t i = 0; i < members.size(); ++i) out += (i ? "," : "") + space() + members[i];
        return out + "}" + space();
    }

    // The text broken as a sender or a network breaks it.
    std::string damaged(std::string text) {
        if (text.empty()) return text;
        static const char bytes[] = {'\0', '"', '{', '}', '[', ']',    ',',    ':',   '\\',
                                     'e',  '1', '-', ' ', 'n', '\x7f', '\xc3', '\xff'};
        switch (below(4)) {
            case 0:
                text.resize(below(text.size()));
                break;
            case 1:
                text[below(text.size())] = pick(bytes);
                break;
            case 2:
                text.insert(below(text.size() + 1), 1, pick(bytes));
                break;
            default:
                text.erase(below(text.size()), 1 + below(3));
                break;
        }
        return text;
    }

private:
    std::mt19937 random_;
};

TEST(SnapshotJsonStream, ReadsGeneratedPayloadsAsTheDocumentDid) {
    Generator generate(20240501);
    for (int i = 0; i < 3000; ++i) {
        const std::string payload = generate.payload();
        ASSERT_NO_FATAL_FAILURE(expect_same(payload));
        ASSERT_NO_FATAL_FAILURE(expect_same(generate.damaged(payload)));
        ASSERT_NO_FATAL_FAILURE(expect_same(generate.damaged(generate.damaged(payload))));
    }
}

TEST(SnapshotJsonStream, ReadsGeneratedUsersAsTheDocumentDid) {
    Generator generate(7);
    for (int i = 0; i < 3000; ++i) {
        const std::string user = generate.user();
        ASSERT_NO_FATAL_FAILURE(expect_same(user));
        ASSERT_NO_FATAL_FAILURE(expect_same(generate.damaged(user)));
    }
}

// The generated inputs reach what they are meant to: each outcome is seen.
TEST(SnapshotJsonStream, TheGeneratedInputsCoverEachOutcome) {
    Generator generate(20240501);
    std::size_t malformed = 0, with_users = 0, with_errors = 0, with_warnings = 0;
    for (int i = 0; i < 1000; ++i) {
        const std::string text = i % 2 ? generate.damaged(generate.payload()) : generate.payload();
        try {
            const Snapshot snapshot = parse_snapshot_json(text);
            with_users += snapshot.users.empty() ? 0 : 1;
            for (const Finding& f : snapshot.findings) (f.severity == Severity::error ? with_errors : with_warnings)++;
        } catch (const Error&) {
            ++malformed;
        }
    }
    EXPECT_GT(malformed, 100u);
    EXPECT_GT(with_users, 100u);
    EXPECT_GT(with_errors, 100u);
    EXPECT_GT(with_warnings, 100u);
}

}  // namespace
}  // namespace peoplesync
