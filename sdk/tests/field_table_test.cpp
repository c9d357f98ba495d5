// The schema's one field table (fields.hpp) and what the SDK makes of it:
// the names, the always-synced list, the members a user has, Users' layout,
// the JSON reader and writer. The tests walk the table, so a field added to
// it is covered without a line here.
#include <gtest/gtest.h>

#include <peoplesync/model.hpp>
#include <peoplesync/snapshot_json.hpp>

namespace peoplesync {
namespace {

// A user with a distinct value in every text of every field (and active
// false, the value a new User does not have).
User every_field_set() {
    User user;
    std::size_t k = 0;
    for_each_text(user, [&](std::string& text) { text = "t" + std::to_string(k++); });
    user.profile_image.last_modified = "2026-12-01T00:00:00Z";  // what the JSON reader keeps as it is
    user.departments = {"Engineering", "Engineering > Mobile"};
    user.active = false;
    user.origin = "here";
    return user;
}

TEST(FieldTable, NamesAllFieldsAndFieldConstantsAreTheTablesInItsOrder) {
    ASSERT_EQ(all_fields().size(), field_count);
    for (std::size_t i = 0; i < field_count; ++i) {
        EXPECT_EQ(all_fields()[i], field_specs[i].name);
        EXPECT_EQ(static_cast<std::size_t>(field_specs[i].id), i);
        EXPECT_EQ(field_named(field_specs[i].name), field_specs[i].id);
        EXPECT_TRUE(is_known_field(field_specs[i].name));
    }
    EXPECT_FALSE(field_named("salary").has_value());
    EXPECT_EQ(field::manager, "manager");
    EXPECT_EQ(spec_of(FieldId::phone_number).name, field::phone_number);
}

TEST(FieldTable, AlwaysSyncedFieldsListTheKeysFirstAsThePipelinesSyncHashHasThem) {
    // A pipeline's sync hash is seeded with its fields in this order: a
    // different order would make every stored hash differ once.
    EXPECT_EQ(always_synced_fields(),
              (std::vector<std::string_view>{"hris_id", "email", "first_name", "last_name", "active"}));
}

TEST(FieldTable, AUsersTextsAreEveryTextFieldTheImagesPartsAndTheManager) {
    User user;
    std::size_t texts = 0;
    for_each_text(user, [&](std::string&) { ++texts; });
    EXPECT_EQ(texts, field_texts);
    std::size_t expected = 0;
    for (const FieldSpec& spec : field_specs) expected += spec.texts();
    EXPECT_EQ(field_texts, expected);
    EXPECT_EQ(first_text_of(FieldId::hris_id), 0u);
    EXPECT_EQ(first_text_of(FieldId::manager), field_texts - 1);
}

TEST(FieldTable, SingleTextIsTheTextOneValueOfAFieldFills) {
    User user;
    for (const FieldSpec& spec : field_specs) {
        SCOPED_TRACE(std::string(spec.name));
        std::string* text = single_text(user, spec.id);
        if (spec.kind == FieldKind::flag || spec.kind == FieldKind::departments) {
            EXPECT_EQ(text, nullptr);
            continue;
        }
        ASSERT_NE(text, nullptr);
        *text = "value of " + std::string(spec.name);
    }
    EXPECT_EQ(user.phone_number, "value of phone_number");
    EXPECT_EQ(user.profile_image.url, "value of profile_image");
    EXPECT_EQ(user.manager_hris_id, "value of manager");
    EXPECT_EQ(field_member<FieldId::hire_date>(user), "value of hire_date");
}

TEST(FieldTable, EveryFieldComesBackFromUsersAndFromAView) {
    const User user = every_field_set();
    Users users;
    users.push_back(User{});
    users.push_back(user);
    const User back = users[1].to_user();
    for_each_field(back, user, [](auto id, const auto& got, const auto& wanted) {
        SCOPED_TRACE(std::string(spec_of(decltype(id)::value).name));
        EXPECT_EQ(got, wanted);
    });
    EXPECT_EQ(back.origin, "here");
    EXPECT_EQ(users.hris_id(1), user.hris_id);
    EXPECT_EQ(users.email(1), user.email);
    EXPECT_EQ(users.manager_hris_id(1), user.manager_hris_id);
    EXPECT_EQ(users.origin(1), "here");
    EXPECT_TRUE(users[0].active);

    User reused = user;
    reused.clear();
    const User fresh;
    for_each_field(reused, fresh, [](auto, const auto& got, const auto& wanted) { EXPECT_EQ(got, wanted); });
}

TEST(FieldTable, EveryFieldGoesThroughTheGuidesJsonAndBack) {
    Snapshot snapshot;
    snapshot.users.push_back(every_field_set());
    const std::string json = to_json(snapshot);
    for (const FieldSpec& spec : field_specs)
        EXPECT_NE(json.find("\"" + std::string(spec.name) + "\""), std::string::npos) << spec.name << " in " << json;

    const Snapshot back = parse_snapshot_json(json);
    EXPECT_TRUE(back.findings.empty()) << back.findings.front().location << ": " << back.findings.front().message;
    ASSERT_EQ(back.users.size(), 1u);
    const User read = back.users[0].to_user();
    const User sent = snapshot.users[0].to_user();
    for_each_field(read, sent, [](auto id, const auto& got, const auto& wanted) {
        SCOPED_TRACE(std::string(spec_of(decltype(id)::value).name));
        EXPECT_EQ(got, wanted);
    });
}

TEST(FieldTable, TheJsonWriterLeavesOutTheFieldsNotSelectedButNeverTheAlwaysSyncedOnes) {
    Snapshot snapshot;
    snapshot.users.push_back(every_field_set());
    const std::string json = to_json(snapshot, {"departments"});
    for (const FieldSpec& spec : field_specs) {
        const bool written = json.find("\"" + std::string(spec.name) + "\"") != std::string::npos;
        EXPECT_EQ(written, spec.always_synced() || spec.id == FieldId::departments) << spec.name << " in " << json;
    }
}

}  // namespace
}  // namespace peoplesync
