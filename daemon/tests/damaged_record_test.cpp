// A damaged stored record (a records file's bytes changed on disk) is a
// clean Error about a stored snapshot, whatever count it claims: never an
// allocation of what the count says. Found by fuzz_snapshot_codec.
#include <gtest/gtest.h>

#include <peoplesync/error.hpp>

#include "record_codec.hpp"

namespace peoplesync::core {
namespace {

// The first format's twelve texts, empty, active, then `departments` as the
// department count and nothing after it.
std::string record_claiming(std::uint64_t departments) {
    std::string bytes(12, '\0');
    bytes += '\1';
    put_varint(bytes, departments);
    return bytes;
}

TEST(DamagedRecord, ADepartmentCountBeyondTheBytesIsAnErrorNotAnAllocation) {
    for (const std::uint64_t count : {std::uint64_t{1} << 62, std::uint64_t{1} << 40, std::uint64_t{3}}) {
        User user;
        try {
            decode_record(record_claiming(count), user);
            ADD_FAILURE() << count << " departments in no bytes decoded";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("stored snapshot"), std::string::npos) << e.what();
        } catch (const std::exception& e) {
            ADD_FAILURE() << count << " departments: " << e.what() << ", not a peoplesync::Error";
        }
        EXPECT_LE(user.departments.size(), 3u) << "made room for what the damaged count says";
    }
}

TEST(DamagedRecord, ARecordThatFitsStillDecodes) {
    std::string bytes = record_claiming(2);
    put_text(bytes, "A");
    put_text(bytes, "A > B");
    User user;
    decode_record(bytes, user);
    EXPECT_EQ(user.departments, (std::vector<std::string>{"A", "A > B"}));
    EXPECT_TRUE(user.active);
}

}  // namespace
}  // namespace peoplesync::core
