# shellcheck shell=bash
# The test command's host build, done once: every binary, test and example of the workspace in
# the dev profile, with one feature set, the one nextest's `cargo test --workspace` resolves (the
# whole workspace's, dev-dependencies included). Steps take their binaries and tests from it.
#
# Why (issue #49): `cargo build -p PKG` resolves features for PKG alone, so each step that built
# its own binary that way compiled its own copies of the dependencies whose features differ
# (serde_json, cosmwasm-std, opendp, ring, quinn, ...) and of everything above them: 235 build
# units beyond nextest's 1,313, counted by comparing `--unit-graph` per invocation. This build and
# nextest's differ only in doctests (nextest runs none) and three fixture libraries.
#
# Cheap when the build is current (cargo checks fingerprints). Sourced by the steps that need it;
# expects CARGO_TARGET_DIR or a target/ beside the workspace.

# workspace_build: builds every binary, test and example of the workspace (once per change).
workspace_build() {
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  cargo build --quiet --locked --manifest-path "$root/Cargo.toml" --workspace --bins --tests --examples
}

# workspace_target: the directory the dev profile's binaries are in.
workspace_target() {
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  printf '%s/debug\n' "${CARGO_TARGET_DIR:-$root/target}"
}

# workspace_binary NAME DEST: builds the workspace (if needed) and copies its binary NAME to DEST.
# A private copy: while a step runs, a later build in the same run may relink target/debug/NAME
# (a running program then sees its own file replaced).
workspace_binary() {
  workspace_build
  cp "$(workspace_target)/$1" "$2"
}
