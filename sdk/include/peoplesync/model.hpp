// The people schema every source produces and every sink consumes: the
// guide's user record, a complete snapshot of them, and findings with the
// place they were found.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace peoplesync {

struct ProfileImage {
    std::string url;            // required when a profile image is given
    std::string last_modified;  // the guide allows a number or a date-time; kept as text
    std::string cache_info;

    bool empty() const { return url.empty() && last_modified.empty() && cache_info.empty(); }
    bool operator==(const ProfileImage&) const = default;
};

// One person as the HRIS describes them. Optional text fields are empty when
// absent: a complete snapshot that does not name a value clears it.
struct User {
    std::string hris_id;
    std::string first_name;
    std::string last_name;
    std::string email;
    bool active = true;
    std::string job_title;
    std::string phone_number;
    std::string employee_id;
    std::string hire_date;
    ProfileImage profile_image;
    std::vector<std::string> departments;  // paths, levels separated by " > "
    std::string manager_hris_id;           // the guide's manager.hris_id

    // Where the record came from, e.g. "employees.csv:12", "users[3]" or an
    // LDAP DN. See Snapshot::locate().
    std::string origin;
};

// The fields a pipeline may choose to sync, in the guide's spelling.
namespace field {
inline constexpr std::string_view hris_id = "hris_id";
inline constexpr std::string_view first_name = "first_name";
inline constexpr std::string_view last_name = "last_name";
inline constexpr std::string_view email = "email";
inline constexpr std::string_view active = "active";
inline constexpr std::string_view job_title = "job_title";
inline constexpr std::string_view phone_number = "phone_number";
inline constexpr std::string_view employee_id = "employee_id";
inline constexpr std::string_view hire_date = "hire_date";
inline constexpr std::string_view profile_image = "profile_image";
inline constexpr std::string_view departments = "departments";
inline constexpr std::string_view manager = "manager";
}  // namespace field

// Every field of the schema, in the guide's order.
const std::vector<std::string_view>& all_fields();
// The fields that are synced whatever a pipeline selects.
const std::vector<std::string_view>& always_synced_fields();
bool is_known_field(std::string_view name);

enum class Severity { warning, error };
std::string_view to_string(Severity severity);

struct Finding {
    Severity severity = Severity::error;
    std::string location;  // "users[17].email", "employees.csv:4312 column \"Work Email\""
    std::string message;
    // Index of the user the finding is about, or -1 for the snapshot as a
    // whole. An error about a user makes that record invalid.
    std::int64_t record = -1;
};

struct Snapshot {
    std::vector<User> users;
    std::vector<Finding> findings;  // what the source found while reading

    // Metadata.
    std::string pipeline;
    std::string origin;       // "file employees.csv", "ldap://host/ou=people", "request 42"
    std::string received_at;  // ISO 8601 UTC
    std::string request_id;   // set for pushed snapshots

    // How to name a field's place: a label per field ("column \"Work
    // Email\"", "attribute mail"). Without a label the place is written
    // "<origin>.<field>", the guide's JSON path style.
    std::map<std::string, std::string, std::less<>> field_labels;

    std::string locate(const User& user, std::string_view field_name) const;

    void error(std::int64_t record, std::string location, std::string message);
    void warning(std::int64_t record, std::string location, std::string message);
};

}  // namespace peoplesync
