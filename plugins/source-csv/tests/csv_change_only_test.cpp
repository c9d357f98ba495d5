// Change-only reads: scan() splits the file into records with a hash and an
// origin each, read_records() parses the records at some positions of that
// scan exactly as read() parses them.
#include <algorithm>
#include <numeric>
#include <random>

#include "csv_test_fixture.hpp"

namespace peoplesync::csv_test {
namespace {

std::vector<std::int64_t> all_positions(const RecordScan& scan) {
    std::vector<std::int64_t> positions(scan.hashes.size());
    std::iota(positions.begin(), positions.end(), 0);
    return positions;
}

void expect_same_user(const UserView& a, const UserView& b) {
    EXPECT_EQ(a.hris_id, b.hris_id) << b.origin;
    EXPECT_EQ(a.first_name, b.first_name) << b.origin;
    EXPECT_EQ(a.last_name, b.last_name) << b.origin;
    EXPECT_EQ(a.email, b.email) << b.origin;
    EXPECT_EQ(a.active, b.active) << b.origin;
    EXPECT_EQ(a.job_title, b.job_title) << b.origin;
    EXPECT_EQ(a.phone_number, b.phone_number) << b.origin;
    EXPECT_EQ(a.employee_id, b.employee_id) << b.origin;
    EXPECT_EQ(a.hire_date, b.hire_date) << b.origin;
    EXPECT_EQ(a.profile_image, b.profile_image) << b.origin;
    EXPECT_EQ(a.departments, b.departments) << b.origin;
    EXPECT_EQ(a.manager_hris_id, b.manager_hris_id) << b.origin;
    EXPECT_EQ(a.origin, b.origin);
}

class ChangeOnlyCsv : public CsvSourceTest {
protected:
    // Users field by field, findings, and the snapshot's metadata.
    static void expect_same_snapshot(const Snapshot& a, const Snapshot& b) {
        ASSERT_EQ(a.users.size(), b.users.size());
        for (std::size_t i = 0; i < a.users.size(); ++i) expect_same_user(a.users[i], b.users[i]);
        EXPECT_EQ(findings(a), findings(b));
        EXPECT_EQ(a.origin, b.origin);
        EXPECT_EQ(a.field_labels, b.field_labels);
    }
};

// Every quirk read() handles, in one file: a byte order mark, CRLF and LF,
// blank lines, quotes with delimiters, doubled quotes and line breaks,
// non-ASCII names, and rows with errors and warnings.
const std::string quirky_file =
    "\xEF\xBB\xBFWorker ID,Employee No,First Name,Last Name,Work Email,Status,Department,Manager,Title\r\n"
    "W-1,E1,Margaret,Okafor,margaret@example.com,Active,Executive,,CEO\r\n"
    "\r\n"
    "W-2,E2,José,Álvarez,jose@example.com,Active,\"Engineering|Sales\",E1,\"VP, Engineering\"\n"
    "W-3,E3,\"Łukasz\nJan\",Wiśniewski,lukasz@example.com,On Leave,Engineering > Platform,E2,\"The \"\"Boss\"\"\"\n"
    "\n"
    "\n"
    "W-4,E4,Ada,Lovelace,ada@example.com,Retired,Engineering,E2,Engineer\n"
    "W-5,E5,Alan,Turing,alan@example.com,Active,Engineering,E999,Engineer,extra\n"
    "W-6,E6,Gr\xE9\x63\x65,Hopper,grace@example.com,Active,Engineering,E2,\"Admiral\" of the Navy\n"
    "W-7,E7,Short\n"
    ",E8,No,Id,noid@example.com,Active,Engineering,E2,Engineer\r\n"
    "W-9,E9,Katherine,Johnson,katherine@example.com,Active,Engineering,E8,Engineer\n"
    "W-10,E1,Dup,Licate,dup@example.com,Active,Engineering,,Engineer\n"
    "W-11,E11,Dorothy,Vaughan,dorothy@example.com,Active,Engineering,E1,Engineer\n"
    " W-12 ,E12,Mary,Jackson,mary@example.com,active,Engineering,\" E2 \",\"multi\r\nline\r\ntitle\"\r\n"
    "W-13,E13,Annie,Easley,annie@example.com,Terminated,,E12,Engineer";
const std::string quirky_config =
    "path: people.csv\n"
    "columns: {hris_id: Worker ID, employee_id: Employee No, first_name: First Name, last_name: Last Name,\n"
    "          email: Work Email, active: Status, departments: Department, manager: Manager, job_title: Title}\n"
    "values: {active: {Active: true, On Leave: true, Terminated: false}}\n";

TEST_F(ChangeOnlyCsv, ReadingEveryPositionOfAScanIsRead) {
    write("people.csv", quirky_file);
    for (const char* manager_by : {"hris_id", "employee_id"}) {
        SCOPED_TRACE(manager_by);
        const std::string yaml = quirky_config + "manager_by: " + manager_by + "\n";
        const Snapshot whole = read(yaml);
        ASSERT_EQ(whole.users.size(), 13u);
        ASSERT_FALSE(whole.findings.empty());

        auto source = make(yaml);
        const std::optional<RecordScan> scan = scanner(*source).scan(context());
        ASSERT_TRUE(scan.has_value());
        ASSERT_EQ(scan->hashes.size(), whole.users.size());
        ASSERT_EQ(scan->origins.size(), whole.users.size());
        for (std::size_t i = 0; i < whole.users.size(); ++i) EXPECT_EQ(scan->origins[i], whole.users[i].origin);
        const Snapshot records = scanner(*source).read_records(all_positions(*scan), context());
        expect_same_snapshot(records, whole);
    }
    // The managers were found in the file.
    const Snapshot s = read(quirky_config + "manager_by: employee_id\n");
    EXPECT_EQ(s.users[1].manager_hris_id, "");  // E1 is on two rows
    EXPECT_EQ(s.users[2].manager_hris_id, "W-2");
    EXPECT_EQ(s.users[11].manager_hris_id, "W-2");
}

TEST_F(ChangeOnlyCsv, ReadingEveryPositionOfAScanIsReadForManagersByEmail) {
    write("people.csv",
          "hris_id,first_name,last_name,email,manager,job_title\n"
          "W-1,A,B,Boss@Example.com,,\"quoted, title\"\n"
          "W-2,A,B,\"b@example.com\",boss@example.COM,x\n"
          "W-3,A,B,c@example.com,\"B@example.com\",\"two\nlines\"\n"
          ",A,B,d@example.com,nobody@example.com,x\n"
          "W-5,A,B,e@example.com,d@example.com,x\n");
    const std::string yaml = "path: people.csv\nmanager_by: email\n";
    const Snapshot whole = read(yaml);
    auto source = make(yaml);
    const std::optional<RecordScan> scan = scanner(*source).scan(context());
    ASSERT_TRUE(scan.has_value());
    expect_same_snapshot(scanner(*source).read_records(all_positions(*scan), context()), whole);
    EXPECT_EQ(whole.users[2].manager_hris_id, "W-2");
}

TEST_F(ChangeOnlyCsv, ValueMapsApplyBeforeManagersAreFound) {
    write("people.csv",
          "hris_id,employee_id,first_name,last_name,email,manager\n"
          "W-1,one,A,B,a@example.com,\n"
          "W-2,E2,A,B,b@example.com,ONE\n"
          "W-3,E3,A,B,c@example.com,unknown\n"
          "W-4,E4,A,B,d@example.com,E2\n");
    const std::string yaml =
        "path: people.csv\nmanager_by: employee_id\n"
        "values: {employee_id: {one: E1, E2: E2, E3: E3}, manager: {one: E1, E2: E2, \"\": \"\"}}\n";
    const Snapshot whole = read(yaml);
    auto source = make(yaml);
    const std::optional<RecordScan> scan = scanner(*source).scan(context());
    ASSERT_TRUE(scan.has_value());
    expect_same_snapshot(scanner(*source).read_records(all_positions(*scan), context()), whole);
    EXPECT_EQ(whole.users[1].manager_hris_id, "W-1");
    EXPECT_EQ(whole.users[3].manager_hris_id, "W-2");
}

TEST_F(ChangeOnlyCsv, OriginsAreReadsIncludingAfterAMultiLineRecord) {
    write("people.csv", std::string(plain_header) +
                            "1,Ada,\"Love\nlace\",ada@example.com\n"
                            "\n"
                            "2,Alan,Turing,alan@example.com\r\n"
                            "3,\"Gr\r\nace\",Hopper,grace@example.com");
    auto source = make("path: people.csv\n");
    const std::optional<RecordScan> scan = scanner(*source).scan(context());
    ASSERT_TRUE(scan.has_value());
    EXPECT_EQ(scan->origins, (std::vector<std::string>{"people.csv:2", "people.csv:5", "people.csv:6"}));

    write("report.csv", "People report\n\"a \"quoted\" title\n\n" + std::string(plain_header) +
                            "1,Ada,Lovelace,ada@example.com\n\n2,\"Alan\nM.\",Turing,alan@example.com\n");
    const std::string yaml = "path: report.csv\nheader_line: 3\n";
    const Snapshot whole = read(yaml);
    auto report = make(yaml);
    const std::optional<RecordScan> report_scan = scanner(*report).scan(context());
    ASSERT_TRUE(report_scan.has_value());
    EXPECT_EQ(report_scan->origins, (std::vector<std::string>{"report.csv:5", "report.csv:7"}));
    ASSERT_EQ(whole.users.size(), 2u);
    EXPECT_EQ(whole.users[1].origin, "report.csv:7");
    expect_same_snapshot(scanner(*report).read_records(all_positions(*report_scan), context()), whole);
}

TEST_F(ChangeOnlyCsv, HashesFollowTheBytesOfEachRecordAndTheHeader) {
    const std::string header = "hris_id,first_name,last_name,email,job_title\n";
    const std::string a = "1,Ada,Lovelace,ada@example.com,\"Countess, of \"\"Lovelace\"\"\"\n";
    const std::string b = "2,Alan,Turing,alan@example.com,\"multi\nline\"\n";
    const std::string c = "3,Grace,Hopper,grace@example.com,Admiral\n";
    auto scan = [&](const std::string& text) {
        write("people.csv", text);
        auto source = make("path: people.csv\n");
        std::optional<RecordScan> result = scanner(*source).scan(context());
        EXPECT_TRUE(result.has_value());
        return result.value_or(RecordScan{});
    };
    const RecordScan before = scan(header + a + b + c);
    ASSERT_EQ(before.hashes.size(), 3u);
    EXPECT_NE(before.hashes[0], before.hashes[1]);
    EXPECT_NE(before.hashes[1], before.hashes[2]);

    // Moved rows keep their hashes, whatever their lines.
    const RecordScan moved = scan(header + c + "\n\n" + a + b);
    EXPECT_EQ(moved.hashes, (std::vector<std::uint64_t>{before.hashes[2], before.hashes[0], before.hashes[1]}));
    EXPECT_EQ(moved.origins, (std::vector<std::string>{"people.csv:2", "people.csv:5", "people.csv:6"}));

    // A changed field changes that record's hash only.
    const RecordScan changed = scan(header + a + "2,Alan,Turing,alan@example.com,\"multi\nlines\"\n" + c);
    EXPECT_EQ(changed.hashes[0], before.hashes[0]);
    EXPECT_NE(changed.hashes[1], before.hashes[1]);
    EXPECT_EQ(changed.hashes[2], before.hashes[2]);

    // A changed header changes every hash, even when it maps the same way.
    const RecordScan reheaded = scan("hris_id,first_name,last_name,email,job_title \n" + a + b + c);
    for (std::size_t i = 0; i < 3; ++i) EXPECT_NE(reheaded.hashes[i], before.hashes[i]) << i;
    const RecordScan reordered = scan("hris_id,first_name,last_name,job_title,email\n" + a + b + c);
    for (std::size_t i = 0; i < 3; ++i) EXPECT_NE(reordered.hashes[i], before.hashes[i]) << i;

    // So does a changed configuration.
    write("people.csv", header + a + b + c);
    auto mapped = make("path: people.csv\nvalues: {job_title: {Admiral: Rear Admiral}}\n");
    const std::optional<RecordScan> configured = scanner(*mapped).scan(context());
    ASSERT_TRUE(configured.has_value());
    EXPECT_NE(configured->hashes[0], before.hashes[0]);
}

TEST_F(ChangeOnlyCsv, AManagerFoundByEmployeeIdIsPartOfTheHash) {
    const std::string header = "hris_id,employee_id,first_name,last_name,email,manager\n";
    const std::string boss = "W-1,E1,A,B,a@example.com,\n";
    const std::string report = "W-2,E2,A,B,b@example.com,E1\n";
    const std::string other = "W-3,E3,A,B,c@example.com,\n";
    auto scan = [&](const std::string& text) {
        write("people.csv", text);
        auto source = make("path: people.csv\nmanager_by: employee_id\n");
        std::optional<RecordScan> result = scanner(*source).scan(context());
        EXPECT_TRUE(result.has_value());
        return result.value_or(RecordScan{});
    };
    const RecordScan before = scan(header + boss + report + other);
    // Moving rows changes nothing.
    const RecordScan moved = scan(header + other + report + boss);
    EXPECT_EQ(moved.hashes, (std::vector<std::uint64_t>{before.hashes[2], before.hashes[1], before.hashes[0]}));
    // The boss's hris_id changes: the report's manager does too.
    const RecordScan renamed = scan(header + "W-100,E1,A,B,a@example.com,\n" + report + other);
    EXPECT_NE(renamed.hashes[1], before.hashes[1]);
    EXPECT_EQ(renamed.hashes[2], before.hashes[2]);
    // A second row with the boss's employee_id: the report's manager is unset.
    const RecordScan shared = scan(header + boss + report + "W-3,E1,A,B,c@example.com,\n");
    EXPECT_NE(shared.hashes[1], before.hashes[1]);
    // The boss leaves: the report's manager is not in the file.
    const RecordScan gone = scan(header + report + other);
    EXPECT_NE(gone.hashes[0], before.hashes[1]);
    EXPECT_EQ(gone.hashes[1], before.hashes[2]);
}

TEST_F(ChangeOnlyCsv, ReadingSomePositionsGivesThoseUsersWithTheirFindings) {
    write("people.csv", quirky_file);
    const std::string yaml = quirky_config + "manager_by: employee_id\n";
    const Snapshot whole = read(yaml);
    auto source = make(yaml);
    const std::optional<RecordScan> scan = scanner(*source).scan(context());
    ASSERT_TRUE(scan.has_value());

    const std::vector<std::int64_t> positions = {2, 3, 5, 11, 12};
    const Snapshot some = scanner(*source).read_records(positions, context());
    ASSERT_EQ(some.users.size(), positions.size());
    for (std::size_t i = 0; i < positions.size(); ++i)
        expect_same_user(some.users[i], whole.users[static_cast<std::size_t>(positions[i])]);
    Snapshot expected;  // read()'s findings about those users, by their places in `some`
    for (const Finding& f : whole.findings) {
        auto at = std::find(positions.begin(), positions.end(), f.record);
        if (at == positions.end()) continue;
        expected.findings.push_back(f);
        expected.findings.back().record = at - positions.begin();
    }
    ASSERT_GE(expected.findings.size(), 3u);
    EXPECT_EQ(findings(some), findings(expected));
    EXPECT_EQ(some.origin, whole.origin);
    EXPECT_EQ(some.field_labels, whole.field_labels);
    // Managers of rows not read were found all the same: W-3's is W-2, W-13's is W-12.
    EXPECT_EQ(some.users[0].manager_hris_id, "W-2");
    EXPECT_EQ(some.users[4].manager_hris_id, "W-12");

    EXPECT_TRUE(scanner(*source).read_records({}, context()).users.empty());
}

TEST_F(ChangeOnlyCsv, ReadRecordsRefusesPositionsOutOfRangeOrOrder) {
    write("people.csv", std::string(plain_header) + "1,A,B,a@example.com\n2,A,B,b@example.com\n");
    auto source = make("path: people.csv\n");
    auto error_of = [&](std::vector<std::int64_t> positions) -> std::string {
        try {
            scanner(*source).read_records(positions, context());
        } catch (const Error& e) {
            return e.what();
        }
        return "";
    };
    EXPECT_EQ(error_of({0}), "the csv source reads records only from the bytes of its last scan: call scan() first");
    ASSERT_TRUE(scanner(*source).scan(context()).has_value());
    EXPECT_EQ(error_of({0, 2}),
              "people.csv: there is no record at position 2; the last scan found 2 records (positions 0 to 1)");
    EXPECT_EQ(error_of({-1}),
              "people.csv: there is no record at position -1; the last scan found 2 records (positions 0 to 1)");
    EXPECT_EQ(error_of({1, 0}),
              "people.csv: record positions must be in ascending order, each once; position 0 follows position 1");
    EXPECT_EQ(error_of({1, 1}),
              "people.csv: record positions must be in ascending order, each once; position 1 follows position 1");
    EXPECT_EQ(error_of({1}), "");
    // end_scan() drops what the scan kept; so do reading every record and a whole read.
    scanner(*source).end_scan();
    EXPECT_EQ(error_of({1}), "the csv source reads records only from the bytes of its last scan: call scan() first");
    ASSERT_TRUE(scanner(*source).scan(context()).has_value());
    EXPECT_EQ(error_of({0, 1}), "");
    EXPECT_EQ(error_of({0}), "the csv source reads records only from the bytes of its last scan: call scan() first");
    ASSERT_TRUE(scanner(*source).scan(context()).has_value());
    source->read(context());
    EXPECT_EQ(error_of({0}), "the csv source reads records only from the bytes of its last scan: call scan() first");
}

TEST_F(ChangeOnlyCsv, ReadRecordsParsesTheBytesScannedEvenWhenTheFileChanges) {
    write("people.csv", std::string(plain_header) + "1,Ada,Lovelace,ada@example.com\n2,Alan,Turing,alan@example.com\n");
    auto source = make("path: people.csv\n");
    ASSERT_TRUE(scanner(*source).scan(context()).has_value());
    write("people.csv", "other,header\nx,y\n");
    const Snapshot s = scanner(*source).read_records(std::vector<std::int64_t>{1}, context());
    ASSERT_EQ(s.users.size(), 1u);
    EXPECT_EQ(s.users[0].hris_id, "2");
    EXPECT_EQ(s.users[0].last_name, "Turing");
    EXPECT_EQ(s.users[0].origin, "people.csv:3");
    fs::remove(dir() / "people.csv");
    EXPECT_EQ(scanner(*source).read_records(std::vector<std::int64_t>{0}, context()).users.at(0).first_name, "Ada");
}

TEST_F(ChangeOnlyCsv, ScanRefusesAFileAsReadDoes) {
    auto scan_error = [&](const std::string& yaml) -> std::string {
        auto source = make(yaml);
        try {
            scanner(*source).scan(context());
        } catch (const Error& e) {
            return e.what();
        }
        return "";
    };
    EXPECT_EQ(scan_error("path: missing.csv\n"),
              (dir() / "missing.csv").string() + ": cannot open the file: No such file or directory");
    // A file the digest cannot read has no digest (the run reads whole), and
    // the scan after it says why, as without a digest.
    {
        auto source = make("path: missing.csv\n");
        EXPECT_EQ(source->input_digest(), "");
        try {
            scanner(*source).scan(context());
            ADD_FAILURE() << "the scan of a missing file after its digest did not fail";
        } catch (const Error& e) {
            EXPECT_EQ(std::string(e.what()),
                      (dir() / "missing.csv").string() + ": cannot open the file: No such file or directory");
        }
    }
    fs::create_directories(dir() / "exports");
    EXPECT_EQ(scan_error("path: exports\n"), (dir() / "exports").string() + ": is a folder, not a file");
    EXPECT_EQ(scan_error("path: exports/people-*.csv\n"),
              "no file matches \"" + (dir() / "exports" / "people-*.csv").string() + "\"");

    const std::vector<std::pair<std::string, std::string>> files = {
        {"empty.csv", ""},
        {"bom.csv", "\xEF\xBB\xBF\n\r\n"},
        {"unterminated.csv", std::string(plain_header) + "1,\"Ada\nA.\",Lovelace,ada@example.com\n2,Alan,\"Turing\n"},
        {"unterminated-header.csv", "hris_id,\"first_name\nlast_name,email\n"},
        {"duplicate.csv", "hris_id,first_name,last_name,email,email\n"},
        {"missing-column.csv", "hris_id,first_name,last_name\n1,A,B\n"},
    };
    for (const auto& [name, text] : files) {
        write(name, text);
        const std::string expected = read_error("path: " + name + "\n");
        EXPECT_FALSE(expected.empty()) << name;
        EXPECT_EQ(scan_error("path: " + name + "\n"), expected) << name;
    }
    write("short.csv", "one line\n");
    EXPECT_EQ(scan_error("path: short.csv\nheader_line: 3\n"),
              "short.csv: the file ends before line 3, where header_line says the column names are");
    EXPECT_EQ(scan_error("path: unterminated.csv\n"),
              "unterminated.csv: line 4: a quoted field starts here and is never closed (the file ends inside it)");
}

TEST_F(ChangeOnlyCsv, ScanRefusesARecordLongerThan64MiBAsReadDoes) {
    const std::string long_field((std::size_t{64} << 20) + 100, 'x');
    write("open.csv", std::string(plain_header) + "1,A,B,a@example.com\n2,\"" + long_field);
    write("plain.csv", std::string(plain_header) + "1,A,B,a@example.com\n2,\"a\nb\"," + long_field + "\n");
    for (const char* name : {"open.csv", "plain.csv"}) {
        const std::string yaml = std::string("path: ") + name + "\n";
        const std::string expected = read_error(yaml);
        EXPECT_NE(expected.find("longer than 64 MiB"), std::string::npos) << expected;
        auto source = make(yaml);
        try {
            scanner(*source).scan(context());
            ADD_FAILURE() << name << ": no error";
        } catch (const Error& e) {
            EXPECT_EQ(e.what(), expected);
        }
    }
}

// Random bytes of the kinds that matter to CSV: scan() must split them
// exactly where read() does, or refuse them with read()'s message.
TEST_F(ChangeOnlyCsv, ScanSplitsRandomFilesAsReadDoes) {
    const std::vector<std::string> pieces = {"a",  "b,", ",",        ",",    "\"", "\"\"", "\n",           "\r\n",
                                             "\r", " ",  "\xC3\xA9", "\xFF", ";",  "E1",   "x@example.com"};
    std::mt19937 random(42);
    for (int round = 0; round < 400; ++round) {
        std::string text = round % 3 == 0 ? "\xEF\xBB\xBF" : "";
        text += round % 2 == 0 ? "hris_id,first_name,last_name,email,manager,employee_id\n"
                               : "hris_id;first_name;last_name;email;manager;employee_id\r\n";
        const int length = static_cast<int>(random() % 120);
        for (int i = 0; i < length; ++i) text += pieces[random() % pieces.size()];
        write("random.csv", text);
        const std::string yaml = std::string("path: random.csv\n") + (round % 2 == 0 ? "" : "delimiter: \";\"\n") +
                                 (round % 4 < 2 ? "manager_by: employee_id\n" : "");
        SCOPED_TRACE("round " + std::to_string(round));
        std::string read_failure;
        Snapshot whole;
        try {
            whole = read(yaml);
        } catch (const Error& e) {
            read_failure = e.what();
        }
        auto source = make(yaml);
        std::optional<RecordScan> scan;
        try {
            scan = scanner(*source).scan(context());
        } catch (const Error& e) {
            EXPECT_EQ(e.what(), read_failure);
            continue;
        }
        ASSERT_EQ(read_failure, "");
        ASSERT_TRUE(scan.has_value());
        ASSERT_EQ(scan->hashes.size(), whole.users.size());
        // Every other record alone, then all of them.
        std::vector<std::int64_t> odd;
        for (std::int64_t i = 1; i < static_cast<std::int64_t>(whole.users.size()); i += 2) odd.push_back(i);
        const Snapshot some = scanner(*source).read_records(odd, context());
        ASSERT_EQ(some.users.size(), odd.size());
        for (std::size_t i = 0; i < odd.size(); ++i)
            expect_same_user(some.users[i], whole.users[static_cast<std::size_t>(odd[i])]);
        expect_same_snapshot(scanner(*source).read_records(all_positions(*scan), context()), whole);
    }
}

// Large files are read, split and matched on two threads.
TEST_F(ChangeOnlyCsv, ALargeFileIsScannedAsReadReadsIt) {
    std::string text = "hris_id,employee_id,first_name,last_name,email,manager,job_title\n";
    const int rows = 100000;
    for (int i = 0; i < rows; ++i) {
        const std::string id = std::to_string(i);
        const std::string manager = i % 97 == 0 ? "E" + std::to_string(rows + 5) : "E" + std::to_string(i / 8);
        const std::string employee_id = i % 1000 == 999 ? "E7" : "E" + id;  // some employee_ids twice
        const std::string hris_id = i % 5000 == 17 ? "" : "W-" + id;
        const std::string title = i % 10 == 3 ? "\"Staff, \"\"level\"\" " + id + "\nsecond line\"" : "Engineer " + id;
        text += hris_id + "," + employee_id + ",First,Last,u" + id + "@example.com," + manager + "," + title +
                std::string(110, ' ') + "\n";
    }
    ASSERT_GT(text.size(), std::size_t{16} << 20);  // read as two halves
    write("people.csv", text);
    for (const char* manager_by : {"employee_id", "hris_id"}) {
        SCOPED_TRACE(manager_by);
        const std::string yaml = std::string("path: people.csv\nmanager_by: ") + manager_by + "\n";
        const Snapshot whole = read(yaml);
        ASSERT_EQ(whole.users.size(), static_cast<std::size_t>(rows));
        auto source = make(yaml);
        for (int round = 0; round < 2; ++round) {  // the second scan reuses the first one's memory
            const std::optional<RecordScan> scan = scanner(*source).scan(context());
            ASSERT_TRUE(scan.has_value());
            ASSERT_EQ(scan->origins.size(), whole.users.size());
            for (std::size_t i = 0; i < whole.users.size(); ++i) ASSERT_EQ(scan->origins[i], whole.users[i].origin);
            expect_same_snapshot(scanner(*source).read_records(all_positions(*scan), context()), whole);
        }
    }
    EXPECT_EQ(read("path: people.csv\nmanager_by: employee_id\n").users[9].manager_hris_id, "W-1");
}

// Many records are parsed on two threads, taking chunks of records in turn:
// the users, and the findings about them, come out in the file's order all
// the same.
TEST_F(ChangeOnlyCsv, ManyRecordsParseOnTwoThreadsAsReadReadsThem) {
    std::string text = "hris_id,employee_id,first_name,last_name,email,active,manager,job_title\r\n";
    const int rows = 80000;  // more than a second thread is worth (two_threads.hpp)
    for (int i = 0; i < rows; ++i) {
        const std::string id = std::to_string(i);
        const std::string employee_id = i % 5003 == 4 ? "E7" : "E" + id;  // E7 on several rows
        std::string manager = i < 8 ? "" : "E" + std::to_string(i / 8);
        if (i % 97 == 0) manager = "E-nobody";
        if (i % 1013 == 3) manager = "E7";
        const std::string first_name = i % 4001 == 7 ? "Gr\xE9\x63\x65" : "First";  // not UTF-8
        const std::string active = i % 1999 == 5 ? "maybe" : "yes";
        std::string title = i % 7 == 1 ? "\"Lead, \"\"" + id + "\"\"\r\nsecond line\"" : "Engineer";
        if (i % 3001 == 11) title = "\"Admiral\" of the Navy";  // text after the closing quote
        if (i % 1500 == 0) text += "\n";
        text += "W-" + id + "," + employee_id + "," + first_name + ",Last,u" + id + "@example.com," + active + "," +
                manager + (i % 2503 == 9 ? "" : "," + title) + (i % 2 == 0 ? "\n" : "\r\n");
    }
    write("people.csv", text);
    const std::string yaml = "path: people.csv\nmanager_by: employee_id\n";
    const Snapshot whole = read(yaml);
    ASSERT_EQ(whole.users.size(), static_cast<std::size_t>(rows));
    // Errors about rows all through the file, then warnings about managers.
    std::vector<std::int64_t> errors_about;
    for (const Finding& f : whole.findings)
        if (f.severity == Severity::error) errors_about.push_back(f.record);
    ASSERT_GT(errors_about.size(), 100u);
    EXPECT_LT(errors_about.front(), 20);
    EXPECT_GT(errors_about.back(), rows - 2000);
    EXPECT_EQ(whole.findings.back().severity, Severity::warning);

    auto source = make(yaml);
    std::optional<RecordScan> scan = scanner(*source).scan(context());
    ASSERT_TRUE(scan.has_value());
    expect_same_snapshot(scanner(*source).read_records(all_positions(*scan), context()), whole);
    EXPECT_EQ(context().last, rows);

    // Most records, not all: each user is the one at its position, and the
    // findings are read()'s about those users, numbered by their places.
    scan = scanner(*source).scan(context());
    ASSERT_TRUE(scan.has_value());
    std::vector<std::int64_t> most;
    for (std::int64_t i = 0; i < rows; ++i)
        if (i % 16 != 9) most.push_back(i);
    const Snapshot some = scanner(*source).read_records(most, context());
    ASSERT_EQ(some.users.size(), most.size());
    for (std::size_t i = 0; i < most.size(); ++i)
        expect_same_user(some.users[i], whole.users[static_cast<std::size_t>(most[i])]);
    Snapshot expected;
    for (const Finding& f : whole.findings) {
        auto at = std::lower_bound(most.begin(), most.end(), f.record);
        if (at == most.end() || *at != f.record) continue;
        expected.findings.push_back(f);
        expected.findings.back().record = at - most.begin();
    }
    EXPECT_EQ(findings(some), findings(expected));
}

// A file over 16 MiB, read in two halves.
std::string large_file() {
    std::string text = "hris_id,first_name,last_name,email\n";
    for (int i = 0; text.size() < (std::size_t{17} << 20); ++i)
        text += "W-" + std::to_string(i) + ",First,Last,u" + std::to_string(i) + "@example.com\n";
    return text;
}

// The file's digest follows every byte of a large file, early, late and at
// its end; the same bytes, the same digest.
TEST_F(ChangeOnlyCsv, TheDigestFollowsEveryByteOfALargeFile) {
    const std::string text = large_file();
    auto source = make("path: people.csv\n");
    auto digest_of = [&](const std::string& bytes) {
        write("people.csv", bytes);
        return source->input_digest();
    };
    const std::string first = digest_of(text);
    ASSERT_FALSE(first.empty());
    EXPECT_EQ(digest_of(text), first);
    std::string early = text, late = text;
    early[1000] = 'X';
    late[text.size() - 1000] = 'X';
    const std::string cut = text.substr(0, text.size() - 1);
    std::vector<std::string> digests = {first, digest_of(early), digest_of(late), digest_of(cut)};
    std::sort(digests.begin(), digests.end());
    EXPECT_EQ(std::unique(digests.begin(), digests.end()), digests.end());
    EXPECT_NE(digest_of("hris_id\nW-1\n"), digest_of("hris_id\nW-2\n"));
}

// Digests are stored from run to run: a new version must give the same
// digest for the same bytes, or its first run compares everything; one that
// changes the hash family (hash.hpp) changes the digest's leading "h<family>-"
// too, so an earlier digest never matches. These are hash family 2's digests,
// for a file read in two halves and one read in one go.
TEST_F(ChangeOnlyCsv, TheDigestOfTheSameBytesStaysAsEarlierVersionsMadeIt) {
    auto source = make("path: people.csv\n");
    auto digest_of = [&](const std::string& bytes) {
        write("people.csv", bytes);
        const std::string digest = source->input_digest();
        return digest.substr(digest.find('\n') + 1);
    };
    EXPECT_EQ(digest_of(large_file()), "h2-3b105674d7c2a21ecaa96ad7bf240ef9-17825815");
    EXPECT_EQ(digest_of("hris_id,first_name\nW-1,Ada\n"), "h2-04bad9717345222c3944bdcb71bb647a-27");
}

// A scan after the digest reads the file the digest chose as it is then,
// and says the digest of what it split: when the file is replaced in between,
// that is the new bytes' digest, which the run stores, never the one asked
// for before (the same bytes back later would read as unchanged).
TEST_F(ChangeOnlyCsv, AScanAfterTheDigestSaysTheDigestOfWhatItSplit) {
    const std::string before = std::string(plain_header) + "1,Ada,Lovelace,ada@example.com\n";
    const std::string after =
        std::string(plain_header) + "2,Alan,Turing,alan@example.com\n3,Grace,Hopper,g@example.com\n";
    write("people.csv", before);
    auto source = make("path: people.csv\n");
    const std::string digest = source->input_digest();
    ASSERT_FALSE(digest.empty());
    write("people.csv", after);
    std::optional<RecordScan> scan = scanner(*source).scan(context());
    ASSERT_TRUE(scan.has_value());
    ASSERT_EQ(scan->hashes.size(), 2u);
    EXPECT_EQ(scanner(*source).read_records(std::vector<std::int64_t>{0}, context()).users.at(0).hris_id, "2");
    EXPECT_NE(scan->digest, digest);
    scanner(*source).end_scan();
    EXPECT_EQ(source->input_digest(), scan->digest);
    scanner(*source).end_scan();

    // Unchanged in between: the scan's digest is the one asked for.
    write("people.csv", before);
    EXPECT_EQ(source->input_digest(), digest);
    scan = scanner(*source).scan(context());
    ASSERT_TRUE(scan.has_value());
    EXPECT_EQ(scan->digest, digest);
    scanner(*source).end_scan();

    // A large file, read in two halves by the scan and through one small
    // buffer by the digest: the same digest.
    write("people.csv", large_file());
    const std::string large = source->input_digest();
    scan = scanner(*source).scan(context());
    ASSERT_TRUE(scan.has_value());
    EXPECT_EQ(scan->digest, large);
    scanner(*source).end_scan();
}

TEST_F(ChangeOnlyCsv, ScanReportsProgress) {
    std::string text = plain_header;
    for (int i = 0; i < 120000; ++i) text += std::to_string(i) + ",A,B,u" + std::to_string(i) + "@example.com\n";
    write("people.csv", text);
    auto source = make("path: people.csv\n");
    const std::optional<RecordScan> scan = scanner(*source).scan(context());
    ASSERT_TRUE(scan.has_value());
    EXPECT_EQ(scan->hashes.size(), 120000u);
    EXPECT_EQ(context().last, 120000);
    EXPECT_EQ(scan->origins.back(), "people.csv:120001");
}

}  // namespace
}  // namespace peoplesync::csv_test
