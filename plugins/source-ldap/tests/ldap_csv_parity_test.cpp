// The same organisation exported as CSV and published in LDAP reads into
// the same snapshot through the csv and ldap sources.
#include <cctype>

#include "ldap_fixture.hpp"

namespace peoplesync::ldap_test {
namespace {

class LdapCsvParity : public LdapTestBase {
protected:
    void TearDown() override {
        server_.reset();
        LdapTestBase::TearDown();
    }
    std::unique_ptr<SlapdServer> server_;
};

std::string csv_field(const std::string& value) {
    if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
    std::string out = "\"";
    for (char c : value) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

// The org, minus the entries that exist to test LDAP's own problems.
std::vector<Person> small_org() {
    std::vector<Person> people;
    for (const auto& p : org())
        if (p.uid != "broken" && p.uid != "lost" && people.size() < 12) people.push_back(p);
    return people;
}

std::string hris_id_of_dn(const std::vector<Person>& people, const std::string& dn) {
    // The test org writes some manager DNs in other spellings; match loosely.
    auto fold = [](std::string s) {
        std::string out;
        for (char c : s)
            if (c != ' ') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string::size_type at;
        while ((at = out.find("\\2c")) != std::string::npos) out.replace(at, 3, "\\,");
        return out;
    };
    for (const auto& p : people)
        if (fold(person_dn(p)) == fold(dn)) return p.uid;
    return "";
}

std::string csv(const std::vector<Person>& people) {
    std::string out =
        "hris_id,first_name,last_name,email,job_title,phone_number,employee_id,departments,manager,active\n";
    for (const auto& p : people) {
        std::string departments;
        for (const auto& d : p.departments) departments += (departments.empty() ? "" : "|") + d;
        out += csv_field(p.uid) + "," + csv_field(p.given_name) + "," + csv_field(p.sn) + "," + csv_field(p.mail) +
               "," + csv_field(p.title) + "," + csv_field(p.phone) + "," + csv_field(p.employee_number) + "," +
               csv_field(departments) + "," + csv_field(hris_id_of_dn(people, p.manager)) + "," +
               (p.account_control == "514" ? "false" : "true") + "\n";
    }
    return out;
}

std::vector<User> sorted(std::vector<User> users) {
    std::sort(users.begin(), users.end(), [](const User& a, const User& b) { return a.hris_id < b.hris_id; });
    return users;
}

TEST_F(LdapCsvParity, CsvAndLdapSourcesProduceTheSameSnapshot) {
    const std::vector<Person> people = small_org();
    ASSERT_EQ(people.size(), 12u);
    server_ = std::make_unique<SlapdServer>(dir() / "slapd", ldif(people));
    write_text(dir() / "people.csv", csv(people));

    std::shared_ptr<Source> csv_source;
    try {
        csv_source = testing::built_plugins().make_source("csv", core::parse_config_text("path: people.csv\n"), host());
    } catch (const Error& e) {
        FAIL() << "the csv source plugin is not available (build plugins/source-csv): " << e.what();
    }
    Snapshot from_csv = csv_source->read(context());
    Snapshot from_ldap = read(connection(*server_, {{"active_attribute", "userAccountControl"}, {"page_size", "5"}}) +
                              "active_values: [512]\n");

    EXPECT_TRUE(from_csv.findings.empty()) << ::testing::PrintToString(findings(from_csv));
    EXPECT_TRUE(from_ldap.findings.empty()) << ::testing::PrintToString(findings(from_ldap));
    const std::vector<User> a = sorted(from_csv.users.to_vector()), b = sorted(from_ldap.users.to_vector());
    ASSERT_EQ(a.size(), b.size());
    ASSERT_EQ(a.size(), people.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        SCOPED_TRACE(a[i].hris_id);
        EXPECT_EQ(a[i].hris_id, b[i].hris_id);
        EXPECT_EQ(a[i].first_name, b[i].first_name);
        EXPECT_EQ(a[i].last_name, b[i].last_name);
        EXPECT_EQ(a[i].email, b[i].email);
        EXPECT_EQ(a[i].active, b[i].active);
        EXPECT_EQ(a[i].job_title, b[i].job_title);
        EXPECT_EQ(a[i].phone_number, b[i].phone_number);
        EXPECT_EQ(a[i].employee_id, b[i].employee_id);
        EXPECT_EQ(a[i].hire_date, b[i].hire_date);
        EXPECT_EQ(a[i].profile_image, b[i].profile_image);
        EXPECT_EQ(a[i].departments, b[i].departments);
        EXPECT_EQ(a[i].manager_hris_id, b[i].manager_hris_id);
    }
    // The org exercises what matters: a manager chain, several departments,
    // non-ASCII names, someone inactive.
    EXPECT_EQ(user(from_ldap, "wei").manager_hris_id, "jose");
    EXPECT_EQ(user(from_ldap, "jose").manager_hris_id, "jane");
    EXPECT_EQ(user(from_ldap, "jose").first_name, "José");
    EXPECT_FALSE(user(from_ldap, "bob").active);
    EXPECT_EQ(user(from_ldap, "jane").departments.size(), 2u);
}

}  // namespace
}  // namespace peoplesync::ldap_test
