// What a run that went through leaves the next one: its inputs and rows.
#include "next_run.hpp"

#include "pipeline.hpp"
#include "run_support.hpp"

namespace peoplesync::core {

NextRun Pipeline::leave_for_next_run(const RunReport& report, const RunRecord& record, const std::string& digest,
                                     const RunInputs* since, bool rows_written) {
    NextRun next;
    const std::string& name = settings_.name;
    const std::int64_t id = record.id;
    if (!digest.empty() && !record.snapshot_key.empty() &&
        (report.status == RunStatus::applied || report.status == RunStatus::noop)) {
        RunInputs inputs;
        if (since != nullptr) {
            inputs = *since;  // full_at stays: the run read only what changed
        } else {
            inputs.fingerprint = settings_.fingerprint;
            inputs.full_at = epoch_ms() / 1000;
        }
        inputs.digest = digest;
        inputs.tokens = sink_tokens();
        inputs.run_id = id;
        inputs.snapshot_key = record.snapshot_key;
        inputs.users = record.users;
        // A change-only run's inputs say "compare with my rows": without
        // them it leaves nothing to compare with.
        if (all_known(inputs.tokens) && (since == nullptr || rows_written)) {
            next.inputs = std::move(inputs);
            // Records read cleanly (no finding at all) are what the next run
            // compares with.
            const std::int64_t keep = report.findings.empty() && rows_written ? id : 0;
            next.rows = [this, name, keep] { state_.keep_run_rows(name, keep); };
            return next;
        }
    }
    if (rows_written) next.rows = [this, name, id] { state_.forget_run_rows(name, id); };
    return next;
}

}  // namespace peoplesync::core
