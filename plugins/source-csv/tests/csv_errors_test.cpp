// Bad input: files that cannot be read at all (thrown, naming the file and
// line), rows that cannot be used (record findings naming file, line and
// column) and configurations that cannot work (naming the YAML place).
#include "csv_test_fixture.hpp"

namespace peoplesync::csv_test {
namespace {

using RefusesFile = CsvSourceTest;
using FlagsRecord = CsvSourceTest;
using RefusesConfig = CsvSourceTest;

TEST_F(RefusesFile, MissingMappedColumn) {
    write("people.csv", "hris_id,first_name,last_name,Email\n1,A,B,a@example.com\n");
    EXPECT_EQ(read_error("path: people.csv\ncolumns: {email: Work Email}\n"),
              "people.csv: line 1: no column \"Work Email\" for email (the header has: \"hris_id\", \"first_name\", "
              "\"last_name\", \"Email\")");
    EXPECT_EQ(read_error("path: people.csv\ncolumns: {email: Email, job_title: Title}\n"),
              "people.csv: line 1: no column \"Title\" for job_title (the header has: \"hris_id\", \"first_name\", "
              "\"last_name\", \"Email\")");
}

TEST_F(RefusesFile, RequiredFieldWithoutAColumn) {
    write("people.csv", "title line\nhris_id,first_name,last_name\n1,A,B\n");
    EXPECT_EQ(read_error("path: people.csv\nheader_line: 2\n"),
              "people.csv: line 2: no column \"email\" for email (the header has: \"hris_id\", \"first_name\", "
              "\"last_name\"); name its column in columns.email");
}

TEST_F(RefusesFile, ManagerByEmployeeIdWithoutAnEmployeeIdColumn) {
    write("people.csv", std::string("hris_id,first_name,last_name,email,manager\n") + "1,A,B,a@example.com,E1\n");
    EXPECT_EQ(read_error("path: people.csv\nmanager_by: employee_id\n"),
              "people.csv: line 1: no column \"employee_id\" for employee_id, which manager_by: employee_id needs to "
              "find managers (the header has: \"hris_id\", \"first_name\", \"last_name\", \"email\", \"manager\")");
}

TEST_F(RefusesFile, DuplicateHeader) {
    write("people.csv", "hris_id,first_name,last_name,email,Phone, Phone \n1,A,B,a@example.com,1,2\n");
    EXPECT_EQ(read_error("path: people.csv\n"),
              "people.csv: line 1: the header names column \"Phone\" twice (columns 5 and 6)");
}

TEST_F(RefusesFile, UnterminatedQuoteNamesTheLineWhereTheFieldBegins) {
    write("people.csv", std::string(plain_header) +
                            "1,\"Ada\nA.\",Lovelace,ada@example.com\n"
                            "2,Alan,\"Turing\n"
                            "3,Grace,Hopper,grace@example.com\n");
    EXPECT_EQ(read_error("path: people.csv\n"),
              "people.csv: line 4: a quoted field starts here and is never closed (the file ends inside it)");
    write("second.csv", std::string(plain_header) + "1,\"multi\nline\",x,\"y@example.com\n");
    EXPECT_EQ(read_error("path: second.csv\n"),
              "second.csv: line 3: a quoted field starts here and is never closed (the file ends inside it)");
}

TEST_F(RefusesFile, RecordsLongerThan64MiB) {
    std::string text = std::string(plain_header) + "1,A,B,a@example.com\n2,\"";
    text += std::string((std::size_t{64} << 20) + 100, 'x');
    write("people.csv", text);
    EXPECT_EQ(read_error("path: people.csv\n"),
              "people.csv: line 3: a record is longer than 64 MiB; the quoted field that opens on line 3 probably "
              "lacks its closing quote");
}

TEST_F(RefusesFile, MissingFile) {
    auto source = make("path: missing.csv\n");  // the constructor does not look at the file
    EXPECT_EQ(read_error("path: missing.csv\n"),
              (dir() / "missing.csv").string() + ": cannot open the file: No such file or directory");
}

TEST_F(RefusesFile, FolderInsteadOfAFile) {
    fs::create_directories(dir() / "exports");
    EXPECT_EQ(read_error("path: exports\n"), (dir() / "exports").string() + ": is a folder, not a file");
}

TEST_F(RefusesFile, PatternWithoutMatch) {
    write("exports/staff-1.csv", std::string(plain_header));
    EXPECT_EQ(read_error("path: exports/people-*.csv\n"),
              "no file matches \"" + (dir() / "exports" / "people-*.csv").string() + "\"");
    EXPECT_EQ(read_error("path: nowhere/people-*.csv\n"),
              "no file matches \"" + (dir() / "nowhere" / "people-*.csv").string() + "\" (" +
                  (dir() / "nowhere").string() + ": No such file or directory)");
}

TEST_F(RefusesFile, EmptyFile) {
    write("empty.csv", "");
    write("bom.csv", "\xEF\xBB\xBF\n\n");
    write("short.csv", "one line\n");
    EXPECT_EQ(read_error("path: empty.csv\n"), "empty.csv: the file is empty; its first line must name the columns");
    EXPECT_EQ(read_error("path: bom.csv\n"), "bom.csv: the file is empty; its first line must name the columns");
    EXPECT_EQ(read_error("path: short.csv\nheader_line: 3\n"),
              "short.csv: the file ends before line 3, where header_line says the column names are");
}

TEST_F(RefusesFile, HeaderThatIsNotUtf8) {
    write("people.csv", "hris_id,Pr\xE9nom,last_name,email\n");
    EXPECT_EQ(read_error("path: people.csv\n"),
              "people.csv: line 1: the header of column 2 is not valid UTF-8 (after \"Pr\"); save the file as UTF-8");
}

TEST_F(FlagsRecord, WrongNumberOfFieldsKeepsWhatCouldBeRead) {
    write("people.csv", std::string(plain_header) +
                            "1,Ada,Lovelace,ada@example.com\n"
                            "2,Alan,Turing,alan@example.com,extra\n"
                            "3,Grace\n");
    Snapshot s = read("path: people.csv\n");
    ASSERT_EQ(s.users.size(), 3u);
    EXPECT_EQ(s.users[1].hris_id, "2");
    EXPECT_EQ(s.users[1].email, "alan@example.com");
    EXPECT_EQ(s.users[2].hris_id, "3");
    EXPECT_EQ(s.users[2].email, "");
    EXPECT_EQ(findings(s),
              (std::vector<std::string>{"error #1 people.csv:3: the row has 5 fields but the header has 4; a delimiter "
                                        "or a quote is probably missing or extra",
                                        "error #2 people.csv:4: the row has 2 fields but the header has 4; a delimiter "
                                        "or a quote is probably missing or extra"}));
}

TEST_F(FlagsRecord, ValueMissingFromAValueMap) {
    write("people.csv",
          "hris_id,first_name,last_name,email,Status,job_title,departments\n"
          "1,A,B,a@example.com,Retired,SWE,ENG\n"
          "2,A,B,b@example.com,,Chef,ENG|Kitchen\n");
    Snapshot s = read(
        "path: people.csv\ncolumns: {active: Status}\nvalues:\n"
        "  active: {Active: true, \"On Leave\": true, Terminated: false}\n"
        "  job_title: {SWE: Software Engineer}\n"
        "  departments: {ENG: Engineering}\n");
    ASSERT_EQ(s.users.size(), 2u);
    EXPECT_TRUE(s.users[0].active);  // unreadable: never a deactivation
    EXPECT_TRUE(s.users[1].active);
    EXPECT_EQ(s.users[1].job_title, "");
    EXPECT_EQ(s.users[1].departments, std::vector<std::string>{"Engineering"});
    EXPECT_EQ(
        findings(s),
        (std::vector<std::string>{
            "error #0 people.csv:2 column \"Status\": \"Retired\" is not in values.active (known: Active, On "
            "Leave, Terminated)",
            // A record's fields in the schema table's order.
            "error #1 people.csv:3 column \"job_title\": \"Chef\" is not in values.job_title (known: SWE)",
            "error #1 people.csv:3 column \"departments\": \"Kitchen\" is not in values.departments (known: "
            "ENG)",
            "error #1 people.csv:3 column \"Status\": the value is empty (known: Active, On Leave, Terminated)"}));
}

TEST_F(FlagsRecord, BadBoolean) {
    write("people.csv",
          "hris_id,first_name,last_name,email,active\n"
          "1,A,B,a@example.com,maybe\n"
          "2,A,B,b@example.com,\n"
          "3,A,B,c@example.com,no\n");
    Snapshot s = read("path: people.csv\n");
    ASSERT_EQ(s.users.size(), 3u);
    EXPECT_TRUE(s.users[0].active);
    EXPECT_TRUE(s.users[1].active);
    EXPECT_FALSE(s.users[2].active);
    EXPECT_EQ(findings(s),
              (std::vector<std::string>{
                  "error #0 people.csv:2 column \"active\": \"maybe\" is not a yes/no value; expected true, false, "
                  "yes, no, 1, 0, active or inactive, or a value map in values.active",
                  "error #1 people.csv:3 column \"active\": the value is empty; expected true, false, yes, no, 1, 0, "
                  "active or inactive, or a value map in values.active"}));
}

TEST_F(FlagsRecord, InvalidUtf8InAUsedCell) {
    write("people.csv",
          "hris_id,first_name,last_name,email,Notes\n"
          "1,Jos\xE9,B,a@example.com,fine\n"
          "2,A,over\xC0\xAFlong,b@example.com,fine\n"
          "3,A,B,c@example.com,Unused \xFF column\n"
          "4,Zo\xC3\xAB,cut\xE2\x82,d@example.com,x\n"
          "5,A,\xED\xA0\x80,e@example.com,x\n");
    Snapshot s = read("path: people.csv\n");
    ASSERT_EQ(s.users.size(), 5u);
    EXPECT_EQ(s.users[0].first_name, "Jos\xEF\xBF\xBD");
    EXPECT_EQ(s.users[3].first_name, "Zo\xC3\xAB");
    EXPECT_EQ(findings(s),
              (std::vector<std::string>{
                  "error #0 people.csv:2 column \"first_name\": the value is not valid UTF-8 (byte 0xE9 after "
                  "\"Jos\"); save the file as UTF-8",
                  "error #1 people.csv:3 column \"last_name\": the value is not valid UTF-8 (byte 0xC0 after "
                  "\"over\"); save the file as UTF-8",
                  "error #3 people.csv:5 column \"last_name\": the value is not valid UTF-8 (byte 0xE2 after "
                  "\"cut\"); save the file as UTF-8",
                  "error #4 people.csv:6 column \"last_name\": the value is not valid UTF-8 (byte 0xED after \"\"); "
                  "save the file as UTF-8"}));
}

TEST_F(FlagsRecord, TextAfterAClosingQuote) {
    write("people.csv", std::string(plain_header) +
                            "1,\"Ada\" Byron,Lovelace,ada@example.com\n"
                            "2,\"Alan\"  ,Turing,alan@example.com\n");
    Snapshot s = read("path: people.csv\n");
    ASSERT_EQ(s.users.size(), 2u);
    EXPECT_EQ(s.users[0].first_name, "Ada Byron");
    EXPECT_EQ(s.users[1].first_name, "Alan");  // blanks after the quote are fine
    EXPECT_EQ(findings(s), std::vector<std::string>{"error #0 people.csv:2 column \"first_name\": text follows the "
                                                    "closing quote (\"Ada Byron\"); quote the whole value and double "
                                                    "the quotes inside it"});
}

TEST_F(RefusesConfig, UnknownFieldInColumns) {
    EXPECT_EQ(config_error("path: people.csv\ncolumns:\n  email: Work Email\n  emial: Mail\n"),
              "source.yaml:4:10: columns.emial: \"emial\" is not a field (fields: hris_id, first_name, last_name, "
              "email, job_title, phone_number, employee_id, hire_date, profile_image, departments, active, manager)");
}

TEST_F(RefusesConfig, ColumnWithoutAHeader) {
    EXPECT_EQ(config_error("path: people.csv\ncolumns:\n  email:\n"),
              "source.yaml:3:3: columns.email: give the header of the column that holds email");
    EXPECT_EQ(config_error("path: people.csv\ncolumns: {email: [a, b]}\n"),
              "source.yaml:2:18: columns.email: give the header of the column that holds email");
}

TEST_F(RefusesConfig, DelimiterOfTwoCharacters) {
    EXPECT_EQ(config_error("path: people.csv\ndelimiter: \";;\"\n"),
              "source.yaml:2:12: delimiter: the delimiter is one character (or \"tab\"), found \";;\"");
    EXPECT_EQ(config_error("path: people.csv\ndelimiter: '\"'\n"),
              "source.yaml:2:12: delimiter: a quote or a line break cannot separate fields");
}

TEST_F(RefusesConfig, UnknownManagerBy) {
    EXPECT_EQ(config_error("path: people.csv\nmanager_by: boss\n"),
              "source.yaml:2:13: manager_by: \"boss\" is not one of: hris_id, employee_id, email");
}

TEST_F(RefusesConfig, UnknownOptionAndMissingPath) {
    EXPECT_EQ(config_error("path: people.csv\nskip_rows: 2\n").rfind("source.yaml:2:12: skip_rows: unknown option", 0),
              0u);
    EXPECT_NE(config_error("delimiter: \";\"\n").find("missing required option \"path\""), std::string::npos);
}

TEST_F(RefusesConfig, BadValueMaps) {
    EXPECT_EQ(config_error("path: people.csv\nvalues:\n  actve: {Active: true}\n"),
              "source.yaml:3:10: values.actve: \"actve\" is not a field (fields: hris_id, first_name, last_name, "
              "email, job_title, phone_number, employee_id, hire_date, profile_image, departments, active, manager)");
    EXPECT_EQ(config_error("path: people.csv\nvalues:\n  active: {Active: maybe}\n"),
              "source.yaml:3:20: values.active.Active: expected true or false, found \"maybe\"");
    EXPECT_EQ(config_error("path: people.csv\nvalues:\n  active: {Active: true, ACTIVE: false}\n"),
              "source.yaml:3:34: values.active.ACTIVE: \"ACTIVE\" appears twice (values match case-insensitively)");
    EXPECT_EQ(config_error("path: people.csv\nvalues:\n  job_title: [a]\n"),
              "source.yaml:3:14: values.job_title: expected a map of values as they appear in the file to what they "
              "mean, e.g. {Active: true}");
}

TEST_F(RefusesConfig, WildcardsOnlyInTheFileName) {
    EXPECT_EQ(config_error("path: exports-*/people.csv\n"),
              "source.yaml:1:7: path: wildcards (* and ?) are allowed in the file name only, not in folder names");
}

TEST_F(RefusesConfig, LevelSeparatorSameAsDepartmentSeparator) {
    EXPECT_EQ(config_error("path: people.csv\ndepartment_separator: /\ndepartment_level_separator: /\n"),
              "source.yaml:3:29: department_level_separator: the level separator is also the department separator "
              "(\"/\"); they must differ");
}

TEST_F(RefusesConfig, HeaderLineBelowOne) {
    EXPECT_EQ(config_error("path: people.csv\nheader_line: 0\n"),
              "source.yaml:2:14: header_line: 0 is out of range [1, 1000000]");
}

}  // namespace
}  // namespace peoplesync::csv_test
