// The organisation the tests read: people with every mapped attribute, as
// LDIF for slapd and as CSV for the csv source.
#pragma once

#include <string>
#include <vector>

namespace peoplesync::ldap_test {

struct Person {
    std::string rdn;  // as written in the DN: "uid=ada", "cn=Doe\, Jane"
    std::string uid, given_name, sn, mail, title, phone, employee_number;
    std::vector<std::string> departments;  // departmentNumber values, levels written with " > "
    std::vector<std::string> ous;          // the same departments in ou, levels written with "/"
    std::string manager;                   // the manager's DN, as written
    std::string account_control;           // userAccountControl: 512 normal, 514 disabled
    std::string locked;                    // nsAccountLock
    std::string photo;                     // jpegPhoto bytes
};

inline const char* const people_dn = "ou=people,dc=example,dc=com";

inline std::string person_dn(const Person& p) {
    return p.rdn + "," + people_dn;
}

inline std::string base64(const std::string& bytes) {
    static const char* const digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const unsigned n = (static_cast<unsigned char>(bytes[i]) << 16) |
                           (static_cast<unsigned char>(bytes[i + 1]) << 8) | static_cast<unsigned char>(bytes[i + 2]);
        out += digits[(n >> 18) & 63];
        out += digits[(n >> 12) & 63];
        out += digits[(n >> 6) & 63];
        out += digits[n & 63];
    }
    if (i + 1 == bytes.size()) {
        const unsigned n = static_cast<unsigned char>(bytes[i]) << 16;
        out += digits[(n >> 18) & 63];
        out += digits[(n >> 12) & 63];
        out += "==";
    } else if (i + 2 == bytes.size()) {
        const unsigned n =
            (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
        out += digits[(n >> 18) & 63];
        out += digits[(n >> 12) & 63];
        out += digits[(n >> 6) & 63];
        out += '=';
    }
    return out;
}

// "name: value", or "name:: base64" when the value is not plain ASCII
// (RFC 2849).
inline std::string ldif_line(const std::string& name, const std::string& value) {
    bool plain =
        !value.empty() && value.front() != ' ' && value.front() != ':' && value.front() != '<' && value.back() != ' ';
    for (char c : value)
        if (static_cast<unsigned char>(c) >= 0x80 || c == '\0' || c == '\n' || c == '\r') plain = false;
    return plain ? name + ": " + value + "\n" : name + ":: " + base64(value) + "\n";
}

inline std::string ldif_entry(const Person& p) {
    std::string out = ldif_line("dn", person_dn(p));
    out += "objectClass: inetOrgPerson\n";
    if (!p.account_control.empty() || !p.locked.empty()) out += "objectClass: peoplesyncTestAccount\n";
    out += ldif_line("cn", p.given_name + " " + p.sn);
    if (p.rdn.rfind("cn=", 0) == 0) out += "cn: Doe, Jane\n";  // the RDN's value must be among the entry's
    out += ldif_line("sn", p.sn);
    if (!p.uid.empty()) out += ldif_line("uid", p.uid);
    if (!p.given_name.empty()) out += ldif_line("givenName", p.given_name);
    if (!p.mail.empty()) out += ldif_line("mail", p.mail);
    if (!p.title.empty()) out += ldif_line("title", p.title);
    if (!p.phone.empty()) out += ldif_line("telephoneNumber", p.phone);
    if (!p.employee_number.empty()) out += ldif_line("employeeNumber", p.employee_number);
    for (const auto& d : p.departments) out += ldif_line("departmentNumber", d);
    for (const auto& o : p.ous) out += ldif_line("ou", o);
    if (!p.manager.empty()) out += ldif_line("manager", p.manager);
    if (!p.account_control.empty()) out += ldif_line("userAccountControl", p.account_control);
    if (!p.locked.empty()) out += ldif_line("nsAccountLock", p.locked);
    if (!p.photo.empty()) out += ldif_line("jpegPhoto", p.photo);
    return out + "\n";
}

// The suffix, ou=people and the service account peoplesync binds as.
inline std::string ldif_frame() {
    return "dn: dc=example,dc=com\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n"
           "dn: ou=people,dc=example,dc=com\nobjectClass: organizationalUnit\nou: people\n\n"
           "dn: ou=services,dc=example,dc=com\nobjectClass: organizationalUnit\nou: services\n\n"
           "dn: cn=peoplesync,ou=services,dc=example,dc=com\nobjectClass: organizationalRole\n"
           "objectClass: simpleSecurityObject\ncn: peoplesync\nuserPassword: s3cret-Pa55\n\n";
}

inline std::string ldif(const std::vector<Person>& people) {
    std::string out = ldif_frame();
    for (const auto& p : people) out += ldif_entry(p);
    return out;
}

inline const char* const ada_dn = "uid=ada,ou=people,dc=example,dc=com";

// Ada runs the company; Jane (whose DN holds an escaped comma) reports to
// her and runs Engineering; José reports to Jane, whose DN his entry writes
// differently; Wei reports to José, written in capitals; Bob is disabled;
// Lou's manager does not exist; Broken has a bad mail and a photo; twenty
// sellers report to Ada — more people than the server's size limit of 10.
inline std::vector<Person> org() {
    std::vector<Person> people = {
        {"uid=ada",
         "ada",
         "Ada",
         "Lovelace",
         "ada@example.com",
         "Chief Executive Officer",
         "+44 20 7946 0000",
         "E-0001",
         {"Executive"},
         {"Executive"},
         "",
         "512",
         "",
         ""},
        {"cn=Doe\\, Jane",
         "jane",
         "Jane",
         "Doe",
         "jane.doe@example.com",
         "Chief Technology Officer",
         "+44 20 7946 0001",
         "E-0002",
         {"Engineering", "Executive"},
         {"Engineering", "Executive"},
         ada_dn,
         "512",
         "",
         ""},
        {"uid=jose",
         "jose",
         "José",
         "Álvarez",
         "jose.alvarez@example.com",
         "Platform Lead",
         "",
         "E-0003",
         {"Engineering > Platform"},
         {"Engineering/Platform"},
         "CN=Doe\\2C Jane, OU=People,DC=Example,dc=com",
         "512",
         "",
         ""},
        {"uid=wei",
         "wei",
         "伟",
         "张",
         "wei.zhang@example.com",
         "Engineer",
         "",
         "E-0004",
         {"Engineering > Platform", "Research"},
         {"Engineering/Platform", "Research"},
         "UID=JOSE,OU=PEOPLE,DC=EXAMPLE,DC=COM",
         "512",
         "",
         ""},
        {"uid=bob",
         "bob",
         "Bob",
         "Stone",
         "bob@example.com",
         "Engineer",
         "",
         "E-0005",
         {"Engineering > Platform"},
         {"Engineering/Platform"},
         "cn=Doe\\, Jane,ou=people,dc=example,dc=com",
         "514",
         "TRUE",
         ""},
        {"uid=lost",
         "lost",
         "Lou",
         "Lost",
         "lou@example.com",
         "Analyst",
         "",
         "E-0006",
         {"Sales"},
         {"Sales"},
         "uid=nobody,ou=people,dc=example,dc=com",
         "",
         "",
         ""},
        {"uid=broken",
         "broken",
         "Bea",
         "Broken",
         "broken@",
         "",
         "",
         "E-0007",
         {"Sales"},
         {"Sales"},
         ada_dn,
         "",
         "",
         std::string("\x89PNG\r\n\x1a\n\0\0", 10)},
    };
    for (int i = 1; i <= 20; ++i) {
        const std::string n = (i < 10 ? "0" : "") + std::to_string(i);
        people.push_back({"uid=s" + n,
                          "s" + n,
                          "Seller",
                          n,
                          "s" + n + "@example.com",
                          "Account Executive",
                          "",
                          "E-1" + n,
                          {"Sales"},
                          {"Sales"},
                          ada_dn,
                          "512",
                          "",
                          ""});
    }
    return people;
}

}  // namespace peoplesync::ldap_test
