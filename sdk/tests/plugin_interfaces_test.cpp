// Change-only runs and the managers a destination holds are optional
// capabilities beside Source and Sink (change_only.hpp, HeldUsers): a plugin
// author who ignores them finds none of their functions on the classes
// every plugin derives from.
#include <span>
#include <string>

#include <gtest/gtest.h>

#include <peoplesync/change_only.hpp>
#include <peoplesync/plugin.hpp>

namespace peoplesync {
namespace {

template <typename T>
constexpr bool scans = requires(T& plugin, ReadContext& context) {
    plugin.scan(context);
};
template <typename T>
constexpr bool reads_records = requires(T& plugin, std::span<const std::int64_t> positions, ReadContext& context) {
    plugin.read_records(positions, context);
};
template <typename T>
constexpr bool ends_scans = requires(T& plugin) {
    plugin.end_scan();
};
template <typename T>
constexpr bool loads_some_index = requires(T& plugin, std::span<const std::string> ids) {
    plugin.load_index_for(ids);
};
template <typename T>
constexpr bool says_it_applies_changes_only = requires(const T& plugin) {
    plugin.applies_changes_only();
};
template <typename T>
constexpr bool tells_held_ids = requires(T& plugin, std::span<const std::string> ids) {
    plugin.held_hris_ids(ids);
};

TEST(PluginInterfaces, SourceAndSinkHaveNoChangeOnlyFunctions) {
    EXPECT_FALSE(scans<Source>);
    EXPECT_FALSE(reads_records<Source>);
    EXPECT_FALSE(ends_scans<Source>);
    EXPECT_FALSE(loads_some_index<Sink>);
    EXPECT_FALSE(says_it_applies_changes_only<Sink>);
    EXPECT_FALSE(tells_held_ids<Sink>);
}

TEST(PluginInterfaces, TheCapabilitiesHaveThem) {
    EXPECT_TRUE(scans<RecordScanner>);
    EXPECT_TRUE(reads_records<RecordScanner>);
    EXPECT_TRUE(ends_scans<RecordScanner>);
    EXPECT_TRUE(loads_some_index<ChangeOnlyApplier>);
    EXPECT_TRUE(tells_held_ids<HeldUsers>);
    // Beside Source and Sink, not derived from them: a plugin adds them.
    EXPECT_FALSE((std::is_base_of_v<Source, RecordScanner>));
    EXPECT_FALSE((std::is_base_of_v<Sink, ChangeOnlyApplier>));
    EXPECT_FALSE((std::is_base_of_v<Sink, HeldUsers>));
}

}  // namespace
}  // namespace peoplesync
