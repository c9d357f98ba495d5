// What a change-only run compares with: the last clean run, its rows and its
// snapshot list, and the lookups made from them while the source scans.
#include "change_only.hpp"
#include "hash.hpp"
#include "pipeline.hpp"
#include "run_support.hpp"

namespace peoplesync::core {

bool Pipeline::takes_change_only_runs() const {
    return scanner_ != nullptr &&
           std::all_of(appliers_.begin(), appliers_.end(), [](const ChangeOnlyApplier* a) { return a != nullptr; });
}

LastRun Pipeline::read_last_run() {
    LastRun last_run;
    last_run.inputs = done_run_inputs();
    const auto& last = last_run.inputs;
    if (last && last->fingerprint == settings_.fingerprint && !full_resync_due(*last, settings_.full_resync_every_secs))
        last_run.rows = state_.run_rows(settings_.name, last->run_id);
    return last_run;
}

std::optional<ChangeOnlyBase> Pipeline::change_only_base(LastRun last_run) {
    auto whole = [&](const std::string& why, bool routine = false) -> std::optional<ChangeOnlyBase> {
        log_full_read(settings_.name, why, routine);
        return std::nullopt;
    };
    std::optional<RunInputs>& last = last_run.inputs;
    if (!last || last->fingerprint != settings_.fingerprint) return whole("no earlier run of this configuration", true);
    const std::string since = "run " + std::to_string(last->run_id);
    if (full_resync_due(*last, settings_.full_resync_every_secs))
        return whole("a full resync is due (full_resync_every_secs)");
    const std::vector<std::string> tokens = sink_tokens();
    if (tokens != last->tokens || !all_known(tokens)) return whole("a destination changed since " + since);
    std::optional<RunRows>& rows = last_run.rows;
    if (!rows) return whole(since + " left no record hashes (it had findings, or read without a scan)", true);
    if (static_cast<std::int64_t>(rows->size()) != last->users)
        return whole("the record hashes of " + since + " are not that run's");
    return ChangeOnlyBase{std::move(*last), std::move(*rows), {}};
}

void Pipeline::look_up_while_scanning(ChangeOnlyBase& base) {
    auto make = [this, &base] {
        auto lookups = std::make_shared<ChangeOnlyBase::Lookups>(base.rows);
        try {
            lookups->list = state_.snapshot_list(base.last.snapshot_key);
            if (lookups->list.hash_family != hash::family)
                lookups->list_error = "its record hashes are of another hash family";
        } catch (const Error& e) {
            lookups->list_error = e.what();
        }
        return lookups;
    };
    base.lookups = threads::on_a_thread(make);
}

}  // namespace peoplesync::core
