#include "row_mapper.hpp"

#include <charconv>
#include <cstdio>
#include <functional>
#include <optional>
#include <unordered_map>

#include <peoplesync/error.hpp>

#include "row_index.hpp"
#include "text.hpp"

namespace peoplesync::csv {

namespace {

std::string quoted_list(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += ", ";
        out += '"' + item + '"';
    }
    return out;
}

std::optional<bool> parse_flag(std::string_view text) {
    for (std::string_view yes : {"true", "yes", "1", "active"})
        if (equal_folded(text, yes)) return true;
    for (std::string_view no : {"false", "no", "0", "inactive"})
        if (equal_folded(text, no)) return false;
    return std::nullopt;
}

// A text field's value; active and departments are read by read_active()
// and read_departments(). A manager is an employee_id or email until
// resolve_managers() when manager_by says so.
void assign(User& user, Field f, std::string_view value) {
    if (std::string* text = single_text(user, f)) text->assign(value);
}

// What a text field's value map makes of a cell: the cell itself without a
// map, the text the map gives it, or nothing for a cell the map lacks (an
// empty cell the map lacks stays empty).
std::optional<std::string_view> map_text(const ValueMap& map, std::string_view cell) {
    if (map.empty()) return cell;
    if (const ValueMap::Entry* hit = map.find(cell)) return hit->text;
    if (cell.empty()) return cell;
    return std::nullopt;
}

// The trimmed cell of `column`; empty for a column the record lacks.
std::string_view cell_of(const CsvRecord& record, int column) {
    const auto c = static_cast<std::size_t>(column);
    return c < record.fields.size() ? trim_blanks(record.fields[c]) : std::string_view();
}

}  // namespace

void set_origin(std::string& origin, const std::string& file_name, std::int64_t line) {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, line);
    origin.reserve(file_name.size() + 1 + static_cast<std::size_t>(end - digits));
    origin.append(file_name).append(1, ':').append(digits, end);
}

Layout read_layout(const CsvRecord& header, const CsvSettings& settings, const std::string& file_name) {
    const std::string at = file_name + ": line " + std::to_string(header.line) + ": ";
    Layout layout;
    for (std::size_t i = 0; i < header.fields.size(); ++i) {
        std::string_view name = trim_blanks(header.fields[i]);
        if (auto bad = find_invalid_utf8(name); bad != std::string_view::npos)
            throw Error(at + "the header of column " + std::to_string(i + 1) + " is not valid UTF-8 (after \"" +
                        std::string(name.substr(0, bad)) + "\"); save the file as UTF-8");
        layout.headers.emplace_back(name);
    }
    std::unordered_map<std::string_view, int> by_name;
    for (std::size_t i = 0; i < layout.headers.size(); ++i) {
        const std::string& name = layout.headers[i];
        if (name.empty()) continue;  // an unnamed column cannot be mapped, so several do no harm
        auto [it, inserted] = by_name.emplace(name, static_cast<int>(i));
        if (!inserted)
            throw Error(at + "the header names column \"" + name + "\" twice (columns " +
                        std::to_string(it->second + 1) + " and " + std::to_string(i + 1) + ")");
    }

    for (std::size_t i = 0; i < field_count; ++i) {
        const Field f = static_cast<Field>(i);
        const std::string& configured = settings.columns[i];
        const std::string wanted = configured.empty() ? std::string(name_of(f)) : configured;
        auto found = by_name.find(wanted);
        layout.column[i] = found == by_name.end() ? -1 : found->second;
        if (found != by_name.end()) continue;
        if (!configured.empty() || is_required(f)) {
            std::string message = at + "no column \"" + wanted + "\" for " + std::string(name_of(f)) +
                                  " (the header has: " + quoted_list(layout.headers) + ")";
            if (configured.empty()) message += "; name its column in columns." + std::string(name_of(f));
            throw Error(message);
        }
        layout.unread.emplace_back(name_of(f));
    }
    // Managers given by employee_id or email are looked up in that column.
    const Field key = settings.manager_by == ManagerBy::email ? Field::email : Field::employee_id;
    if (layout.of(Field::manager) >= 0 && settings.manager_by != ManagerBy::hris_id && layout.of(key) < 0)
        throw Error(at + "no column \"" + std::string(name_of(key)) + "\" for " + std::string(name_of(key)) +
                    ", which manager_by: " + std::string(to_string(settings.manager_by)) +
                    " needs to find managers (the header has: " + quoted_list(layout.headers) + ")");
    return layout;
}

RowMapper::RowMapper(const CsvSettings& settings, const Layout& layout, std::string file_name)
    : settings_(settings), layout_(layout), file_name_(std::move(file_name)) {}

void RowMapper::add(const CsvRecord& record, Snapshot& snapshot) {
    const auto index = static_cast<std::int64_t>(snapshot.users.size());
    user_.clear();
    fill(record, index, user_, snapshot, snapshot.findings);
    snapshot.users.push_back(user_);
}

void RowMapper::Findings::error(const UserView& user, std::string_view field_name, std::string message) const {
    found.push_back({Severity::error, snapshot.locate(user, field_name), std::move(message), index});
}

void RowMapper::fill(const CsvRecord& record, std::int64_t index, User& user, const Snapshot& snapshot,
                     std::vector<Finding>& findings) {
    const Findings out{snapshot, findings, index};
    set_origin(user.origin, file_name_, record.line);
    const std::size_t width = layout_.headers.size();
    if (record.fields.size() != width)
        out.error(user, {},
                  "the row has " + std::to_string(record.fields.size()) + " field" +
                      (record.fields.size() == 1 ? "" : "s") + " but the header has " + std::to_string(width) +
                      "; a delimiter or a quote is probably missing or extra");

    for (std::size_t i = 0; i < field_count; ++i) {
        const int column = layout_.column[i];
        if (column < 0) continue;
        const Field f = static_cast<Field>(i);
        std::string_view cell = cell_of(record, column);
        if (record.stray_text_field == column)
            out.error(user, name_of(f),
                      "text follows the closing quote (\"" + std::string(cell) +
                          "\"); quote the whole value and double the quotes inside it");
        if (auto bad = find_invalid_utf8(cell); bad != std::string_view::npos) {
            char byte[8];
            std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned>(static_cast<unsigned char>(cell[bad])));
            out.error(user, name_of(f),
                      std::string("the value is not valid UTF-8 (byte ") + byte + " after \"" +
                          std::string(cell.substr(0, bad)) + "\"); save the file as UTF-8");
            repaired_ = replace_invalid_utf8(cell);
            cell = repaired_;
        }
        if (f == Field::active)
            read_active(cell, user, out);
        else if (f == Field::departments)
            read_departments(cell, user, out);
        else
            read_text(f, cell, user, out);
    }
}

void RowMapper::read_active(std::string_view cell, User& user, const Findings& out) const {
    const ValueMap& map = settings_.value_map(Field::active);
    std::optional<bool> flag;
    std::string problem;
    if (!map.empty()) {
        if (const ValueMap::Entry* hit = map.find(cell))
            flag = hit->flag;
        else
            problem = (cell.empty() ? std::string("the value is empty")
                                    : "\"" + std::string(cell) + "\" is not in values.active") +
                      " (known: " + map.describe_keys() + ")";
    } else {
        flag = parse_flag(cell);
        if (!flag)
            problem = (cell.empty() ? std::string("the value is empty")
                                    : "\"" + std::string(cell) + "\" is not a yes/no value") +
                      "; expected true, false, yes, no, 1, 0, active or inactive, or a value map in values.active";
    }
    if (!problem.empty()) out.error(user, field::active, std::move(problem));
    // A value that cannot be read never deactivates anybody.
    user.active = flag.value_or(true);
}

void RowMapper::read_departments(std::string_view cell, User& user, const Findings& out) {
    const ValueMap& map = settings_.value_map(Field::departments);
    const std::string& separator = settings_.department_separator;
    const std::string& level_separator = settings_.department_level_separator;
    std::size_t start = 0;
    while (start <= cell.size()) {
        std::size_t stop = cell.find(separator, start);
        if (stop == std::string_view::npos) stop = cell.size();
        const std::string_view item = trim_blanks(cell.substr(start, stop - start));
        start = stop + separator.size();
        if (item.empty()) continue;
        if (!map.empty()) {
            const ValueMap::Entry* hit = map.find(item);
            if (hit == nullptr)
                out.error(
                    user, field::departments,
                    "\"" + std::string(item) + "\" is not in values.departments (known: " + map.describe_keys() + ")");
            else if (!hit->text.empty())
                user.departments.push_back(hit->text);
        } else if (!level_separator.empty()) {
            department_.clear();
            std::size_t from = 0;
            for (std::size_t at; (at = item.find(level_separator, from)) != std::string_view::npos;
                 from = at + level_separator.size())
                department_.append(trim_blanks(item.substr(from, at - from))).append(" > ");
            department_.append(trim_blanks(item.substr(from)));
            user.departments.push_back(department_);
        } else {
            user.departments.emplace_back(item);
        }
    }
}

void RowMapper::read_text(Field f, std::string_view cell, User& user, const Findings& out) const {
    const ValueMap& map = settings_.value_map(f);
    const std::optional<std::string_view> value = map_text(map, cell);
    if (!value) {
        out.error(user, name_of(f),
                  "\"" + std::string(cell) + "\" is not in values." + std::string(name_of(f)) +
                      " (known: " + map.describe_keys() + ")");
        return;
    }
    assign(user, f, *value);
}

std::string_view RowMapper::value_of(Field f, const CsvRecord& record, std::string& scratch) const {
    scratch.clear();
    const int column = layout_.of(f);
    if (column < 0) return {};
    std::string_view cell = cell_of(record, column);
    if (find_invalid_utf8(cell) != std::string_view::npos) {
        scratch = replace_invalid_utf8(cell);
        cell = scratch;
    }
    return map_text(settings_.value_map(f), cell).value_or(std::string_view());
}

void resolve_managers(Snapshot& snapshot, ManagerBy by) {
    const bool by_email = by == ManagerBy::email;
    auto key_of = [&snapshot, by_email](std::uint32_t row) {
        const UserView& u = snapshot.users[row];
        return std::string_view(by_email ? u.email : u.employee_id);
    };
    const RowIndex rows(snapshot.users.size(), key_of, by_email);
    const std::function<std::string(std::uint32_t)> line_of = [&snapshot](std::uint32_t row) {
        const std::string_view origin = snapshot.users[row].origin;
        return std::string(origin.substr(origin.rfind(':') + 1));
    };
    // The users again, each with the manager found.
    Users settled;
    settled.reserve(snapshot.users.size());
    std::string manager;
    for (std::size_t i = 0; i < snapshot.users.size(); ++i) {
        UserView user = snapshot.users[i];
        if (!user.manager_hris_id.empty()) {
            const RowMatch match = rows.find(user.manager_hris_id);
            const std::string_view first_hris_id =
                match.first == no_row ? std::string_view() : std::string_view(snapshot.users[match.first].hris_id);
            manager = settled_manager(snapshot, snapshot.findings, i, user, by, match, first_hris_id, line_of);
            user.manager_hris_id = manager;
        }
        settled.push_back(user);
    }
    snapshot.users = std::move(settled);
}

std::string settled_manager(const Snapshot& snapshot, std::vector<Finding>& findings, std::size_t index,
                            const UserView& user, ManagerBy by, RowMatch match, std::string_view first_hris_id,
                            const std::function<std::string(std::uint32_t)>& line_of) {
    std::string problem;
    if (match.first == no_row)
        problem = "is not in the file";
    else if (match.second != no_row)
        problem = "matches several rows (lines " + line_of(match.first) + " and " + line_of(match.second) + ")";
    else if (first_hris_id.empty())
        problem = "is on line " + line_of(match.first) + ", which has no hris_id";
    if (problem.empty()) return std::string(first_hris_id);
    findings.push_back({Severity::warning, snapshot.locate(user, field::manager),
                        "manager \"" + user.manager_hris_id + "\" (" + std::string(to_string(by)) + ") " + problem +
                            "; the manager stays unset",
                        static_cast<std::int64_t>(index)});
    return {};
}

}  // namespace peoplesync::csv
