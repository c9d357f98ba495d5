#include <algorithm>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include <peoplesync/snapshot_json.hpp>
#include <peoplesync/validation.hpp>

namespace peoplesync {
namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<Finding> errors_of(const Snapshot& s) {
    std::vector<Finding> out;
    for (const auto& f : s.findings)
        if (f.severity == Severity::error) out.push_back(f);
    return out;
}

bool has_finding(const Snapshot& s, Severity severity, const std::string& location, const std::string& fragment) {
    for (const auto& f : s.findings)
        if (f.severity == severity && f.location == location && f.message.find(fragment) != std::string::npos)
            return true;
    return false;
}

std::string dump(const Snapshot& s) {
    std::string out;
    for (const auto& f : s.findings)
        out += std::string(to_string(f.severity)) + " " + f.location + ": " + f.message + "\n";
    return out;
}

Snapshot parse_and_validate(const std::string& json) {
    Snapshot s = parse_snapshot_json(json);
    validate_records(s);
    return s;
}

std::string user_json(const std::string& fields) {
    return R"({"users":[{)" + fields + R"(}]})";
}

const char* base = R"("hris_id":"A1","first_name":"Ann","last_name":"Lee","email":"ann@example.com","active":true)";

TEST(GuideExample, IsAcceptedVerbatim) {
    Snapshot s = parse_and_validate(read_file(PEOPLESYNC_SAMPLES_DIR "/webhook-data-example.json"));
    EXPECT_TRUE(s.findings.empty()) << dump(s);
    ASSERT_EQ(s.users.size(), 1u);
    const UserView u = s.users[0];
    EXPECT_EQ(u.hris_id, "1FdzdQf35CffSd53");
    EXPECT_EQ(u.email, "john.doe@7geese.com");
    EXPECT_EQ(u.job_title, "VP Engineering");
    EXPECT_EQ(u.phone_number, "+1 223-334-4355");
    EXPECT_EQ(u.employee_id, "E123556");
    EXPECT_EQ(u.hire_date, "2016-10-25");
    EXPECT_EQ(u.profile_image.last_modified, "23323123123123");  // an integer in the guide
    EXPECT_EQ(u.profile_image.cache_info, "sadsaDSds343GzzZ");
    ASSERT_EQ(u.departments.size(), 3u);
    EXPECT_EQ(u.departments[1], "Customer Success > Support > Mobile Support");
    EXPECT_TRUE(u.active);
    EXPECT_EQ(u.manager_hris_id, "E9923443");  // not in the payload: legal
    EXPECT_EQ(u.origin, "users[0]");
}

TEST(GuideExample, RoundTripsThroughJson) {
    Snapshot s = parse_snapshot_json(read_file(PEOPLESYNC_SAMPLES_DIR "/webhook-data-example.json"));
    Snapshot again = parse_snapshot_json(to_json(s));
    ASSERT_EQ(again.users.size(), 1u);
    EXPECT_EQ(again.users[0].profile_image.last_modified, "23323123123123");
    EXPECT_EQ(again.users[0].departments, s.users[0].departments);
    EXPECT_NE(to_json(s).find("\"last_modified\":23323123123123"), std::string::npos);
}

TEST(ToJson, HonoursFieldSelection) {
    Snapshot s = parse_snapshot_json(read_file(PEOPLESYNC_SAMPLES_DIR "/webhook-data-example.json"));
    std::string json = to_json(s, {"departments"});
    EXPECT_EQ(json.find("job_title"), std::string::npos);
    EXPECT_EQ(json.find("manager"), std::string::npos);
    EXPECT_NE(json.find("departments"), std::string::npos);
    EXPECT_NE(json.find("\"email\""), std::string::npos);  // always synced
}

TEST(Schema, MissingRequiredFieldsAreLocated) {
    for (std::string field : {"hris_id", "first_name", "last_name", "email", "active"}) {
        std::string fields = base;
        auto start = fields.find("\"" + field + "\"");
        auto end = fields.find(',', start);
        fields.erase(start, end == std::string::npos ? std::string::npos : end - start + 1);
        if (fields.back() == ',') fields.pop_back();
        Snapshot s = parse_and_validate(user_json(fields));
        EXPECT_TRUE(has_finding(s, Severity::error, "users[0]." + field, "missing")) << field << "\n" << dump(s);
    }
}

TEST(Schema, AMissingFieldIsReportedOnce) {
    Snapshot s = parse_and_validate(user_json(R"("hris_id":"A","first_name":"A","last_name":"B","active":true)"));
    EXPECT_EQ(std::count_if(s.findings.begin(), s.findings.end(),
                            [](const Finding& f) { return f.location == "users[0].email"; }),
              1)
        << dump(s);
}

TEST(Schema, WrongTypesAreErrors) {
    Snapshot s = parse_and_validate(user_json(
        R"("hris_id":17,"first_name":"A","last_name":"B","email":"a@b.co","active":"yes","departments":"Sales")"));
    EXPECT_TRUE(has_finding(s, Severity::error, "users[0].hris_id", "expected a string, found a number")) << dump(s);
    EXPECT_TRUE(has_finding(s, Severity::error, "users[0].active", "expected true or false")) << dump(s);
    EXPECT_TRUE(has_finding(s, Severity::error, "users[0].departments", "expected an array")) << dump(s);
}

TEST(Schema, BadEmailIsLocated) {
    Snapshot s =
        parse_and_validate(user_json(R"("hris_id":"A","first_name":"A","last_name":"B","email":"bob@","active":true)"));
    EXPECT_TRUE(has_finding(s, Severity::error, "users[0].email", "\"bob@\" is not an email address")) << dump(s);
}

TEST(Schema, BadDepartmentPathIsLocated) {
    Snapshot s = parse_and_validate(user_json(std::string(base) + R"(,"departments":["Sales >> EMEA", 5])"));
    EXPECT_TRUE(has_finding(s, Severity::error, "users[0].departments", "\"Sales >> EMEA\" is not a department path"))
        << dump(s);
    EXPECT_TRUE(has_finding(s, Severity::error, "users[0].departments[1]", "expected a string")) << dump(s);
}

TEST(Schema, ProfileImageNeedsUrlAndManagerNeedsHrisId) {
    Snapshot s =
        parse_and_validate(user_json(std::string(base) + R"(,"profile_image":{"cache_info":"x"},"manager":{})"));
    EXPECT_TRUE(has_finding(s, Severity::error, "users[0].profile_image.url", "missing")) << dump(s);
    EXPECT_TRUE(has_finding(s, Severity::error, "users[0].manager.hris_id", "missing")) << dump(s);
}

TEST(Schema, DuplicatesAreReportedOnEveryOccurrence) {
    Snapshot s = parse_and_validate(R"({"users":[
        {"hris_id":"A","first_name":"A","last_name":"A","email":"Same@Example.com","active":true},
        {"hris_id":"B","first_name":"B","last_name":"B","email":"b@example.com","active":true},
        {"hris_id":"A","first_name":"C","last_name":"C","email":"same@example.COM","active":true}]})");
    EXPECT_TRUE(has_finding(s, Severity::error, "users[2].hris_id", "also used by users[0]")) << dump(s);
    EXPECT_TRUE(has_finding(s, Severity::error, "users[0].hris_id", "also used by users[2]")) << dump(s);
    EXPECT_TRUE(has_finding(s, Severity::error, "users[2].email", "also used by users[0]")) << dump(s);
    for (const auto& f : errors_of(s)) EXPECT_NE(f.record, 1) << "user B is fine: " << f.message;
}

TEST(Schema, UnknownKeysAreWarningsNotErrors) {
    Snapshot s =
        parse_and_validate(R"({"users":[{"hris_id":"A","first_name":"A","last_name":"A","email":"a@example.com",
        "active":true,"nickname":"Al"}],"sent_by":"hris"})");
    EXPECT_TRUE(errors_of(s).empty()) << dump(s);
    EXPECT_TRUE(has_finding(s, Severity::warning, "users[0].nickname", "ignored")) << dump(s);
    EXPECT_TRUE(has_finding(s, Severity::warning, "sent_by", "ignored")) << dump(s);
}

TEST(Schema, PayloadShapeErrorsConcernTheWholeSnapshot) {
    Snapshot not_object = parse_snapshot_json("[1,2]");
    ASSERT_EQ(errors_of(not_object).size(), 1u);
    EXPECT_EQ(errors_of(not_object)[0].record, -1);
    Snapshot no_users = parse_snapshot_json("{}");
    EXPECT_TRUE(has_finding(no_users, Severity::error, "users", "required field users is missing"));
    Snapshot users_not_array = parse_snapshot_json(R"({"users":{}})");
    EXPECT_TRUE(has_finding(users_not_array, Severity::error, "users", "expected an array"));
    Snapshot user_not_object = parse_snapshot_json(R"({"users":["x"]})");
    EXPECT_TRUE(has_finding(user_not_object, Severity::error, "users[0]", "expected a user object"));
}

TEST(Schema, MalformedJsonNamesTheByteOffset) {
    try {
        parse_snapshot_json(R"({"users": [ {"hris_id": "A",, } ]})");
        FAIL() << "malformed JSON was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("malformed JSON at byte 29"), std::string::npos) << e.what();
    }
}

TEST(Validation, Emails) {
    for (const char* good : {"a@b.co", "first.last+tag@sub.example.com", "x_y@example.io"})
        EXPECT_TRUE(is_valid_email(good)) << good;
    for (const char* bad :
         {"", "a", "a@", "@b.co", "a@b", "a b@c.co", "a@@b.co", "a@b..co", ".a@b.co", "a@-b.co", "a@b.co,"})
        EXPECT_FALSE(is_valid_email(bad)) << bad;
}

TEST(Validation, DepartmentPaths) {
    EXPECT_EQ(normalize_department_path("Engineering>Mobile Team"), "Engineering > Mobile Team");
    EXPECT_EQ(normalize_department_path("  Sales  >  EMEA > DACH "), "Sales > EMEA > DACH");
    EXPECT_EQ(normalize_department_path("Finance"), "Finance");
    EXPECT_FALSE(normalize_department_path(""));
    EXPECT_FALSE(normalize_department_path("Sales >> EMEA"));
    EXPECT_FALSE(normalize_department_path("> Sales"));
    EXPECT_FALSE(normalize_department_path("Sales > "));
}

TEST(Validation, LocationsUseFieldLabelsWhenASourceGivesThem) {
    Snapshot s;
    s.field_labels["email"] = "column \"Work Email\"";
    User u;
    u.hris_id = "A";
    u.first_name = "A";
    u.last_name = "B";
    u.email = "nope";
    u.origin = "employees.csv:4312";
    s.users.push_back(u);
    validate_records(s);
    EXPECT_TRUE(
        has_finding(s, Severity::error, "employees.csv:4312 column \"Work Email\"", "\"nope\" is not an email address"))
        << dump(s);
}

TEST(Validation, ALargeSnapshotGetsItsFindingsInRecordOrder) {
    // Large enough to be checked on two threads; the order must be that of
    // one pass over the records.
    Snapshot s;
    for (int i = 0; i < 60000; ++i) {
        User u;
        u.hris_id = "H" + std::to_string(i);
        u.first_name = "F";
        u.last_name = "L";
        u.email = "p" + std::to_string(i) + "@example.com";
        u.origin = "r" + std::to_string(i);
        s.users.push_back(u);
    }
    s.users.edit(10, [&](User& u) { u.email = "bad"; });
    s.users.edit(30000, [&](User& u) { u.hris_id = "H10"; });                    // duplicate of record 10
    s.users.edit(30000, [&](User& u) { u.email = "P5@example.com"; });           // duplicate of record 5, case aside
    s.users.edit(30000, [&](User& u) { u.first_name = ""; });                    // and its own error
    s.users.edit(59999, [&](User& u) { u.departments = {"Sales >  > Team"}; });  // an empty level
    validate_records(s);
    std::vector<std::string> got;
    for (const auto& f : s.findings) got.push_back(f.location + ": " + f.message);
    EXPECT_EQ(got, (std::vector<std::string>{
                       "r10.email: \"bad\" is not an email address",
                       "r30000.first_name: required field first_name is missing or empty",
                       "r30000.hris_id: hris_id \"H10\" is also used by r10",
                       "r10.hris_id: hris_id \"H10\" is also used by r30000",
                       "r30000.email: email \"P5@example.com\" is also used by r5",
                       "r5.email: email \"p5@example.com\" is also used by r30000",
                       "r59999.departments: \"Sales >  > Team\" is not a department path: a level between \">\" is "
                       "empty",
                   }));
    ASSERT_EQ(s.findings.size(), 7u);
    EXPECT_EQ(s.findings[3].record, 10);
    EXPECT_EQ(s.findings[2].record, 30000);
}

}  // namespace
}  // namespace peoplesync
