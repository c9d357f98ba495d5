// The flat string index on its own: found and missed keys, growth past its
// first size, keys whose hashes share bits, and case-folded emails; the
// positions of hashes in a list.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "flat_index.hpp"

namespace peoplesync::flat {
namespace {

TEST(FlatIndex, FindsWhatWasAddedAndNothingElseAfterGrowing) {
    std::vector<std::string> keys;
    for (int i = 0; i < 5000; ++i) keys.push_back("W-" + std::to_string(i));
    StringIndex<false> index([&](std::int64_t i) -> std::string_view { return keys[static_cast<std::size_t>(i)]; });
    for (std::size_t i = 0; i < keys.size(); ++i)
        EXPECT_TRUE(index.emplace(keys[i], static_cast<std::int64_t>(i)).second);
    EXPECT_EQ(index.size(), keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(index.find(keys[i]), static_cast<std::int64_t>(i));
    EXPECT_EQ(index.find("W-5000"), StringIndex<>::none);
    EXPECT_EQ(index.find(""), StringIndex<>::none);
    // The first value stays when a key comes again.
    keys.push_back("W-17");
    auto [value, added] = index.emplace(keys.back(), static_cast<std::int64_t>(keys.size() - 1));
    EXPECT_FALSE(added);
    EXPECT_EQ(value, 17);
}

// Adding many keys at once (each slot fetched ahead) leaves what adding them
// one by one does: the first value of a repeated key, each repeat reported
// in order with that value, empty keys left out; also into a table that
// already holds keys and has to grow. Finding many at once finds the same.
TEST(FlatIndex, AddingAndFindingManyAtOnceIsOneByOne) {
    std::vector<std::string> keys;
    for (int i = 0; i < 20000; ++i) keys.push_back(i % 1000 == 999 ? "" : "W-" + std::to_string(i % 15000));
    auto key_of = [&](std::int64_t i) -> std::string_view { return keys[static_cast<std::size_t>(i)]; };
    StringIndex<false> one_by_one(key_of), at_once(key_of);
    std::vector<std::pair<std::size_t, std::int64_t>> expected_repeats, repeats;
    for (std::size_t i = 0; i < 100; ++i) {  // already there before
        one_by_one.emplace(keys[i], static_cast<std::int64_t>(i));
        at_once.emplace(keys[i], static_cast<std::int64_t>(i));
    }
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if (keys[i].empty()) continue;
        auto [first, added] = one_by_one.emplace(keys[i], static_cast<std::int64_t>(i));
        if (!added) expected_repeats.emplace_back(i, first);
    }
    at_once.emplace_all(
        keys.size(), [&](std::size_t i) -> std::string_view { return keys[i]; },
        [&](std::size_t i, std::int64_t first) { repeats.emplace_back(i, first); });
    EXPECT_EQ(repeats, expected_repeats);
    EXPECT_EQ(repeats.size(), 5000u + 100u - 5u);  // the 5,000 past W-14999 and the first 100 again, less empties
    EXPECT_EQ(at_once.size(), one_by_one.size());
    for (const auto& key : keys) EXPECT_EQ(at_once.find(key), one_by_one.find(key)) << key;
    EXPECT_EQ(at_once.find(""), StringIndex<>::none);

    // Looking many up at once finds what find() finds, in order; an empty key
    // finds nothing.
    std::vector<std::string> asked = {"W-3", "nobody", "", "W-14998", "W-3", "W-15000"};
    for (int i = 0; i < 100; ++i) asked.push_back("W-" + std::to_string(i * 151));
    std::vector<std::int64_t> found;
    at_once.find_all(
        asked.size(), [&](std::size_t i) -> std::string_view { return asked[i]; },
        [&](std::size_t i, std::int64_t value) {
            EXPECT_EQ(i, found.size());
            found.push_back(value);
        });
    ASSERT_EQ(found.size(), asked.size());
    for (std::size_t i = 0; i < asked.size(); ++i) EXPECT_EQ(found[i], at_once.find(asked[i])) << asked[i];
    EXPECT_EQ(found[1], StringIndex<>::none);
    EXPECT_EQ(found[2], StringIndex<>::none);
    EXPECT_EQ(found[3], 14998);
}

TEST(FlatIndex, EmailsMatchWhateverTheirCase) {
    std::vector<std::string> emails = {"Ann.Lee@Example.com", "bo@example.com"};
    StringIndex<true> index([&](std::int64_t i) -> std::string_view { return emails[static_cast<std::size_t>(i)]; },
                            emails.size());
    index.emplace(emails[0], 0);
    index.emplace(emails[1], 1);
    EXPECT_EQ(index.find("ann.lee@example.COM"), 0);
    EXPECT_EQ(index.find("BO@EXAMPLE.COM"), 1);
    EXPECT_EQ(index.find("ann.lee@example.co"), StringIndex<true>::none);
}

// Far more keys than the 32 bits of hash a slot keeps can tell apart in a
// small table: every lookup still compares the key itself.
TEST(FlatIndex, KeysThatShareHashBitsStayApart) {
    std::vector<std::string> keys;
    for (int i = 0; i < 200000; ++i) keys.push_back(std::to_string(i * 7919));
    StringIndex<false> index([&](std::int64_t i) -> std::string_view { return keys[static_cast<std::size_t>(i)]; }, 16);
    for (std::size_t i = 0; i < keys.size(); ++i) index.emplace(keys[i], static_cast<std::int64_t>(i));
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < keys.size(); ++i) wrong += index.find(keys[i]) != static_cast<std::int64_t>(i);
    EXPECT_EQ(wrong, 0u);
    EXPECT_EQ(index.find("1"), StringIndex<>::none);
}

TEST(HashPositions, FindsEachHashAtItsFirstPlace) {
    // Hashes that share their low bits, one listed twice.
    const std::vector<std::uint64_t> list = {7, 7 + 1024, 3, 7 + 2048, 3};
    const HashPositions positions([&list](std::size_t k) { return list[k]; }, list.size());
    EXPECT_EQ(positions.find(std::uint64_t{7}), 0u);
    EXPECT_EQ(positions.find(std::uint64_t{7 + 2048}), 3u);
    EXPECT_EQ(positions.find(std::uint64_t{3}), 2u);
    EXPECT_EQ(positions.find(std::uint64_t{7 + 4096}), positions.none);
    EXPECT_TRUE(positions.duplicates());

    const std::vector<std::array<std::uint64_t, 2>> records = {{5, 1}, {5, 2}};
    const HashPositions unique([&records](std::size_t k) { return records[k]; }, records.size());
    EXPECT_EQ(unique.find(std::array<std::uint64_t, 2>{5, 2}), 1u);
    EXPECT_EQ(unique.find(std::array<std::uint64_t, 2>{5, 3}), unique.none);
    EXPECT_FALSE(unique.duplicates());
}

}  // namespace
}  // namespace peoplesync::flat
