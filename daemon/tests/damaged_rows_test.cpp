// A rows cache file (<state>.rows/) that is whole and checksummed but whose
// counts disagree with its bytes is read as missing: the next run reads
// every record. Found by fuzz_snapshot_codec.
#include <cstring>
#include <fstream>

#include <gtest/gtest.h>

#include "hash.hpp"
#include "state_store.hpp"
#include "test_dir.hpp"

namespace peoplesync::core {
namespace {

class DamagedRowsTest : public ::testing::Test {
protected:
    void SetUp() override { dir_ = testing::fresh_test_dir("damaged-rows"); }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    // Writes run 1 of pipeline "p" as magic, family, `body` and the checksum
    // over them, as the store writes its files.
    void write_rows(const std::string& body) {
        std::string file = "PSROWS02";
        const std::uint64_t family = hash::family;
        file.append(reinterpret_cast<const char*>(&family), sizeof family);
        file += body;
        const std::uint64_t checksum = hash_parts64({file});
        file.append(reinterpret_cast<const char*>(&checksum), sizeof checksum);
        std::filesystem::create_directories(run_rows_folder(dir_ / "state.db"));
        std::ofstream out(run_rows_folder(dir_ / "state.db") / "70-1.rows", std::ios::binary | std::ios::trunc);
        out.write(file.data(), static_cast<std::streamsize>(file.size()));
    }
    static std::string number(std::uint64_t value) {
        return std::string(reinterpret_cast<const char*>(&value), sizeof value);
    }

    std::filesystem::path dir_;
};

TEST_F(DamagedRowsTest, TextsWithoutRecordsAreReadAsMissing) {
    StateStore store(dir_ / "state.db");
    write_rows(number(0) + number(1) + "x");  // no records, one byte of text
    EXPECT_FALSE(store.run_rows("p", 1).has_value());
}

TEST_F(DamagedRowsTest, NoRecordsAndNoTextsAreAnEmptyRun) {
    StateStore store(dir_ / "state.db");
    write_rows(number(0) + number(0));
    const std::optional<RunRows> rows = store.run_rows("p", 1);
    ASSERT_TRUE(rows.has_value());
    EXPECT_EQ(rows->size(), 0u);
    EXPECT_EQ(rows->text_bytes(), 0u);
}

}  // namespace
}  // namespace peoplesync::core
