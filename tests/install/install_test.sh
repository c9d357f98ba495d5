#!/usr/bin/env bash
# The SDK as a plugin author meets it: install peoplesync into a temporary
# prefix, build the sample plugin (samples/custom-source-plugin, as
# installed) against that prefix alone, and run pipelines with it through
# the installed CLI and daemon. Then what must go wrong goes wrong well: a
# bad record, a source that throws, a plugin built for another ABI.
#
# usage: install_test.sh BUILD_DIR SOURCE_DIR WORK_DIR CXX_COMPILER
set -euo pipefail

build=$1 source=$2 work=$3 cxx=$4
prefix=$work/prefix
rm -rf "$work"
mkdir -p "$work"
unset PEOPLESYNC_CONFIG PEOPLESYNC_VAR PEOPLESYNC_EXPORT LD_LIBRARY_PATH CMAKE_PREFIX_PATH

. "$(dirname "$0")/../support/check_lib.sh"

step "install peoplesync into $prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
for file in bin/peoplesync lib/libpeoplesync-sdk.so include/peoplesync/plugin.hpp include/peoplesync/testing.hpp \
    lib/peoplesync/plugins/peoplesync-source-csv.so lib/peoplesync/plugins/peoplesync-sink-directory.so \
    lib/cmake/PeopleSyncSDK/PeopleSyncSDKConfig.cmake share/peoplesync/examples/etc/peoplesync.yaml \
    share/peoplesync/examples/samples/custom-source-plugin/CMakeLists.txt share/doc/peoplesync/sdk/README.md; do
    [[ -e $prefix/$file ]] || fail "the installation has no $file"
done
if [[ -e $build/bin/peoplesyncd ]]; then
    [[ -x $prefix/bin/peoplesyncd ]] || fail "peoplesyncd is built but not installed"
fi
# Through the binary's RPATH ($ORIGIN/../lib), not a build folder.
sdk_lib=$(ldd "$prefix/bin/peoplesync" | sed -n 's/^\s*libpeoplesync-sdk\.so\.[0-9]* => \(.*\) (.*$/\1/p')
[[ $(realpath -s "$sdk_lib") == "$prefix/lib/libpeoplesync-sdk.so."* ]] || fail "the CLI loads the SDK from $sdk_lib"

step "every relative link of the installed documentation leads to an installed file"
python3 - "$prefix/share/doc/peoplesync" <<'PY' || fail "links of the installed documentation are broken (above)"
import pathlib, re, sys
root = pathlib.Path(sys.argv[1])
broken = []
for page in sorted(root.rglob("*.md")):
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        path = target.split("#")[0]
        if not path or re.match(r"[a-z]+:", path):
            continue
        if not (page.parent / path).exists():
            broken.append(f"{page.relative_to(root)}: {target}")
print("\n".join(broken))
sys.exit(1 if broken else 0)
PY
[[ -f $prefix/share/doc/peoplesync/docs/console-user.png ]] || fail "the README's screenshots are not installed"

step "build the sample plugin against the installation only"
cp -r "$prefix/share/peoplesync/examples/samples/custom-source-plugin" "$work/plugin-src"
cmake -S "$work/plugin-src" -B "$work/plugin-build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
    >"$work/plugin-configure.log"
grep -q "^PeopleSyncSDK_DIR:PATH=$prefix/lib/cmake/PeopleSyncSDK$" "$work/plugin-build/CMakeCache.txt" ||
    fail "the sample found PeopleSyncSDK elsewhere: $(grep PeopleSyncSDK_DIR "$work/plugin-build/CMakeCache.txt")"
cmake --build "$work/plugin-build" -j2 >"$work/plugin-build.log" 2>&1 || {
    cat "$work/plugin-build.log" >&2
    fail "the sample does not build"
}
lacks "$work/plugin-build.log" "warning:"
contains "$work/plugin-build/compile_commands.json" "$prefix/include"
lacks "$work/plugin-build/compile_commands.json" "$source/sdk"
plugin=$work/plugin-build/peoplesync-source-jsonl.so
[[ -f $plugin ]] || fail "no $plugin"
expect 0 "$work/plugin-ctest.log" -- ctest --test-dir "$work/plugin-build" --output-on-failure

step "drop it into a plugin folder and run a pipeline with it through the installed CLI"
mkdir -p "$work/plugins" "$work/run"
cp "$plugin" "$work/plugins/"
cp "$work/plugin-src/example/people.jsonl" "$work/run/"
cat >"$work/run/peoplesync.yaml" <<EOF
plugin_dirs: [$prefix/lib/peoplesync/plugins, $work/plugins]
state_database: state.db
pipelines:
  - name: people
    source: {type: jsonl, path: people.jsonl}
    sinks:
      - {type: directory, database: directory.db}
EOF
cli=("$prefix/bin/peoplesync" --config "$work/run/peoplesync.yaml")
expect 0 "$work/plugins.txt" -- "${cli[@]}" plugins
contains "$work/plugins.txt" "source jsonl: People from a JSON-lines file"
contains "$work/plugins.txt" "$work/plugins/peoplesync-source-jsonl.so"
contains "$work/plugins.txt" "$prefix/lib/peoplesync/plugins/peoplesync-sink-directory.so"
lacks "$work/plugins.txt" "refused"
expect 0 "$work/validate.txt" -- "${cli[@]}" validate
expect 0 "$work/test-run.json" -- "${cli[@]}" run people --json
contains "$work/test-run.json" '"status": "simulated"'
contains "$work/test-run.json" '"created": 3'
expect 0 "$work/enable.txt" -- "${cli[@]}" enable people
expect 0 "$work/live-run.json" -- "${cli[@]}" run people --json
contains "$work/live-run.json" '"status": "applied"'
contains "$work/live-run.json" '"created": 3'
expect 0 "$work/show.txt" -- "${cli[@]}" directory show 1002
contains "$work/show.txt" "grace@example.com"
expect 0 "$work/noop.json" -- "${cli[@]}" run people --json
contains "$work/noop.json" '"status": "noop"'

step "install it as an author would, and let peoplesync find it in its own plugin folder"
cmake --install "$work/plugin-build" >"$work/plugin-install.log"
[[ -f $prefix/lib/peoplesync/plugins/peoplesync-source-jsonl.so ]] || fail "the sample did not install into $prefix"
cmake --install "$work/plugin-build" --prefix "$work/staged" >"$work/plugin-install-staged.log"
[[ -f $work/staged/lib/peoplesync/plugins/peoplesync-source-jsonl.so ]] ||
    fail "cmake --install --prefix $work/staged did not put the plugin under it: $(cat "$work/plugin-install-staged.log")"
sed -i '/^plugin_dirs:/d' "$work/run/peoplesync.yaml"
expect 0 "$work/plugins-default.txt" -- "${cli[@]}" plugins
contains "$work/plugins-default.txt" "$prefix/lib/peoplesync/plugins/peoplesync-source-jsonl.so"
lacks "$work/plugins-default.txt" "$build/plugins"
expect 0 "$work/default-run.json" -- "${cli[@]}" run people --json
contains "$work/default-run.json" '"status": "noop"'

step "a bad line is a finding with file:line, and rejects the snapshot"
printf '%s\n' '{"hris_id": "1001", "first_name": "Ada", "last_name": "Lovelace", "email": "ada@", "active": true}' \
    '{"hris_id": "1002", "first_name": "Grace"' >"$work/run/people.jsonl"
expect 3 "$work/rejected.txt" -- "${cli[@]}" run people
contains "$work/rejected.txt" 'people.jsonl:1.email: "ada@" is not an email address'
contains "$work/rejected.txt" "people.jsonl:2: malformed JSON"

step "a source that throws during read fails the run with its message"
sed -i 's|path: people.jsonl|path: missing.jsonl|' "$work/run/peoplesync.yaml"
expect 1 "$work/missing.txt" -- "${cli[@]}" run people
contains "$work/missing.txt" "failed"
contains "$work/missing.txt" "$work/run/missing.jsonl: cannot be read"

# Built with the compiler alone, against the installed headers and library.
mkdir -p "$work/throwing" "$work/future"
build_plugin() {
    "$cxx" -std=c++20 -O1 -shared -fPIC -fvisibility=hidden -Wall -Wextra -I"$prefix/include" "$1" \
        -L"$prefix/lib" -lpeoplesync-sdk -o "$2"
}
build_plugin "$source/tests/install/plugins/throwing_source.cpp" "$work/throwing/throwing-source.so" &
build_plugin "$source/tests/install/plugins/future_abi_source.cpp" "$work/future/future-abi-source.so"
wait $!
cat >"$work/run/peoplesync.yaml" <<EOF
plugin_dirs: [$prefix/lib/peoplesync/plugins, $work/throwing, $work/future]
state_database: state.db
pipelines:
  - name: people
    source: {type: throwing, message: "HRIS API answered 503"}
    sinks:
      - {type: directory, database: directory.db}
  - name: other
    source: {type: throwing, message: x, exception: other}
    sinks:
      - {type: directory, database: directory.db}
EOF
expect 1 "$work/throwing.json" -- "${cli[@]}" run people --json
contains "$work/throwing.json" '"status": "failed"'
contains "$work/throwing.json" "HRIS API answered 503"
expect 1 "$work/other.txt" -- "${cli[@]}" run other
contains "$work/other.txt" "source throwing threw an exception that is not a std::exception"

step "a plugin built for another ABI is refused, naming both"
expect 0 "$work/refused.txt" -- "${cli[@]}" plugins
abi=$(sed -n 's/^#define PEOPLESYNC_ABI_VERSION \([0-9]*\)$/\1/p' "$prefix/include/peoplesync/abi.hpp")
contains "$work/refused.txt" "refused $work/future/future-abi-source.so: built for ABI $((abi + 1)), "
contains "$work/refused.txt" "but this peoplesync needs ABI $abi, "

if [[ -x $prefix/bin/peoplesyncd ]]; then
    step "the installed daemon loads the plugin from its plugin folder and runs the pipeline"
    mkdir -p "$work/daemon"
    cp "$work/plugin-src/example/people.jsonl" "$work/daemon/"
    token=install-test-admin-token-0123456789
    cat >"$work/daemon/peoplesync.yaml" <<EOF
state_database: state.db
http: {listen: "127.0.0.1:0"}
admin: {token: $token}
pipelines:
  - name: people
    source: {type: jsonl, path: people.jsonl}
    sinks:
      - {type: directory, database: directory.db}
EOF
    "$prefix/bin/peoplesyncd" --config "$work/daemon/peoplesync.yaml" >"$work/daemon/daemon.log" 2>&1 &
    daemon=$!
    trap 'kill $daemon 2>/dev/null || true' EXIT
    info=$work/daemon/state.db.peoplesyncd.json
    for _ in $(seq 40); do
        [[ -s $info ]] && break
        kill -0 $daemon 2>/dev/null || fail "peoplesyncd stopped: $(cat "$work/daemon/daemon.log")"
        sleep 0.25
    done
    url=$(sed -n 's/.*"url": *"\([^"]*\)".*/\1/p' "$info")
    [[ -n $url ]] || fail "peoplesyncd wrote no URL: $(cat "$work/daemon/daemon.log")"
    admin() { curl -sS -X POST -H "Authorization: Bearer $token" "$url/admin/v1/$1"; }
    admin pipelines/people/enable >"$work/daemon/enable.json"
    contains "$work/daemon/enable.json" '"mode":"live"'
    admin pipelines/people/run >"$work/daemon/run.json"
    contains "$work/daemon/run.json" '"status":"applied"'
    contains "$work/daemon/run.json" '"created":3'
    kill $daemon
    wait $daemon || fail "peoplesyncd did not stop cleanly: $(cat "$work/daemon/daemon.log")"
    trap - EXIT
else
    echo "note: no peoplesyncd in this build; the daemon part is skipped"
fi
echo "install test passed"
