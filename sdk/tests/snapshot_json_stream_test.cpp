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

#include <peoplesync/snapshot_json.hpp>

#include "snapshot_json_dom.hpp"

namespace peoplesync {

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

// to_json() writes as it goes; it must write the bytes the document it
// replaced wrote, for the users the generated payloads give, for users of
// raw bytes (control characters, invalid UTF-8, quotes, digits with leading
// zeros) and for each selection of fields.
TEST(SnapshotJsonStream, WritesWhatTheDocumentWrote) {
    const std::vector<std::vector<std::string>> selections = {
        {}, {"departments"}, {"job_title", "manager", "profile_image"}, {"hris_id", "email", "first_name"}};
    std::size_t compared = 0;
    auto expect_same_json = [&](const Snapshot& snapshot) {
        for (const auto& fields : selections) {
            ASSERT_EQ(to_json(snapshot, fields), dom_reference::to_json(snapshot, fields))
                << snapshot.users.size() << " users, " << fields.size() << " fields";
            ++compared;
        }
    };
    Generator generate(99);
    for (int i = 0; i < 1500; ++i) {
        try {
            ASSERT_NO_FATAL_FAILURE(expect_same_json(parse_snapshot_json(generate.payload())));
        } catch (const Error&) {
        }
    }
    std::mt19937 random(5);
    const std::vector<std::string> pieces = {"",
                                             "a",
                                             "Ada",
                                             "\"",
                                             "\\",
                                             "\n",
                                             "\x01",
                                             "\x7f",
                                             "\xc3\xa9",
                                             "\xff",
                                             "\xe2\x82",
                                             "007",
                                             "123456789012345678",
                                             "1234567890123456789",
                                             " ",
                                             "/",
                                             "\xf0\x9f\x98\x80"};
    auto text = [&] {
        std::string out;
        for (int k = static_cast<int>(random() % 4); k > 0; --k) out += pieces[random() % pieces.size()];
        return out;
    };
    for (int i = 0; i < 500; ++i) {
        Snapshot snapshot;
        std::vector<User> users(1 + random() % 4);
        for (User& u : users) {
            for_each_text(u, [&](std::string& t) { t = text(); });
            u.active = random() % 2 == 0;
            for (int d = static_cast<int>(random() % 3); d > 0; --d) u.departments.push_back(text());
        }
        snapshot.users = users;
        ASSERT_NO_FATAL_FAILURE(expect_same_json(snapshot));
    }
    Snapshot none;
    expect_same_json(none);
    EXPECT_GT(compared, 3000u);
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
