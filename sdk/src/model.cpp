#include <peoplesync/model.hpp>

#include <algorithm>

namespace peoplesync {

const std::vector<std::string_view>& all_fields() {
    static const std::vector<std::string_view> fields = {field::hris_id,     field::first_name, field::last_name,
                                                         field::email,       field::job_title,  field::phone_number,
                                                         field::employee_id, field::hire_date,  field::profile_image,
                                                         field::departments, field::active,     field::manager};
    return fields;
}

const std::vector<std::string_view>& always_synced_fields() {
    static const std::vector<std::string_view> fields = {field::hris_id, field::email, field::first_name,
                                                         field::last_name, field::active};
    return fields;
}

bool is_known_field(std::string_view name) {
    const auto& fields = all_fields();
    return std::find(fields.begin(), fields.end(), name) != fields.end();
}

std::string_view to_string(Severity severity) {
    return severity == Severity::error ? "error" : "warning";
}

std::string Snapshot::locate(const User& user, std::string_view field_name) const {
    if (field_name.empty()) return user.origin;
    auto label = field_labels.find(field_name);
    if (label != field_labels.end()) return user.origin + " " + label->second;
    return user.origin + "." + std::string(field_name);
}

void Snapshot::error(std::int64_t record, std::string location, std::string message) {
    findings.push_back({Severity::error, std::move(location), std::move(message), record});
}

void Snapshot::warning(std::int64_t record, std::string location, std::string message) {
    findings.push_back({Severity::warning, std::move(location), std::move(message), record});
}

}  // namespace peoplesync
