#include "webhook_state.hpp"

#include "record_codec.hpp"
#include "text_hash.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include <peoplesync/error.hpp>

namespace peoplesync::webhook_sink {

using nlohmann::json;

namespace {

// The first states were JSON ({"version": 1, ...}); those this build writes
// are bytes, after this mark: the users as the snapshot store keeps them.
constexpr int json_state_version = 1;
constexpr std::string_view binary_state_mark = "PSWS";
constexpr std::uint64_t binary_state_version = 2;
constexpr std::string_view state_bytes = "the saved state of the webhook sink";

bool has(const std::vector<std::string>& fields, std::string_view name) {
    return std::find(fields.begin(), fields.end(), name) != fields.end();
}

// "A > B > C" -> "A", "A > B", "A > B > C".
std::vector<std::string> path_levels(std::string_view path) {
    std::vector<std::string> levels;
    for (std::size_t at = path.find(" > "); at != std::string::npos; at = path.find(" > ", at + 3))
        levels.emplace_back(path.substr(0, at));
    levels.emplace_back(path);
    return levels;
}

// The user as far as the receiver is sent it: the synced fields only.
User restricted(const UserView& user, const std::vector<std::string>& fields) {
    User out = user.to_user();
    out.origin.clear();
    for_each_field(out, [&](auto id, auto& value) {
        constexpr FieldSpec spec = spec_of(decltype(id)::value);
        if constexpr (!spec.always_synced())
            if (!has(fields, spec.name)) value = {};
    });
    return out;
}

// Reads the state back, strictly: it is only ever written by dump_state().
class StateReader {
public:
    [[noreturn]] static void fail(const std::string& where, const std::string& what) {
        throw Error(where + ": " + what);
    }

    static std::string text(const json& object, const char* key, const std::string& where, bool required) {
        auto it = object.find(key);
        if (it == object.end()) {
            if (required) fail(where + "." + key, "missing");
            return {};
        }
        if (!it->is_string()) fail(where + "." + key, "expected a string");
        return it->get<std::string>();
    }

    static std::vector<std::string> strings(const json& value, const std::string& where) {
        if (!value.is_array()) fail(where, "expected an array of strings");
        std::vector<std::string> out;
        out.reserve(value.size());
        for (std::size_t i = 0; i < value.size(); ++i) {
            if (!value[i].is_string()) fail(where + "[" + std::to_string(i) + "]", "expected a string");
            out.push_back(value[i].get<std::string>());
        }
        return out;
    }

    static const json& member(const json& object, const char* key) {
        auto it = object.find(key);
        if (it == object.end()) fail(key, "missing");
        return *it;
    }

    static User user(const json& object, const std::string& where) {
        if (!object.is_object()) fail(where, "expected a user object");
        User u;
        // The keys first: a state without them fails there.
        for (const FieldId id : keys_first) {
            const FieldSpec& spec = spec_of(id);
            if (spec.kind == FieldKind::text)
                *single_text(u, id) = text(object, std::string(spec.name).c_str(), where, spec.sync == FieldSync::key);
        }
        auto active = object.find("active");
        if (active == object.end() || !active->is_boolean()) fail(where + ".active", "expected true or false");
        u.active = active->get<bool>();
        if (auto image = object.find("profile_image"); image != object.end()) {
            if (!image->is_object()) fail(where + ".profile_image", "expected an object");
            u.profile_image.url = text(*image, "url", where + ".profile_image", true);
            u.profile_image.last_modified = text(*image, "last_modified", where + ".profile_image", false);
            u.profile_image.cache_info = text(*image, "cache_info", where + ".profile_image", false);
        }
        if (auto departments = object.find("departments"); departments != object.end())
            u.departments = strings(*departments, where + ".departments");
        if (auto manager = object.find("manager"); manager != object.end()) {
            if (!manager->is_object()) fail(where + ".manager", "expected an object with hris_id");
            u.manager_hris_id = text(*manager, "hris_id", where + ".manager", true);
        }
        return u;
    }
};

// Department ids by path: the stored departments and every level of every
// user's paths, in that order, so that ids are stable within one state.
class DepartmentTree {
public:
    explicit DepartmentTree(const WebhookState& state) {
        for (const auto& path : state.departments) add(path);
        for (const UserView& user : state.snapshot.users)
            for (const auto& path : user.departments) add(path);
    }

    void add(std::string_view path) {
        if (ids_.count(path)) return;
        std::int64_t parent = 0;
        for (const auto& level : path_levels(path)) {
            auto [it, inserted] = ids_.emplace(level, static_cast<std::int64_t>(departments_.size()) + 1);
            if (inserted) {
                const auto sep = level.rfind(" > ");
                departments_.push_back(
                    {it->second, parent, sep == std::string::npos ? level : level.substr(sep + 3), true});
            }
            parent = it->second;
        }
    }

    std::int64_t id(std::string_view path) const {
        auto it = ids_.find(path);
        return it == ids_.end() ? 0 : it->second;
    }

    std::vector<DestinationDepartment> departments() && { return std::move(departments_); }

private:
    std::unordered_map<std::string, std::int64_t, TextHash, std::equal_to<>> ids_;
    std::vector<DestinationDepartment> departments_;
};

std::vector<std::string> or_always_synced(const std::vector<std::string>& fields) {
    if (!fields.empty()) return fields;
    std::vector<std::string> always;
    for (auto name : always_synced_fields()) always.emplace_back(name);
    return always;
}

json event(const char* type, json data) {
    return {{"type", type}, {"data", std::move(data)}};
}

json optional_text(const std::string& text) {
    return text.empty() ? json(nullptr) : json(text);
}

json field_changes(const std::vector<FieldChange>& fields) {
    json out = json::object();
    for (const auto& f : fields) out[f.field] = {{"old", f.old_value}, {"new", f.new_value}};
    return out;
}

}  // namespace

json user_json(const UserView& user, const std::vector<std::string>& fields) {
    json out = json::object();
    for_each_field(user, [&](auto id, const auto& value) {
        constexpr FieldSpec spec = spec_of(decltype(id)::value);
        if constexpr (spec.kind == FieldKind::text)
            if (spec.always_synced() || (has(fields, spec.name) && !value.empty())) out[std::string(spec.name)] = value;
    });
    if (has(fields, field::profile_image) && !user.profile_image.url.empty()) {
        json image = {{"url", user.profile_image.url}};
        if (!user.profile_image.last_modified.empty()) image["last_modified"] = user.profile_image.last_modified;
        if (!user.profile_image.cache_info.empty()) image["cache_info"] = user.profile_image.cache_info;
        out["profile_image"] = std::move(image);
    }
    if (has(fields, field::departments) && !user.departments.empty()) out["departments"] = user.departments;
    out["active"] = user.active;
    if (has(fields, field::manager) && !user.manager_hris_id.empty())
        out["manager"] = {{"hris_id", user.manager_hris_id}};
    return out;
}

namespace {

// A state of the first version: JSON of the users as user_json() writes them.
WebhookState parse_json_state(std::string_view text) {
    WebhookState state;
    json document;
    try {
        document = json::parse(text.begin(), text.end());
    } catch (const json::parse_error& e) {
        throw Error("the saved state of the webhook sink is corrupt: malformed JSON at byte " + std::to_string(e.byte));
    }
    try {
        if (!document.is_object()) StateReader::fail("(state)", "expected a JSON object");
        const json& version = StateReader::member(document, "version");
        if (!version.is_number_integer() || version.get<std::int64_t>() != json_state_version)
            StateReader::fail("version", "expected " + std::to_string(json_state_version) +
                                             " (a state written by another version of the webhook sink?)");
        state.synced_fields = StateReader::strings(StateReader::member(document, "synced_fields"), "synced_fields");
        state.departments = StateReader::strings(StateReader::member(document, "departments"), "departments");
        const json& users = StateReader::member(document, "users");
        if (!users.is_array()) StateReader::fail("users", "expected an array of users");
        const json& hashes = StateReader::member(document, "sync_hashes");
        if (!hashes.is_array() || hashes.size() != users.size())
            StateReader::fail("sync_hashes",
                              "expected an array of one number per user (" + std::to_string(users.size()) + ")");
        state.snapshot.users.reserve(users.size());
        state.sync_hashes.reserve(users.size());
        for (std::size_t i = 0; i < users.size(); ++i) {
            const std::string where = "users[" + std::to_string(i) + "]";
            state.snapshot.users.push_back(StateReader::user(users[i], where));
            if (!hashes[i].is_number_unsigned())
                StateReader::fail("sync_hashes[" + std::to_string(i) + "]", "expected a number");
            state.sync_hashes.push_back(hashes[i].get<std::uint64_t>());
        }
        state.sync_hash_family = 1;
        if (const auto family = document.find("sync_hash_family"); family != document.end()) {
            if (!family->is_number_unsigned() || family->get<std::uint64_t>() > UINT32_MAX)
                StateReader::fail("sync_hash_family", "expected a number");
            state.sync_hash_family = family->get<std::uint32_t>();
        }
    } catch (const Error& e) {
        throw Error(std::string("the saved state of the webhook sink is corrupt at ") + e.what());
    }
    return state;
}

std::vector<std::string> texts(ByteReader& r, const char* what) {
    const std::uint64_t count = r.varint();
    // Each text takes a byte at least: a damaged count must not size the vector.
    if (count > r.left())
        r.fail(std::string("corrupt at ") + what + ": " + std::to_string(count) + " of them in " +
               std::to_string(r.left()) + " bytes");
    std::vector<std::string> out(count);
    for (auto& text : out) text = r.text();
    return out;
}

void put_texts(std::string& out, const std::vector<std::string>& texts) {
    put_varint(out, texts.size());
    for (const auto& text : texts) put_text(out, text);
}

// A state as dump_state() writes it, after its mark.
WebhookState parse_binary_state(std::string_view bytes) {
    WebhookState state;
    ByteReader r(bytes, state_bytes);
    if (const std::uint64_t version = r.varint(); version != binary_state_version)
        r.fail("of version " + std::to_string(version) + ", not " + std::to_string(binary_state_version) +
               " (written by another version of the webhook sink?)");
    const std::uint64_t family = r.varint();
    if (family > UINT32_MAX) r.fail("corrupt at sync_hash_family");
    state.sync_hash_family = static_cast<std::uint32_t>(family);
    state.synced_fields = texts(r, "synced_fields");
    state.departments = texts(r, "departments");
    const std::uint64_t users = r.varint();
    // A user takes 16 bytes at least: their record's size, twelve texts'
    // sizes, active, a count of departments, their hash.
    if (users > r.left() / 16)
        r.fail("corrupt: " + std::to_string(users) + " users in " + std::to_string(r.left()) + " bytes");
    state.snapshot.users.reserve(users, users * Users::bytes_per_user + r.left());
    state.sync_hashes.reserve(users);
    User user;
    for (std::uint64_t i = 0; i < users; ++i) {
        try {
            decode_record(r.bytes(r.varint()), user, state_bytes);
            state.sync_hashes.push_back(r.varint());
        } catch (const Error&) {
            r.fail("truncated or corrupt at users[" + std::to_string(i) + "]");
        }
        state.snapshot.users.push_back(user);
    }
    if (!r.at_end()) r.fail("corrupt: " + std::to_string(r.left()) + " bytes after the last user");
    return state;
}

// Users in the state hold nothing but their synced fields; those it carries
// from a run with more fields synced lose what is no longer synced.
bool holds_only(const UserView& user, const std::vector<std::string>& fields) {
    bool only = true;
    for_each_field(user, [&](auto id, const auto& value) {
        constexpr FieldSpec spec = spec_of(decltype(id)::value);
        if constexpr (!spec.always_synced())
            if (!value.empty() && !has(fields, spec.name)) only = false;
    });
    return only;
}

}  // namespace

WebhookState parse_state(std::string_view text) {
    if (text.empty()) return {};
    if (text.starts_with(binary_state_mark)) return parse_binary_state(text.substr(binary_state_mark.size()));
    return parse_json_state(text);
}

std::string dump_state(const WebhookState& state) {
    const auto& users = state.snapshot.users;
    std::size_t size = binary_state_mark.size() + 32;
    for (const auto& f : state.synced_fields) size += text_size(f);
    for (const auto& d : state.departments) size += text_size(d);
    for (const UserView& user : users) size += record_size(user) + 2 * 10;
    std::string out;
    out.reserve(size);
    out.append(binary_state_mark);
    put_varint(out, binary_state_version);
    put_varint(out, state.sync_hash_family);
    put_texts(out, state.synced_fields);
    put_texts(out, state.departments);
    put_varint(out, users.size());
    for (std::size_t i = 0; i < users.size(); ++i) {
        const UserView user = users[i];
        if (holds_only(user, state.synced_fields)) {
            put_varint(out, record_size(user));
            encode_record(user, out);
        } else {
            const User kept = restricted(user, state.synced_fields);
            put_varint(out, record_size(kept));
            encode_record(kept, out);
        }
        put_varint(out, state.sync_hashes[i]);
    }
    return out;
}

DestinationIndex index_of(const WebhookState& state) {
    DestinationIndex index;
    index.users.reserve(state.snapshot.users.size());
    for (std::size_t i = 0; i < state.snapshot.users.size(); ++i) {
        const UserView& user = state.snapshot.users[i];
        index.users.push_back({static_cast<std::int64_t>(i) + 1, std::string(user.hris_id), std::string(user.email),
                               user.active, true, state.sync_hashes[i]});
    }
    index.departments = DepartmentTree(state).departments();
    index.sync_hash_family = state.sync_hash_family;
    return index;
}

std::vector<DestinationRecord> records_of(const WebhookState& state, std::span<const std::int64_t> ids) {
    const DepartmentTree tree(state);
    std::vector<DestinationRecord> out;
    out.reserve(ids.size());
    for (const std::int64_t id : ids) {
        if (id < 1 || id > static_cast<std::int64_t>(state.snapshot.users.size())) continue;
        DestinationRecord record;
        record.id = id;
        record.user = state.snapshot.users[static_cast<std::size_t>(id - 1)].to_user();
        for (const auto& path : record.user.departments) record.department_ids.push_back(tree.id(path));
        record.user.departments.clear();
        record.synced_fields = state.synced_fields;
        out.push_back(std::move(record));
    }
    return out;
}

WebhookState next_state(const WebhookState& current, const Snapshot& snapshot, const ChangeSet& changes) {
    WebhookState next;
    next.synced_fields = or_always_synced(changes.synced_fields);
    const std::vector<std::string>& fields = next.synced_fields;

    std::vector<User> users = current.snapshot.users.to_vector();
    std::vector<std::uint64_t> hashes = current.sync_hashes;
    std::vector<char> leaving(users.size(), 0);
    auto position = [&](std::int64_t id) {
        if (id < 1 || id > static_cast<std::int64_t>(users.size()))
            throw Error("a change names user id " + std::to_string(id) + ", which the webhook sink's state (" +
                        std::to_string(users.size()) + " users) does not hold; was the state changed during the run?");
        return static_cast<std::size_t>(id - 1);
    };
    auto record = [&](std::int64_t index) -> UserView {
        if (index < 0 || index >= static_cast<std::int64_t>(snapshot.users.size()))
            throw Error("a change points outside the snapshot (record " + std::to_string(index) + ")");
        return snapshot.users[static_cast<std::size_t>(index)];
    };

    next.departments = current.departments;
    std::set<std::string> known(next.departments.begin(), next.departments.end());
    for (const auto* list : {&changes.departments_created, &changes.departments_adopted})
        for (const auto& path : *list)
            if (known.insert(path).second) next.departments.push_back(path);

    // Users who stay take their record's synced values; their departments and
    // manager change through the memberships and manager changes below.
    std::vector<std::pair<std::size_t, std::int64_t>> changed;  // position, snapshot index
    for (const UserChange& change : changes.users) {
        const std::size_t at = position(change.destination_id);
        if (change.unsynced) {
            leaving[at] = 1;
            continue;
        }
        User updated = restricted(record(change.snapshot_index), fields);
        updated.departments = std::move(users[at].departments);
        updated.manager_hris_id = std::move(users[at].manager_hris_id);
        users[at] = std::move(updated);
        hashes[at] = change.sync_hash;
        changed.emplace_back(at, change.snapshot_index);
    }
    for (const auto& m : changes.memberships_removed) {
        auto& paths = users[position(m.destination_id)].departments;
        paths.erase(std::remove(paths.begin(), paths.end(), m.department), paths.end());
    }
    for (const auto& m : changes.memberships_added) {
        auto& paths = users[position(m.destination_id)].departments;
        if (std::find(paths.begin(), paths.end(), m.department) == paths.end()) paths.push_back(m.department);
    }
    // In the order the HRIS sends them, so an unchanged snapshot reads the same.
    for (const auto& [at, index] : changed) {
        const auto& wanted = record(index).departments;
        auto rank = [&](const std::string& path) {
            return std::find(wanted.begin(), wanted.end(), path) - wanted.begin();
        };
        std::stable_sort(users[at].departments.begin(), users[at].departments.end(),
                         [&](const std::string& a, const std::string& b) { return rank(a) < rank(b); });
    }
    for (const auto& m : changes.managers) users[position(m.destination_id)].manager_hris_id = m.new_manager_hris_id;

    std::vector<User> created;
    created.reserve(changes.created.size());
    for (const CreatedUser& change : changes.created) {
        User user = restricted(record(change.snapshot_index), fields);
        user.manager_hris_id.clear();
        if (has(fields, field::manager)) {
            if (change.manager_snapshot_index >= 0)
                user.manager_hris_id = record(change.manager_snapshot_index).hris_id;
            else if (change.manager_destination_id > 0)
                user.manager_hris_id = users[position(change.manager_destination_id)].hris_id;
        }
        created.push_back(std::move(user));
    }

    next.snapshot.users.reserve(users.size() + created.size());
    next.sync_hashes.reserve(users.size() + created.size());
    for (std::size_t i = 0; i < users.size(); ++i) {
        if (leaving[i]) continue;
        next.snapshot.users.push_back(users[i]);
        next.sync_hashes.push_back(hashes[i]);
    }
    for (std::size_t k = 0; k < created.size(); ++k) {
        next.snapshot.users.push_back(created[k]);
        next.sync_hashes.push_back(changes.created[k].sync_hash);
    }
    for (const UserView& user : next.snapshot.users)
        for (const auto& path : user.departments)
            for (const auto& level : path_levels(path))
                if (known.insert(level).second) next.departments.push_back(level);
    return next;
}

std::vector<json> change_events(const WebhookState& next, const ChangeSet& changes) {
    std::vector<json> events;
    for (const auto& path : changes.departments_created) {
        const auto sep = path.rfind(" > ");
        events.push_back(event("department.created",
                               {{"path", path},
                                {"name", sep == std::string::npos ? path : path.substr(sep + 3)},
                                {"parent", sep == std::string::npos ? json(nullptr) : json(path.substr(0, sep))}}));
    }
    // Created users are the last ones of the next state, in the order created.
    const std::size_t first_created = next.snapshot.users.size() - changes.created.size();
    for (std::size_t k = 0; k < changes.created.size(); ++k)
        events.push_back(event("user.created", user_json(next.snapshot.users[first_created + k], next.synced_fields)));
    for (const UserChange& change : changes.users) {
        if (change.unsynced) {
            events.push_back(event("user.unsynced", {{"hris_id", change.previous_hris_id}, {"email", change.email}}));
            if (change.deactivated)
                events.push_back(
                    event("user.deactivated", {{"hris_id", change.previous_hris_id}, {"email", change.email}}));
            continue;
        }
        if (change.linked)
            events.push_back(
                event("user.linked", {{"hris_id", change.hris_id},
                                      {"previous_hris_id", optional_text(change.previous_hris_id)},
                                      {"email", change.email},
                                      {"linked_by", change.linked_by == LinkedBy::email ? "email" : "hris_id"},
                                      {"changes", field_changes(change.fields)}}));
        if (change.updated())
            events.push_back(
                event("user.updated", {{"hris_id", change.hris_id}, {"changes", field_changes(change.fields)}}));
        if (change.reactivated)
            events.push_back(event("user.reactivated", {{"hris_id", change.hris_id}, {"email", change.email}}));
        if (change.deactivated)
            events.push_back(event("user.deactivated", {{"hris_id", change.hris_id}, {"email", change.email}}));
    }
    for (const auto& m : changes.memberships_removed)
        events.push_back(event("membership.removed", {{"hris_id", m.hris_id}, {"department", m.department}}));
    for (const auto& m : changes.memberships_added)
        events.push_back(event("membership.added", {{"hris_id", m.hris_id}, {"department", m.department}}));
    for (const auto& m : changes.managers)
        events.push_back(event("manager.changed", {{"hris_id", m.hris_id},
                                                   {"old_manager_hris_id", optional_text(m.old_manager_hris_id)},
                                                   {"new_manager_hris_id", optional_text(m.new_manager_hris_id)}}));
    return events;
}

}  // namespace peoplesync::webhook_sink
