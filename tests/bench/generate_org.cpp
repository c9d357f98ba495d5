// Writes a deterministic synthetic organisation for the benchmark:
//   generate_org --people N [--seed S] [--churn PCT] --out DIR
// DIR/org.csv (an HRIS-style export), DIR/org.json (the guide's format),
// DIR/org.ldif (inetOrgPerson entries under ou=people,dc=example,dc=com),
// and DIR/expected.json: the ChangeSet counts a sync of this file must
// produce — against an empty directory, or (with --churn) against the
// directory the same seed without churn produced.
//
// The organisation: a department tree four levels deep, one to three
// departments per person, a manager tree with a fan-out near eight, about 3%
// inactive, names with non-ASCII letters. Churn changes PCT% of the people:
// title changes, department moves, manager changes, leavers and new hires,
// each on its own people so the expected counts are exact.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <vector>

namespace {

// splitmix64: the same numbers on every platform and standard library.
class Random {
public:
    explicit Random(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
    bool chance(double p) { return static_cast<double>(next() % 1000000) < p * 1000000.0; }

private:
    std::uint64_t state_;
};

const std::vector<std::string> first_names = {
    "José",   "Zoë",   "Søren",  "Łukasz", "Chloé",  "Björn",  "Ömer",    "Amélie",  "Jürgen", "Iñaki",
    "Ana",    "Liam",  "Olivia", "Noah",   "Emma",   "Mateo",  "Sofía",   "Wei",     "Yuki",   "Aisha",
    "Kwame",  "Priya", "Ravi",   "Fatima", "Dmitri", "Ingrid", "Chiara",  "Hiroshi", "Mei",    "Nadia",
    "Thomas", "Sara",  "Lucas",  "Elena",  "Ahmed",  "Grace",  "Camille", "Oscar",   "Zainab", "Kofi"};
const std::vector<std::string> last_names = {
    "Álvarez", "Müller",  "Nielsen", "Wiśniewski", "Dubois",  "Andersson", "Yılmaz", "Núñez",   "Kowalski", "Petrova",
    "Okafor",  "Raman",   "Nwosu",   "Tanaka",     "Bennett", "Rossi",     "Bello",  "Volkov",  "O'Neill",  "Silva",
    "Mensah",  "Popescu", "García",  "Laurent",    "Weber",   "Schmidt",   "Murphy", "Mendoza", "Chen",     "Williams",
    "Patel",   "Hassan",  "Sato",    "Fischer",    "Kim",     "Bianchi",   "Dupont", "Novak",   "Asante",   "Cohen"};
const std::vector<std::string> titles = {"Software Engineer",
                                         "Senior Software Engineer",
                                         "Staff Engineer",
                                         "Engineering Manager",
                                         "Account Executive",
                                         "Sales Engineer",
                                         "Support Specialist",
                                         "Customer Success Manager",
                                         "Recruiter",
                                         "Financial Analyst",
                                         "Product Designer",
                                         "Data Scientist",
                                         "Site Reliability Engineer",
                                         "Controller",
                                         "Director"};
const std::vector<std::string> divisions = {"Engineering", "Sales",   "Customer Success", "People",
                                            "Finance",     "Product", "Marketing",        "Operations"};

struct Person {
    std::string hris_id, employee_no, first, last, email, title, hire_date, phone;
    std::vector<std::size_t> departments;  // indexes into the leaf paths
    std::int64_t manager = -1;             // index of the manager
    bool active = true;
    bool present = true;  // false: left (churn)
};

std::string csv_field(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string out = "\"";
    for (char c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string json_string(const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string ascii_fold(const std::string& text) {
    std::string out;
    for (unsigned char c : text)
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            out += static_cast<char>(c);
        else if (c >= 'A' && c <= 'Z')
            out += static_cast<char>(c - 'A' + 'a');
    return out.empty() ? "x" : out;
}

int usage() {
    std::cerr << "usage: generate_org --people N [--seed S] [--churn PCT] --out DIR\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t people = 0;
    std::uint64_t seed = 42;
    double churn = 0;
    std::filesystem::path out;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string key = argv[i], value = argv[i + 1];
        if (key == "--people")
            people = std::stoull(value);
        else if (key == "--seed")
            seed = std::stoull(value);
        else if (key == "--churn")
            churn = std::stod(value);
        else if (key == "--out")
            out = value;
        else
            return usage();
    }
    if (people < 10 || out.empty()) return usage();
    std::filesystem::create_directories(out);

    // The department tree: division > department > team > squad.
    Random random(seed);
    std::vector<std::string> leaves;
    const std::size_t wanted_leaves = std::max<std::size_t>(people / 40, 8);
    for (std::size_t d = 0; leaves.size() < wanted_leaves; ++d) {
        const std::string division = divisions[d % divisions.size()];
        const std::string department = division + " > Department " + std::to_string(d / divisions.size() + 1);
        for (std::size_t t = 1; t <= 6 && leaves.size() < wanted_leaves; ++t) {
            const std::string team = department + " > Team " + std::to_string(t);
            for (std::size_t s = 1; s <= 4 && leaves.size() < wanted_leaves; ++s)
                leaves.push_back(team + " > Squad " + std::to_string(s));
        }
    }

    std::vector<Person> org(people);
    for (std::size_t i = 0; i < people; ++i) {
        Person& p = org[i];
        p.hris_id = "W-" + std::to_string(1000000 + i);
        p.employee_no = "E" + std::to_string(500000 + i);
        p.first = first_names[random.below(first_names.size())];
        p.last = last_names[random.below(last_names.size())];
        p.email = ascii_fold(p.first) + "." + ascii_fold(p.last) + "." + std::to_string(i) + "@example.com";
        p.title = titles[random.below(titles.size())];
        p.hire_date = std::to_string(2000 + random.below(25)) + "-" + std::to_string(10 + random.below(3)) + "-" +
                      std::to_string(10 + random.below(18));
        p.phone = "+1 415-555-" + std::to_string(1000 + random.below(9000));
        // Mostly one department; a fifth have two, one in twenty three.
        std::size_t count = random.chance(0.05) ? 3 : random.chance(0.2) ? 2 : 1;
        std::set<std::size_t> chosen;
        const std::size_t home = (i / 40) % leaves.size();
        chosen.insert(home);
        while (chosen.size() < count) chosen.insert(random.below(leaves.size()));
        p.departments.assign(chosen.begin(), chosen.end());
        // A tree with a fan-out near eight: person i reports to (i - 1) / 8.
        if (i > 0) p.manager = static_cast<std::int64_t>((i - 1) / 8);
        p.active = i == 0 || !random.chance(0.03);
    }

    // Expected changes against an empty directory.
    std::int64_t created = 0, memberships_added = 0, memberships_removed = 0, managers_changed = 0, updated = 0,
                 unsynced = 0, departments_created = 0;
    std::set<std::string> levels;
    for (const auto& leaf : leaves) {
        std::size_t at = 0;
        while ((at = leaf.find(" > ", at)) != std::string::npos) levels.insert(leaf.substr(0, at)), at += 3;
        levels.insert(leaf);
    }

    if (churn <= 0) {
        std::set<std::string> used;
        for (const auto& p : org) {
            ++created;
            memberships_added += static_cast<std::int64_t>(p.departments.size());
            managers_changed += p.manager >= 0;
            for (auto d : p.departments) {
                const std::string& leaf = leaves[d];
                std::size_t at = 0;
                while ((at = leaf.find(" > ", at)) != std::string::npos) used.insert(leaf.substr(0, at)), at += 3;
                used.insert(leaf);
            }
        }
        departments_created = static_cast<std::int64_t>(used.size());
    } else {
        // Churn on distinct people who manage nobody (so a leaver leaves no
        // report behind and the expected counts stay exact).
        const std::size_t changes = std::max<std::size_t>(static_cast<std::size_t>(people * churn / 100.0), 10);
        const std::size_t first_leaf = (people - 1) / 8 + 1;  // person i manages 8i+1 .. 8i+8
        if (changes > (people - first_leaf) / 2) {
            std::cerr << "generate_org: too much churn for " << people << " people\n";
            return 2;
        }
        Random churner(seed ^ 0xc0ffee);
        std::set<std::size_t> touched;
        auto pick = [&]() {
            while (true) {
                const std::size_t i = first_leaf + churner.below(people - first_leaf);
                if (touched.insert(i).second) return i;
            }
        };
        const std::size_t title_changes = changes * 40 / 100, moves = changes * 25 / 100,
                          manager_changes = changes * 15 / 100, leavers = changes * 10 / 100,
                          hires = changes - title_changes - moves - manager_changes - leavers;
        for (std::size_t k = 0; k < title_changes; ++k) {
            Person& p = org[pick()];
            p.title = "Principal " + p.title;
            ++updated;
        }
        for (std::size_t k = 0; k < moves; ++k) {
            Person& p = org[pick()];
            std::size_t target = churner.below(leaves.size());
            while (std::find(p.departments.begin(), p.departments.end(), target) != p.departments.end())
                target = (target + 1) % leaves.size();
            p.departments.front() = target;
            ++memberships_added;
            ++memberships_removed;
        }
        for (std::size_t k = 0; k < manager_changes; ++k) {
            const std::size_t i = pick();
            std::size_t manager = churner.below(first_leaf);
            if (manager == (i - 1) / 8) manager = (manager + 1) % first_leaf;
            org[i].manager = static_cast<std::int64_t>(manager);
            ++managers_changed;
        }
        for (std::size_t k = 0; k < leavers; ++k) {
            Person& p = org[pick()];
            p.present = false;
            ++unsynced;
            memberships_removed += static_cast<std::int64_t>(p.departments.size());
        }
        for (std::size_t k = 0; k < hires; ++k) {
            Person p;
            const std::size_t i = people + k;
            p.hris_id = "W-" + std::to_string(1000000 + i);
            p.employee_no = "E" + std::to_string(500000 + i);
            p.first = first_names[churner.below(first_names.size())];
            p.last = last_names[churner.below(last_names.size())];
            p.email = ascii_fold(p.first) + "." + ascii_fold(p.last) + "." + std::to_string(i) + "@example.com";
            p.title = titles[churner.below(titles.size())];
            p.hire_date = "2026-11-02";
            p.phone = "+1 415-555-0000";
            p.departments = {churner.below(leaves.size())};
            p.manager = static_cast<std::int64_t>(churner.below(first_leaf));  // never a leaver
            org.push_back(p);
            ++created;
            ++memberships_added;
            ++managers_changed;
        }
    }

    std::ofstream csv(out / "org.csv", std::ios::binary), json(out / "org.json", std::ios::binary),
        ldif(out / "org.ldif", std::ios::binary);
    csv << "Worker ID,Employee No,First Name,Last Name,Work Email,Job Title,Department,Manager Employee No,"
           "Employment Status,Hire Date,Work Phone\r\n";
    json << "{\"users\":[\n";
    ldif << "dn: ou=people,dc=example,dc=com\nobjectClass: organizationalUnit\nou: people\n\n";
    bool first = true;
    for (const auto& p : org) {
        if (!p.present) continue;
        std::string departments, json_departments;
        for (auto d : p.departments) {
            departments += (departments.empty() ? "" : "|") + leaves[d];
            json_departments += (json_departments.empty() ? "" : ",") + json_string(leaves[d]);
        }
        const std::string manager_no = p.manager >= 0 ? org[static_cast<std::size_t>(p.manager)].employee_no : "";
        const std::string manager_id = p.manager >= 0 ? org[static_cast<std::size_t>(p.manager)].hris_id : "";
        csv << p.hris_id << ',' << p.employee_no << ',' << csv_field(p.first) << ',' << csv_field(p.last) << ','
            << p.email << ',' << csv_field(p.title) << ',' << csv_field(departments) << ',' << manager_no << ','
            << (p.active ? "Active" : "Terminated") << ',' << p.hire_date << ',' << p.phone << "\r\n";
        json << (first ? "" : ",\n") << "{\"hris_id\":" << json_string(p.hris_id)
             << ",\"first_name\":" << json_string(p.first) << ",\"last_name\":" << json_string(p.last)
             << ",\"email\":" << json_string(p.email) << ",\"job_title\":" << json_string(p.title)
             << ",\"employee_id\":" << json_string(p.employee_no) << ",\"hire_date\":" << json_string(p.hire_date)
             << ",\"phone_number\":" << json_string(p.phone) << ",\"departments\":[" << json_departments
             << "],\"active\":" << (p.active ? "true" : "false");
        if (!manager_id.empty()) json << ",\"manager\":{\"hris_id\":" << json_string(manager_id) << "}";
        json << "}";
        first = false;
        ldif << "dn: uid=" << p.hris_id
             << ",ou=people,dc=example,dc=com\nobjectClass: inetOrgPerson\nuid: " << p.hris_id << "\ncn: " << p.first
             << " " << p.last << "\ngivenName: " << p.first << "\nsn: " << p.last << "\nmail: " << p.email
             << "\ntitle: " << p.title << "\nemployeeNumber: " << p.employee_no << "\ntelephoneNumber: " << p.phone
             << "\n";
        for (auto d : p.departments) ldif << "departmentNumber: " << leaves[d] << "\n";
        if (!manager_id.empty()) ldif << "manager: uid=" << manager_id << ",ou=people,dc=example,dc=com\n";
        ldif << "employeeType: " << (p.active ? "active" : "inactive") << "\n\n";
    }
    json << "\n]}\n";

    std::ofstream expected(out / "expected.json");
    expected << "{\"created\": " << created << ", \"linked\": 0, \"updated\": " << updated
             << ", \"reactivated\": 0, \"deactivated\": 0, \"unsynced\": " << unsynced
             << ", \"departments_created\": " << departments_created << ", \"memberships_added\": " << memberships_added
             << ", \"memberships_removed\": " << memberships_removed << ", \"managers_changed\": " << managers_changed
             << "}\n";
    return 0;
}
