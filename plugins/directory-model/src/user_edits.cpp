#include "user_edits.hpp"

#include <algorithm>

#include <peoplesync/directory.hpp>
#include <peoplesync/error.hpp>
#include <peoplesync/validation.hpp>

#include "records.hpp"

namespace peoplesync::directory_model {

namespace {

// What plan_edits() takes: the text fields, active and manager (not the
// profile image, nor departments, which are memberships).
std::string editable_fields() {
    std::string out;
    for (const FieldSpec& spec : field_specs)
        if (spec.kind == FieldKind::text || spec.kind == FieldKind::flag || spec.kind == FieldKind::manager)
            out += (out.empty() ? "" : ", ") + std::string(spec.name);
    return out;
}

PlannedEdit plan(UserReader& users, const DestinationRecord& record, const std::string& who,
                 const std::string& field_name, const std::string& value, const std::string& pipeline) {
    if (std::find(record.synced_fields.begin(), record.synced_fields.end(), field_name) != record.synced_fields.end())
        throw SyncedFieldError(field_name + " of " + who + " is synced from the HRIS and read-only here (pipeline " +
                                   pipeline + " syncs it); change it in the HRIS, or sync fewer fields",
                               field_name, pipeline);
    PlannedEdit edit;
    edit.field = field_name;
    edit.value = value;
    if (field_name == "active") {
        if (value != "true" && value != "false") throw Error("active takes true or false, not \"" + value + "\"");
        edit.old_value = record.user.active ? "true" : "false";
        edit.column = "active";
        edit.kind = PlannedEdit::Kind::flag;
        edit.flag = value == "true";
    } else if (field_name == "manager") {
        edit.old_value = record.user.manager_hris_id;
        edit.column = "manager_id";
        edit.kind = PlannedEdit::Kind::user;
        if (!value.empty()) {
            const auto managers = find_ids(users, value);
            if (managers.empty()) throw Error("no user \"" + value + "\" to be the manager");
            if (managers.front() == record.id) throw Error("a user cannot manage themselves");
            edit.user_id = managers.front();
        }
    } else {
        const auto f = field_named(field_name);
        if (!f || spec_of(*f).kind != FieldKind::text)
            throw Error("\"" + field_name + "\" is not a field one can set here (fields: " + editable_fields() + ")");
        if (field_name == "email" && !is_valid_email(value)) throw Error("\"" + value + "\" is not an email address");
        if (field_name == "hris_id" && !value.empty()) {
            const auto other = find_ids(users, value);
            if (!other.empty() && other.front() != record.id)
                throw Error("hris_id \"" + value + "\" already belongs to another user");
        }
        edit.old_value = column_value(record.user, field_name);
        edit.column = field_columns().find(field_name)->second.front();
    }
    return edit;
}

}  // namespace

std::vector<std::int64_t> find_ids(UserReader& users, const std::string& who) {
    std::vector<std::int64_t> ids = users.ids_with_hris_id(who);
    if (ids.empty()) ids = users.ids_with_email(fold_case(who));
    if (ids.size() > 1) throw Error("several users have the email \"" + who + "\"; name one by hris_id");
    return ids;
}

std::vector<DestinationRecord> lookup(UserReader& users, const std::string& who) {
    const auto ids = find_ids(users, who);
    if (ids.empty()) return {};
    return users.records(ids, true);
}

std::vector<PlannedEdit> plan_edits(UserReader& users, const DestinationRecord& record, const std::string& who,
                                    std::span<const std::pair<std::string, std::string>> edits,
                                    const std::string& pipeline) {
    std::vector<PlannedEdit> planned;
    planned.reserve(edits.size());
    for (const auto& [field, value] : edits) planned.push_back(plan(users, record, who, field, value, pipeline));
    return planned;
}

}  // namespace peoplesync::directory_model
