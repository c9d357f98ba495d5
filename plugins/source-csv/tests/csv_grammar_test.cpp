// RecordSplitter and CsvReader walk the same grammar by two routes (see
// csv_grammar.hpp): this pins them to each other over the cases where the
// routes could part, with CsvReader's buffer ending at every byte of them.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include <peoplesync/error.hpp>

#include "csv_reader.hpp"
#include "record_splitter.hpp"

namespace peoplesync::csv {
namespace {

namespace fs = std::filesystem;

struct Record {
    std::int64_t line = 0;
    std::vector<std::string> fields;
    int stray_text_field = -1;

    bool operator==(const Record&) const = default;
};

// The records read, or the message of the error that stopped the reading
// (after the records before it).
struct Reading {
    std::vector<Record> records;
    std::string error;

    bool operator==(const Reading&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Reading& reading) {
    for (const Record& r : reading.records) {
        out << "\n  line " << r.line << " stray " << r.stray_text_field << ":";
        for (const std::string& f : r.fields) out << " [" << f << "]";
    }
    return out << "\n  error: " << reading.error;
}

Record copy(const CsvRecord& record) {
    Record r{record.line, {}, record.stray_text_field};
    for (std::string_view f : record.fields) r.fields.emplace_back(f);
    return r;
}

constexpr const char* name = "people.csv";

Reading read_whole(const fs::path& file, char delimiter, std::int64_t skip, std::size_t buffer_bytes) {
    Reading reading;
    try {
        CsvReader reader(file, name, delimiter, buffer_bytes);
        reader.skip_lines(skip);
        CsvRecord record;
        while (reader.next(record)) reading.records.push_back(copy(record));
    } catch (const Error& e) {
        reading.error = e.what();
    }
    return reading;
}

// As the csv source's scan() does: the splitter's bounds, each record then
// parsed alone from its bytes.
Reading read_split(std::string_view data, char delimiter, std::int64_t skip) {
    Reading reading;
    if (data.starts_with("\xEF\xBB\xBF")) data.remove_prefix(3);
    try {
        RecordSplitter splitter(data, name, delimiter);
        splitter.skip_lines(skip);
        RecordBounds bounds;
        CsvReader parser(name, delimiter);
        while (splitter.next(bounds)) {
            const std::string_view bytes = data.substr(bounds.begin, bounds.end - bounds.begin);
            EXPECT_TRUE(bounds.end == data.size() || data[bounds.end] == '\n') << bounds.end;
            EXPECT_EQ(bounds.has_quote, bytes.find('"') != std::string_view::npos) << bytes;
            parser.reset(data.substr(bounds.begin, std::min(bounds.end + 1, data.size()) - bounds.begin), bounds.line);
            CsvRecord record;
            EXPECT_TRUE(parser.next(record)) << bytes;
            reading.records.push_back(copy(record));
            EXPECT_FALSE(parser.next(record)) << "the bounds hold more than one record: " << bytes;
        }
    } catch (const Error& e) {
        reading.error = e.what();
    }
    return reading;
}

struct Case {
    const char* what;
    std::string text;
    char delimiter = ',';
};

const std::vector<Case>& cases() {
    static const std::vector<Case> all = {
        {"empty file", ""},
        {"only line ends", "\n\r\n\n"},
        {"a lone CR at the very end", "a,b\n\r"},
        {"a lone CR alone", "\r"},
        {"a lone CR starting a record", "\rx,y\n"},
        {"a CR inside a field", "a\rb,c\r\n"},
        {"no line end at the end", "a,b\nc,d"},
        {"CRLF, a CR at the end of the last line", "a,b\r\nc,d\r"},
        {"empty last line", "a,b\nc,d\n\n"},
        {"blank lines between records", "a\n\n\r\nb\n\n"},
        {"empty fields", ",\n,,\r\n,"},
        {"quoted delimiters and doubled quotes", "\"a,b\",\"c\"\"d\",\"\"\"\"\n"},
        {"empty quoted fields", "\"\",\"\"\r\n\"\""},
        {"quoted line feeds count towards lines", "\"a\nb\",c\nd,\"e\r\nf\n\"\ng\n"},
        {"quoted CR before the line end", "\"a\r\"\r\n\"b\r\"\n"},
        {"a quote inside a plain field is text", "a\"b,c\"\"d\",e\"\nf\"g\n"},
        {"a quote after spaces is text", "a, \"b,c\"\nd, \"e\nf\"\n"},
        {"stray text after a closing quote", "\"a\"b,c\n\"d\"\"e\" f,\"g\"x\"y\",z\n"},
        {"blanks after a closing quote are not stray", "\"a\" ,\"b\"\t\r\n\"c\"  \n"},
        {"stray text with quotes and CR before the line end", "\"a\"b\"c\r\n\"d\"e\r"},
        {"a closing quote as the last byte", "a,\"b\""},
        {"a doubled quote as the last bytes", "a,\"b\"\"\"\n\"c\"\"\""},
        {"never closed", "a,b\n\"c\nd\n"},
        {"never closed after a doubled quote", "a\n\"b\"\""},
        {"never closed in a later field", "a,b\nc,\"d,e\r\n"},
        {"closed, then another never closed", "\"a\nb\"\n\"c"},
        {"byte order mark",
         "\xEF\xBB\xBF"
         "a,b\nc,d\n"},
        {"byte order mark before a quote", "\xEF\xBB\xBF\"a\nb\",c\n"},
        {"byte order mark and blank lines only", "\xEF\xBB\xBF\n\r\n"},
        {"semicolons", "a;\"b;c\";d\n\"e\"\"\";f,g\r\n", ';'},
        {"tabs", "a\t\"b\tc\"\t\n\"d\"x\te\n", '\t'},
        {"UTF-8 and bytes that are not", "\xC3\xA9,\"\xFF\xC3\xA9\"\n\xFF\n"},
    };
    return all;
}

class CsvGrammar : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("peoplesync-csv-grammar-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    // Each way of reading `text` gives the same records or the same error.
    void expect_one_grammar(const std::string& text, char delimiter) {
        const fs::path file = dir_ / name;
        std::ofstream(file, std::ios::binary) << text;
        for (std::int64_t skip : {0, 1, 2}) {
            SCOPED_TRACE("skipping " + std::to_string(skip) + " lines");
            const Reading whole = read_whole(file, delimiter, skip, CsvReader::default_buffer_bytes);
            EXPECT_EQ(read_split(text, delimiter, skip), whole);
            // The buffer's end falls on every byte in turn: at a quote, between
            // a CR and its LF, inside a doubled quote, inside the BOM.
            for (std::size_t buffer = 16; buffer <= text.size() + 17; ++buffer)
                ASSERT_EQ(read_whole(file, delimiter, skip, buffer), whole) << "a buffer of " << buffer << " bytes";
        }
    }

    fs::path dir_;
};

TEST_F(CsvGrammar, TheSplitterSplitsEveryCaseWhereTheReaderDoes) {
    for (const Case& c : cases()) {
        SCOPED_TRACE(c.what);
        expect_one_grammar(c.text, c.delimiter);
    }
}

// The cases one after the other (those that end a file or stop it left out):
// each at other offsets, after other records.
TEST_F(CsvGrammar, TheCasesInOneFileSplitAsTheyRead) {
    for (char delimiter : {',', ';', '\t'}) {
        std::string text;
        for (const Case& c : cases()) {
            if (c.delimiter != delimiter || c.text.starts_with("\xEF\xBB\xBF") ||
                std::string_view(c.what).starts_with("never closed"))
                continue;
            text += c.text;
            if (!text.ends_with('\n')) text += '\n';
        }
        SCOPED_TRACE(std::string("delimiter ") + delimiter);
        expect_one_grammar(text, delimiter);
        EXPECT_TRUE(read_split(text, delimiter, 0).error.empty());
    }
}

// Only the reader sees a buffer end inside a record; the splitter has the
// whole file. The errors name the same line either way.
TEST_F(CsvGrammar, TheErrorsNameTheLineWhereTheQuotedFieldOpens) {
    EXPECT_EQ(read_split("a\nb,\"c\nd\n", ',', 0).error,
              "people.csv: line 2: a quoted field starts here and is never closed (the file ends inside it)");
}

}  // namespace
}  // namespace peoplesync::csv
