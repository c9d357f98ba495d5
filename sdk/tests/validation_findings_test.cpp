// Findings a reader of them can act on: one error for a record that is no
// user at all, not one more per field it therefore lacks; a duplicate
// quoted as each record spells it.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <peoplesync/snapshot_json.hpp>
#include <peoplesync/validation.hpp>

namespace peoplesync {
namespace {

std::vector<std::string> errors_of(const Snapshot& s) {
    std::vector<std::string> out;
    for (const auto& f : s.findings)
        if (f.severity == Severity::error) out.push_back(f.location + ": " + f.message);
    return out;
}

TEST(ValidationFindings, AValueThatIsNoUserGetsOneErrorNotOnePerMissingField) {
    Snapshot s = parse_snapshot_json(R"({"users": [1, "x", null, [], {"first_name": "A"}]})");
    validate_records(s);
    const auto errors = errors_of(s);
    ASSERT_GE(errors.size(), 4u) << ::testing::PrintToString(errors);
    EXPECT_EQ(errors[0], "users[0]: expected a user object, found a number");
    EXPECT_EQ(errors[1], "users[1]: expected a user object, found a string");
    EXPECT_EQ(errors[2], "users[2]: expected a user object, found null");
    EXPECT_EQ(errors[3], "users[3]: expected a user object, found an array");
    // An object is a user: each of its missing fields is an error of its own.
    const std::vector<std::string> of_the_object(errors.begin() + 4, errors.end());
    EXPECT_EQ(of_the_object, (std::vector<std::string>{
                                 "users[4].active: required field active is missing",
                                 "users[4].hris_id: required field hris_id is missing or empty",
                                 "users[4].last_name: required field last_name is missing or empty",
                                 "users[4].email: required field email is missing or empty",
                             }));
}

TEST(ValidationFindings, ADuplicateEmailQuotesEachRecordsOwnSpelling) {
    Snapshot s = parse_snapshot_json(R"({"users": [
      {"hris_id": "1", "first_name": "A", "last_name": "L", "email": "Ada@Example.com", "active": true},
      {"hris_id": "2", "first_name": "A", "last_name": "M", "email": "ada@example.com", "active": true}]})");
    validate_records(s);
    EXPECT_EQ(errors_of(s), (std::vector<std::string>{
                                "users[1].email: email \"ada@example.com\" is also used by users[0]",
                                "users[0].email: email \"Ada@Example.com\" is also used by users[1]",
                            }));
}

}  // namespace
}  // namespace peoplesync
