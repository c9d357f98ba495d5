// Times reading a webhook payload ({"users": [...]}, e.g. generate_org's
// org.json) into a Snapshot: the reader that built nlohmann's document of the
// whole body first (dom), the one that reads as nlohmann parses (sax), a
// prototype on simdjson's On-Demand API when built with it (simdjson: not in
// the product), and Python's json.load as the yardstick. Each run is a
// process of its own, so that its peak RSS is its own; the variants take
// turns, the order rotating round by round, and the table gives medians.
//   build/bin/json_parse_bench FILE [rounds]    the table (5 rounds by default)
//   build/bin/json_parse_bench --one VARIANT FILE
//       one read in this process: prints the seconds the parse took, the
//       users and findings read and a digest of them (equal digests, equal
//       snapshots).
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <peoplesync/snapshot_json.hpp>

#include "snapshot_json_dom.hpp"

#ifdef PEOPLESYNC_BENCH_SIMDJSON
#include <simdjson.h>
#endif

namespace {

using peoplesync::Snapshot;
using peoplesync::User;

std::string read_file(const char* path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    std::string text(static_cast<std::size_t>(in.tellg()), '\0');
    in.seekg(0);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    return text;
}

// FNV-1a over every field of every user and every finding.
std::uint64_t digest(const Snapshot& snapshot) {
    std::uint64_t hash = 0xcbf29ce484222325ull;
    const auto add = [&](std::string_view text) {
        for (const char c : text) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
        hash = (hash ^ 0xff) * 0x100000001b3ull;
    };
    for (const peoplesync::UserView user : snapshot.users) {
        add(user.origin);
        for_each_text(user, add);
        for (const peoplesync::Text path : user.departments) add(path);
        add(user.active ? "true" : "false");
    }
    for (const peoplesync::Finding& f : snapshot.findings) {
        add(to_string(f.severity));
        add(f.location);
        add(f.message);
    }
    return hash;
}

#ifdef PEOPLESYNC_BENCH_SIMDJSON
// A prototype only: the guide's fields read with simdjson's On-Demand API,
// with a finding per value of the wrong type but none of the product
// reader's care for messages, key order or duplicate keys.
Snapshot parse_with_simdjson(const simdjson::padded_string& text) {
    using namespace simdjson;
    using peoplesync::FieldId;
    ondemand::parser parser;
    ondemand::document document = parser.iterate(text);
    Snapshot snapshot;
    User user;
    const auto string_into = [&](ondemand::value value, std::string& out, std::string_view name) {
        if (value.type() == ondemand::json_type::string)
            out = std::string_view(value.get_string());
        else if (value.type() != ondemand::json_type::null)
            snapshot.error(static_cast<std::int64_t>(snapshot.users.size()), user.origin + "." + std::string(name),
                           "expected a string");
    };
    for (ondemand::field member : document.get_object()) {
        if (std::string_view(member.unescaped_key()) != "users") continue;
        for (ondemand::value item : member.value().get_array()) {
            user.clear();
            user.origin = "users[" + std::to_string(snapshot.users.size()) + "]";
            for (ondemand::field field : item.get_object()) {
                const std::string_view key = field.unescaped_key();
                ondemand::value value = field.value();
                const auto id = peoplesync::field_named(key);
                if (!id) {
                    snapshot.warning(static_cast<std::int64_t>(snapshot.users.size()),
                                     user.origin + "." + std::string(key), "unknown field");
                } else if (*id == FieldId::active) {
                    user.active = value.get_bool();
                } else if (*id == FieldId::profile_image) {
                    for (ondemand::field part : value.get_object()) {
                        const std::string_view name = part.unescaped_key();
                        ondemand::value part_value = part.value();
                        if (name == "url") {
                            string_into(part_value, user.profile_image.url, name);
                        } else if (name == "cache_info") {
                            string_into(part_value, user.profile_image.cache_info, name);
                        } else if (name == "last_modified") {
                            if (part_value.type() == ondemand::json_type::number)
                                user.profile_image.last_modified =
                                    part_value.get_number_type() == ondemand::number_type::unsigned_integer
                                        ? std::to_string(std::uint64_t(part_value.get_uint64()))
                                        : std::to_string(std::int64_t(part_value.get_int64()));
                            else
                                string_into(part_value, user.profile_image.last_modified, name);
                        }
                    }
                } else if (*id == FieldId::departments) {
                    for (ondemand::value path : value.get_array())
                        user.departments.emplace_back(std::string_view(path.get_string()));
                } else if (*id == FieldId::manager) {
                    for (ondemand::field part : value.get_object())
                        if (std::string_view(part.unescaped_key()) == "hris_id")
                            string_into(part.value(), user.manager_hris_id, "manager.hris_id");
                } else {
                    string_into(value, *peoplesync::single_text(user, *id), key);
                }
            }
            snapshot.users.push_back(user);
        }
    }
    return snapshot;
}
#endif

const std::vector<std::string> variants = {
    "python",
    "dom",
    "sax",
#ifdef PEOPLESYNC_BENCH_SIMDJSON
    "simdjson",
#endif
};

int read_once(const std::string& variant, const char* path) {
    using clock = std::chrono::steady_clock;
    Snapshot snapshot;
    double seconds = 0;
    if (variant == "simdjson") {
#ifdef PEOPLESYNC_BENCH_SIMDJSON
        const simdjson::padded_string text = simdjson::padded_string::load(path);
        const auto start = clock::now();
        snapshot = parse_with_simdjson(text);
        seconds = std::chrono::duration<double>(clock::now() - start).count();
#endif
    } else {
        const std::string text = read_file(path);
        const auto start = clock::now();
        if (variant == "dom")
            snapshot = peoplesync::dom_reference::parse_snapshot_json_dom(text);
        else if (variant == "sax")
            snapshot = peoplesync::parse_snapshot_json(text);
        else
            return std::fprintf(stderr, "no variant %s\n", variant.c_str()), 2;
        seconds = std::chrono::duration<double>(clock::now() - start).count();
    }
    std::printf("%.4f %zu %zu %016llx\n", seconds, snapshot.users.size(), snapshot.findings.size(),
                static_cast<unsigned long long>(digest(snapshot)));
    return 0;
}

struct Run {
    double wall = 0;   // the whole process
    double parse = 0;  // the parse alone, as the process said
    long rss_kib = 0;
    std::string said;  // what it printed
};

Run run(const char* self, const std::string& variant, const char* path) {
    int out[2];
    if (pipe(out) != 0) std::perror("pipe"), std::exit(1);
    const auto start = std::chrono::steady_clock::now();
    const pid_t child = fork();
    if (child == 0) {
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        if (variant == "python")
            execlp("python3", "python3", "-c", "import json, sys; json.load(open(sys.argv[1]))", path, nullptr);
        else
            execl(self, self, "--one", variant.c_str(), path, nullptr);
        _exit(127);
    }
    close(out[1]);
    Run result;
    char buffer[256];
    for (ssize_t n; (n = read(out[0], buffer, sizeof buffer)) > 0;) result.said.append(buffer, static_cast<size_t>(n));
    close(out[0]);
    int status = 0;
    rusage usage{};
    wait4(child, &status, 0, &usage);
    result.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        std::fprintf(stderr, "%s failed (status %d)\n", variant.c_str(), status), std::exit(1);
    result.rss_kib = usage.ru_maxrss;
    result.parse = result.said.empty() ? result.wall : std::atof(result.said.c_str());
    return result;
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 4 && std::string_view(argv[1]) == "--one") return read_once(argv[2], argv[3]);
    if (argc < 2 || argc > 3 || argv[1][0] == '-') {
        std::fprintf(stderr, "usage: json_parse_bench FILE [rounds] | --one VARIANT FILE\n");
        return 2;
    }
    const char* path = argv[1];
    const int rounds = argc == 3 ? std::atoi(argv[2]) : 5;
    std::map<std::string, std::vector<Run>> runs;
    for (int round = 0; round < rounds; ++round)
        for (std::size_t k = 0; k < variants.size(); ++k) {
            const std::string& variant = variants[(k + static_cast<std::size_t>(round)) % variants.size()];
            runs[variant].push_back(run(argv[0], variant, path));
        }

    std::printf("%s, %d rounds, medians; ratio: the median of each round's process time / python's\n", path, rounds);
    std::printf("%-9s %10s %10s %7s %12s  %s\n", "variant", "process s", "parse s", "ratio", "peak RSS MB",
                "users findings digest");
    for (const std::string& variant : variants) {
        std::vector<double> wall, parse, ratio, rss;
        for (int round = 0; round < rounds; ++round) {
            const Run& r = runs[variant][static_cast<std::size_t>(round)];
            wall.push_back(r.wall);
            parse.push_back(r.parse);
            ratio.push_back(r.wall / runs["python"][static_cast<std::size_t>(round)].wall);
            rss.push_back(static_cast<double>(r.rss_kib) / 1024);
        }
        std::string said = runs[variant].front().said;
        if (auto space = said.find(' '); space != std::string::npos) said.erase(0, space + 1);
        if (!said.empty() && said.back() == '\n') said.pop_back();
        std::printf("%-9s %10.3f %10.3f %7.2f %12.0f  %s\n", variant.c_str(), median(wall), median(parse),
                    median(ratio), median(rss), said.c_str());
    }
    // The readers must agree, or the times compare different work.
    const auto result = [&](const std::string& variant) {
        const std::string& said = runs[variant].front().said;
        return said.substr(said.find(' ') + 1);
    };
    if (result("dom") != result("sax")) return std::fprintf(stderr, "dom and sax read different snapshots\n"), 1;
    return 0;
}
