// RFC 4180 reading: quoting, line ends, byte order mark, blank lines,
// delimiters, records across the reader's buffer, and which file is read.
#include <chrono>

#include "csv_test_fixture.hpp"

namespace peoplesync::csv_test {
namespace {

using ReadsCsv = CsvSourceTest;

TEST_F(ReadsCsv, ReadsEveryRowWithColumnsNamedAfterFields) {
    write("people.csv", std::string(plain_header) +
                            "1,Ada,Lovelace,ada@example.com\n"
                            "2,Alan,Turing,alan@example.com\n");
    Snapshot s = read("path: people.csv\n");
    ASSERT_EQ(s.users.size(), 2u);
    EXPECT_EQ(s.users[0].hris_id, "1");
    EXPECT_EQ(s.users[0].first_name, "Ada");
    EXPECT_EQ(s.users[0].last_name, "Lovelace");
    EXPECT_EQ(s.users[0].email, "ada@example.com");
    EXPECT_TRUE(s.users[0].active);  // no active column: everybody is active
    EXPECT_EQ(s.users[0].origin, "people.csv:2");
    EXPECT_EQ(s.users[1].origin, "people.csv:3");
    EXPECT_EQ(s.users[1].email, "alan@example.com");
    EXPECT_TRUE(s.findings.empty());
    EXPECT_EQ(s.origin, "file " + (dir() / "people.csv").string());
    EXPECT_EQ(s.field_labels.at("email"), "column \"email\"");
    EXPECT_EQ(s.field_labels.count("active"), 0u);
    EXPECT_EQ(s.locate(s.users[1], "email"), "people.csv:3 column \"email\"");
}

TEST_F(ReadsCsv, QuotedFieldsKeepDelimitersAndDoubledQuotes) {
    write("people.csv", std::string("hris_id,first_name,last_name,email,job_title\n") +
                            "1,\"Ada\",\"Love, lace\",ada@example.com,\"The \"\"Enchantress\"\" of Numbers\"\n"
                            "2,\"\",Turing,alan@example.com,\"\"\"\"\n");
    Snapshot s = read("path: people.csv\n");
    ASSERT_EQ(s.users.size(), 2u);
    EXPECT_EQ(s.users[0].first_name, "Ada");
    EXPECT_EQ(s.users[0].last_name, "Love, lace");
    EXPECT_EQ(s.users[0].job_title, "The \"Enchantress\" of Numbers");
    EXPECT_EQ(s.users[1].first_name, "");
    EXPECT_EQ(s.users[1].job_title, "\"");
    EXPECT_TRUE(s.findings.empty()) << findings(s).front();
}

TEST_F(ReadsCsv, LineFeedsInsideQuotesCountTowardsLaterLines) {
    write("people.csv", std::string("hris_id,first_name,last_name,email,job_title\n") +
                            "1,Ada,Lovelace,ada@example.com,\"line one\nline two\n\nline four\"\n"
                            "2,Alan,Turing,alan@example.com,x\n");
    Snapshot s = read("path: people.csv\n");
    ASSERT_EQ(s.users.size(), 2u);
    EXPECT_EQ(s.users[0].job_title, "line one\nline two\n\nline four");
    EXPECT_EQ(s.users[0].origin, "people.csv:2");
    EXPECT_EQ(s.users[1].origin, "people.csv:6");
}

TEST_F(ReadsCsv, CrLfLineEndsAndCrLfInsideQuotes) {
    write("people.csv",
          "hris_id,first_name,last_name,email,job_title\r\n"
          "1,Ada,Lovelace,ada@example.com,\"first\r\nsecond\"\r\n"
          "2,Alan,Turing,alan@example.com,plain\r\n"
          "3,Grace,Hopper,\"grace@example.com\",\"quoted\"\r\n");
    Snapshot s = read("path: people.csv\n");
    ASSERT_EQ(s.users.size(), 3u);
    EXPECT_EQ(s.users[0].job_title, "first\r\nsecond");
    EXPECT_EQ(s.users[1].job_title, "plain");  // no CR left at the end of the last field
    EXPECT_EQ(s.users[1].origin, "people.csv:4");
    EXPECT_EQ(s.users[2].email, "grace@example.com");
    EXPECT_EQ(s.users[2].job_title, "quoted");
    EXPECT_EQ(s.users[2].origin, "people.csv:5");
    EXPECT_TRUE(s.findings.empty());
}

TEST_F(ReadsCsv, ByteOrderMarkIsSkipped) {
    write("people.csv", "\xEF\xBB\xBF" + std::string(plain_header) + "1,Ada,Lovelace,ada@example.com\n");
    Snapshot s = read("path: people.csv\n");
    ASSERT_EQ(s.users.size(), 1u);
    EXPECT_EQ(s.users[0].hris_id, "1");
    EXPECT_EQ(s.field_labels.at("hris_id"), "column \"hris_id\"");
}

TEST_F(ReadsCsv, LastLineWithoutLineEnd) {
    write("a.csv",
          std::string("hris_id,first_name,last_name,email,job_title\n") + "1,Ada,Lovelace,ada@example.com,last");
    write("b.csv", std::string("hris_id,first_name,last_name,email,job_title\r\n") +
                       "1,Ada,Lovelace,ada@example.com,\"quoted \"\" last\"");
    write("c.csv", std::string("hris_id,first_name,last_name,email,job_title\n") + "1,Ada,Lovelace,ada@example.com,");
    Snapshot a = read("path: a.csv\n");
    ASSERT_EQ(a.users.size(), 1u);
    EXPECT_EQ(a.users[0].job_title, "last");
    Snapshot b = read("path: b.csv\n");
    ASSERT_EQ(b.users.size(), 1u);
    EXPECT_EQ(b.users[0].job_title, "quoted \" last");
    Snapshot c = read("path: c.csv\n");
    ASSERT_EQ(c.users.size(), 1u);
    EXPECT_EQ(c.users[0].job_title, "");
    EXPECT_TRUE(a.findings.empty() && b.findings.empty() && c.findings.empty());
}

TEST_F(ReadsCsv, BlankLinesAreSkippedButCounted) {
    write("people.csv", std::string(plain_header) +
                            "\n"
                            "1,Ada,Lovelace,ada@example.com\n"
                            "\r\n"
                            "\n"
                            "2,Alan,Turing,alan@example.com\n"
                            "\n");
    Snapshot s = read("path: people.csv\n");
    ASSERT_EQ(s.users.size(), 2u);
    EXPECT_EQ(s.users[0].origin, "people.csv:3");
    EXPECT_EQ(s.users[1].origin, "people.csv:6");
    EXPECT_TRUE(s.findings.empty());
}

TEST_F(ReadsCsv, TabDelimiterWrittenAsTabOrBackslashT) {
    write("people.tsv",
          "hris_id\tfirst_name\tlast_name\temail\tjob_title\n1\tAda\tLove, lace\tada@example.com\t\"a\tb\"\n");
    for (const char* yaml : {"path: people.tsv\ndelimiter: tab\n", "path: people.tsv\ndelimiter: '\\t'\n",
                             "path: people.tsv\ndelimiter: \"\\t\"\n"}) {
        Snapshot s = read(yaml);
        ASSERT_EQ(s.users.size(), 1u) << yaml;
        EXPECT_EQ(s.users[0].last_name, "Love, lace") << yaml;
        EXPECT_EQ(s.users[0].job_title, "a\tb") << yaml;
        EXPECT_TRUE(s.findings.empty()) << yaml;
    }
}

TEST_F(ReadsCsv, SemicolonDelimiter) {
    write("people.csv", "hris_id;first_name;last_name;email\n1;Ada;Love, lace;\"ada;x@example.com\"\n");
    Snapshot s = read("path: people.csv\ndelimiter: \";\"\n");
    ASSERT_EQ(s.users.size(), 1u);
    EXPECT_EQ(s.users[0].last_name, "Love, lace");
    EXPECT_EQ(s.users[0].email, "ada;x@example.com");
}

TEST_F(ReadsCsv, CellsAreTrimmed) {
    write("people.csv", "  hris_id , first_name,last_name,email\n 1 ,\t Ada ,\" Lovelace \",ada@example.com  \n");
    Snapshot s = read("path: people.csv\n");
    ASSERT_EQ(s.users.size(), 1u);
    EXPECT_EQ(s.users[0].hris_id, "1");
    EXPECT_EQ(s.users[0].first_name, "Ada");
    EXPECT_EQ(s.users[0].last_name, "Lovelace");
    EXPECT_EQ(s.users[0].email, "ada@example.com");
}

// The reader streams through a 1 MiB buffer. A multi-line quoted record with
// doubled quotes and CRLF is put at every offset around the end of the first
// buffer, so that each of its bytes is, once, the last one read.
TEST_F(ReadsCsv, RecordsAcrossTheBufferEnd) {
    const std::string header = "hris_id,first_name,last_name,email,job_title\r\n";
    const std::string special = "s,\"Multi\r\nLine\",\"He said \"\"hi\"\"\",\"s@example.com\",\"a,b\"\r\n";
    const std::size_t buffer = std::size_t{1} << 20;
    for (std::size_t shift = 0; shift <= special.size() + 2; ++shift) {
        std::string text = header;
        std::size_t filler = 0;
        // Rows of 50 bytes, then one shorter row so that `special` starts `shift` bytes before the buffer's end.
        const std::size_t target = buffer - shift;
        while (text.size() + 2 * 50 <= target) {
            char row[64];
            std::snprintf(row, sizeof row, "f%06zu,First,Last,f%06zu@example.com,Engineers\r\n", filler, filler);
            ASSERT_EQ(std::string(row).size(), 50u);
            text += row;
            ++filler;
        }
        const std::size_t gap = target - text.size();  // 50..99 bytes
        std::string last = "g,First,Last,g@example.com,";
        last += std::string(gap - last.size() - 2, 'x') + "\r\n";
        text += last;
        ASSERT_EQ(text.size(), target);
        text += special;
        text += "t,After,Row,t@example.com,end";
        write("big.csv", text);

        Snapshot s = read("path: big.csv\n");
        ASSERT_EQ(s.users.size(), filler + 3) << "shift " << shift;
        const UserView g = s.users[filler];
        const UserView sp = s.users[filler + 1];
        const UserView t = s.users[filler + 2];
        EXPECT_EQ(g.hris_id, "g");
        EXPECT_EQ(g.job_title, std::string(gap - 29, 'x')) << "shift " << shift;
        EXPECT_EQ(sp.hris_id, "s") << "shift " << shift;
        EXPECT_EQ(sp.first_name, "Multi\r\nLine") << "shift " << shift;
        EXPECT_EQ(sp.last_name, "He said \"hi\"") << "shift " << shift;
        EXPECT_EQ(sp.email, "s@example.com") << "shift " << shift;
        EXPECT_EQ(sp.job_title, "a,b") << "shift " << shift;
        EXPECT_EQ(sp.origin, "big.csv:" + std::to_string(filler + 3)) << "shift " << shift;
        EXPECT_EQ(t.origin, "big.csv:" + std::to_string(filler + 5)) << "shift " << shift;
        EXPECT_EQ(t.job_title, "end") << "shift " << shift;
        EXPECT_TRUE(s.findings.empty()) << "shift " << shift << ": " << findings(s).front();
    }
}

TEST_F(ReadsCsv, RecordLongerThanTheBuffer) {
    std::string huge;
    for (int i = 0; i < 30000; ++i) huge += "a long job title line with \"\"quotes\"\" and, commas\n";  // ~1.5 MiB raw
    write("people.csv", std::string("hris_id,first_name,last_name,email,job_title\n") +
                            "1,Ada,Lovelace,ada@example.com,\"" + huge + "\"\n" + "2,Alan,Turing,alan@example.com,x\n");
    Snapshot s = read("path: people.csv\n");
    ASSERT_EQ(s.users.size(), 2u);
    std::string expected;
    for (int i = 0; i < 30000; ++i) expected += "a long job title line with \"quotes\" and, commas\n";
    expected.pop_back();  // white space around a value is trimmed, line ends too
    EXPECT_EQ(s.users[0].job_title, expected);
    EXPECT_EQ(s.users[1].origin, "people.csv:30003");
}

TEST_F(ReadsCsv, HeaderLineSkipsTheLinesAboveIt) {
    write("people.csv", "People report, generated 2024-05-01\n\"a \"quoted\" title\n" + std::string(plain_header) +
                            "1,Ada,Lovelace,ada@example.com\n");
    Snapshot s = read("path: people.csv\nheader_line: 3\n");
    ASSERT_EQ(s.users.size(), 1u);
    EXPECT_EQ(s.users[0].email, "ada@example.com");
    EXPECT_EQ(s.users[0].origin, "people.csv:4");
}

TEST_F(ReadsCsv, RelativePathsResolveAgainstTheConfigurationFolder) {
    write("exports/people.csv", std::string(plain_header) + "1,Ada,Lovelace,ada@example.com\n");
    Snapshot s = read("path: exports/people.csv\n");
    ASSERT_EQ(s.users.size(), 1u);
    EXPECT_EQ(s.origin, "file " + (dir() / "exports" / "people.csv").string());
}

TEST_F(ReadsCsv, PatternReadsTheNewestMatch) {
    auto row = [](const char* id) { return std::string(plain_header) + id + ",Ada,Lovelace,ada@example.com\n"; };
    const auto now = fs::file_time_type::clock::now();
    fs::last_write_time(write("exports/people-2024-01.csv", row("january")), now - std::chrono::hours(48));
    fs::last_write_time(write("exports/people-2024-03.csv", row("march")), now - std::chrono::hours(1));
    fs::last_write_time(write("exports/people-2024-02.csv", row("february")), now - std::chrono::hours(24));
    fs::last_write_time(write("exports/.people-partial.csv", row("hidden")), now);
    fs::last_write_time(write("exports/other-2024-04.csv", row("other")), now);
    fs::last_write_time(write("exports/people-2024-04.txt", row("text")), now);
    Snapshot s = read("path: exports/people-*.csv\n");
    ASSERT_EQ(s.users.size(), 1u);
    EXPECT_EQ(s.users[0].hris_id, "march");
    EXPECT_EQ(s.users[0].origin, "people-2024-03.csv:2");
    EXPECT_EQ(s.origin, "file " + (dir() / "exports" / "people-2024-03.csv").string());

    fs::last_write_time(dir() / "exports" / "people-2024-01.csv", now + std::chrono::hours(1));
    EXPECT_EQ(read("path: exports/people-2024-0?.csv\n").users.at(0).hris_id, "january");
}

TEST_F(ReadsCsv, ReportsProgress) {
    std::string text = plain_header;
    for (int i = 0; i < 120000; ++i) text += std::to_string(i) + ",A,B,u" + std::to_string(i) + "@example.com\n";
    write("people.csv", text);
    Snapshot s = read("path: people.csv\n");
    EXPECT_EQ(s.users.size(), 120000u);
    EXPECT_EQ(context().last, 120000);
    EXPECT_EQ(s.users.back().origin, "people.csv:120001");
}

}  // namespace
}  // namespace peoplesync::csv_test
