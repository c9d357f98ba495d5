// source `ldap`: people from an LDAP directory (OpenLDAP, Active Directory).
// One paged search reads the people, mapping attributes to fields as each
// entry arrives; managers are resolved from their DN afterwards; `active`
// comes from an attribute or from a second, server-side filter. Anything
// that makes the read incomplete throws: a partial snapshot would unsync
// everybody missing from it.
#include <cstdlib>
#include <unordered_map>

#include <peoplesync/plugin.hpp>

#include "dn.hpp"
#include "ldap_client.hpp"
#include "ldap_settings.hpp"
#include "platform.hpp"
#include "text.hpp"

namespace peoplesync::ldap_source {

namespace {

std::string quoted(std::string_view text, std::size_t limit = 60) {
    if (text.size() <= limit) return "\"" + std::string(text) + "\"";
    return "\"" + std::string(text.substr(0, limit)) + "...\"";
}

// Sets a single-valued field; departments are a list and set elsewhere. A
// manager is the manager's DN until resolve_managers().
void assign(User& user, Field f, std::string_view value) {
    if (std::string* text = single_text(user, f)) text->assign(value);
}

// An attribute the search asks for and what it feeds.
struct Slot {
    std::string name;    // as configured
    std::string folded;  // lower case, to match what the server returns
    std::vector<Field> fields;
    bool active = false;
};

// Builds a user from each entry as the search delivers it.
class EntryMapper final : public SearchHandler {
public:
    EntryMapper(const LdapSettings& settings, const std::vector<Slot>& slots, Snapshot& snapshot, ReadContext& context)
        : settings_(settings), slots_(slots), snapshot_(snapshot), context_(context) {}

    void entry(std::string_view dn, std::span<const Attribute> attributes) override {
        const auto index = static_cast<std::int64_t>(snapshot_.users.size());
        User& user = user_;  // one for every entry, its memory reused
        user.clear();
        user.origin.assign(dn);
        bool active_seen = false;
        for (const Attribute& attribute : attributes) {
            bool binary = false;
            const Slot* slot = find(attribute.name, binary);
            if (slot == nullptr || attribute.values.empty()) continue;
            for (Field f : slot->fields) map(user, index, f, attribute.values, binary);
            if (slot->active) {
                active_seen = true;
                bool listed = false;
                for (const berval& value : attribute.values)
                    for (const std::string& wanted : settings_.active_values)
                        if (equal_folded(trim_spaces(value_text(value)), wanted)) listed = true;
                user.active = settings_.values_mean_active ? listed : !listed;
            }
        }
        if (!settings_.active_attribute.empty() && !active_seen) user.active = !settings_.values_mean_active;
        snapshot_.users.push_back(user);
    }

    void progress(std::int64_t entries) override { context_.progress(entries); }

private:
    const Slot* find(std::string_view name, bool& binary) const {
        for (const Slot& slot : slots_) {
            if (name.size() == slot.folded.size() && equal_folded(name, slot.folded)) return &slot;
            if (name.size() == slot.folded.size() + 7 &&
                equal_folded(name.substr(0, slot.folded.size()), slot.folded) &&
                equal_folded(name.substr(slot.folded.size()), ";binary")) {
                binary = true;
                return &slot;
            }
        }
        return nullptr;
    }

    // The value as text, or nothing (and a record error) when it is binary.
    std::optional<std::string_view> text(const UserView& user, std::int64_t index, Field f, const berval& value,
                                         bool binary) {
        const std::string_view bytes = value_text(value);
        const std::size_t bad = binary ? 0 : find_non_text(bytes);
        if (bad == std::string_view::npos) return bytes;
        snapshot_.error(index, snapshot_.locate(user, name_of(f)),
                        "the value is binary, not UTF-8 text (" + hex_preview(bytes.substr(bad)) +
                            (bad > 0 ? " after " + quoted(bytes.substr(0, bad)) : std::string()) + "); map a text " +
                            "attribute to " + std::string(name_of(f)) + " in attributes, or store the value as UTF-8");
        return std::nullopt;
    }

    void map(User& user, std::int64_t index, Field f, std::span<const berval> values, bool binary) {
        if (f == Field::departments) {
            for (const berval& value : values) {
                auto path = text(user, index, f, value, binary);
                if (!path) continue;
                user.departments.push_back(level_separated(*path));
            }
            return;
        }
        auto first = text(user, index, f, values[0], binary);
        if (!first) return;
        assign(user, f, *first);
        if (values.size() > 1)
            snapshot_.warning(index, snapshot_.locate(user, name_of(f)),
                              "the attribute has " + std::to_string(values.size()) + " values; the first, " +
                                  quoted(*first) + ", is used for " + std::string(name_of(f)));
    }

    std::string level_separated(std::string_view path) const {
        const std::string& separator = settings_.department_level_separator;
        if (separator.empty()) return std::string(path);
        std::string out;
        std::size_t from = 0;
        for (std::size_t at; (at = path.find(separator, from)) != std::string_view::npos; from = at + separator.size())
            out.append(trim_spaces(path.substr(from, at - from))).append(" > ");
        out.append(trim_spaces(path.substr(from)));
        return out;
    }

    const LdapSettings& settings_;
    const std::vector<Slot>& slots_;
    Snapshot& snapshot_;
    ReadContext& context_;
    User user_;
};

// Marks the entries the inactive search returns as inactive.
class InactiveMarker final : public SearchHandler {
public:
    InactiveMarker(Snapshot& snapshot, const std::unordered_map<std::string_view, std::size_t>& by_dn)
        : snapshot_(snapshot), by_dn_(by_dn) {}

    void entry(std::string_view dn, std::span<const Attribute>) override {
        auto it = by_dn_.find(dn);
        // An entry that appeared between the two searches is not in this
        // snapshot; the next run reads it.
        if (it == by_dn_.end()) return;
        UserView user = snapshot_.users[it->second];
        if (!user.active) return;
        ++marked;
        user.active = false;
        snapshot_.users.replace(it->second, user);  // where it is: the same size
    }
    void progress(std::int64_t) override {}

    std::int64_t marked = 0;

private:
    Snapshot& snapshot_;
    const std::unordered_map<std::string_view, std::size_t>& by_dn_;
};

}  // namespace

class LdapSource final : public Source {
public:
    static constexpr const char* type = "ldap";
    static constexpr const char* description =
        "People from an LDAP directory (OpenLDAP, Active Directory): paged search, attribute mapping, managers by "
        "DN, active from an attribute or a filter.";
    static std::vector<OptionSpec> options() { return ldap_options().specs(); }

    LdapSource(const ConfigValue& config, Host& host) : host_(host), settings_(parse_settings(config, host)) {
        for (std::size_t i = 0; i < field_count; ++i) {
            const std::string& name = settings_.attributes[i];
            if (!name.empty()) slot(name).fields.push_back(static_cast<Field>(i));
        }
        if (!settings_.active_attribute.empty()) slot(settings_.active_attribute).active = true;
        for (const Slot& s : slots_) requested_.push_back(s.name);
    }

    Snapshot read(ReadContext& context) override;

private:
    Slot& slot(const std::string& name) {
        const std::string folded = fold_ascii(name);
        for (Slot& s : slots_)
            if (s.folded == folded) return s;
        slots_.push_back({name, folded, {}, false});
        return slots_.back();
    }
    std::string password() const;
    void resolve_managers(Snapshot& snapshot, const std::unordered_map<std::string_view, std::size_t>& by_dn) const;

    Host& host_;
    LdapSettings settings_;
    std::vector<Slot> slots_;
    std::vector<std::string> requested_;
};

std::string LdapSource::password() const {
    if (settings_.bind_dn.empty()) return {};
    const std::optional<std::string> value = environment_text(settings_.bind_password_env);
    if (!value)
        throw Error(settings_.uri + ": the environment variable " + settings_.bind_password_env +
                    " (bind_password_env) is not set; it must hold the password of \"" + settings_.bind_dn + "\"");
    if (value->empty())
        throw Error(settings_.uri + ": the environment variable " + settings_.bind_password_env +
                    " (bind_password_env) is empty; a bind with an empty password is anonymous, so it is refused");
    return *value;
}

Snapshot LdapSource::read(ReadContext& context) {
    const std::string secret = password();
    Snapshot snapshot;
    std::string uri = settings_.uri;
    while (!uri.empty() && uri.back() == '/') uri.pop_back();
    snapshot.origin = uri + "/" + settings_.base_dn;
    for (const Slot& s : slots_) {
        for (Field f : s.fields) snapshot.field_labels[std::string(name_of(f))] = "attribute " + s.name;
        if (s.active) snapshot.field_labels[std::string(field::active)] = "attribute " + s.name;
    }

    LdapClient client(settings_);
    client.open(secret);
    host_.log().info("reading " + snapshot.origin + " with filter " + settings_.filter);
    EntryMapper mapper(settings_, slots_, snapshot, context);
    client.search(settings_.filter, "filter", requested_, mapper);

    std::unordered_map<std::string_view, std::size_t> by_dn;
    by_dn.reserve(snapshot.users.size());
    for (std::size_t i = 0; i < snapshot.users.size(); ++i) by_dn.emplace(snapshot.users.origin(i), i);

    if (!settings_.inactive_search_filter.empty()) {
        InactiveMarker marker(snapshot, by_dn);
        client.search(settings_.inactive_search_filter, settings_.active_filter_option,
                      {std::string("1.1")} /* no attributes */, marker);
        const auto n = static_cast<std::int64_t>(snapshot.users.size());
        if (n > 0 && marker.marked == n)
            snapshot.warning(-1, snapshot.origin,
                             settings_.active_filter_option + " " + quoted(settings_.active_filter_text, 200) +
                                 " leaves none of the " + std::to_string(n) +
                                 " entries active, so everybody is read as inactive; check the filter (a filter on an "
                                 "attribute the server does not know matches nothing)");
    }
    if (client.references() > 0)
        host_.log().info(snapshot.origin + ": the server returned " + std::to_string(client.references()) +
                         " search references to other servers; they are not followed");

    if (!settings_.attribute(Field::manager).empty()) resolve_managers(snapshot, by_dn);
    context.progress(static_cast<std::int64_t>(snapshot.users.size()));
    return snapshot;
}

// Each manager DN becomes the hris_id of the entry it names. The DN is
// compared as written first (servers usually write it the way the entry's
// own DN is written), then in normal form.
void LdapSource::resolve_managers(Snapshot& snapshot,
                                  const std::unordered_map<std::string_view, std::size_t>& by_dn) const {
    std::unordered_map<std::string, std::size_t> by_key;
    bool keyed = false;
    const std::string scope = "base_dn " + quoted(settings_.base_dn, 200) + ", filter " + quoted(settings_.filter, 200);
    // Each user's manager hris_id, set once all are found: `by_dn` views
    // the users' DNs where they are stored.
    std::vector<std::string> managers(snapshot.users.size());
    for (std::size_t i = 0; i < snapshot.users.size(); ++i) {
        const UserView user = snapshot.users[i];
        if (user.manager_hris_id.empty()) continue;
        const std::string manager_dn(user.manager_hris_id);
        std::size_t found = snapshot.users.size();
        if (auto hit = by_dn.find(manager_dn); hit != by_dn.end()) {
            found = hit->second;
        } else {
            auto key = dn_key(manager_dn);
            if (!key) {
                snapshot.warning(static_cast<std::int64_t>(i), snapshot.locate(user, field::manager),
                                 quoted(manager_dn, 200) + " is not a DN; the manager stays unset");
                continue;
            }
            if (!keyed) {
                by_key.reserve(snapshot.users.size());
                for (std::size_t k = 0; k < snapshot.users.size(); ++k)
                    if (auto entry_key = dn_key(snapshot.users[k].origin)) by_key.emplace(std::move(*entry_key), k);
                keyed = true;
            }
            if (auto by_normal_form = by_key.find(*key); by_normal_form != by_key.end()) found = by_normal_form->second;
        }
        if (found == snapshot.users.size()) {
            snapshot.warning(static_cast<std::int64_t>(i), snapshot.locate(user, field::manager),
                             "manager " + quoted(manager_dn, 200) + " is not among the entries read (" + scope +
                                 "); the manager stays unset");
            continue;
        }
        const std::string_view manager_id = snapshot.users[found].hris_id;
        if (manager_id.empty()) {
            snapshot.warning(static_cast<std::int64_t>(i), snapshot.locate(user, field::manager),
                             "manager " + quoted(manager_dn, 200) + " has no " + settings_.attribute(Field::hris_id) +
                                 " (hris_id); the manager stays unset");
            continue;
        }
        managers[i] = manager_id;
    }
    for (std::size_t i = 0; i < snapshot.users.size(); ++i) {
        UserView user = snapshot.users[i];
        if (user.manager_hris_id.empty()) continue;
        user.manager_hris_id = managers[i];  // empty when not found
        snapshot.users.replace(i, user);
    }
}

}  // namespace peoplesync::ldap_source

PEOPLESYNC_PLUGIN(peoplesync::ldap_source::LdapSource)
