#include "directory_api.hpp"

#include <peoplesync/directory.hpp>

#include "admin_errors.hpp"
#include "runtime.hpp"

namespace peoplesync::server {

using nlohmann::json;

namespace {

constexpr std::int64_t default_page = 50;
constexpr std::int64_t largest_page = 1000;

json text_or_null(const std::string& text) {
    return text.empty() ? json(nullptr) : json(text);
}

json listed_json(const DirectoryListedUser& u) {
    return {{"id", u.id},
            {"hris_id", text_or_null(u.hris_id)},
            {"first_name", u.first_name},
            {"last_name", u.last_name},
            {"email", u.email},
            {"job_title", u.job_title},
            {"active", u.active},
            {"synced", u.synced}};
}

json page_json(const UserPage& page) {
    json users = json::array();
    for (const auto& u : page.users) users.push_back(listed_json(u));
    return {{"users", users},
            {"next", text_or_null(page.next)},
            {"total", page.total < 0 ? json(nullptr) : json(page.total)}};
}

json person_json(const DirectoryPerson& p) {
    return {{"id", p.id}, {"name", p.name}, {"hris_id", text_or_null(p.hris_id)}};
}

json detail_json(const DirectoryUserDetail& d) {
    const User& u = d.user;
    json reports = json::array();
    for (const auto& r : d.reports) reports.push_back(person_json(r));
    json departments = json::array();
    for (const auto& m : d.departments)
        departments.push_back({{"id", m.department_id}, {"path", m.path}, {"synced", m.synced}});
    json out = {{"id", d.id},
                {"hris_id", text_or_null(u.hris_id)},
                {"active", u.active},
                {"profile_image", u.profile_image.empty() ? json(nullptr)
                                                          : json{{"url", u.profile_image.url},
                                                                 {"last_modified", u.profile_image.last_modified},
                                                                 {"cache_info", u.profile_image.cache_info}}},
                {"updated_at", d.updated_at},
                {"synced", d.synced},
                {"synced_fields", d.synced_fields},
                {"synced_by", text_or_null(d.synced_by)},
                {"manager", d.manager ? person_json(*d.manager) : json(nullptr)},
                {"reports", reports},
                {"report_count", d.report_count},
                {"departments", departments}};
    for_each_field(u, [&](auto id, const auto& value) {
        constexpr FieldSpec spec = spec_of(decltype(id)::value);
        if constexpr (spec.kind == FieldKind::text && spec.id != FieldId::hris_id) out[spec.name] = value;
    });
    return out;
}

class DirectoryCall {
public:
    DirectoryCall(Runtime& runtime, const std::string& method, const std::vector<std::string>& segments,
                  const std::map<std::string, std::string>& query, const json& body)
        : runtime_(runtime), method_(method), s_(segments), query_(query), body_(body) {}

    json dispatch() {
        const std::size_t n = s_.size();
        auto is = [&](std::size_t at, const char* word) { return n > at && s_[at] == word; };
        if (n == 1) return only({"GET"}, [&] { return directories(); });
        if (n < 4)
            throw ApiError{404, "name a directory as /admin/v1/directories/PIPELINE/SINK/users (or /departments)"};
        DirectoryBrowser& browser = directory(s_[1], s_[2]);
        if (is(3, "users")) {
            if (n == 4) return only({"GET"}, [&] { return page_json(browser.users(user_query())); });
            const std::int64_t id = positive(s_[4], "a user id");
            if (n == 5 && method_ == "PATCH") return edit(browser, id);
            if (n == 5) return only({"GET", "PATCH"}, [&] { return detail_json(user_of(browser.user(id), id)); });
        }
        if (is(3, "departments")) {
            if (n == 4) return only({"GET"}, [&] { return departments(browser); });
            const std::int64_t id = positive(s_[4], "a department id");
            if (n == 6 && is(5, "members")) return only({"GET"}, [&] { return members(browser, id); });
        }
        throw ApiError{404, "no such directory endpoint: " + method_ + " /admin/v1/" + joined()};
    }

private:
    template <typename Act>
    json only(std::initializer_list<const char*> methods, Act act) const {
        std::string allowed;
        for (const char* m : methods) {
            if (method_ == m) return act();
            allowed += std::string(allowed.empty() ? "" : ", ") + m;
        }
        throw ApiError{405, "/admin/v1/" + joined() + " takes " + allowed + ", not " + method_, allowed};
    }

    std::string joined() const {
        std::string out;
        for (const auto& part : s_) out += (out.empty() ? "" : "/") + part;
        return out;
    }

    std::string ref() const { return s_[1] + "/" + s_[2]; }

    json directories() {
        json out = json::array();
        for (const auto& name : runtime_.names()) {
            Runtime::Entry* entry = runtime_.find(name);
            if (entry == nullptr) continue;
            for (const auto& sink : entry->pipeline->settings().sinks)
                if (entry->pipeline->sink(sink.name).browser() != nullptr)
                    out.push_back({{"pipeline", name},
                                   {"sink", sink.name},
                                   {"type", sink.type},
                                   {"ref", name + "/" + sink.name}});
        }
        return out;
    }

    DirectoryBrowser& directory(const std::string& pipeline, const std::string& sink) {
        Runtime::Entry* entry = runtime_.find(pipeline);
        if (entry == nullptr) throw ApiError{404, "there is no pipeline \"" + pipeline + "\""};
        for (const auto& settings : entry->pipeline->settings().sinks) {
            if (settings.name != sink) continue;
            DirectoryBrowser* browser = entry->pipeline->sink(sink).browser();
            if (browser == nullptr)
                throw ApiError{404, "sink \"" + sink + "\" of pipeline " + pipeline + " (type " + settings.type +
                                        ") is not a directory one can browse"};
            return *browser;
        }
        throw ApiError{404, "pipeline " + pipeline + " has no sink \"" + sink + "\""};
    }

    std::size_t page_limit() const {
        auto given = query_.find("limit");
        if (given == query_.end()) return default_page;
        const std::int64_t limit = positive(given->second, "limit");
        if (limit > largest_page)
            throw ApiError{400, "limit must be at most " + std::to_string(largest_page) + ", not " + given->second};
        return static_cast<std::size_t>(limit);
    }

    std::string parameter(const char* name) const {
        auto given = query_.find(name);
        return given == query_.end() ? "" : given->second;
    }

    UserQuery user_query() const { return UserQuery{parameter("q"), parameter("after"), page_limit()}; }

    DirectoryUserDetail user_of(std::optional<DirectoryUserDetail> found, std::int64_t id) const {
        if (!found) throw ApiError{404, "directory " + ref() + " has no user " + std::to_string(id)};
        return std::move(*found);
    }

    json edit(DirectoryBrowser& browser, std::int64_t id) {
        std::vector<std::pair<std::string, std::string>> fields;
        for (const auto& [field, value] : body_.items()) {
            if (value.is_string())
                fields.emplace_back(field, value.get<std::string>());
            else if (value.is_boolean())
                fields.emplace_back(field, value.get<bool>() ? "true" : "false");
            else if (value.is_null())
                fields.emplace_back(field, "");
            else
                throw ApiError{400, field + ": expected a text, true or false, or null, not " + value.dump()};
        }
        if (fields.empty())
            throw ApiError{400, "nothing to change: the body names no field (e.g. {\"job_title\": \"...\"})"};
        try {
            return detail_json(user_of(browser.edit_user(id, fields), id));
        } catch (const SyncedFieldError& e) {
            throw ApiError{409, e.what()};
        }
    }

    json departments(DirectoryBrowser& browser) {
        json out = json::array();
        for (const auto& d : browser.departments())
            out.push_back({{"id", d.id},
                           {"name", d.name},
                           {"path", d.path},
                           {"parent_id", d.parent_id == 0 ? json(nullptr) : json(d.parent_id)},
                           {"synced", d.synced},
                           {"members", d.members}});
        return out;
    }

    json members(DirectoryBrowser& browser, std::int64_t id) {
        auto page = browser.members(id, parameter("after"), page_limit());
        if (!page) throw ApiError{404, "directory " + ref() + " has no department " + std::to_string(id)};
        return page_json(*page);
    }

    Runtime& runtime_;
    const std::string& method_;
    const std::vector<std::string>& s_;
    const std::map<std::string, std::string>& query_;
    const json& body_;
};

}  // namespace

json directory_endpoint(Runtime& runtime, const std::string& method, const std::vector<std::string>& segments,
                        const std::map<std::string, std::string>& query, const json& body) {
    return DirectoryCall(runtime, method, segments, query, body).dispatch();
}

}  // namespace peoplesync::server
