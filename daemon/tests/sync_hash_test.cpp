// The hash stored with every synced user (users.sync_hash) must not change
// for the same values and field selection without raising
// sync_hash_family: a different hash makes the next run read and compare
// every user again, and one of another family must not be trusted. These
// values were computed by family 2 (XXH3, hash.hpp); texts of every length up
// to and past two words cover each way a field's last bytes are read.
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
        7102028062560494543ull,  11340183229014231486ull, 1317271252205009824ull,  12471163556795945309ull,
        2831756265461149071ull,  16970625878528478123ull, 10568975557348341957ull, 11110275262139841089ull,
        5710059206359025731ull,  4282710284101920395ull,  4607300083114295778ull,  4984664030855120894ull,
        12255560415249219046ull, 1120453024758098035ull,  16323529398836958608ull, 15093490777429971118ull,
        14189244379612285775ull, 13412897185690325548ull, 3271353417196933640ull,  12924753586642066886ull,
        1875906348648865921ull,  16856843618624132509ull, 9509570270862207681ull,  16282786273262963388ull,
        14088896525131004770ull, 12316107433160829830ull, 4148793414484657626ull,  16333264411366413501ull,
        941969329847274714ull,   700287930016673297ull,   1334797823974397443ull,  11189902411811746813ull,
        7320124036550630420ull,  3106174458453316621ull,  15070926481490202495ull, 10764170121678913575ull,
        12524044696819605136ull, 9259352436315566460ull,  7572355656399175231ull,  10506905894604844183ull,
        7932975463617979711ull,  12889083647309418778ull,
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
