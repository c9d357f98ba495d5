// Reading a directory as its own users see it: its users a page at a time,
// searched; one user with their manager, reports and departments; the
// department tree; and their edit of the fields no pipeline syncs. An
// optional capability of a sink (Sink::browser()), for the admin API and the
// console. A sink that is not a directory ignores it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <peoplesync/error.hpp>
#include <peoplesync/model.hpp>

namespace peoplesync {

// One user in a list.
struct DirectoryListedUser {
    std::int64_t id = 0;  // the directory's own id
    std::string hris_id;  // empty for a user no HRIS ever sent
    std::string first_name;
    std::string last_name;
    std::string email;
    std::string job_title;
    bool active = true;
    bool synced = false;
};

struct UserQuery {
    // Empty: every user. Otherwise the users it matches, as the plugin
    // documents (the directory sink: a case-insensitive prefix of hris_id,
    // email, first name, last name or "first last").
    std::string search;
    // A page's `next`, to go on from there; empty: from the start.
    std::string after;
    std::size_t limit = 50;
};

struct UserPage {
    std::vector<DirectoryListedUser> users;
    // Where the next page starts (pass it as UserQuery::after); empty after
    // the last page. A page may hold fewer than `limit` users and still have
    // a next one: a search that looks through a large directory in bounded
    // steps answers with what one step found.
    std::string next;
    // How many users match in all; -1 when it cannot be known cheaply.
    std::int64_t total = -1;
};

// Another user, as a link.
struct DirectoryPerson {
    std::int64_t id = 0;
    std::string name;  // "first last"
    std::string hris_id;
};

struct DirectoryMembership {
    std::int64_t department_id = 0;
    std::string path;  // "Engineering > Mobile Team"
    bool synced = false;
};

// One user, whole.
struct DirectoryUserDetail {
    std::int64_t id = 0;
    User user;  // every field; departments as paths
    bool synced = false;
    std::vector<std::string> synced_fields;  // read-only here: the HRIS owns them
    std::string synced_by;                   // the pipeline that syncs the user; empty when not synced
    std::string updated_at;                  // ISO 8601
    std::optional<DirectoryPerson> manager;
    std::vector<DirectoryPerson> reports;  // the first report_limit, by id
    std::int64_t report_count = 0;         // all of them
    std::vector<DirectoryMembership> departments;

    static constexpr std::size_t report_limit = 200;
};

struct DirectoryDepartment {
    std::int64_t id = 0;
    std::int64_t parent_id = 0;  // 0 at the top
    std::string name;
    std::string path;
    bool synced = false;
    std::int64_t members = 0;  // its own members, not those of the departments below it
};

// An edit refused because the field is synced: the HRIS owns it, and the
// pipeline that syncs it would undo the edit.
class SyncedFieldError : public Error {
public:
    SyncedFieldError(const std::string& message, std::string field, std::string pipeline);
    ~SyncedFieldError() override;
    const std::string& field() const { return field_; }
    const std::string& pipeline() const { return pipeline_; }

private:
    std::string field_;
    std::string pipeline_;
};

// Called from several threads at once, and while the sink's run applies on
// another: an implementation uses connections of its own, never the sink's,
// and reads what is committed. Errors throw Error (a bad cursor, a bad
// value), saying what is wrong.
class DirectoryBrowser {
public:
    virtual ~DirectoryBrowser();

    // Users in the directory's order, a page at a time.
    virtual UserPage users(const UserQuery& query) = 0;
    // None: no such user.
    virtual std::optional<DirectoryUserDetail> user(std::int64_t id) = 0;
    // Every department with its path and member count.
    virtual std::vector<DirectoryDepartment> departments() = 0;
    // A department's members, a page at a time (`after` as in UserQuery);
    // none: no such department.
    virtual std::optional<UserPage> members(std::int64_t department_id, const std::string& after,
                                            std::size_t limit) = 0;
    // Sets fields of a user, all of them or (on any refusal) none, by the
    // directory's own rules for its users' edits (those of Sink::edit_user).
    // Throws SyncedFieldError for a synced field, Error for an unknown field
    // or a bad value; none: no such user. Returns the user as edited.
    virtual std::optional<DirectoryUserDetail> edit_user(
        std::int64_t id, const std::vector<std::pair<std::string, std::string>>& fields) = 0;
};

}  // namespace peoplesync
