// The JSON reader on input a careless or hostile sender makes: an empty
// body, numbers no double holds, bytes after the payload, values that are no
// user at all. Each is an Error or a finding with its place, never another
// exception.
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <peoplesync/snapshot_json.hpp>
#include <peoplesync/validation.hpp>

namespace peoplesync {
namespace {

using namespace std::string_literals;

const std::string one_user =
    R"({"users": [{"hris_id": "1", "first_name": "Ada", "last_name": "L", "email": "ada@example.com", "active": true}]})";

// What parse_snapshot_json() throws, or "" when it does not throw.
std::string parse_error(const std::string& text) {
    try {
        parse_snapshot_json(text);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

std::vector<std::string> errors_of(const Snapshot& s) {
    std::vector<std::string> out;
    for (const auto& f : s.findings)
        if (f.severity == Severity::error) out.push_back(f.location + ": " + f.message);
    return out;
}

TEST(JsonInput, AnEmptyBodySaysItIsEmpty) {
    for (const std::string& body : {""s, " \r\n\t"s}) {
        const std::string error = parse_error(body);
        EXPECT_NE(error.find("the body is empty"), std::string::npos) << "[" << body << "]: " << error;
    }
}

TEST(JsonInput, ANumberNoDoubleHoldsIsMalformedAtItsByte) {
    std::string inside_a_user = one_user;
    inside_a_user.insert(inside_a_user.find("\"active\""), R"("employee_id": 1e400, )");
    std::string error = parse_error(inside_a_user);
    EXPECT_NE(error.find("malformed JSON at byte"), std::string::npos) << error;
    EXPECT_NE(error.find("1e400"), std::string::npos) << error;

    const std::string top_level = R"({"generated": 1e999, "users": []})";
    error = parse_error(top_level);
    EXPECT_NE(error.find("malformed JSON at byte 19"), std::string::npos) << error;

    // An integer too long for any integer type is read as a double, and overflows it too.
    error = parse_error(R"({"users": [], "n": 1)" + std::string(400, '0') + "}");
    EXPECT_NE(error.find("malformed JSON at byte"), std::string::npos) << error;
}

TEST(JsonInput, BytesAfterThePayloadAreMalformedAfterANulToo) {
    EXPECT_NE(parse_error(one_user + "x").find("malformed JSON at byte"), std::string::npos);
    for (const std::string& tail : {"\0"s, "\0x"s, "\0 {}"s}) {
        const std::string error = parse_error(one_user + tail);
        EXPECT_NE(error.find("malformed JSON at byte " + std::to_string(one_user.size() + 1)), std::string::npos)
            << error;
    }
    // A NUL anywhere else is no JSON either.
    EXPECT_NE(parse_error("\0"s + one_user).find("malformed JSON at byte 1"), std::string::npos);
    EXPECT_NE(parse_error(R"({"users": [)"s + "\0"s + "]}").find("malformed JSON at byte"), std::string::npos);
}

TEST(JsonInput, AUserReadOneAtATimeNeverThrows) {
    Snapshot s;
    add_user_json(s, "people.jsonl:1", R"({"hris_id": "1", "employee_id": 1e400})");
    add_user_json(s, "people.jsonl:2", "{\"hris_id\": \"2\"}\0{}"s);
    ASSERT_EQ(s.users.size(), 2u);
    const auto errors = errors_of(s);
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_NE(errors[0].find("people.jsonl:1: malformed JSON at byte"), std::string::npos) << errors[0];
    EXPECT_NE(errors[1].find("people.jsonl:2: malformed JSON at byte 17"), std::string::npos) << errors[1];
}

// A part of profile_image or manager of the wrong type is located at that
// part: until 2026-12-06 a manager's hris_id was located as "users[0].hris_id",
// the user's own, and a profile image's url as "users[0].url", a field no
// user has.
TEST(JsonInputLocations, APartOfAnObjectFieldIsLocatedInsideIt) {
    const Snapshot s = parse_snapshot_json(R"({"users": [{"hris_id": "1", "first_name": "A", "last_name": "B",
        "email": "a@example.com", "active": true, "profile_image": {"url": 7, "cache_info": false},
        "manager": {"hris_id": 12}}]})");
    const std::vector<std::string> found = errors_of(s);
    auto at = [&](const std::string& place, const std::string& message) {
        return std::any_of(found.begin(), found.end(),
                           [&](const std::string& e) { return e.find(place + ": " + message) != std::string::npos; });
    };
    EXPECT_TRUE(at(".profile_image.url", "expected a string, found a number")) << testing::PrintToString(found);
    EXPECT_TRUE(at(".profile_image.cache_info", "expected a string, found a boolean")) << testing::PrintToString(found);
    EXPECT_TRUE(at(".manager.hris_id", "expected a string, found a number")) << testing::PrintToString(found);
    for (const std::string& e : found) {
        EXPECT_EQ(e.find("].url:"), std::string::npos) << e;
        EXPECT_EQ(e.find("].hris_id:"), std::string::npos) << e;
    }
}

}  // namespace
}  // namespace peoplesync
