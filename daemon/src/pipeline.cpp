#include "pipeline.hpp"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <set>
#include <system_error>
#include <thread>
#include <unordered_set>

#include <Poco/Logger.h>

#include <peoplesync/validation.hpp>

#include "flat_index.hpp"
#include "halves.hpp"
#include "report.hpp"

namespace peoplesync::core {

std::string_view to_string(PipelineMode mode) {
    return mode == PipelineMode::test ? "test" : "live";
}

std::string DeletionGuard::check(std::int64_t removals, std::int64_t synced_before) const {
    if (removals == 0) return {};
    if (removals > limits.max_removals)
        return "the run would deactivate or unsync " + std::to_string(removals) + " users, more than max_removals (" +
               std::to_string(limits.max_removals) + ")";
    const double percent =
        synced_before > 0 ? 100.0 * static_cast<double>(removals) / static_cast<double>(synced_before) : 100.0;
    if (percent > limits.max_removal_percent) {
        char text[32];
        std::snprintf(text, sizeof text, "%.1f", percent);
        char limit[32];
        std::snprintf(limit, sizeof limit, "%g", limits.max_removal_percent);
        return "the run would deactivate or unsync " + std::to_string(removals) + " of " +
               std::to_string(synced_before) + " synced users (" + text + "%), more than max_removal_percent (" +
               limit + "%)";
    }
    return {};
}

ChangeSummary RunReport::changes() const {
    ChangeSummary total;
    for (const auto& sink : sinks) {
        auto s = sink.changes.summary();
        total.created += s.created;
        total.linked += s.linked;
        total.updated += s.updated;
        total.reactivated += s.reactivated;
        total.deactivated += s.deactivated;
        total.unsynced += s.unsynced;
        total.departments_created += s.departments_created;
        total.memberships_added += s.memberships_added;
        total.memberships_removed += s.memberships_removed;
        total.managers_changed += s.managers_changed;
    }
    return total;
}

namespace {
// What trim() removes: std::isspace's characters in the C locale, without a
// call per character (normalizing asks twice per field of every user).
bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}
bool has_outer_space(std::string_view text) {
    return !text.empty() && (is_space(text.front()) || is_space(text.back()));
}
}  // namespace

void normalize(Snapshot& snapshot, const SyncPolicy& policy) {
    const bool departments = policy.syncs(field::departments);
    const bool job_title = policy.syncs(field::job_title), phone_number = policy.syncs(field::phone_number),
               employee_id = policy.syncs(field::employee_id), hire_date = policy.syncs(field::hire_date),
               profile_image = policy.syncs(field::profile_image), manager = policy.syncs(field::manager);
    // Whether a user reads differently once normalized: most do not, and
    // are left as they are stored.
    auto changes = [&](const UserView& user) {
        for (std::string_view text :
             {user.hris_id, user.first_name, user.last_name, user.email, user.job_title, user.phone_number,
              user.employee_id, user.hire_date, user.profile_image.url, user.profile_image.last_modified,
              user.profile_image.cache_info, user.manager_hris_id})
            if (has_outer_space(text)) return true;
        if (!departments) {
            if (!user.departments.empty()) return true;
        } else {
            for (std::size_t i = 0; i < user.departments.size(); ++i) {
                if (!is_normal_department_path(user.departments[i])) return true;
                for (std::size_t j = 0; j < i; ++j)
                    if (user.departments[j] == user.departments[i]) return true;
            }
        }
        return (!job_title && !user.job_title.empty()) || (!phone_number && !user.phone_number.empty()) ||
               (!employee_id && !user.employee_id.empty()) || (!hire_date && !user.hire_date.empty()) ||
               (!profile_image && !user.profile_image.empty()) || (!manager && !user.manager_hris_id.empty());
    };
    auto normalized = [&](const UserView& view) {
        User user = view.to_user();
        for (std::string* text :
             {&user.hris_id, &user.first_name, &user.last_name, &user.email, &user.job_title, &user.phone_number,
              &user.employee_id, &user.hire_date, &user.profile_image.url, &user.profile_image.last_modified,
              &user.profile_image.cache_info, &user.manager_hris_id})
            if (has_outer_space(*text)) *text = trim(*text);
        if (departments) {
            for (auto& path : user.departments)
                if (!is_normal_department_path(path))
                    path = normalize_department_path(path).value_or(path);  // invalid: validation says so
            for (std::size_t i = 1; i < user.departments.size(); ++i)       // the same path twice counts once
                if (std::find(user.departments.begin(), user.departments.begin() + static_cast<std::ptrdiff_t>(i),
                              user.departments[i]) != user.departments.begin() + static_cast<std::ptrdiff_t>(i))
                    user.departments.erase(user.departments.begin() + static_cast<std::ptrdiff_t>(i--));
        } else {
            user.departments.clear();
        }
        if (!job_title) user.job_title.clear();
        if (!phone_number) user.phone_number.clear();
        if (!employee_id) user.employee_id.clear();
        if (!hire_date) user.hire_date.clear();
        if (!profile_image) user.profile_image = {};
        if (!manager) user.manager_hris_id.clear();
        return user;
    };
    // Each user on their own: a large snapshot's halves on two cores. A
    // user who does not fit where they are stored (a department path that
    // grows) is replaced afterwards, on this thread.
    std::vector<std::pair<std::size_t, User>> grown[2];
    for_halves(snapshot.users.size(), 65536, [&](std::size_t from, std::size_t to) {
        auto& later = grown[from == 0 ? 0 : 1];
        for (std::size_t u = from; u < to; ++u) {
            const UserView view = snapshot.users[u];
            if (!changes(view)) continue;
            User user = normalized(view);
            if (!snapshot.users.replace_in_place(u, user)) later.emplace_back(u, std::move(user));
        }
    });
    for (auto& later : grown)
        for (auto& [u, user] : later) snapshot.users.replace(u, user);
    if (manager)
        for (std::size_t i = 0; i < snapshot.users.size(); ++i) {
            const UserView user = snapshot.users[i];
            if (!user.manager_hris_id.empty() && user.manager_hris_id == user.hris_id) {
                snapshot.warning(
                    static_cast<std::int64_t>(i), snapshot.locate(user, field::manager),
                    "user \"" + user.hris_id + "\" is named as their own manager; the manager stays unset");
                User alone = user.to_user();
                alone.manager_hris_id.clear();
                snapshot.users.replace(i, alone);
            }
        }
}

bool keeps_every_field(const SyncPolicy& policy) {
    const auto& fields = all_fields();
    return std::all_of(fields.begin(), fields.end(), [&](std::string_view f) { return policy.syncs(f); });
}

namespace {

// Marks every user on a manager cycle. Managers are looked up by hris_id
// among the snapshot's users (the first of duplicates).
void find_manager_cycles(Snapshot& snapshot) {
    const auto n = snapshot.users.size();
    flat::StringIndex<false> by_hris(
        [&snapshot](std::int64_t i) -> std::string_view { return snapshot.users.hris_id(static_cast<std::size_t>(i)); },
        n);
    by_hris.emplace_all(
        n, [&snapshot](std::size_t i) { return snapshot.users.hris_id(i); }, [](std::size_t, std::int64_t) {});
    std::vector<char> state(n, 0);  // 0 new, 1 on the current chain, 2 done
    std::vector<std::size_t> chain;
    for (std::size_t start = 0; start < n; ++start) {
        if (state[start] != 0) continue;
        chain.clear();
        std::size_t at = start;
        while (true) {
            state[at] = 1;
            chain.push_back(at);
            const std::string_view manager = snapshot.users.manager_hris_id(at);
            const std::int64_t found = manager.empty() ? flat::StringIndex<>::none : by_hris.find(manager);
            if (found == flat::StringIndex<>::none) break;
            const auto next = static_cast<std::size_t>(found);
            if (state[next] == 2) break;
            if (state[next] == 1) {
                auto first = std::find(chain.begin(), chain.end(), next);
                std::string description;
                for (auto it = first; it != chain.end(); ++it) description += snapshot.users[*it].hris_id + " -> ";
                description += snapshot.users[next].hris_id;
                for (auto it = first; it != chain.end(); ++it) {
                    const UserView& user = snapshot.users[*it];
                    snapshot.error(static_cast<std::int64_t>(*it), snapshot.locate(user, field::manager),
                                   "manager chain forms a cycle: " + description);
                }
                break;
            }
            at = next;
        }
        for (auto i : chain) state[i] = 2;
    }
}

}  // namespace

std::vector<char> validate(Snapshot& snapshot, const SyncPolicy& policy) {
    validate_records(snapshot);
    if (policy.syncs(field::manager)) find_manager_cycles(snapshot);
    std::vector<char> invalid(snapshot.users.size(), 0);
    for (const auto& finding : snapshot.findings)
        if (finding.severity == Severity::error && finding.record >= 0 &&
            finding.record < static_cast<std::int64_t>(invalid.size()))
            invalid[static_cast<std::size_t>(finding.record)] = 1;
    return invalid;
}

namespace {

// Creates one of a pipeline's plugins. A type no plugin provides is a
// configuration error at the place the type is written; any other failure
// but a configuration error (which names its place) names the pipeline.
template <typename Make>
auto create_plugin(const PluginSettings& plugin, const std::string& who, Make make) {
    try {
        return make();
    } catch (const PluginNotFound& e) {
        throw ConfigError(plugin.type_where.empty() ? std::string(e.what()) : plugin.type_where + ": " + e.what());
    } catch (const ConfigError&) {
        throw;
    } catch (const Error& e) {
        throw Error(who + ": " + e.what());
    }
}

// Calls into a plugin during a run: what it throws that is not a
// std::exception becomes an Error naming it.
template <typename Call>
auto calling(const std::string& plugin, Call call) {
    try {
        return call();
    } catch (const std::exception&) {
        throw;
    } catch (...) {
        throw Error(plugin + " threw an exception that is not a std::exception");
    }
}

}  // namespace

// What a plugin instance gets from the host.
class Pipeline::Services final : public Host, public Logger {
public:
    Services(const Settings& settings, StateStore& state, std::string pipeline, const std::string& role,
             PushHost* push = nullptr)
        : settings_(settings),
          push_(push),
          pipeline_(std::move(pipeline)),
          logger_(Poco::Logger::get("peoplesync." + pipeline_ + "." + role)),
          values_(state.key_value(pipeline_ + "/" + role)) {}

    Logger& log() override { return *this; }
    KeyValueStore& state() override { return *values_; }
    std::int64_t now() override {
        return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    }
    std::string resolve_path(const std::string& path) override { return settings_.resolve(path).string(); }
    const std::string& pipeline() override { return pipeline_; }
    void add_route(const std::string& path_prefix, HttpHandler& handler) override {
        if (push_ == nullptr) return Host::add_route(path_prefix, handler);
        push_->add_route(pipeline_, path_prefix, handler);
    }
    PushGateway& push() override { return push_ != nullptr ? push_->push(pipeline_) : Host::push(); }
    Outbox& outbox() override { return outbox_ ? *outbox_ : Host::outbox(); }
    void set_outbox(std::unique_ptr<Outbox> outbox) { outbox_ = std::move(outbox); }

    void debug(const std::string& message) override { logger_.debug(message); }
    void info(const std::string& message) override { logger_.information(message); }
    void warning(const std::string& message) override { logger_.warning(message); }
    void error(const std::string& message) override { logger_.error(message); }

private:
    const Settings& settings_;
    PushHost* push_;
    std::string pipeline_;
    Poco::Logger& logger_;
    std::unique_ptr<KeyValueStore> values_;
    std::unique_ptr<Outbox> outbox_;
};

Pipeline::Pipeline(const Settings& settings, const PipelineSettings& pipeline, const PluginHost& plugins,
                   StateStore& state, PushHost* push)
    : global_(settings), settings_(pipeline), state_(state) {
    source_services_ = std::make_unique<Services>(settings, state, pipeline.name, "source", push);
    source_ = create_plugin(pipeline.source, "pipeline " + pipeline.name, [&] {
        return plugins.make_source(pipeline.source.type, pipeline.source.options, *source_services_);
    });
    if (source_->pushes() && !pipeline.schedule.empty())
        throw ConfigError(pipeline.schedule.where + ": source " + pipeline.source.type +
                          " receives its snapshots when they are pushed; it takes no schedule");
    for (const auto& sink : pipeline.sinks) {
        sink_services_.push_back(std::make_unique<Services>(settings, state, pipeline.name, "sink." + sink.name));
        sink_services_.back()->set_outbox(state.outbox().for_sink(pipeline.name, sink.name));
        sinks_.push_back(create_plugin(sink, "pipeline " + pipeline.name + ", sink " + sink.name, [&] {
            return plugins.make_sink(sink.type, sink.options, *sink_services_.back());
        }));
        if (!sinks_.back()->delivers() && !sink.retry_where.empty())
            throw ConfigError(sink.retry_where + ": sink " + sink.name + " (" + sink.type +
                              ") writes its destination itself; retry applies only to sinks that deliver to a "
                              "remote receiver (webhook)");
    }
}

bool Pipeline::delivers(const std::string& sink_name) {
    for (const auto& sink : delivering_sinks())
        if (sink.name == sink_name) return true;
    return false;
}

std::vector<Pipeline::DeliveringSink> Pipeline::delivering_sinks() {
    std::vector<DeliveringSink> out;
    for (std::size_t i = 0; i < sinks_.size(); ++i)
        if (sinks_[i]->delivers()) out.push_back({settings_.sinks[i].name, sinks_[i].get(), settings_.sinks[i].retry});
    return out;
}

// Plugins go before the services they were given.
Pipeline::~Pipeline() {
    sinks_.clear();
    source_.reset();
}

PipelineMode Pipeline::mode() {
    return state_.live(settings_.name, settings_.fingerprint, global_.loaded_at_ms) ? PipelineMode::live
                                                                                    : PipelineMode::test;
}

void note_configurations(const Settings& settings, StateStore& state) {
    for (const auto& pipeline : settings.pipelines) state.note_configuration(pipeline.name, pipeline.fingerprint);
}

void Pipeline::enable() {
    state_.enable(settings_.name, settings_.fingerprint);
}
void Pipeline::disable() {
    state_.disable(settings_.name);
}

std::string Pipeline::source_label() const {
    return "source " + settings_.source.type;
}

std::string Pipeline::sink_label(const Sink* sink) const {
    for (std::size_t i = 0; i < sinks_.size(); ++i)
        if (sinks_[i].get() == sink) return "sink " + settings_.sinks[i].name;
    return "a sink";
}

std::string Pipeline::why_not_on_demand() {
    if (!source_->pushes()) return {};
    return "pipeline " + settings_.name + " receives its snapshots from source " + settings_.source.type +
           "; it cannot be run on demand. A snapshot the deletion guard blocked is applied with: peoplesync approve "
           "RUN";
}

Sink& Pipeline::sink(const std::string& name) {
    for (std::size_t i = 0; i < sinks_.size(); ++i)
        if (settings_.sinks[i].name == name) return *sinks_[i];
    throw Error("pipeline \"" + settings_.name + "\" has no sink named \"" + name + "\"");
}

namespace {
// Entries of each kind kept in a run's stored detail; the counts are always whole.
constexpr std::size_t detail_limit = 10000;

// Every stage starts here: a cancelled run stops before it applies anything.
void enter_stage(ProgressListener& progress, const std::string& stage) {
    if (progress.cancelled())
        throw RunCancelled("the run was cancelled before its " + stage + " stage; nothing was applied");
    progress.stage(stage);
}

// Runs `work` on a thread of its own; when no thread can be started, when
// its result is asked for.
template <typename Work>
auto on_a_thread(Work work) {
    try {
        return std::async(std::launch::async, work);
    } catch (const std::system_error&) {
        return std::async(std::launch::deferred, std::move(work));
    }
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void add_unique(std::vector<Finding>& findings, std::set<std::pair<std::string, std::string>>& seen, const Finding& f) {
    if (seen.emplace(f.location, f.message).second) findings.push_back(f);
}

// Each record's raw hash with the hris_id, manager and email it has once
// normalized.
RunRows rows_of(const Users& users, const std::vector<std::uint64_t>& hashes, std::int64_t run_id) {
    RunRows rows;
    rows.run_id = run_id;
    std::size_t bytes = 0;
    for (const UserView& user : users) bytes += user.hris_id.size() + user.manager_hris_id.size();
    rows.reserve(users.size(), bytes);
    for (std::size_t i = 0; i < users.size(); ++i)
        rows.add(hashes[i], users.hris_id(i), users.manager_hris_id(i), flat::folded_hash(users.email(i)));
    return rows;
}

// Waits for a write; whether it succeeded.
bool finished(std::future<void>& write) {
    try {
        write.get();
        return true;
    } catch (const std::exception& e) {
        Poco::Logger::get("peoplesync").warning(std::string("could not store the records' hashes: ") + e.what());
        return false;
    }
}

// A change-only run that cannot be one; nothing was applied. Says why.
class NotChangeOnly : public Error {
public:
    using Error::Error;
};

// What a run is about to apply (RunRecord::plan): each sink's change counts
// and, when the run has the whole snapshot, its users.
nlohmann::json plan_json(const RunReport& report, bool whole_snapshot) {
    nlohmann::json sinks = nlohmann::json::array();
    for (const auto& sink : report.sinks)
        sinks.push_back({{"name", sink.name}, {"changes", summary_json(sink.changes.summary())}});
    nlohmann::json plan = {{"sinks", std::move(sinks)}};
    if (whole_snapshot) plan["users"] = report.users;
    return plan;
}

// For tests only: PEOPLESYNC_TEST_AFTER_COMMIT_DELAY_MS holds a run whose
// sinks committed (and whose snapshot is stored) before it is recorded, so a
// test can kill the process exactly there.
void hold_after_commit_for_tests(const RunReport& report) {
    static const long long delay_ms = [] {
        const char* text = std::getenv("PEOPLESYNC_TEST_AFTER_COMMIT_DELAY_MS");
        return text == nullptr ? 0LL : std::strtoll(text, nullptr, 10);
    }();
    if (delay_ms <= 0 || report.status != "applied") return;
    Poco::Logger::get("peoplesync." + report.pipeline)
        .warning("PEOPLESYNC_TEST_AFTER_COMMIT_DELAY_MS: run " + std::to_string(report.run_id) +
                 " committed; it waits " + std::to_string(delay_ms) + " ms before it is recorded (for tests only)");
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
}
}  // namespace

std::vector<std::future<DestinationIndex>> Pipeline::load_indexes() {
    std::vector<std::future<DestinationIndex>> indexes;
    for (auto& sink : sinks_)
        indexes.push_back(std::async(std::launch::async, [this, s = sink.get()] {
            return calling(sink_label(s), [s] { return s->load_index(); });
        }));
    return indexes;
}

RunReport Pipeline::process(Snapshot& snapshot, const RunRequest& request, std::int64_t run_id,
                            ProgressListener& progress, std::vector<std::future<DestinationIndex>> indexes,
                            bool normalized, const UnreadRecords* unread, const std::function<void()>& checked) {
    if (indexes.empty()) indexes = load_indexes();
    RunReport report;
    report.run_id = run_id;
    report.pipeline = settings_.name;
    report.mode = mode();
    report.users = static_cast<std::int64_t>(snapshot.users.size());
    const SyncPolicy& policy = settings_.sync;
    const bool apply = run_id != 0 && report.mode == PipelineMode::live && !request.dry_run;

    enter_stage(progress, "validate");
    auto started = std::chrono::steady_clock::now();
    if (!normalized) normalize(snapshot, policy);
    // The diff against every sink starts now, beside validation, as if every
    // record were valid: that is the diff when they are, as they nearly
    // always are, and it is made again with the invalid ones marked when not.
    // Both only read the users.
    std::vector<DestinationIndex> destinations(sinks_.size());
    auto diff_all = [&](const std::vector<char>& invalid) {
        std::vector<DiffResult> out;
        for (std::size_t i = 0; i < sinks_.size(); ++i) {
            Sink& sink = *sinks_[i];
            out.push_back(diff(
                snapshot, invalid, policy, destinations[i],
                [&sink](std::span<const std::int64_t> ids) { return sink.fetch(ids); }, unread));
        }
        return out;
    };
    std::future<std::vector<DiffResult>> diffed_as_valid = std::async(std::launch::async, [&] {
        for (std::size_t i = 0; i < sinks_.size(); ++i) destinations[i] = indexes[i].get();
        return diff_all(std::vector<char>(snapshot.users.size(), 0));
    });
    std::vector<char> invalid = validate(snapshot, policy);
    report.validate_seconds = seconds_since(started);
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& f : snapshot.findings) add_unique(report.findings, seen, f);

    if (unread != nullptr && !report.findings.empty())
        throw NotChangeOnly("the records read have findings (" + report.findings.front().location + ": " +
                            report.findings.front().message + ")");
    std::int64_t invalid_count = std::count(invalid.begin(), invalid.end(), 1);
    bool unusable = std::any_of(snapshot.findings.begin(), snapshot.findings.end(),
                                [](const Finding& f) { return f.severity == Severity::error && f.record < 0; });
    if (unusable) {
        report.status = "rejected";
        report.message = "the snapshot cannot be used; nothing was applied";
        return report;
    }
    if (invalid_count > 0 && policy.on_invalid == InvalidPolicy::reject) {
        report.status = "rejected";
        report.message = std::to_string(invalid_count) + " invalid record" + (invalid_count == 1 ? "" : "s") +
                         "; nothing was applied (on_invalid: reject)";
        return report;
    }

    enter_stage(progress, "diff");
    started = std::chrono::steady_clock::now();
    std::vector<DiffResult> diffs = diffed_as_valid.get();
    if (invalid_count > 0) diffs = diff_all(invalid);
    if (checked) checked();
    bool refused = false;
    for (std::size_t i = 0; i < sinks_.size(); ++i) {
        SinkOutcome outcome;
        outcome.name = settings_.sinks[i].name;
        DiffResult& diffed = diffs[i];
        for (const auto& f : diffed.findings) add_unique(report.findings, seen, f);
        outcome.changes = std::move(diffed.changes);
        outcome.detail = changes_json(snapshot, outcome.changes, detail_limit);
        outcome.synced_before = diffed.synced_before;
        outcome.removals = diffed.removals;
        outcome.guard = DeletionGuard{policy.guard}.check(diffed.removals, diffed.synced_before);
        if (!diffed.refused.empty() && policy.on_invalid == InvalidPolicy::reject) {
            refused = true;
            outcome.status = "rejected";
            outcome.message = std::to_string(diffed.refused.size()) + " record(s) conflict with this destination";
        }
        report.sinks.push_back(std::move(outcome));
    }
    report.diff_seconds = seconds_since(started);
    if (policy.on_invalid == InvalidPolicy::skip) {
        std::vector<char> quarantined = invalid;  // and those a destination refused
        for (const DiffResult& diffed : diffs)
            for (const std::int64_t u : diffed.refused) quarantined[static_cast<std::size_t>(u)] = 1;
        report.quarantined = std::count(quarantined.begin(), quarantined.end(), 1);
    }
    if (unread != nullptr) {
        if (!report.findings.empty())
            throw NotChangeOnly("the diff has findings (" + report.findings.front().location + ": " +
                                report.findings.front().message + ")");
        if (std::any_of(report.sinks.begin(), report.sinks.end(),
                        [](const SinkOutcome& o) { return !o.guard.empty(); }))
            throw NotChangeOnly("the deletion guard objects");
        if (!apply) throw NotChangeOnly("the run applies nothing");
        for (std::size_t i = 0; i < sinks_.size(); ++i)
            if (!report.sinks[i].changes.departments_adopted.empty())
                throw NotChangeOnly("sink " + settings_.sinks[i].name +
                                    " has departments to adopt, whose members may be records not read");
        // A record not read whose manager this run renames would lose that
        // manager in a full run.
        for (const SinkOutcome& outcome : report.sinks)
            for (const UserChange& change : outcome.changes.users)
                if (change.linked && !change.previous_hris_id.empty() && change.previous_hris_id != change.hris_id &&
                    unread->cited_as_manager(change.previous_hris_id))
                    throw NotChangeOnly("\"" + change.previous_hris_id +
                                        "\", the manager of a record not read, becomes \"" + change.hris_id + "\"");
        for (std::size_t i = 0; i < sinks_.size(); ++i)
            if (diffs[i].synced_before != unread->synced_before)
                throw NotChangeOnly("sink " + settings_.sinks[i].name + " holds " +
                                    std::to_string(diffs[i].synced_before) + " synced users, the last run left " +
                                    std::to_string(unread->synced_before));
    }

    if (refused) {
        report.status = "rejected";
        report.message = "records conflict with a destination; nothing was applied (on_invalid: reject)";
        return report;
    }
    bool guarded =
        std::any_of(report.sinks.begin(), report.sinks.end(), [](const SinkOutcome& o) { return !o.guard.empty(); });
    if (!apply) {
        for (auto& outcome : report.sinks) {
            outcome.status = "simulated";
            if (!outcome.guard.empty())
                add_unique(report.findings, seen,
                           {Severity::warning, "sink " + outcome.name,
                            "a live run would be blocked by the deletion guard: " + outcome.guard, -1});
        }
        report.status = "simulated";
        return report;
    }
    if (guarded && !request.force) {
        for (auto& outcome : report.sinks) {
            outcome.status = outcome.guard.empty() ? "simulated" : "blocked";
            outcome.message = outcome.guard;
        }
        report.status = "blocked";
        // A pushed snapshot is not read again: only approving applies it.
        const std::string approve = "peoplesync approve " + std::to_string(report.run_id);
        report.message = "blocked by the deletion guard; nothing was applied. " +
                         (source_->pushes() ? "Approve the run to apply it: " + approve
                                            : "Approve the run (" + approve + ") or run with --force to apply it");
        return report;
    }

    enter_stage(progress, "apply");
    started = std::chrono::steady_clock::now();
    // What the run applies, recorded beside the apply: should its process die
    // once a sink committed, the run can still say what it did.
    std::future<void> planned = on_a_thread(
        [this, run_id = report.run_id,
         plan = plan_json(report, unread == nullptr).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)] {
            state_.record_run_plan(run_id, plan);
        });
    bool failed = false, applied = false;
    for (std::size_t i = 0; i < sinks_.size(); ++i) {
        SinkOutcome& outcome = report.sinks[i];
        if (outcome.changes.empty()) {
            outcome.status = "noop";
            continue;
        }
        try {
            sinks_[i]->apply(snapshot, outcome.changes, ApplyContext{report.run_id, settings_.name});
            outcome.status = "applied";
            applied = true;
        } catch (const std::exception& e) {
            outcome.status = "failed";
            outcome.message = e.what();
            failed = true;
        } catch (...) {
            // A plugin may throw anything; it still only fails the run.
            outcome.status = "failed";
            outcome.message = "the sink threw an exception that is not a std::exception";
            failed = true;
        }
    }
    report.apply_seconds = seconds_since(started);
    try {
        planned.get();
    } catch (const std::exception& e) {
        Poco::Logger::get("peoplesync." + settings_.name)
            .warning("run " + std::to_string(report.run_id) +
                     ": its changes could not be recorded before its apply: " + e.what());
    }
    report.status = failed ? "failed" : applied ? "applied" : "noop";
    if (failed) {
        for (const auto& outcome : report.sinks)
            if (outcome.status == "failed")
                report.message +=
                    (report.message.empty() ? "" : "; ") + ("sink " + outcome.name + ": " + outcome.message);
    }
    return report;
}

namespace {
// Every sink can tell whether it changed.
bool all_known(const std::vector<std::string>& tokens) {
    return std::none_of(tokens.begin(), tokens.end(), [](const std::string& t) { return t.empty(); });
}
}  // namespace

std::vector<std::string> Pipeline::sink_tokens() {
    std::vector<std::string> tokens;
    for (auto& sink : sinks_) tokens.push_back(sink->state_token());
    return tokens;
}

std::optional<RunInputs> Pipeline::done_run_inputs() {
    auto inputs = state_.run_inputs(settings_.name);
    if (!inputs) return inputs;
    // Recorded with their run since that run finished; a state database of
    // an earlier build may name a run that never did.
    const auto run = state_.run(inputs->run_id);
    if (!run || (run->status != "applied" && run->status != "noop")) return std::nullopt;
    return inputs;
}

bool Pipeline::unchanged(const std::string& digest, RunRecord& record, RunReport& report) {
    auto last = done_run_inputs();
    if (!last || last->fingerprint != settings_.fingerprint || last->digest != digest) return false;
    if (epoch_ms() / 1000 - last->full_at >= settings_.full_resync_every_secs) return false;
    const std::vector<std::string> tokens = sink_tokens();
    if (tokens != last->tokens || !all_known(tokens)) return false;
    report.status = "noop";
    report.users = last->users;
    report.unchanged_since_run = last->run_id;
    report.message = "unchanged since run " + std::to_string(last->run_id) +
                     ": the same source input, and no destination changed since; nothing was read or diffed "
                     "(run with --full to check everything)";
    // Nothing is read: what that run found holds still, and the records it
    // quarantined stay so.
    if (const auto stood_on = state_.run(last->run_id)) carry_findings(*stood_on, report);
    if (!report.findings.empty()) report.message += "; the findings are those of run " + std::to_string(last->run_id);
    for (const auto& sink : settings_.sinks) {
        SinkOutcome outcome;
        outcome.name = sink.name;
        outcome.status = "noop";
        outcome.detail = changes_json(Snapshot{}, outcome.changes, 0);
        report.sinks.push_back(std::move(outcome));
    }
    record.snapshot_key = last->snapshot_key;
    record.users = last->users;
    return true;
}

RunReport Pipeline::run(const RunRequest& request, ProgressListener& progress) {
    try {
        settle_unfinished_runs();
    } catch (const std::exception& e) {
        Poco::Logger::get("peoplesync." + settings_.name)
            .warning(std::string("runs left running by a process that stopped are not settled: ") + e.what());
    }
    RunRecord record;
    record.pipeline = settings_.name;
    record.trigger = request.trigger;
    record.mode = std::string(to_string(mode()));
    record.fingerprint = settings_.fingerprint;
    state_.begin_run(record);

    RunReport report;
    report.pipeline = settings_.name;
    report.mode = mode();
    report.run_id = record.id;
    std::string attempted_snapshot;  // stored by a change-only attempt
    ForNextRun next;
    auto finish = [&] {
        record.mode = std::string(to_string(report.mode));
        record.status = report.status;
        record.message = report.message;
        record.result = report_json(report, true).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        state_.finish_run(record, next.inputs ? &*next.inputs : nullptr);
        if (next.rows) next.rows();
        if (!attempted_snapshot.empty() && attempted_snapshot != record.snapshot_key) {
            try {
                state_.forget_unused_snapshot(attempted_snapshot);
            } catch (const std::exception&) {
                // A list no run names stays: harmless.
            }
        }
        return report;
    };
    try {
        Snapshot snapshot;
        auto started = std::chrono::steady_clock::now();
        // What the source would read, by digest: the same input into
        // unchanged destinations changes nothing.
        const bool live = report.mode == PipelineMode::live && !request.dry_run;
        const bool may_compare =
            live && !request.snapshot && !request.full && !request.force && settings_.full_resync_every_secs > 0;
        // A change-only run compares with the last run's rows, read meanwhile.
        std::future<LastRun> last_run;
        if (may_compare && sinks_take_changes_only()) last_run = on_a_thread([this] { return read_last_run(); });
        const std::string digest =
            live && !request.snapshot ? calling(source_label(), [this] { return source_->input_digest(); }) : "";
        // However the run ends, the source hears that what it kept for the
        // digest and the scan (a file's bytes) can go.
        struct EndScan {
            Source* source;
            ~EndScan() {
                if (source == nullptr) return;
                try {
                    source->end_scan();
                } catch (...) {
                    // What it kept stays until its next scan.
                }
            }
        } digest_done{digest.empty() ? nullptr : source_.get()};
        if (!digest.empty() && may_compare && unchanged(digest, record, report)) {
            report.read_seconds = seconds_since(started);
            return finish();
        }
        // A change-only run reads only what it needs of the destinations.
        std::optional<ChangeOnlyBase> base;
        if (!digest.empty() && last_run.valid()) base = change_only_base(last_run.get());
        if (base) look_up_while_scanning(*base);
        // What each sink holds is read while the source is: they do not depend
        // on each other, and both take long for a large organisation.
        std::vector<std::future<DestinationIndex>> indexes;
        if (!base) indexes = load_indexes();
        std::optional<RecordScan> scan;
        if (request.snapshot) {
            snapshot = *request.snapshot;
        } else {
            enter_stage(progress, "read");
            // A live run reads through the source's scan when it can: with
            // the records' hashes the next run parses only what changed.
            if (live && sinks_take_changes_only())
                scan = calling(source_label(), [&] { return source_->scan(progress); });
            // However the read ends, the source hears that the scan is done.
            EndScan scan_done{scan ? source_.get() : nullptr};
            if (scan && base) {
                const double scan_seconds = seconds_since(started);
                if (auto done = change_only(*scan, *base, request, record, digest, indexes, progress,
                                            attempted_snapshot, next)) {
                    report = std::move(*done);
                    report.read_seconds += scan_seconds;
                    return finish();
                }
            }
            if (indexes.empty()) indexes = load_indexes();
            if (scan) {
                std::vector<std::int64_t> all(scan->hashes.size());
                std::iota(all.begin(), all.end(), 0);
                std::vector<std::string>().swap(scan->origins);  // the users will have them
                snapshot = calling(source_label(), [&] { return source_->read_records(all, progress); });
            } else {
                snapshot = calling(source_label(), [&] { return source_->read(progress); });
            }
        }
        double read_seconds = seconds_since(started);
        snapshot.pipeline = settings_.name;
        if (snapshot.received_at.empty()) snapshot.received_at = now_iso8601();
        record.users = static_cast<std::int64_t>(snapshot.users.size());
        // Written while the run goes on; the run is not recorded before it
        // is. When the policy keeps every field, normalizing drops nothing
        // a later run could want, so the normalized snapshot is the one
        // stored, read by the store as the run reads it (from here on the
        // run only reads users); otherwise the store takes a copy first.
        const bool shared = keeps_every_field(settings_.sync);
        if (shared) {
            started = std::chrono::steady_clock::now();
            normalize(snapshot, settings_.sync);
        }
        const double normalize_seconds = shared ? seconds_since(started) : 0;
        // Both stores below wait for validation and the diff: those are on
        // the run's critical path and use both cores (the diff its second
        // once validation is done), while the stores have until the apply
        // ends.
        std::promise<void> checked;
        const std::shared_future<void> after_checks = checked.get_future().share();
        std::future<StateStore::StoredSnapshot> stored = state_.store_snapshot_async(
            snapshot, shared ? StateStore::Sharing::read_while_running : StateStore::Sharing::copy, after_checks,
            record.id);
        // Each record's hash, hris_id and manager, for the next run to read
        // only what changed; stored while the run goes on, kept if it is clean.
        std::future<void> rows_stored;
        // However the run leaves this block, the stores start (before the
        // futures above wait for them).
        struct StartStores {
            std::promise<void>& checked;
            bool started = false;
            void operator()() {
                if (started) return;
                started = true;
                checked.set_value();
            }
            ~StartStores() { (*this)(); }
        } start_stores{checked};
        // Made on that thread too: the run only reads the users from here on.
        auto store_rows = [&] {
            if (scan && scan->hashes.size() == snapshot.users.size())
                rows_stored = state_.store_run_rows_async(
                    settings_.name,
                    [&snapshot, hashes = std::move(scan->hashes), id = record.id] {
                        return rows_of(snapshot.users, hashes, id);
                    },
                    after_checks);
            scan.reset();
        };
        if (shared) store_rows();
        report = process(snapshot, request, record.id, progress, std::move(indexes), shared, nullptr,
                         [&start_stores] { start_stores(); });
        start_stores();
        if (!shared) store_rows();  // normalized now
        report.read_seconds = read_seconds;
        report.validate_seconds += normalize_seconds;
        try {
            StateStore::StoredSnapshot done = stored.get();
            record.snapshot_key = done.key;
            report.store_seconds = done.seconds;
        } catch (const std::exception& e) {
            report.message +=
                (report.message.empty() ? "" : "; ") + std::string("the snapshot could not be stored: ") + e.what();
        }
        hold_after_commit_for_tests(report);
        // What this run read and left behind, for the next one to compare,
        // recorded with the run. Its rows are written (or not) before
        // anything is decided of them.
        const bool rows_written = rows_stored.valid() && finished(rows_stored);
        const std::string& name = settings_.name;
        const std::int64_t id = record.id;
        if (!digest.empty() && !record.snapshot_key.empty() &&
            (report.status == "applied" || report.status == "noop")) {
            RunInputs inputs;
            inputs.fingerprint = settings_.fingerprint;
            inputs.digest = digest;
            inputs.tokens = sink_tokens();
            inputs.run_id = record.id;
            inputs.snapshot_key = record.snapshot_key;
            inputs.users = record.users;
            inputs.full_at = epoch_ms() / 1000;
            if (all_known(inputs.tokens)) {
                next.inputs = std::move(inputs);
                // Records read cleanly (no finding at all) are what the next
                // run compares with.
                const std::int64_t keep = report.findings.empty() && rows_written ? id : 0;
                next.rows = [this, name, keep] { state_.keep_run_rows(name, keep); };
            }
        }
        if (!next.inputs && rows_written) next.rows = [this, name, id] { state_.forget_run_rows(name, id); };
    } catch (const RunCancelled& e) {
        report.status = "interrupted";
        report.message = e.what();
    } catch (const std::exception& e) {
        report.status = "failed";
        report.message = e.what();
    } catch (...) {
        report.status = "failed";
        report.message = "a plugin threw an exception that is not a std::exception";
    }
    return finish();
}

bool Pipeline::sinks_take_changes_only() const {
    return std::all_of(sinks_.begin(), sinks_.end(), [](const auto& sink) { return sink->applies_changes_only(); });
}

namespace {
// Why a run reads every record; `routine` reasons (a source that never
// scans, a first run) only at debug level, so they do not fill the log.
void log_full_read(const std::string& pipeline, const std::string& why, bool routine = false) {
    Poco::Logger& log = Poco::Logger::get("peoplesync." + pipeline);
    if (routine)
        log.debug("reading every record: " + why);
    else
        log.information("reading every record: " + why);
}
}  // namespace

namespace {
bool full_resync_due(const RunInputs& last, std::int64_t every_secs) {
    return epoch_ms() / 1000 - last.full_at >= every_secs;
}
}  // namespace

Pipeline::LastRun Pipeline::read_last_run() {
    LastRun last_run;
    last_run.inputs = done_run_inputs();
    const auto& last = last_run.inputs;
    if (last && last->fingerprint == settings_.fingerprint && !full_resync_due(*last, settings_.full_resync_every_secs))
        last_run.rows = state_.run_rows(settings_.name, last->run_id);
    return last_run;
}

std::optional<Pipeline::ChangeOnlyBase> Pipeline::change_only_base(LastRun last_run) {
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

namespace {
// The hash of the last run's record j.
struct RowHash {
    const RunRows* rows;
    std::uint64_t operator()(std::size_t j) const { return rows->hash(j); }
};
}  // namespace

struct Pipeline::ChangeOnlyBase::Lookups {
    explicit Lookups(const RunRows& rows)
        : previous(RowHash{&rows}, rows.size()),
          by_hris([&rows](std::int64_t j) { return rows.hris_id(static_cast<std::size_t>(j)); }, rows.size()) {
        by_hris.emplace_all(
            rows.size(), [&rows](std::size_t j) { return rows.hris_id(j); }, [](std::size_t, std::int64_t) {});
    }
    flat::HashPositions<RowHash> previous;  // which record had a hash
    flat::StringIndex<false> by_hris;       // which record had an hris_id
    StoredList list;                        // the last run's snapshot list
    std::string list_error;                 // why that could not be read
};

void Pipeline::look_up_while_scanning(ChangeOnlyBase& base) {
    auto make = [this, &base] {
        auto lookups = std::make_shared<ChangeOnlyBase::Lookups>(base.rows);
        try {
            lookups->list = state_.snapshot_list(base.last.snapshot_key);
        } catch (const Error& e) {
            lookups->list_error = e.what();
        }
        return lookups;
    };
    base.lookups = on_a_thread(make);
}

std::optional<RunReport> Pipeline::change_only(const RecordScan& scan, ChangeOnlyBase& base_run,
                                               const RunRequest& request, RunRecord& record, const std::string& digest,
                                               std::vector<std::future<DestinationIndex>>& indexes,
                                               ProgressListener& progress, std::string& attempted_snapshot,
                                               ForNextRun& next) {
    auto whole = [&](const std::string& why) -> std::optional<RunReport> {
        log_full_read(settings_.name, why);
        indexes = load_indexes();  // for the full read the run makes instead
        return std::nullopt;
    };
    const RunInputs* const last = &base_run.last;
    const RunRows* const rows = &base_run.rows;
    const std::string since = "run " + std::to_string(last->run_id);
    const std::size_t n = scan.hashes.size(), m = rows->size();
    if (scan.origins.size() != n)
        throw Error("the source's scan gave " + std::to_string(scan.origins.size()) + " origins for " +
                    std::to_string(n) + " records");

    // Which of the last run's records each record is, by the hash of its bytes.
    const auto started = std::chrono::steady_clock::now();
    if (!base_run.lookups.valid()) look_up_while_scanning(base_run);
    const std::shared_ptr<ChangeOnlyBase::Lookups> lookups = base_run.lookups.get();
    const auto& previous = lookups->previous;
    if (previous.duplicates()) return whole(since + " read two records with the same bytes");
    std::vector<std::int64_t> from(n, -1);
    std::vector<char> kept(m, 0);
    std::vector<std::int64_t> changed;
    // Records mostly follow the last run's in its order: the record after
    // the last one found is tried first, without a lookup. The last run's
    // hashes are distinct, so an equal one there is the one the lookup finds.
    std::size_t next_in_order = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t j = next_in_order < m && rows->hash(next_in_order) == scan.hashes[i]
                                  ? next_in_order
                                  : previous.find(scan.hashes[i]);
        if (j == previous.none) {
            changed.push_back(static_cast<std::int64_t>(i));
        } else if (kept[j]) {
            return whole(scan.origins[i] + " repeats an earlier record");
        } else {
            kept[j] = 1;
            from[i] = static_cast<std::int64_t>(j);
            next_in_order = j + 1;
        }
    }
    if (changed.size() * 5 > n)
        return whole(std::to_string(changed.size()) + " of " + std::to_string(n) + " records changed since " + since);

    Snapshot partial = calling(source_label(), [&] { return source_->read_records(changed, progress); });
    if (partial.users.size() != changed.size())
        throw Error("the source read " + std::to_string(partial.users.size()) + " records for the " +
                    std::to_string(changed.size()) + " asked");
    partial.pipeline = settings_.name;
    if (partial.received_at.empty()) partial.received_at = now_iso8601();
    const double read_seconds = seconds_since(started);
    const SyncPolicy& policy = settings_.sync;
    const bool shared = keeps_every_field(policy);
    Snapshot raw;
    if (!shared) raw = partial;  // stored as read: a later run may sync more fields
    normalize(partial, policy);

    // The records read by hris_id, and the last run's records gone.
    flat::StringIndex<false> read_by_hris(
        [&partial](std::int64_t k) -> std::string_view { return partial.users.hris_id(static_cast<std::size_t>(k)); },
        partial.users.size());
    for (std::size_t k = 0; k < partial.users.size(); ++k)
        read_by_hris.emplace(partial.users.hris_id(k), static_cast<std::int64_t>(k));
    UnreadRecords unread;
    for (std::size_t j = 0; j < m; ++j)
        if (!kept[j] && read_by_hris.find(rows->hris_id(j)) == flat::StringIndex<>::none)
            unread.gone.emplace_back(rows->hris_id(j));
    unread.synced_before = static_cast<std::int64_t>(m);
    // Of each destination, the users the records read, their managers and
    // the records gone name, loading while the rest is checked.
    std::vector<std::string> asked(unread.gone);
    for (const UserView& user : partial.users) {
        asked.emplace_back(user.hris_id);
        if (!user.manager_hris_id.empty()) asked.emplace_back(user.manager_hris_id);
    }
    std::vector<std::future<DestinationIndex>> some;
    for (auto& sink : sinks_)
        some.push_back(std::async(std::launch::async, [this, s = sink.get(), &asked] {
            return calling(sink_label(s), [s, &asked] {
                std::optional<DestinationIndex> index = s->load_index_for(asked);
                return index ? std::move(*index) : s->load_index();
            });
        }));

    // Against the records not read: an hris_id one of them has, a manager
    // chain through them back to a record read, an address one of them has
    // (by hash: a false alarm only costs the full read).
    const flat::StringIndex<false>& by_hris = lookups->by_hris;
    auto unread_index = [&](std::string_view hris_id) {
        const std::int64_t j = by_hris.find(hris_id);
        return j != flat::StringIndex<>::none && kept[static_cast<std::size_t>(j)] ? j : flat::StringIndex<>::none;
    };
    for (const UserView& user : partial.users)
        if (unread_index(user.hris_id) != flat::StringIndex<>::none)
            return whole(user.origin + " has the hris_id of a record that did not change");
    if (policy.syncs(field::manager)) {
        auto manager_of = [&](std::string_view hris_id) -> std::string_view {
            if (auto k = read_by_hris.find(hris_id); k != flat::StringIndex<>::none)
                return partial.users.manager_hris_id(static_cast<std::size_t>(k));
            if (auto j = unread_index(hris_id); j != flat::StringIndex<>::none)
                return rows->manager(static_cast<std::size_t>(j));
            return {};
        };
        for (const UserView& user : partial.users) {
            std::size_t steps = 0;
            for (std::string_view at = user.manager_hris_id; !at.empty(); at = manager_of(at)) {
                if (at == user.hris_id) return whole(user.origin + " is on a manager cycle");
                if (++steps > n) return whole("a manager chain from " + user.origin + " does not end");
            }
        }
    }
    {
        std::vector<std::uint64_t> emails;  // looked up once per record not read: a small flat table
        emails.reserve(partial.users.size());
        for (const UserView& user : partial.users) emails.push_back(flat::folded_hash(user.email));
        const auto email_at = [&emails](std::size_t k) { return emails[k]; };
        const flat::HashPositions<decltype(email_at)> read_emails(email_at, emails.size());
        for (std::size_t j = 0; j < m; ++j)
            if (kept[j] && read_emails.find(rows->email_hash(j)) != read_emails.none)
                return whole("a changed record's email may be that of " + std::string(rows->hris_id(j)) +
                             ", whose record did not change");
    }
    unread.kept = [&](std::string_view hris_id) { return unread_index(hris_id) != flat::StringIndex<>::none; };
    // Asked only about users the run renames, which few runs do: made then.
    std::optional<std::unordered_set<std::string_view>> unread_managers;
    unread.cited_as_manager = [&](std::string_view hris_id) {
        if (!unread_managers) {
            unread_managers.emplace();
            for (std::size_t j = 0; j < m; ++j)
                if (kept[j] && !rows->manager(j).empty()) unread_managers->insert(rows->manager(j));
        }
        return unread_managers->count(hris_id) > 0;
    };
    if (!lookups->list_error.empty())
        return whole(std::string("the snapshot of ") + since + " cannot be read: " + lookups->list_error);
    const StoredList& base = lookups->list;
    if (base.hashes.size() != m) return whole("the snapshot of " + since + " does not hold its records");

    // Stored while the run goes on, as a full run's is (the run only reads
    // the records). When the run reads everything after all, it nearly
    // always stores the same snapshot; the caller forgets this one if not.
    std::future<StateStore::StoredSnapshot> stored = state_.store_encoded_async(
        [&] { return compose_snapshot(shared ? partial : raw, base, from, scan.origins); }, 0, {}, record.id);
    auto stored_key = [&stored]() -> std::string {
        try {
            return stored.get().key;
        } catch (const std::exception&) {
            return {};
        }
    };
    // This run's rows: the last run's for records not read. Made on the
    // store's thread from a copy of what the records read give them (the run
    // goes on with those); the scan, the last run's rows and `from` outlive
    // the store, which is waited for before this returns.
    RunRows read_rows;
    read_rows.reserve(changed.size(), 0);
    for (std::size_t k = 0; k < partial.users.size(); ++k) {
        const UserView& user = partial.users[k];
        read_rows.add(scan.hashes[static_cast<std::size_t>(changed[k])], user.hris_id, user.manager_hris_id,
                      flat::folded_hash(user.email));
    }
    auto make_rows = [&scan, rows, &from, read = std::move(read_rows), run_id = record.id]() {
        RunRows made;
        made.run_id = run_id;
        made.reserve(from.size(), rows->text_bytes());  // about the last run's
        for (std::size_t i = 0, k = 0; i < from.size(); ++i) {
            if (from[i] >= 0) {
                const auto j = static_cast<std::size_t>(from[i]);
                made.add(scan.hashes[i], rows->hris_id(j), rows->manager(j), rows->email_hash(j));
            } else {
                made.add(read.hash(k), read.hris_id(k), read.manager(k), read.email_hash(k));
                ++k;
            }
        }
        return made;
    };
    std::future<void> rows_stored = state_.store_run_rows_async(settings_.name, std::move(make_rows));
    auto give_up = [&] {
        attempted_snapshot = stored_key();
        if (finished(rows_stored)) state_.forget_run_rows(settings_.name, record.id);
    };
    RunReport report;
    try {
        report = process(partial, request, record.id, progress, std::move(some), true, &unread);
    } catch (const NotChangeOnly& e) {
        give_up();
        return whole(e.what());
    } catch (...) {
        give_up();
        throw;
    }
    report.read_seconds = read_seconds;
    report.users = static_cast<std::int64_t>(n);
    report.changed_records = static_cast<std::int64_t>(changed.size());
    report.changed_since_run = last->run_id;
    record.users = static_cast<std::int64_t>(n);
    try {
        const StateStore::StoredSnapshot done = stored.get();
        record.snapshot_key = done.key;
        report.store_seconds = done.seconds;
    } catch (const std::exception& e) {
        report.message +=
            (report.message.empty() ? "" : "; ") + std::string("the snapshot could not be stored: ") + e.what();
    }
    hold_after_commit_for_tests(report);
    const std::string& name = settings_.name;
    const std::int64_t id = record.id;
    if (!record.snapshot_key.empty() && (report.status == "applied" || report.status == "noop")) {
        RunInputs inputs = *last;
        inputs.digest = digest;
        inputs.tokens = sink_tokens();
        inputs.run_id = record.id;
        inputs.snapshot_key = record.snapshot_key;
        inputs.users = record.users;  // full_at stays: this run read only what changed
        if (all_known(inputs.tokens) && finished(rows_stored)) {
            next.inputs = std::move(inputs);
            next.rows = [this, name, id] { state_.keep_run_rows(name, id); };
            return report;
        }
    }
    if (rows_stored.valid() && finished(rows_stored))
        next.rows = [this, name, id] { state_.forget_run_rows(name, id); };
    return report;
}

RunReport Pipeline::simulate(std::int64_t run_id, ProgressListener& progress) {
    auto record = state_.run(run_id);
    if (!record || record->pipeline != settings_.name)
        throw Error("pipeline \"" + settings_.name + "\" has no run " + std::to_string(run_id));
    if (record->snapshot_key.empty())
        throw Error("run " + std::to_string(run_id) + " has no snapshot to simulate (" +
                    (record->status == "running" ? std::string("it is still running and has not stored it yet")
                     : record->status == "interrupted"
                         ? std::string("it stopped before its snapshot was stored")
                         : std::string("its source could not be read, or its snapshot could not be stored")) +
                    ")");
    RunRequest request;
    request.dry_run = true;
    Snapshot snapshot = state_.load_snapshot(record->snapshot_key);
    RunReport report = process(snapshot, request, 0, progress);
    report.run_id = run_id;
    return report;
}

RunReport Pipeline::simulate_snapshot(Snapshot snapshot, ProgressListener& progress) {
    RunRequest request;
    request.dry_run = true;
    return process(snapshot, request, 0, progress);
}

RunReport Pipeline::approve(std::int64_t run_id, ProgressListener& progress) {
    auto record = state_.run(run_id);
    if (!record || record->pipeline != settings_.name)
        throw Error("pipeline \"" + settings_.name + "\" has no run " + std::to_string(run_id));
    if (record->status != "blocked")
        throw Error("run " + std::to_string(run_id) + " is " + record->status +
                    ", not blocked; only blocked runs are approved");
    if (record->approved_by_run != 0)
        throw Error("run " + std::to_string(run_id) + " was already approved by run " +
                    std::to_string(record->approved_by_run));
    if (mode() != PipelineMode::live)
        throw Error("pipeline \"" + settings_.name + "\" is in test mode; enable it before approving a run");
    RunRequest request;
    request.trigger = "approval of run " + std::to_string(run_id);
    request.force = true;
    request.snapshot = state_.load_snapshot(record->snapshot_key);
    RunReport report = run(request, progress);
    if (report.status == "applied" || report.status == "noop") state_.mark_approved(run_id, report.run_id);
    return report;
}

}  // namespace peoplesync::core
