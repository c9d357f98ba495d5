// The webhook sink's configuration, the state it keeps in the outbox and the
// messages it queues, run against the pipeline's own differ.
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <peoplesync/snapshot_json.hpp>

#include "differ.hpp"
#include "environment.hpp"
#include "test_host.hpp"

namespace peoplesync::webhook_sink_test {
namespace {

using nlohmann::json;

constexpr const char* key_variable = "PEOPLESYNC_TEST_WEBHOOK_KEY";
constexpr const char* secret_variable = "PEOPLESYNC_TEST_WEBHOOK_SECRET";
constexpr const char* unset_variable = "PEOPLESYNC_TEST_WEBHOOK_UNSET";
constexpr const char* api_key = "773603159c636db69c1e596c68a6368624305bcb";
constexpr const char* secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

const std::vector<std::string> core_fields = {"hris_id", "email", "first_name", "last_name", "active"};
const std::vector<std::string> every_field = {"hris_id",   "email",         "first_name",   "last_name",
                                              "active",    "job_title",     "phone_number", "employee_id",
                                              "hire_date", "profile_image", "departments",  "manager"};

std::vector<std::string> with(std::vector<std::string> fields, std::initializer_list<const char*> more) {
    for (const char* f : more) fields.emplace_back(f);
    return fields;
}

User person(const std::string& id, const std::string& first) {
    User u;
    u.hris_id = id;
    u.email = first + "@example.com";
    u.first_name = first;
    u.last_name = "Doe";
    u.job_title = "Engineer";
    u.phone_number = "+1 555 0100";
    return u;
}

std::string error_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

class WebhookSinkTest : public ::testing::Test {
protected:
    void SetUp() override {
        peoplesync::testing::set_env(key_variable, api_key);
        peoplesync::testing::set_env(secret_variable, secret);
        peoplesync::testing::unset_env(unset_variable);
    }
    void TearDown() override {
        sink_.reset();
        peoplesync::testing::unset_env(key_variable);
        peoplesync::testing::unset_env(secret_variable);
    }

    Sink& sink(const std::string& yaml = std::string("url: https://hr.example.com/hriswebhook/sync/e4a7/\n"
                                                     "api_key_env: ") +
                                         key_variable + "\n") {
        sink_ = testing::built_plugins().make_sink("webhook", core::parse_config_text(yaml, "sink.yaml"), host_);
        return *sink_;
    }

    Sink& events_sink(int batch_size) {
        return sink(std::string("url: https://hr.example.com/events\nformat: events\nsigning_secret_env: ") +
                    secret_variable + "\nbatch_size: " + std::to_string(batch_size) + "\n");
    }

    // One run as the pipeline makes it: index, diff, fetch, apply.
    ChangeSet run(Sink& s, const Snapshot& snapshot, const std::vector<std::string>& fields,
                  std::vector<char> invalid = {}, core::SyncMode mode = core::SyncMode::normal) {
        core::SyncPolicy policy;
        policy.fields = fields;
        policy.mode = mode;
        policy.on_invalid = core::InvalidPolicy::skip;
        if (invalid.empty()) invalid.assign(snapshot.users.size(), 0);
        const DestinationIndex index = s.load_index();
        core::DiffResult result = core::diff(snapshot, invalid, policy, index,
                                             [&](std::span<const std::int64_t> ids) { return s.fetch(ids); });
        if (!result.changes.empty()) s.apply(snapshot, result.changes, ApplyContext{++run_id_, "hr"});
        return result.changes;
    }

    const OutboxMessage& last() {
        EXPECT_FALSE(outbox().queued.empty());
        return outbox().queued.back();
    }

    // The last message's body as peoplesync's webhook source reads it.
    Snapshot sent() {
        Snapshot snapshot = parse_snapshot_json(last().body);
        for (const auto& f : snapshot.findings) ADD_FAILURE() << f.location << ": " << f.message;
        return snapshot;
    }

    testing::MemoryOutbox& outbox() { return host_.memory_outbox; }

    testing::TestHost host_;
    std::shared_ptr<Sink> sink_;
    std::int64_t run_id_ = 0;
};

// Configuration.

TEST_F(WebhookSinkTest, EveryBadOptionIsRefusedNamingIt) {
    const std::string key = std::string("api_key_env: ") + key_variable + "\n";
    const std::string signed_events = std::string("format: events\nsigning_secret_env: ") + secret_variable + "\n";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {key, "url"},
        {"url: ftp://hr.example.com/in\n" + key, "url"},
        {"url: https://\n" + key, "url"},
        {"url: https://bob:pw@hr.example.com/\n" + key, "url"},
        {"url: https://hr.example.com/\nformat: xml\n" + key, "format"},
        {"url: https://hr.example.com/\ncolour: blue\n" + key, "colour"},
        {"url: https://hr.example.com/\n", "api_key_env"},
        {std::string("url: https://hr.example.com/\napi_key_env: ") + unset_variable + "\n", unset_variable},
        {"url: https://hr.example.com/\napi_key_env: 773603159c63-6db69c1e\n", "api_key_env"},
        {"url: https://hr.example.com/\nformat: events\n", "signing_secret_env"},
        {"url: https://hr.example.com/\n" + signed_events + "batch_size: 0\n", "batch_size"},
        {"url: https://hr.example.com/\n" + signed_events + "batch_size: 10001\n", "batch_size"},
        {"url: https://hr.example.com/\n" + key + "batch_size: 10\n", "batch_size"},
        {"url: http://hr.example.com/\n" + key + "ca_file: ca.pem\n", "ca_file"},
        {"url: http://hr.example.com/\n" + key + "verify_certificate: false\n", "verify_certificate"},
        {"url: https://hr.example.com/\n" + key + "timeout_secs: 0\n", "timeout_secs"},
        {"url: https://hr.example.com/\n" + key + "connect_timeout_secs: many\n", "connect_timeout_secs"},
        {"url: https://hr.example.com/\n" + key + "proxy: proxy.example.com\n", "proxy"},
        {"url: https://hr.example.com/\n" + key + "proxy: http://user:pw@proxy.example.com:3128\n", "proxy"},
    };
    for (const auto& [yaml, option] : cases) {
        SCOPED_TRACE(yaml);
        std::string message;
        try {
            sink(yaml);
        } catch (const ConfigError& e) {
            message = e.what();
        } catch (const Error& e) {
            message = e.what();
        }
        ASSERT_FALSE(message.empty()) << "accepted";
        EXPECT_NE(message.find(option), std::string::npos) << message;
        EXPECT_EQ(message.find("pw@"), std::string::npos) << message;
    }
}

TEST_F(WebhookSinkTest, ABadSigningSecretIsRefusedWithoutShowingIt) {
    peoplesync::testing::set_env(secret_variable, "whsec_not*base64!");
    std::string message = error_of([&] { events_sink(10); });
    EXPECT_NE(message.find("signing_secret_env"), std::string::npos) << message;
    EXPECT_NE(message.find("base64"), std::string::npos) << message;
    EXPECT_EQ(message.find("not*base64"), std::string::npos) << message;

    peoplesync::testing::set_env(secret_variable, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");  // without whsec_
    message = error_of([&] { events_sink(10); });
    EXPECT_NE(message.find("whsec_"), std::string::npos) << message;
    EXPECT_EQ(message.find("MfKQ9r8G"), std::string::npos) << message;
}

TEST_F(WebhookSinkTest, AnEmptyKeyVariableIsRefused) {
    peoplesync::testing::set_env(key_variable, "");
    std::string message = error_of([&] { sink(); });
#if defined(_WIN32)
    // Windows' C runtime removes a variable set to "": it is not set.
    EXPECT_NE(message.find(std::string(key_variable) + " is not set"), std::string::npos) << message;
#else
    EXPECT_NE(message.find(std::string(key_variable) + " is empty"), std::string::npos) << message;
#endif
}

TEST_F(WebhookSinkTest, WarnsWhenTheKeyWouldTravelInClearOrUnverified) {
    sink(std::string("url: http://hr.example.com/in\napi_key_env: ") + key_variable + "\n");
    ASSERT_EQ(host_.lines.size(), 1u);
    EXPECT_NE(host_.lines[0].find("warning: "), std::string::npos);
    EXPECT_NE(host_.lines[0].find("plain http"), std::string::npos);

    host_.lines.clear();
    sink(std::string("url: http://127.0.0.1:8080/in\napi_key_env: ") + key_variable + "\n");
    EXPECT_TRUE(host_.lines.empty());  // loopback: nothing to overhear

    sink(std::string("url: https://hr.example.com/in\nverify_certificate: false\napi_key_env: ") + key_variable + "\n");
    ASSERT_EQ(host_.lines.size(), 1u);
    EXPECT_NE(host_.lines[0].find("verify_certificate is false"), std::string::npos);
    for (const auto& line : host_.lines) EXPECT_EQ(line.find(api_key), std::string::npos);
}

TEST_F(WebhookSinkTest, DeliversAndDoesNoIoWhenConstructed) {
    Sink& s = sink();
    EXPECT_TRUE(s.delivers());
    EXPECT_TRUE(outbox().queued.empty());
}

// State and the hris format.

TEST_F(WebhookSinkTest, AnEmptyStateIsAnEmptyDestination) {
    const DestinationIndex index = sink().load_index();
    EXPECT_TRUE(index.users.empty());
    EXPECT_TRUE(index.departments.empty());
    EXPECT_TRUE(index.memberships_outside_sync.empty());
}

TEST_F(WebhookSinkTest, TheFirstRunSendsEveryUserAsTheWebhookSourceReadsThem) {
    Sink& s = sink();
    Snapshot snapshot;
    snapshot.users = {person("A1", "ann"), person("B2", "bob")};
    snapshot.users.edit(0, [&](User& u) { u.departments = {"Engineering > Mobile Team", "Sales"}; });
    snapshot.users.edit(1, [&](User& u) { u.manager_hris_id = "A1"; });
    snapshot.users.edit(1, [&](User& u) {
        u.profile_image = {"https://img.example.com/bob.png", "23323123123123", "c1"};
    });
    const auto fields = with(core_fields, {"job_title", "departments", "manager", "profile_image"});
    ChangeSet changes = run(s, snapshot, fields);
    ASSERT_EQ(changes.created.size(), 2u);

    ASSERT_EQ(outbox().queued.size(), 1u);
    const OutboxMessage& message = last();
    EXPECT_EQ(message.run_id, 1);
    ASSERT_TRUE(message.state.has_value());
    EXPECT_EQ(message.summary,
              "snapshot of 2 users (created 2, departments created 3, memberships added 2, managers changed 1)");

    Snapshot body = sent();
    ASSERT_EQ(body.users.size(), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
        User expected = snapshot.users[i].to_user();
        expected.phone_number.clear();  // not a synced field
        User got = body.users[i].to_user();
        got.origin.clear();
        expected.origin.clear();
        EXPECT_EQ(got.hris_id, expected.hris_id);
        EXPECT_EQ(got.email, expected.email);
        EXPECT_EQ(got.first_name, expected.first_name);
        EXPECT_EQ(got.last_name, expected.last_name);
        EXPECT_EQ(got.active, expected.active);
        EXPECT_EQ(got.job_title, expected.job_title);
        EXPECT_EQ(got.phone_number, "");
        EXPECT_EQ(got.departments, expected.departments);
        EXPECT_EQ(got.manager_hris_id, expected.manager_hris_id);
        EXPECT_EQ(got.profile_image, expected.profile_image);
    }
    EXPECT_EQ(message.body.find("phone_number"), std::string::npos);

    // What load_index() now describes: the users, and the department tree.
    const DestinationIndex index = s.load_index();
    ASSERT_EQ(index.users.size(), 2u);
    EXPECT_EQ(index.users[0].id, 1);
    EXPECT_EQ(index.users[0].hris_id, "A1");
    EXPECT_TRUE(index.users[0].synced);
    EXPECT_EQ(index.users[0].sync_hash, changes.created[0].sync_hash);
    ASSERT_EQ(index.departments.size(), 3u);
    std::map<std::string, DestinationDepartment> by_name;
    for (const auto& d : index.departments) by_name[d.name] = d;
    EXPECT_EQ(by_name["Mobile Team"].parent_id, by_name["Engineering"].id);
    EXPECT_EQ(by_name["Sales"].parent_id, 0);
    EXPECT_TRUE(by_name["Engineering"].synced);

    const auto records = s.fetch(std::vector<std::int64_t>{1, 2, 99});
    ASSERT_EQ(records.size(), 2u);
    EXPECT_TRUE(records[0].user.departments.empty());
    EXPECT_EQ(records[0].department_ids, (std::vector<std::int64_t>{by_name["Mobile Team"].id, by_name["Sales"].id}));
    EXPECT_EQ(records[1].user.manager_hris_id, "A1");
    EXPECT_EQ(records[1].synced_fields, fields);
}

TEST_F(WebhookSinkTest, TheGuidesExamplePayloadGoesThroughUnchanged) {
    Snapshot snapshot = parse_snapshot_json(R"({"users":[{"hris_id":"1FdzdQf35CffSd53","first_name":"John",
        "last_name":"Doe","email":"john.doe@7geese.com","job_title":"VP Engineering","phone_number":"+1 223-334-4355",
        "employee_id":"E123556","hire_date":"2016-10-25","profile_image":{"url":
        "https://s3.amazonaws.com/publicassets.7geese.com/misc/765-default-avatar.png","last_modified":23323123123123,
        "cache_info":"sadsaDSds343GzzZ"},"departments":["Engineering > Mobile Team",
        "Customer Success > Support > Mobile Support","Sales > Sales Engineer"],"active":true,
        "manager":{"hris_id":"E9923443"}}]})");
    run(sink(), snapshot, every_field);
    const Snapshot body = sent();
    ASSERT_EQ(body.users.size(), 1u);
    EXPECT_EQ(body.users[0].profile_image.last_modified, "23323123123123");
    EXPECT_EQ(json::parse(last().body)["users"][0]["profile_image"]["last_modified"], 23323123123123);
    EXPECT_EQ(body.users[0].departments.size(), 3u);
    EXPECT_EQ(body.users[0].employee_id, "E123556");
    // A manager who is nobody stays unset, as the pipeline resolved it.
    EXPECT_EQ(body.users[0].manager_hris_id, "");
}

TEST_F(WebhookSinkTest, AChangedFieldSendsTheWholeSnapshotAgainAndNoChangeSendsNothing) {
    Sink& s = sink();
    Snapshot snapshot;
    snapshot.users = {person("A1", "ann"), person("B2", "bob"), person("C3", "cem")};
    const auto fields = with(core_fields, {"job_title"});
    run(s, snapshot, fields);
    outbox().deliver_all();

    snapshot.users.edit(1, [&](User& u) { u.job_title = "Lead"; });
    ChangeSet changes = run(s, snapshot, fields);
    ASSERT_EQ(changes.users.size(), 1u);
    EXPECT_TRUE(changes.users[0].updated());
    ASSERT_EQ(outbox().queued.size(), 1u);
    EXPECT_EQ(last().run_id, 2);
    EXPECT_EQ(last().summary, "snapshot of 3 users (updated 1)");
    Snapshot body = sent();
    ASSERT_EQ(body.users.size(), 3u);
    EXPECT_EQ(body.users[0].job_title, "Engineer");
    EXPECT_EQ(body.users[1].job_title, "Lead");
    EXPECT_EQ(body.users[2].hris_id, "C3");

    // The sync hashes came back through the state: nothing to send.
    EXPECT_TRUE(run(s, snapshot, fields).empty());
    EXPECT_EQ(outbox().queued.size(), 1u);
}

TEST_F(WebhookSinkTest, FieldsThePipelineDoesNotSyncAreNeverSent) {
    Sink& s = sink();
    Snapshot snapshot;
    snapshot.users = {person("A1", "ann")};
    snapshot.users.edit(0, [&](User& u) { u.departments = {"Engineering"}; });
    snapshot.users.edit(0, [&](User& u) { u.employee_id = "E1"; });
    run(s, snapshot, core_fields);
    for (const char* name : {"job_title", "phone_number", "employee_id", "departments", "Engineering"})
        EXPECT_EQ(last().body.find(name), std::string::npos) << name;
    for (const char* name : {"job_title", "phone_number", "employee_id", "Engineering"})
        EXPECT_EQ(last().state->find(name), std::string::npos) << name;
    EXPECT_TRUE(s.load_index().departments.empty());

    // Syncing one more field later adds just that field.
    ChangeSet changes = run(s, snapshot, with(core_fields, {"employee_id"}));
    ASSERT_EQ(changes.users.size(), 1u);
    Snapshot body = sent();
    EXPECT_EQ(body.users[0].employee_id, "E1");
    EXPECT_EQ(last().body.find("job_title"), std::string::npos);
}

TEST_F(WebhookSinkTest, AQuarantinedUserKeepsTheValuesLastSent) {
    Sink& s = sink();
    Snapshot snapshot;
    snapshot.users = {person("A1", "ann"), person("B2", "bob")};
    const auto fields = with(core_fields, {"job_title"});
    run(s, snapshot, fields);

    snapshot.users.edit(0, [&](User& u) { u.job_title = "Boss"; });
    snapshot.users.edit(1, [&](User& u) { u.job_title = "Lead"; });
    snapshot.users.edit(1, [&](User& u) { u.email = "not an email"; });
    ChangeSet changes = run(s, snapshot, fields, {0, 1});
    ASSERT_EQ(changes.users.size(), 1u);
    Snapshot body = sent();
    ASSERT_EQ(body.users.size(), 2u);
    EXPECT_EQ(body.users[0].job_title, "Boss");
    EXPECT_EQ(body.users[1].job_title, "Engineer");
    EXPECT_EQ(body.users[1].email, "bob@example.com");
}

TEST_F(WebhookSinkTest, AnUnsyncedUserIsNoLongerSent) {
    Sink& s = sink();
    Snapshot snapshot;
    snapshot.users = {person("A1", "ann"), person("B2", "bob"), person("C3", "cem")};
    snapshot.users.edit(1, [&](User& u) { u.departments = {"Sales"}; });
    const auto fields = with(core_fields, {"departments"});
    run(s, snapshot, fields);

    snapshot.users.erase(snapshot.users.begin() + 1);
    ChangeSet changes = run(s, snapshot, fields);
    ASSERT_EQ(changes.users.size(), 1u);
    EXPECT_TRUE(changes.users[0].unsynced);
    Snapshot body = sent();
    ASSERT_EQ(body.users.size(), 2u);
    EXPECT_EQ(body.users[0].hris_id, "A1");
    EXPECT_EQ(body.users[1].hris_id, "C3");
    const DestinationIndex index = s.load_index();
    ASSERT_EQ(index.users.size(), 2u);
    EXPECT_EQ(index.users[1].hris_id, "C3");
    EXPECT_EQ(index.users[1].id, 2);
    EXPECT_EQ(index.departments.size(), 1u);  // the receiver keeps the department it made
}

TEST_F(WebhookSinkTest, DepartmentsAndManagersFollowTheChanges) {
    Sink& s = sink();
    Snapshot snapshot;
    snapshot.users = {person("A1", "ann"), person("B2", "bob")};
    snapshot.users.edit(1, [&](User& u) { u.departments = {"Sales", "Ops"}; });
    const auto fields = with(core_fields, {"departments", "manager"});
    run(s, snapshot, fields);

    snapshot.users.edit(1, [&](User& u) { u.departments = {"Sales > EMEA", "Sales"}; });
    snapshot.users.edit(1, [&](User& u) { u.manager_hris_id = "A1"; });
    snapshot.users.push_back(person("C3", "cem"));
    snapshot.users.edit(2, [&](User& u) { u.manager_hris_id = "B2"; });
    ChangeSet changes = run(s, snapshot, fields);
    EXPECT_EQ(changes.memberships_added.size(), 1u);
    EXPECT_EQ(changes.memberships_removed.size(), 1u);
    EXPECT_EQ(changes.managers.size(), 1u);
    Snapshot body = sent();
    ASSERT_EQ(body.users.size(), 3u);
    EXPECT_EQ(body.users[1].departments, (std::vector<std::string>{"Sales > EMEA", "Sales"}));
    EXPECT_EQ(body.users[1].manager_hris_id, "A1");
    EXPECT_EQ(body.users[2].manager_hris_id, "B2");
    EXPECT_TRUE(run(s, snapshot, fields).empty());
}

TEST_F(WebhookSinkTest, ACorruptStateIsAClearError) {
    Sink& s = sink();
    for (const std::string& state :
         {std::string("{not json"), std::string("[]"), std::string(R"({"version":1})"),
          std::string(R"({"version":1,"synced_fields":[],"departments":[],"users":[{"hris_id":"A1"}],)"
                      R"("sync_hashes":[1]})"),
          std::string(R"({"version":1,"synced_fields":[],"departments":[],"users":[],"sync_hashes":[1]})")}) {
        SCOPED_TRACE(state);
        outbox().acknowledged = state;
        const std::string message = error_of([&] { s.load_index(); });
        EXPECT_NE(message.find("the saved state of the webhook sink is corrupt"), std::string::npos) << message;
    }
    outbox().acknowledged =
        R"({"version":1,"synced_fields":[],"departments":[],"users":[{"hris_id":"A1","email":"a@x.org"}],)"
        R"("sync_hashes":[1]})";
    EXPECT_NE(error_of([&] { s.load_index(); }).find("users[0].active"), std::string::npos);
}

// The state is bytes (the users as the snapshot store keeps them); the JSON
// states of the first version, which outboxes may still hold, still read.
TEST_F(WebhookSinkTest, AStateOfTheFirstVersionStillReadsAndTheNextRunWritesBytes) {
    Sink& s = sink();
    outbox().acknowledged =
        R"({"version":1,"synced_fields":["hris_id","email","first_name","last_name","active"],"departments":[],)"
        R"("users":[{"hris_id":"A1","email":"ann@example.com","first_name":"ann","last_name":"Doe","active":true},)"
        R"({"hris_id":"B2","email":"bob@example.com","first_name":"bob","last_name":"Doe","active":false}],)"
        R"("sync_hashes":[11,22],"sync_hash_family":7})";
    const DestinationIndex index = s.load_index();
    ASSERT_EQ(index.users.size(), 2u);
    EXPECT_EQ(index.users[0].hris_id, "A1");
    EXPECT_EQ(index.users[1].email, "bob@example.com");
    EXPECT_FALSE(index.users[1].active);
    EXPECT_EQ(index.users[1].sync_hash, 22u);
    EXPECT_EQ(index.sync_hash_family, 7u);

    // Hashes of another family: each user is compared; B2 comes back.
    Snapshot snapshot;
    snapshot.users = {person("A1", "ann"), person("B2", "bob")};
    run(s, snapshot, core_fields);
    ASSERT_TRUE(last().state.has_value());
    EXPECT_EQ(last().state->substr(0, 4), "PSWS");
    Snapshot body = sent();
    ASSERT_EQ(body.users.size(), 2u);
    EXPECT_TRUE(body.users[1].active);
    EXPECT_TRUE(run(s, snapshot, core_fields).empty());
}

TEST_F(WebhookSinkTest, ADamagedStateOfBytesIsAClearErrorWhereverItIsCut) {
    Sink& s = sink();
    Snapshot snapshot;
    snapshot.users = {person("A1", "ann"), person("B2", "bob"), person("C3", "cid")};
    snapshot.users.edit(1, [](User& u) {
        u.departments = {"Sales > EMEA", "Sales"};
        u.manager_hris_id = "A1";
    });
    run(s, snapshot, every_field);
    const std::string state = *last().state;
    outbox().queued.clear();
    outbox().acknowledged = state;
    ASSERT_EQ(s.load_index().users.size(), 3u);

    for (std::size_t size = 0; size < state.size(); ++size) {
        outbox().acknowledged = state.substr(0, size);
        if (size == 0) {
            EXPECT_TRUE(s.load_index().users.empty());  // "" is the empty state
            continue;
        }
        const std::string message = error_of([&] { s.load_index(); });
        EXPECT_NE(message.find("the saved state of the webhook sink is "), std::string::npos)
            << size << " of " << state.size() << " bytes: " << message;
    }
    outbox().acknowledged = state + "x";
    EXPECT_NE(error_of([&] { s.load_index(); }).find("1 bytes after the last user"), std::string::npos);
    std::string later = state;
    later[4] = '\3';
    outbox().acknowledged = later;
    EXPECT_NE(error_of([&] { s.load_index(); }).find("of version 3, not 2"), std::string::npos);
    // Any byte changed: an error or a state, never a crash (the sanitizers' run checks reads).
    for (std::size_t at = 4; at < state.size(); ++at) {
        std::string changed = state;
        changed[at] = static_cast<char>(changed[at] ^ 0x5a);
        outbox().acknowledged = changed;
        error_of([&] { s.load_index(); });
    }
}

TEST_F(WebhookSinkTest, AStoppedOutboxRefusesTheRunAndKeepsTheState) {
    Sink& s = sink();
    Snapshot snapshot;
    snapshot.users = {person("A1", "ann")};
    run(s, snapshot, core_fields);
    const std::string before = outbox().state();

    outbox().stopped = "delivery to sink webhook is stopped: the receiver refused message 1";
    snapshot.users.push_back(person("B2", "bob"));
    EXPECT_NE(error_of([&] { run(s, snapshot, core_fields); }).find("delivery to sink webhook is stopped"),
              std::string::npos);
    EXPECT_EQ(outbox().state(), before);
    EXPECT_EQ(s.load_index().users.size(), 1u);
}

// The events format.

TEST_F(WebhookSinkTest, EventsGoInBatchesAndOnlyTheLastCarriesTheState) {
    Sink& s = events_sink(2);
    Snapshot snapshot;
    for (int i = 0; i < 5; ++i) snapshot.users.push_back(person("U" + std::to_string(i), "p" + std::to_string(i)));
    run(s, snapshot, core_fields);
    ASSERT_EQ(outbox().queued.size(), 3u);
    std::vector<std::string> hris_ids;
    for (std::size_t b = 0; b < 3; ++b) {
        const OutboxMessage& message = outbox().queued[b];
        EXPECT_EQ(message.state.has_value(), b == 2) << b;
        EXPECT_EQ(message.run_id, 1);
        const json body = json::parse(message.body);
        EXPECT_EQ(body["batch"], b + 1);
        EXPECT_EQ(body["batches"], 3);
        EXPECT_EQ(body["pipeline"], "hr");
        EXPECT_EQ(body["events"].size(), b == 2 ? 1u : 2u);
        for (const auto& e : body["events"]) {
            EXPECT_EQ(e["type"], "user.created");
            hris_ids.push_back(e["data"]["hris_id"]);
            EXPECT_FALSE(e["data"].contains("job_title"));  // not synced
        }
    }
    EXPECT_EQ(hris_ids, (std::vector<std::string>{"U0", "U1", "U2", "U3", "U4"}));
    EXPECT_EQ(outbox().queued[0].summary, "events 1-2 of 5 (batch 1 of 3: created 5)");
    EXPECT_EQ(s.load_index().users.size(), 5u);  // the last batch's state
}

TEST_F(WebhookSinkTest, EventsSayWhatChangedFromWhatToWhat) {
    Sink& s = events_sink(500);
    Snapshot snapshot;
    snapshot.users = {person("A1", "ann"), person("B2", "bob"), person("C3", "cem")};
    const auto fields = with(core_fields, {"job_title", "departments", "manager"});
    run(s, snapshot, fields);
    outbox().deliver_all();

    snapshot.users.edit(0, [&](User& u) { u.job_title = "Boss"; });
    snapshot.users.edit(0, [&](User& u) { u.departments = {"Board"}; });
    snapshot.users.edit(1, [&](User& u) { u.active = false; });
    snapshot.users.edit(1, [&](User& u) { u.manager_hris_id = "A1"; });
    snapshot.users.pop_back();
    run(s, snapshot, fields, {}, core::SyncMode::one_to_one);
    ASSERT_EQ(outbox().queued.size(), 1u);
    const json events = json::parse(last().body)["events"];
    std::map<std::string, std::vector<json>> by_type;
    for (const auto& e : events) by_type[e["type"]].push_back(e["data"]);

    ASSERT_EQ(by_type["department.created"].size(), 1u);
    EXPECT_EQ(by_type["department.created"][0]["path"], "Board");
    ASSERT_EQ(by_type["user.updated"].size(), 1u);
    EXPECT_EQ(by_type["user.updated"][0]["hris_id"], "A1");
    EXPECT_EQ(by_type["user.updated"][0]["changes"]["job_title"]["old"], "Engineer");
    EXPECT_EQ(by_type["user.updated"][0]["changes"]["job_title"]["new"], "Boss");
    ASSERT_EQ(by_type["user.deactivated"].size(), 2u);  // bob, and cem who left in 1:1 mode
    ASSERT_EQ(by_type["user.unsynced"].size(), 1u);
    EXPECT_EQ(by_type["user.unsynced"][0]["hris_id"], "C3");
    ASSERT_EQ(by_type["membership.added"].size(), 1u);
    EXPECT_EQ(by_type["membership.added"][0]["department"], "Board");
    ASSERT_EQ(by_type["manager.changed"].size(), 1u);
    EXPECT_EQ(by_type["manager.changed"][0]["old_manager_hris_id"], nullptr);
    EXPECT_EQ(by_type["manager.changed"][0]["new_manager_hris_id"], "A1");
    EXPECT_EQ(by_type.count("user.created"), 0u);

    const DestinationIndex index = s.load_index();
    ASSERT_EQ(index.users.size(), 2u);
    EXPECT_FALSE(index.users[1].active);
}

}  // namespace
}  // namespace peoplesync::webhook_sink_test
