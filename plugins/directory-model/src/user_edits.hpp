// How a directory's own users edit it, whatever its database: who a name
// means (find_ids, lookup), and which edits are allowed and what each writes
// (plan_edits), by the same rules whether the edit comes from `peoplesync
// directory set` or the admin API. Each sink writes the planned edits in its
// own SQL, with an audit row each, in one transaction of its own.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <peoplesync/changeset.hpp>

namespace peoplesync::directory_model {

// What the edit rules read from a directory's database.
class UserReader {
public:
    virtual ~UserReader() = default;
    virtual std::vector<std::int64_t> ids_with_hris_id(const std::string& hris_id) = 0;
    // The users whose email, folded as fold_case() folds (ASCII), is `folded`.
    virtual std::vector<std::int64_t> ids_with_email(const std::string& folded) = 0;
    // The users with these ids, whole; with their department paths when asked.
    virtual std::vector<DestinationRecord> records(std::span<const std::int64_t> ids, bool with_paths) = 0;
};

// The users `who` names: those with it as hris_id, else those with it as
// email, ignoring ASCII case. Throws when several users have the email.
std::vector<std::int64_t> find_ids(UserReader& users, const std::string& who);
// The same users, whole, with their department paths.
std::vector<DestinationRecord> lookup(UserReader& users, const std::string& who);

// One checked edit: what to write into which users column, and what its
// audit row says.
struct PlannedEdit {
    enum class Kind {
        text,  // `value`; for hris_id, empty is NULL
        flag,  // `flag` (active)
        user,  // `user_id`, 0: none (manager_id)
    };
    std::string field;
    std::string column;
    Kind kind = Kind::text;
    std::string old_value;
    std::string value;
    bool flag = false;
    std::int64_t user_id = 0;
};

// Checks every edit of `record`'s user before any is written: a synced
// field throws SyncedFieldError naming `pipeline`; an unknown field, a bad
// value, an email that is none, another user's hris_id or a manager who is
// nobody or the user throws Error. `who` names the user in messages.
std::vector<PlannedEdit> plan_edits(UserReader& users, const DestinationRecord& record, const std::string& who,
                                    std::span<const std::pair<std::string, std::string>> edits,
                                    const std::string& pipeline);

}  // namespace peoplesync::directory_model
