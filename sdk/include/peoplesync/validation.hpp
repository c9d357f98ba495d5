// Record validation (the validate stage: docs/design.md §2) and the normal forms the pipeline compares.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <peoplesync/model.hpp>

namespace peoplesync {

// True for an address of the form local@domain.tld without spaces.
bool is_valid_email(std::string_view email);

// "Engineering >  Mobile Team" -> "Engineering > Mobile Team". Returns
// nothing when a segment is empty ("Sales >> EMEA", "> Sales", "").
std::optional<std::string> normalize_department_path(std::string_view path);

// True when `path` is already in the form normalize_department_path() gives
// ("A > B"), checked without allocating.
bool is_normal_department_path(std::string_view path);

// Lower-cases ASCII letters: emails compare case-insensitively.
std::string fold_case(std::string_view text);

std::string trim(std::string_view text);

// Checks every user for schema violations — required fields, the email
// form, department paths, duplicate hris_id or email (case-insensitive) —
// and adds an error finding, with its place, per violation to
// snapshot.findings. A record the source could not read as a user at all
// (an error located at the record itself, its origin) gets no more.
// Managers are checked later, against the destination.
void validate_records(Snapshot& snapshot);

}  // namespace peoplesync
