# Sourced by the shell tests (install, faults): steps, failures and output checks.
step() { echo "== $*"; }
fail() {
    echo "FAILED: $*" >&2
    exit 1
}
# expect STATUS OUTPUT_FILE -- COMMAND...: runs COMMAND, output to OUTPUT_FILE, checks its exit status.
expect() {
    local want=$1 out=$2
    shift 3
    local got=0
    "$@" >"$out" 2>&1 || got=$?
    if [[ $got != "$want" ]]; then
        cat "$out" >&2
        fail "exit status $got, expected $want: $*"
    fi
}
# contains / lacks FILE TEXT: a fixed text; matches / unmatched FILE REGEX: an extended regex.
found() { grep -q"$1" -- "$3" "$2"; }
must() { found "$1" "$2" "$3" || { cat "$2" >&2; fail "$2 does not $4: $3"; }; }
must_not() { if found "$1" "$2" "$3"; then cat "$2" >&2; fail "$2 $4: $3"; fi; }
contains() { must F "$1" "$2" contain; }
lacks() { must_not F "$1" "$2" contains; }
matches() { must E "$1" "$2" match; }
unmatched() { must_not E "$1" "$2" matches; }
