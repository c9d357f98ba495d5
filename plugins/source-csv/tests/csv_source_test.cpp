// Mapping: columns by header, the active flag, value maps, departments and
// managers, and the sample export with the sample configuration.
#include <sstream>

#include "csv_test_fixture.hpp"

namespace peoplesync::csv_test {
namespace {

using MapsCsv = CsvSourceTest;

const char* const hr_header =
    "Worker ID,Employee No,First Name,Last Name,Work Email,Job Title,Department,Manager,Status,Hire Date,Phone,Photo\n";
const char* const hr_columns =
    "columns:\n"
    "  hris_id: Worker ID\n"
    "  employee_id: Employee No\n"
    "  first_name: First Name\n"
    "  last_name: Last Name\n"
    "  email: Work Email\n"
    "  job_title: Job Title\n"
    "  departments: Department\n"
    "  manager: Manager\n"
    "  active: Status\n"
    "  hire_date: Hire Date\n"
    "  phone_number: Phone\n"
    "  profile_image: Photo\n";

TEST_F(MapsCsv, EveryFieldFromItsMappedColumn) {
    write("hr.csv", std::string(hr_header) +
                        "W-1,E1,Ada,Lovelace,ada@example.com,CEO,Executive,,yes,2012-03-01,+1 415,https://img/1.png\n");
    Snapshot s = read("path: hr.csv\n" + std::string(hr_columns));
    ASSERT_EQ(s.users.size(), 1u);
    const UserView u = s.users[0];
    EXPECT_EQ(u.hris_id, "W-1");
    EXPECT_EQ(u.employee_id, "E1");
    EXPECT_EQ(u.first_name, "Ada");
    EXPECT_EQ(u.last_name, "Lovelace");
    EXPECT_EQ(u.email, "ada@example.com");
    EXPECT_EQ(u.job_title, "CEO");
    EXPECT_EQ(u.departments, std::vector<std::string>{"Executive"});
    EXPECT_EQ(u.manager_hris_id, "");
    EXPECT_TRUE(u.active);
    EXPECT_EQ(u.hire_date, "2012-03-01");
    EXPECT_EQ(u.phone_number, "+1 415");
    EXPECT_EQ(u.profile_image.url, "https://img/1.png");
    EXPECT_TRUE(s.findings.empty());
    EXPECT_EQ(s.field_labels.at("email"), "column \"Work Email\"");
    EXPECT_EQ(s.field_labels.at("active"), "column \"Status\"");
    EXPECT_EQ(s.field_labels.at("profile_image"), "column \"Photo\"");
    EXPECT_EQ(s.field_labels.size(), 12u);
    EXPECT_EQ(s.locate(u, "email"), "hr.csv:2 column \"Work Email\"");
}

TEST_F(MapsCsv, UnmappedFieldsUseAColumnNamedAfterThemOrStayEmpty) {
    write("people.csv", "email,hris_id,first_name,last_name,job_title,Other\nada@example.com,1,Ada,Lovelace,CEO,x\n");
    Snapshot s = read("path: people.csv\n");
    ASSERT_EQ(s.users.size(), 1u);
    EXPECT_EQ(s.users[0].email, "ada@example.com");
    EXPECT_EQ(s.users[0].job_title, "CEO");
    EXPECT_EQ(s.users[0].phone_number, "");
    EXPECT_EQ(s.field_labels.count("phone_number"), 0u);
    EXPECT_EQ(s.field_labels.at("job_title"), "column \"job_title\"");
    ASSERT_FALSE(host().lines.empty());
    EXPECT_NE(std::find(host().lines.begin(), host().lines.end(),
                        "info: people.csv: no column for phone_number, employee_id, hire_date, profile_image, "
                        "departments, active, manager; they are read as empty"),
              host().lines.end());
}

TEST_F(MapsCsv, ActiveAcceptsTheUsualYesNoWordsInAnyCase) {
    std::string text = std::string(plain_header).insert(std::string(plain_header).size() - 1, ",active");
    const std::vector<std::pair<std::string, bool>> cases = {
        {"true", true},   {"TRUE", true},   {"yes", true}, {"Yes", true}, {"1", true},  {"Active", true},
        {"false", false}, {"False", false}, {"no", false}, {"NO", false}, {"0", false}, {"inactive", false}};
    for (std::size_t i = 0; i < cases.size(); ++i)
        text += std::to_string(i) + ",A,B,u" + std::to_string(i) + "@example.com, " + cases[i].first + " \n";
    write("people.csv", text);
    Snapshot s = read("path: people.csv\n");
    ASSERT_EQ(s.users.size(), cases.size());
    for (std::size_t i = 0; i < cases.size(); ++i) EXPECT_EQ(s.users[i].active, cases[i].second) << cases[i].first;
    EXPECT_TRUE(s.findings.empty());
}

TEST_F(MapsCsv, ValueMapsForActiveMatchTrimmedAndCaseInsensitively) {
    write("people.csv",
          "hris_id,first_name,last_name,email,Status\n"
          "1,A,B,a@example.com,Active\n"
          "2,A,B,b@example.com, on leave \n"
          "3,A,B,c@example.com,TERMINATED\n");
    Snapshot s = read(
        "path: people.csv\ncolumns: {active: Status}\n"
        "values:\n  active: {Active: true, \"On Leave\": true, Terminated: false}\n");
    ASSERT_EQ(s.users.size(), 3u);
    EXPECT_TRUE(s.users[0].active);
    EXPECT_TRUE(s.users[1].active);
    EXPECT_FALSE(s.users[2].active);
    EXPECT_TRUE(s.findings.empty());
}

TEST_F(MapsCsv, ValueMapsForTextFieldsReplaceTheValue) {
    write("people.csv",
          "hris_id,first_name,last_name,email,job_title,Site\n"
          "1,A,B,a@example.com,SWE,\n"
          "2,A,B,b@example.com,swe2,x\n");
    Snapshot s =
        read("path: people.csv\nvalues:\n  job_title: {SWE: Software Engineer, SWE2: Senior Software Engineer}\n");
    ASSERT_EQ(s.users.size(), 2u);
    EXPECT_EQ(s.users[0].job_title, "Software Engineer");
    EXPECT_EQ(s.users[1].job_title, "Senior Software Engineer");
    EXPECT_TRUE(s.findings.empty());
}

TEST_F(MapsCsv, AnEmptyCellStaysEmptyUnlessTheValueMapNamesIt) {
    write("people.csv", "hris_id,first_name,last_name,email,job_title\n1,A,B,a@example.com,\n");
    EXPECT_EQ(read("path: people.csv\nvalues: {job_title: {SWE: Engineer}}\n").users.at(0).job_title, "");
    EXPECT_EQ(read("path: people.csv\nvalues: {job_title: {SWE: Engineer, \"\": Staff}}\n").users.at(0).job_title,
              "Staff");
}

TEST_F(MapsCsv, SeveralDepartmentsInOneCell) {
    write("people.csv",
          "hris_id,first_name,last_name,email,departments\n"
          "1,A,B,a@example.com,Engineering > Platform | Sales\n"
          "2,A,B,b@example.com,\n"
          "3,A,B,c@example.com,Support||\n");
    Snapshot s = read("path: people.csv\n");
    ASSERT_EQ(s.users.size(), 3u);
    EXPECT_EQ(s.users[0].departments, (std::vector<std::string>{"Engineering > Platform", "Sales"}));
    EXPECT_TRUE(s.users[1].departments.empty());
    EXPECT_EQ(s.users[2].departments, std::vector<std::string>{"Support"});
}

TEST_F(MapsCsv, DepartmentSeparatorAndLevelSeparator) {
    write("people.csv",
          "hris_id,first_name,last_name,email,Dept\n"
          "1,A,B,a@example.com,Engineering/Platform/Storage; Sales /EMEA\n"
          "2,A,B,b@example.com,Support\n");
    Snapshot s = read(
        "path: people.csv\ncolumns: {departments: Dept}\ndepartment_separator: \";\"\n"
        "department_level_separator: /\n");
    ASSERT_EQ(s.users.size(), 2u);
    EXPECT_EQ(s.users[0].departments, (std::vector<std::string>{"Engineering > Platform > Storage", "Sales > EMEA"}));
    EXPECT_EQ(s.users[1].departments, std::vector<std::string>{"Support"});
}

TEST_F(MapsCsv, DepartmentValueMapsApplyToEachDepartment) {
    write("people.csv",
          "hris_id,first_name,last_name,email,departments\n"
          "1,A,B,a@example.com,ENG|mob\n");
    Snapshot s = read("path: people.csv\nvalues:\n  departments: {ENG: Engineering, MOB: Engineering > Mobile}\n");
    ASSERT_EQ(s.users.size(), 1u);
    EXPECT_EQ(s.users[0].departments, (std::vector<std::string>{"Engineering", "Engineering > Mobile"}));
}

// Beyond a handful of keys the map is hashed; matching stays case-insensitive.
TEST_F(MapsCsv, LargeValueMaps) {
    std::string yaml = "path: people.csv\nvalues:\n  departments:\n";
    for (int i = 1; i <= 12; ++i) yaml += "    D" + std::to_string(i) + ": Dept " + std::to_string(i) + "\n";
    write("people.csv",
          "hris_id,first_name,last_name,email,departments\n"
          "1,A,B,a@example.com,d1|D12| d7 \n"
          "2,A,B,b@example.com,D13\n");
    Snapshot s = read(yaml);
    ASSERT_EQ(s.users.size(), 2u);
    EXPECT_EQ(s.users[0].departments, (std::vector<std::string>{"Dept 1", "Dept 12", "Dept 7"}));
    EXPECT_TRUE(s.users[1].departments.empty());
    EXPECT_EQ(findings(s), std::vector<std::string>{"error #1 people.csv:3 column \"departments\": \"D13\" is not in "
                                                    "values.departments (known: D1, D2, D3, D4, D5, D6, D7, D8, D9, "
                                                    "D10, … (12 in all))"});
}

TEST_F(MapsCsv, ManagerByHrisIdIsPassedThrough) {
    write("people.csv",
          "hris_id,first_name,last_name,email,manager\n"
          "1,A,B,a@example.com,\n"
          "2,A,B,b@example.com,1\n"
          "3,A,B,c@example.com,X-NOT-HERE\n");
    Snapshot s = read("path: people.csv\n");
    ASSERT_EQ(s.users.size(), 3u);
    EXPECT_EQ(s.users[0].manager_hris_id, "");
    EXPECT_EQ(s.users[1].manager_hris_id, "1");
    EXPECT_EQ(s.users[2].manager_hris_id, "X-NOT-HERE");  // the core resolves it against the destination too
    EXPECT_TRUE(s.findings.empty());
}

TEST_F(MapsCsv, ManagerByEmployeeIdBecomesTheManagersHrisId) {
    write("people.csv",
          "hris_id,employee_id,first_name,last_name,email,Boss\n"
          "W-1,E1,A,B,a@example.com,\n"
          "W-2,E2,A,B,b@example.com,E1\n"
          "W-3,E3,A,B,c@example.com,E2\n"
          "W-4,E4,A,B,d@example.com,E999\n"
          "W-5,E5,A,B,e@example.com,W-1\n");
    Snapshot s = read("path: people.csv\ncolumns: {manager: Boss}\nmanager_by: employee_id\n");
    ASSERT_EQ(s.users.size(), 5u);
    EXPECT_EQ(s.users[0].manager_hris_id, "");
    EXPECT_EQ(s.users[1].manager_hris_id, "W-1");
    EXPECT_EQ(s.users[2].manager_hris_id, "W-2");
    EXPECT_EQ(s.users[3].manager_hris_id, "");
    EXPECT_EQ(s.users[4].manager_hris_id, "");  // an hris_id is not an employee_id
    EXPECT_EQ(findings(s), (std::vector<std::string>{
                               "warning #3 people.csv:5 column \"Boss\": manager \"E999\" (employee_id) is not in the "
                               "file; the manager stays unset",
                               "warning #4 people.csv:6 column \"Boss\": manager \"W-1\" (employee_id) is not in the "
                               "file; the manager stays unset"}));
}

TEST_F(MapsCsv, ManagerByEmailMatchesCaseInsensitively) {
    write("people.csv",
          "hris_id,first_name,last_name,email,manager\n"
          "W-1,A,B,Boss@Example.com,\n"
          "W-2,A,B,b@example.com,boss@example.COM\n"
          "W-3,A,B,c@example.com,nobody@example.com\n");
    Snapshot s = read("path: people.csv\nmanager_by: email\n");
    ASSERT_EQ(s.users.size(), 3u);
    EXPECT_EQ(s.users[1].manager_hris_id, "W-1");
    EXPECT_EQ(s.users[2].manager_hris_id, "");
    EXPECT_EQ(findings(s), std::vector<std::string>{"warning #2 people.csv:4 column \"manager\": manager "
                                                    "\"nobody@example.com\" (email) is not in the file; the manager "
                                                    "stays unset"});
}

TEST_F(MapsCsv, ManagerByEmployeeIdThatSeveralRowsShareStaysUnset) {
    write("people.csv",
          "hris_id,employee_id,first_name,last_name,email,manager\n"
          "W-1,E1,A,B,a@example.com,\n"
          "W-2,E1,A,B,b@example.com,\n"
          "W-3,E3,A,B,c@example.com,E1\n"
          "W-4,E4,A,B,d@example.com,E3\n");
    Snapshot s = read("path: people.csv\nmanager_by: employee_id\n");
    ASSERT_EQ(s.users.size(), 4u);
    EXPECT_EQ(s.users[2].manager_hris_id, "");
    EXPECT_EQ(s.users[3].manager_hris_id, "W-3");
    EXPECT_EQ(findings(s), std::vector<std::string>{"warning #2 people.csv:4 column \"manager\": manager \"E1\" "
                                                    "(employee_id) matches several rows (lines 2 and 3); the manager "
                                                    "stays unset"});
}

TEST_F(MapsCsv, ManagerWhoseRowHasNoHrisIdStaysUnset) {
    write("people.csv",
          "hris_id,employee_id,first_name,last_name,email,manager\n"
          ",E1,A,B,a@example.com,\n"
          "W-2,E2,A,B,b@example.com,e1\n"
          "W-3,E3,A,B,c@example.com,E1\n");
    Snapshot s = read("path: people.csv\nmanager_by: employee_id\n");
    ASSERT_EQ(s.users.size(), 3u);
    EXPECT_EQ(s.users[1].manager_hris_id, "");
    EXPECT_EQ(s.users[2].manager_hris_id, "");
    EXPECT_EQ(findings(s), (std::vector<std::string>{
                               "warning #1 people.csv:3 column \"manager\": manager \"e1\" (employee_id) is not in "
                               "the file; the manager stays unset",  // employee_ids match exactly
                               "warning #2 people.csv:4 column \"manager\": manager \"E1\" (employee_id) is on line "
                               "2, which has no hris_id; the manager stays unset"}));
}

TEST_F(MapsCsv, TheSampleExportWithTheSampleConfiguration) {
    fs::copy_file(fs::path(PEOPLESYNC_SAMPLES_DIR) / "employees.csv", dir() / "employees.csv");
    Snapshot s = read(
        "path: employees.csv\n"
        "columns:\n"
        "  hris_id: Worker ID\n"
        "  employee_id: Employee No\n"
        "  first_name: First Name\n"
        "  last_name: Last Name\n"
        "  email: Work Email\n"
        "  job_title: Job Title\n"
        "  departments: Department\n"
        "  manager: Manager Employee No\n"
        "  active: Employment Status\n"
        "  hire_date: Hire Date\n"
        "  phone_number: Work Phone\n"
        "manager_by: employee_id\n"
        "department_separator: \"|\"\n"
        "values:\n"
        "  active: {Active: true, \"On Leave\": true, Terminated: false}\n");
    ASSERT_EQ(s.users.size(), 50u);
    EXPECT_TRUE(s.findings.empty()) << findings(s).front();
    auto find = [&](const std::string& id) -> UserView {
        for (const auto& u : s.users)
            if (u.hris_id == id) return u;
        throw std::runtime_error("no user " + id);
    };
    EXPECT_EQ(find("W-10002").manager_hris_id, "W-10001");
    EXPECT_EQ(find("W-10002").first_name, "José");
    EXPECT_EQ(find("W-10007").job_title, "Director, Platform");
    EXPECT_EQ(find("W-10015").active, true);   // On Leave
    EXPECT_EQ(find("W-10022").active, false);  // Terminated
    EXPECT_EQ(find("W-10016").departments,
              (std::vector<std::string>{"Engineering > Platform > Networking", "Engineering > Platform > Storage"}));
    EXPECT_EQ(find("W-10046").job_title, "Product Designer, \"Mobile\"");
    EXPECT_EQ(find("W-10046").origin, "employees.csv:47");
    EXPECT_EQ(find("W-10005").phone_number, "+45 3555 0104");  // no CR from the CRLF line end
}

TEST_F(MapsCsv, AHeaderWithoutRowsIsAnEmptySnapshot) {
    write("people.csv", plain_header);
    Snapshot s = read("path: people.csv\n");
    EXPECT_TRUE(s.users.empty());
    EXPECT_TRUE(s.findings.empty());
    EXPECT_EQ(s.field_labels.at("email"), "column \"email\"");
}

// Beyond the table (tests/e2e/option_docs_test.cpp checks it with every
// plugin's), the csv README explains each option in a section of its own.
TEST(CsvReadme, ExplainsEveryOptionInASection) {
    std::ifstream in(PEOPLESYNC_CSV_README);
    ASSERT_TRUE(in) << PEOPLESYNC_CSV_README;
    std::stringstream text;
    text << in.rdbuf();
    const std::string readme = text.str();
    const auto& loaded = testing::built_plugins().find(PluginKind::source, "csv");
    ASSERT_FALSE(loaded.options.empty());
    for (const auto& option : loaded.options) {
        EXPECT_NE(readme.find("### `" + option.name + "`"), std::string::npos) << option.name << " has no section";
    }
}

}  // namespace
}  // namespace peoplesync::csv_test
