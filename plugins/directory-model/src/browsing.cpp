#include "browsing.hpp"

#include <algorithm>
#include <charconv>

#include <peoplesync/error.hpp>
#include <peoplesync/text.hpp>

#include "department_paths.hpp"

namespace peoplesync::directory_model {

std::size_t page_size(std::size_t limit) {
    return std::clamp<std::size_t>(limit, 1, most_per_page);
}

std::string cursor(std::int64_t id) {
    return std::to_string(id);
}

std::int64_t after_cursor(const std::string& after) {
    if (after.empty()) return 0;
    std::int64_t id = 0;
    const auto [end, error] = std::from_chars(after.data(), after.data() + after.size(), id);
    if (error != std::errc() || end != after.data() + after.size() || id < 0)
        throw Error("\"" + after + "\" is not where a page of this directory ends (pass a page's \"next\")");
    return id;
}

bool end_page(UserPage& page, std::size_t limit) {
    if (page.users.size() <= limit) return false;
    page.users.resize(limit);
    page.next = cursor(page.users.back().id);
    return true;
}

std::string folded_search(const std::string& search) {
    const std::string_view text = trim_view(search);
    if (find_invalid_utf8(text) != std::string_view::npos)
        throw Error("the search \"" + replace_invalid_utf8(text) + "\" is not valid UTF-8");
    std::string folded;
    folded.reserve(text.size());
    for (const char c : text) folded += fold(c);
    return folded;
}

std::string person_name(std::string_view first, std::string_view last) {
    std::string name(first);
    if (!name.empty() && !last.empty()) name += ' ';
    return name.append(last);
}

void name_departments(std::vector<DirectoryDepartment>& departments) {
    const DepartmentPaths paths(
        departments.size(), [&](std::size_t i) { return departments[i].id; },
        [&](std::size_t i) { return departments[i].parent_id; },
        [&](std::size_t i) { return std::string_view(departments[i].name); });
    for (auto& department : departments) department.path = paths.path_of(department.id).value_or(department.name);
    std::sort(departments.begin(), departments.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
}

DirectoryUserDetail detail_of(DestinationRecord record,
                              const std::unordered_map<std::int64_t, bool>& synced_departments) {
    DirectoryUserDetail out;
    out.id = record.id;
    out.user = std::move(record.user);
    out.synced_fields = std::move(record.synced_fields);
    for (std::size_t i = 0; i < record.department_ids.size(); ++i) {
        const std::int64_t department = record.department_ids[i];
        const auto synced = synced_departments.find(department);
        out.departments.push_back({department,
                                   i < out.user.departments.size() ? out.user.departments[i] : std::string(),
                                   synced != synced_departments.end() && synced->second});
    }
    std::sort(out.departments.begin(), out.departments.end(),
              [](const auto& a, const auto& b) { return a.path < b.path; });
    return out;
}

}  // namespace peoplesync::directory_model
