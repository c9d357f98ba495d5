# Sourced by scripts/test and scripts/fuzz: the one sanitized build folder
# both use, ./build-asan. clang, -O1 with asserts on, AddressSanitizer and
# UndefinedBehaviorSanitizer on everything, libFuzzer's coverage on the code
# the fuzz targets link (-DPEOPLESYNC_FUZZ=ON; see CMakeLists.txt): the fuzz
# targets and the sanitized test suite share their objects, so CI builds the
# product once with sanitizers, not twice.
asan_build=build-asan

# configure_asan_build: (re)configures ./build-asan; cheap when nothing changed.
configure_asan_build() {
  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  CC=clang CXX=clang++ cmake -S . -B "$asan_build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O1 \
    -DPEOPLESYNC_FUZZ=ON -DPEOPLESYNC_BUILD_TESTS=ON "${launcher[@]}" >/dev/null
}

# build_asan TARGET...: builds these targets (all with none), errors shown.
build_asan() {
  local targets=()
  [ $# -gt 0 ] && targets=(--target "$@")
  cmake --build "$asan_build" -j"${PEOPLESYNC_JOBS:-$(nproc)}" "${targets[@]}" 2>&1 | grep -E "error:|warning: unused|Error [0-9]" || true
}
