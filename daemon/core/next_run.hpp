// What a run leaves the next one (docs/design.md §2): the inputs the
// unchanged-input short cut compares with (unchanged_input.cpp), and the
// records' rows a change-only run compares with (change_only/).
#pragma once

#include <functional>
#include <optional>

#include "state_store.hpp"

namespace peoplesync::core {

// Its inputs are recorded with the run in one transaction (so the next run
// never relies on a run not recorded as done); its rows are then kept or
// forgotten (Pipeline::leave_for_next_run).
struct NextRun {
    std::optional<RunInputs> inputs;
    std::function<void()> rows;
};

}  // namespace peoplesync::core
