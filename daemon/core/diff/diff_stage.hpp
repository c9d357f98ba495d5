// The diff stage of a run: the snapshot against every sink's index.
#pragma once

#include <cstdint>
#include <future>
#include <string>
#include <vector>

#include <peoplesync/plugin.hpp>

#include "differ.hpp"
#include "pipeline.hpp"
#include "run_support.hpp"

namespace peoplesync::core {

// Started beside validation, as if every record were valid: that is the diff
// when they are, as they nearly always are, and it is made again with the
// invalid ones marked when not. Both only read the users. The indexes load
// on threads of their own; what loading one throws comes out of results().
class DiffStage {
public:
    DiffStage(const Snapshot& snapshot, const SyncPolicy& policy, std::vector<Sink*> sinks,
              std::vector<std::future<DestinationIndex>> indexes, const RestOfSource* rest);
    DiffStage(const DiffStage&) = delete;
    DiffStage& operator=(const DiffStage&) = delete;

    // One per sink, in the sinks' order; `invalid` from validation.
    std::vector<DiffResult> results(const std::vector<char>& invalid);

private:
    std::vector<DiffResult> diff_all(const std::vector<char>& invalid);

    const Snapshot& snapshot_;
    const SyncPolicy& policy_;
    std::vector<Sink*> sinks_;
    std::vector<std::future<DestinationIndex>> indexes_;
    const RestOfSource* rest_;
    std::vector<DestinationIndex> destinations_;
    // Last: its destructor waits for the diff, before what it reads goes.
    std::future<std::vector<DiffResult>> as_valid_;
};

// Each sink's outcome as its diff leaves it (`names` in the sinks' order):
// the ChangeSet, its detail and counts, the diff's findings. Under
// on_invalid: reject, a sink some records conflict with is rejected.
std::vector<SinkOutcome> sink_outcomes(std::vector<DiffResult>& diffs, const Snapshot& snapshot,
                                       const std::vector<std::string>& names, const SyncPolicy& policy,
                                       UniqueFindings& findings);
// The records left exactly as they are under on_invalid: skip: the invalid
// ones and those a destination refused.
std::int64_t quarantined(const std::vector<char>& invalid, const std::vector<DiffResult>& diffs);

}  // namespace peoplesync::core
