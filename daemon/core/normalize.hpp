// The normalize stage (docs/design.md §2).
#pragma once

#include <peoplesync/model.hpp>

#include "settings.hpp"

namespace peoplesync::core {

// Trims values, writes department paths in their normal form, drops the
// fields the policy does not sync and unsets the manager of a user named as
// their own (with a warning).
void normalize(Snapshot& snapshot, const SyncPolicy& policy);
// Whether normalize() keeps every field: nothing is dropped that another
// policy would sync.
bool keeps_every_field(const SyncPolicy& policy);

}  // namespace peoplesync::core
