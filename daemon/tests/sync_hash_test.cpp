// The hash stored with every synced user (users.sync_hash) must not change
// for the same values and field selection: a different hash makes the next
// run read and compare every user again. These values were computed by the
// hash as it has been since it was introduced (38b3a23); texts of every
// length up to and past two words cover each way a field's last bytes are
// read.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "differ.hpp"

namespace peoplesync::core {
namespace {

User user_of_length(std::size_t n) {
    User u;
    const std::string text = std::string("Ää0123456789abcdefghijklmnop").substr(0, n);
    u.hris_id = "W-" + text;
    u.first_name = text;
    u.last_name = text + "z";
    u.email = text + "@example.com";
    u.job_title = text.substr(0, n / 2);
    u.phone_number = n % 3 == 0 ? "" : "+1 555 " + text;
    u.employee_id = std::to_string(n);
    u.hire_date = n % 2 == 0 ? "2024-01-0" + std::to_string(n % 10) : "";
    u.profile_image.url = n % 4 == 0 ? "https://img.example.com/" + text : "";
    u.profile_image.last_modified = n % 8 == 0 ? "1700000000" : "";
    u.active = n % 5 != 0;
    if (n % 2 == 1) u.departments = {"Eng > " + text, "Eng", "Ops > " + text.substr(0, n / 3)};
    return u;
}

SyncPolicy policy_of(std::vector<std::string> fields) {
    SyncPolicy policy;
    policy.fields = std::move(fields);
    return policy;
}

TEST(SyncHash, StaysTheSameForTheSameValuesAndFields) {
    const SyncHasher every(
        policy_of({"hris_id", "first_name", "last_name", "email", "active", "job_title", "phone_number", "employee_id",
                   "hire_date", "profile_image", "departments", "manager"}));
    const SyncHasher core(policy_of({"hris_id", "first_name", "last_name", "email", "active"}));
    std::vector<std::uint64_t> hashes;
    for (std::size_t n = 0; n <= 20; ++n) {
        const User u = user_of_length(n);
        hashes.push_back(every(u, n % 2 == 0 ? "" : "W-" + std::to_string(n + 1)));
        hashes.push_back(core(u, "W-1"));
    }
    const std::vector<std::uint64_t> expected = {
        3673122925877179788ull,  17483887466599158491ull, 3648997031295815616ull,  10679977123628307735ull,
        11317106496173991281ull, 6261187361485140218ull,  2931660806449230577ull,  12731006621677434219ull,
        3417127356827727796ull,  3562815069705892617ull,  15433918617665416831ull, 7676318818147639825ull,
        16857583019367754537ull, 9028116651229841724ull,  1982857128328786603ull,  298207337874197714ull,
        130206171458882805ull,   14245298057384183014ull, 3710310042083904689ull,  2645143616606663863ull,
        8312905958296494567ull,  8290982718897598842ull,  16996901392822522119ull, 4452581594193665962ull,
        16446736040638622958ull, 13382941478808832982ull, 4444054565339113479ull,  921748033577859871ull,
        6134451400719077480ull,  1743084418424304559ull,  432796954540816229ull,   6036299441626903124ull,
        11368337719818900528ull, 14908873187595935645ull, 14392778008063096757ull, 15489760434477825945ull,
        7244136930106458331ull,  7564440424045247636ull,  14036143300492670725ull, 1438694880018723544ull,
        16305950905032586619ull, 3794664790831783517ull,
    };
    EXPECT_EQ(hashes, expected);
}

TEST(SyncHash, DepartmentsInAnyOrderHashAlikeAndEveryFieldCounts) {
    const SyncHasher every(
        policy_of({"hris_id", "first_name", "last_name", "email", "active", "job_title", "departments", "manager"}));
    User a = user_of_length(9);
    User b = a;
    std::reverse(b.departments.begin(), b.departments.end());
    EXPECT_EQ(every(a, "M"), every(b, "M"));
    // Values that only move between fields, or a byte more, are other values.
    User c = a;
    c.first_name += c.last_name.substr(0, 1);
    c.last_name.erase(0, 1);
    EXPECT_NE(every(a, "M"), every(c, "M"));
    EXPECT_NE(every(a, "M"), every(a, "M "));
    User d = a;
    d.job_title += '\0';
    EXPECT_NE(every(a, "M"), every(d, "M"));
}

}  // namespace
}  // namespace peoplesync::core
