// The guide's JSON payload as the webhook source reads it
// (parse_snapshot_json, the SAX reader) and one user at a time
// (add_user_json). Malformed JSON is an Error; anything the reader accepts
// writes out (to_json) as JSON it accepts again, to the same text.
#include <cstdint>
#include <string>

#include <peoplesync/snapshot_json.hpp>

#include "fuzz_support.hpp"

using namespace peoplesync;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view json = fuzz::bytes(data, size);

    Snapshot one_by_one;
    add_user_json(one_by_one, "fuzz:1", json);  // documented never to throw
    fuzz::check(one_by_one.users.size() == 1 || !one_by_one.findings.empty(),
                "add_user_json added no user and said nothing");

    Snapshot snapshot;
    try {
        snapshot = parse_snapshot_json(json);
    } catch (const Error&) {
        return 0;
    }
    const std::string written = to_json(snapshot);
    Snapshot again;
    try {
        again = parse_snapshot_json(written);
    } catch (const Error& e) {
        fuzz::fail(std::string("to_json wrote what parse_snapshot_json refuses: ") + e.what() + "\n" + written);
    }
    fuzz::check(again.users.size() == snapshot.users.size(), "a round trip changed the number of users");
    fuzz::check(to_json(again) == written, "a round trip changed the users:\n" + written + "\n" + to_json(again));
    return 0;
}
