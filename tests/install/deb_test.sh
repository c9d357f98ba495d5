#!/usr/bin/env bash
# The .deb as a Debian admin gets it: cpack packs the build as it is (no
# rebuild), then its contents and control files are checked, lintian must
# find no error (when it is installed), the package is unpacked into a
# temporary root, and that tree's own CLI validates that tree's installed
# configuration with that tree's plugins. systemd-analyze, when there is one,
# verifies the unit and holds its exposure under a threshold.
#
# usage: deb_test.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail

build=$1 source=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
unset PEOPLESYNC_CONFIG PEOPLESYNC_VAR PEOPLESYNC_EXPORT PEOPLESYNC_LISTEN PEOPLESYNC_ADMIN_TOKEN \
    PEOPLESYNC_LOG_LEVEL STATE_DIRECTORY LD_LIBRARY_PATH

. "$(dirname "$0")/../support/check_lib.sh"

step "cpack -G DEB (the build as it is) into $work/package"
expect 0 "$work/cpack.log" -- cpack -G DEB -B "$work/package" --config "$build/CPackConfig.cmake"
debs=("$work"/package/peoplesync_*.deb)
[[ ${#debs[@]} == 1 && -f ${debs[0]} ]] || fail "cpack made ${debs[*]}, not one peoplesync_*.deb"
deb=${debs[0]}
ls -l "$deb"

step "its files"
dpkg-deb -c "$deb" >"$work/contents.txt"
for file in ./lib/systemd/system/peoplesyncd.service ./etc/peoplesync/peoplesync.yaml \
    ./usr/bin/peoplesync ./usr/bin/peoplesyncd ./usr/lib/peoplesync/plugins/peoplesync-source-csv.so \
    ./usr/lib/peoplesync/plugins/peoplesync-source-webhook.so ./usr/lib/peoplesync/plugins/peoplesync-sink-directory.so \
    ./usr/share/doc/peoplesync/copyright ./usr/share/doc/peoplesync/changelog.Debian.gz \
    ./usr/share/lintian/overrides/peoplesync ./usr/share/peoplesync/examples/samples/employees.csv; do
    matches "$work/contents.txt" " ${file//./\\.}\$"
done
# Secrets go in the environment file: not world-readable (postinst gives it to the peoplesync group).
matches "$work/contents.txt" '^-rw-r----- root/root .* \./etc/peoplesync/peoplesyncd\.env$'
unmatched "$work/contents.txt" ' \./usr/local/| \./var/| \./lib/systemd/system/.*\.service.+$'
# Everything belongs to root: dpkg sets the owners it finds in the archive.
unmatched "$work/contents.txt" '^[^ ]+ ([^r]|r[^o]|ro[^o]|roo[^t])'

step "its control files"
dpkg-deb -I "$deb" >"$work/info.txt"
for control in conffiles postinst prerm postrm shlibs triggers; do
    matches "$work/info.txt" "^ +[0-9]+ bytes, +[0-9]+ lines +\*? +$control( |$)"
done
dpkg-deb -I "$deb" conffiles >"$work/conffiles"
printf '%s\n' /etc/peoplesync/peoplesync.yaml /etc/peoplesync/peoplesyncd.env | diff - "$work/conffiles" ||
    fail "the conffiles are not the two files in /etc/peoplesync"
matches "$work/info.txt" '^ Depends: .*adduser'
matches "$work/info.txt" '^ Depends: .*libpoco'
matches "$work/info.txt" '^ Section: admin$'
mkdir -p "$work/control"
dpkg-deb -e "$deb" "$work/control"
for script in postinst prerm postrm; do
    [[ -x $work/control/$script ]] || fail "$script is not executable"
    sh -n "$work/control/$script" || fail "$script is not a valid sh script"
done
matches "$work/control/postinst" 'adduser --quiet --system --group --home /var/lib/peoplesync'
matches "$work/control/postinst" "deb-systemd-helper enable 'peoplesyncd.service'"
matches "$work/control/postinst" 'deb-systemd-invoke [$]_dh_action'
matches "$work/control/prerm" "deb-systemd-invoke stop 'peoplesyncd.service'"
matches "$work/control/postrm" 'rm -rf /var/lib/peoplesync'
matches "$work/control/triggers" 'activate-noawait ldconfig'
# The Debian changelog's top entry is this package's version.
version=$(dpkg-deb -f "$deb" Version)
changelog_version=$(sed -n '1s/^peoplesync (\([^)]*\)).*/\1/p' "$source/etc/deb/changelog")
[[ $version == "$changelog_version" ]] ||
    fail "the package is version $version, etc/deb/changelog's top entry $changelog_version"

if command -v lintian >/dev/null; then
    step "lintian: no errors"
    lintian_status=0
    lintian --fail-on error --display-info --show-overrides "$deb" >"$work/lintian.txt" 2>&1 || lintian_status=$?
    cat "$work/lintian.txt"
    [[ $lintian_status == 0 ]] || fail "lintian found errors (above), exit status $lintian_status"
    unmatched "$work/lintian.txt" '^E: '
else
    echo "note: no lintian here; the lintian check is skipped"
fi

step "unpack it into $work/root; its CLI validates its configuration with its plugins"
root=$work/root
dpkg-deb -x "$deb" "$root"
cli=("$root/usr/bin/peoplesync" --config "$root/etc/peoplesync/peoplesync.yaml")
# The CLI opens (and makes) the state database, even to validate: here, as
# systemd's StateDirectory= would say, in the work folder, never the host's
# /var/lib/peoplesync.
export STATE_DIRECTORY=$work/state
# Through the binary's RUNPATH ($ORIGIN/../lib): the tree's SDK, not the build's or the system's.
sdk_lib=$(ldd "$root/usr/bin/peoplesync" | sed -n 's/^\s*libpeoplesync-sdk\.so\.[0-9]* => \(.*\) (.*$/\1/p')
[[ $(realpath -s "$sdk_lib") == "$root/usr/lib/libpeoplesync-sdk.so."* ]] || fail "the CLI loads the SDK from $sdk_lib"
expect 0 "$work/plugins.txt" -- "${cli[@]}" plugins
matches "$work/plugins.txt" "$root/usr/lib/peoplesync/plugins/peoplesync-source-csv\.so"
matches "$work/plugins.txt" "$root/usr/lib/peoplesync/plugins/peoplesync-source-webhook\.so"
unmatched "$work/plugins.txt" "refused"
# Every plugin from the tree (the work folder may be inside the build folder).
if grep '^    /' "$work/plugins.txt" | grep -vF "    $root/usr/lib/peoplesync/plugins/"; then
    fail "plugins from outside $root/usr/lib/peoplesync/plugins (above)"
fi
expect 0 "$work/validate.txt" -- "${cli[@]}" validate
cat "$work/validate.txt"
matches "$work/validate.txt" "^$root/etc/peoplesync/peoplesync\\.yaml: valid, 2 pipeline\\(s\\)\$"
[[ -f $STATE_DIRECTORY/peoplesync-state.db ]] || fail "the state database is not in \$STATE_DIRECTORY: $(ls "$STATE_DIRECTORY")"
# The same check fails on a configuration the daemon would refuse.
sed 's/^state_database:/state_databse:/' "$root/etc/peoplesync/peoplesync.yaml" >"$work/broken.yaml"
expect 2 "$work/broken.txt" -- "$root/usr/bin/peoplesync" --config "$work/broken.yaml" validate
matches "$work/broken.txt" 'broken\.yaml:[0-9]+:[0-9]+: .*state_databse'
# The installed binaries need no folder but their own tree and /var/lib/peoplesync.
unmatched "$root/etc/peoplesync/peoplesync.yaml" '^[^#]*(\.\./|/tmp/|/home/)'
unset STATE_DIRECTORY

unit=$root/lib/systemd/system/peoplesyncd.service
if command -v systemd-analyze >/dev/null; then
    step "systemd-analyze verify and security on the unpacked unit"
    # The unit as packaged, but for ExecStart, which starts the tree's daemon
    # (the host has none in /usr/bin); any complaint names the unit.
    mkdir -p "$work/unit"
    sed "s|^ExecStart=/usr/bin/peoplesyncd |ExecStart=$root/usr/bin/peoplesyncd |" "$unit" >"$work/unit/peoplesyncd.service"
    matches "$work/unit/peoplesyncd.service" "^ExecStart=$root/usr/bin/peoplesyncd --config /etc/peoplesync/peoplesync\.yaml\$"
    expect 0 "$work/verify.txt" -- systemd-analyze verify --man=no --generators=no "$work/unit/peoplesyncd.service"
    unmatched "$work/verify.txt" 'peoplesyncd\.service'
    # Exposure on systemd's 0-100 scale (the 0.0-10.0 it prints, times ten); 20: "OK".
    expect 0 "$work/security.txt" -- systemd-analyze security --offline=true --threshold=20 "$unit"
    tail -1 "$work/security.txt"
else
    echo "note: no systemd-analyze here; the unit is not verified"
fi
echo "deb test passed"
