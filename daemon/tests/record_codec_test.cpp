// A snapshot record's bytes (record_codec): the format records files hold,
// made from the SDK's field table. The bytes of a record are pinned: a
// change would make every stored record's content hash differ, and an
// earlier build's records unreadable.
#include <gtest/gtest.h>

#include <peoplesync/error.hpp>

#include "record_codec.hpp"

namespace peoplesync::core {
namespace {

User ada() {
    User u;
    u.hris_id = "H1";
    u.first_name = "Ada";
    u.last_name = "L";
    u.email = "a@x";
    u.job_title = "Eng";
    u.phone_number = "+1";
    u.employee_id = "E";
    u.hire_date = "2020";
    u.profile_image = {"u", "m", "c"};
    u.departments = {"A", "A > B"};
    u.manager_hris_id = "H0";
    u.active = false;
    u.origin = "not stored";
    return u;
}

TEST(RecordCodec, ARecordIsItsFirstTwelveTextsActiveAndDepartmentsAsEarlierBuildsWroteIt) {
    std::string bytes;
    encode_record(ada(), bytes);
    const std::string expected(
        "\x02H1\x03"
        "Ada\x01L\x03"
        "a@x\x03"
        "Eng\x02+1\x01"
        "E\x04"
        "2020\x01u\x01m\x01"
        "c\x02H0"
        "\x00\x02\x01"
        "A\x05"
        "A > B",
        46);
    EXPECT_EQ(bytes, expected);
    EXPECT_EQ(record_size(ada()), bytes.size());
}

TEST(RecordCodec, EveryFieldComesBackAndARecordOfEmptyFieldsIsShort) {
    std::string bytes;
    encode_record(ada(), bytes);
    User back;
    back.origin = "kept";
    decode_record(bytes, back);
    User wanted = ada();
    wanted.origin = "kept";
    for_each_field(back, wanted, [](auto id, const auto& got, const auto& expected) {
        SCOPED_TRACE(std::string(spec_of(decltype(id)::value).name));
        EXPECT_EQ(got, expected);
    });

    std::string empty;
    encode_record(User{}, empty);
    EXPECT_EQ(empty, std::string(12, '\0') + "\x01" + std::string(1, '\0'));
    decode_record(empty, back);  // reused: every field emptied
    const User fresh;
    for_each_field(back, fresh, [](auto, const auto& got, const auto& expected) { EXPECT_EQ(got, expected); });
}

TEST(RecordCodec, ATruncatedRecordIsAnError) {
    std::string bytes;
    encode_record(ada(), bytes);
    User back;
    EXPECT_THROW(decode_record(bytes.substr(0, 20), back), Error);
}

}  // namespace
}  // namespace peoplesync::core
