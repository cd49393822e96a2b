#!/usr/bin/env bash
# Idempotent machine setup for a fresh Debian box. Sourced by scripts/test.sh and scripts/demo.sh
# (so the env it exports reaches them), or run on its own. Every step checks before it installs.
# Component-specific steps live in scripts/setup.d/*.sh and are sourced in name order.
#
# Profiles (first argument, or BITHIVE_SETUP_PROFILE; default test):
#   demo    only what `bithive demo` needs to build and run (scripts/demo.sh)
#   models  demo, plus the trained imaging models converted from PyPI (for node operators)
#   test    everything: the wasm toolchain, browser, cargo tools, the full Python venv
# Each step declares the smallest profile that needs it with a `# profile: demo|models|test`
# line; each profile runs the steps of the profiles before it, and test runs every step.
#   bash scripts/setup.sh [demo|models|test]      source scripts/setup.sh [demo|models|test]
set -euo pipefail

BITHIVE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export BITHIVE_ROOT
export BITHIVE_CACHE="${BITHIVE_CACHE:-$HOME/.cache/bithive}"
# Host builds share one target dir outside the clone (speed only: nothing depends on its contents).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$BITHIVE_CACHE/target}"
mkdir -p "$BITHIVE_CACHE"

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }

# A sourcing script's own arguments reach us as "$@" (bench-inference.sh's --seconds ...), so
# only demo/test are taken as a profile; anything else is an error only when run directly.
case "${1:-}" in
  demo|models|test) BITHIVE_SETUP_PROFILE="$1" ;;
  "") ;;
  *) if [ "${BASH_SOURCE[0]}" = "$0" ]; then echo "usage: scripts/setup.sh [demo|models|test]" >&2; exit 2; fi ;;
esac
BITHIVE_SETUP_PROFILE="${BITHIVE_SETUP_PROFILE:-test}"
case "$BITHIVE_SETUP_PROFILE" in
  demo|models|test) ;;
  *) echo "BITHIVE_SETUP_PROFILE=$BITHIVE_SETUP_PROFILE: expected demo, models or test" >&2; exit 2 ;;
esac
export BITHIVE_SETUP_PROFILE

# now_s: seconds since the epoch with milliseconds, for step timings.
now_s() { date +%s.%3N; }
# elapsed START: "12.3 s" or "4 min 05 s" since START (a now_s value).
elapsed() {
  awk -v a="$1" -v b="$(now_s)" 'BEGIN { d = b - a; if (d < 60) printf "%.1f s", d;
    else printf "%d min %02d s", int(d / 60), int(d) % 60 }'
}

# apt_install PKG... : installs only the packages that are missing.
apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "apt: installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    log "apt: already installed: $*"
  fi
}

# Test tools compiled from source are built for what they do in a test run, not for speed: a cold
# build is most of their cost (issue #49). nextest, wasm-bindgen-cli, cargo-fuzz and Hermes at
# opt-level 0; cosmwasm-check at opt-level 1, since its wasm compiler compiles every contract in
# each artifact check. Measured cold on the 2-core machine, 2026-12-01 (CPU time, opt-level 0
# against 1): cargo-nextest 265 s against 649 s, wasm-bindgen-cli 116 against 286, cargo-fuzz 36
# against 72 (BENCHMARKS.md, "Test tools at opt-level 0"). BITHIVE_TOOL_OPT_LEVEL=N builds them
# all at N (3: as their authors release them). A tool built at another level is built again.
tool_opt_level() { # tool_opt_level BIN
  case "$1" in
    cosmwasm-check) echo "${BITHIVE_TOOL_OPT_LEVEL:-1}" ;;
    *) echo "${BITHIVE_TOOL_OPT_LEVEL:-0}" ;;
  esac
}
# tool_built_at BIN: the opt-level BIN was built at here (tools built before this was recorded
# were built at 1).
tool_built_at() { cat "$BITHIVE_CACHE/tool-opt-level/$1" 2>/dev/null || echo 1; }
# tool_cargo_install BIN ARGS...: `cargo install` for the test tool BIN, in the tools' shared
# target dir, at its opt-level (recorded).
tool_cargo_install() {
  local bin="$1" opt
  shift
  opt="$(tool_opt_level "$bin")"
  CARGO_TARGET_DIR="$BITHIVE_CACHE/cargo-install" CARGO_PROFILE_RELEASE_OPT_LEVEL="$opt" \
    cargo install --force "$@"
  mkdir -p "$BITHIVE_CACHE/tool-opt-level"
  echo "$opt" >"$BITHIVE_CACHE/tool-opt-level/$bin"
}

# cargo_install_pinned BIN CRATE VERSION [extra cargo install args]
cargo_install_pinned() {
  local bin="$1" crate="$2" version="$3"
  shift 3
  if ! command -v "$bin" >/dev/null 2>&1 || ! "$bin" --version 2>/dev/null | grep -q "$version"; then
    log "cargo install $crate@$version at opt-level $(tool_opt_level "$bin") (one-off, a few minutes; cargo's progress follows)"
    tool_cargo_install "$bin" --locked "$crate" --version "=$version" "$@"
  elif [ "$(tool_built_at "$bin")" != "$(tool_opt_level "$bin")" ]; then
    log "cargo install $crate@$version again: built at opt-level $(tool_built_at "$bin"), wanted $(tool_opt_level "$bin")"
    tool_cargo_install "$bin" --locked "$crate" --version "=$version" "$@"
  else
    log "$crate $version already installed"
  fi
}

export PATH="$HOME/.cargo/bin:$PATH"
command -v cargo >/dev/null || { echo "cargo (rustup, Rust 1.95) is required" >&2; exit 1; }

# Step timings (issue #49): every setup step and every test step is timed, and marked `cold` when
# it wrote files into the machine's caches (it installed or built something: the cargo tools and
# registry, the target dirs, wasmd and Hermes, npm, Go, Debian's packages) or `cached` when it
# wrote none there. The table is printed at the end of scripts/test.sh and kept in
# $BITHIVE_CACHE/timings/ (one TSV a run, plus latest-<profile>.tsv), outside the clone so CI's
# machine keeps it.
BITHIVE_TIMINGS="${BITHIVE_TIMINGS:-$BITHIVE_CACHE/timings/$(date -u +%Y%m%dT%H%M%SZ)-$$.tsv}"
export BITHIVE_TIMINGS
mkdir -p "$(dirname "$BITHIVE_TIMINGS")"
[ -s "$BITHIVE_TIMINGS" ] || printf 'step\tseconds\tstate\tcache_files\tcache_mb\tstarted\tcpu_seconds\n' >"$BITHIVE_TIMINGS"
# Each step's CPU time, all its processes included (chains and browsers it starts too), from a
# cgroup of its own where the machine lets us make one: cgroup v1's cpuacct, or a writable v2
# hierarchy. Elsewhere the CPU column stays empty. The steps of a run overlap, so their wall
# times say little about what each costs the machine; this does.
TIMING_CG_KIND="" TIMING_CG_BASE=""
if [ -w /sys/fs/cgroup/cpuacct/cgroup.procs ]; then
  TIMING_CG_KIND=v1
  TIMING_CG_BASE="/sys/fs/cgroup/cpuacct$(awk -F: '$2 ~ /(^|,)cpuacct(,|$)/ { print $3; exit }' /proc/self/cgroup)"
elif [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  TIMING_CG_KIND=v2
  TIMING_CG_BASE="/sys/fs/cgroup$(awk -F: '$1 == "0" { print $3; exit }' /proc/self/cgroup)"
fi
TIMING_CG_BASE="${TIMING_CG_BASE%/}"
[ -n "$TIMING_CG_BASE" ] && [ -w "$TIMING_CG_BASE/cgroup.procs" ] || TIMING_CG_KIND=""
# The places a step writes when it installs or builds; those that do not exist are skipped.
timing_dirs() {
  local d
  for d in "$BITHIVE_CACHE" "${CARGO_TARGET_DIR:-}" "$HOME/.cargo/bin" "$HOME/.cargo/registry" \
    "$HOME/.npm" "$HOME/go/pkg/mod" "$HOME/.cache/go-build" /var/lib/dpkg/info; do
    [ -n "$d" ] && [ -d "$d" ] && printf '%s\n' "$d"
  done | sort -u
}
# timing_begin: starts timing a step (a marker file's mtime is the start).
timing_begin() {
  TIMING_MARK="$(mktemp "${TMPDIR:-/tmp}/bithive-timing.XXXXXX")"
  TIMING_START="$(now_s)"
  # mtimes move in clock ticks: set the marker a little before the start, so a file written in
  # the step's first tick still counts as newer.
  touch -d "@$(awk -v t="$TIMING_START" 'BEGIN { printf "%.3f", t - 0.05 }')" "$TIMING_MARK"
  # The shell running the step (the test command's own, or a background step's subshell) and
  # all it starts from now on are counted in the step's cgroup.
  TIMING_CG=""
  if [ -n "$TIMING_CG_KIND" ]; then
    local cg="$TIMING_CG_BASE/bithive-step-$BASHPID-$RANDOM"
    if mkdir "$cg" 2>/dev/null && echo "$BASHPID" >"$cg/cgroup.procs" 2>/dev/null; then
      TIMING_CG="$cg"
    else
      rmdir "$cg" 2>/dev/null || true
    fi
  fi
}
# timing_end NAME: appends NAME's wall time and cold/cached state to $BITHIVE_TIMINGS.
timing_end() {
  local name="$1" secs files_mb
  secs="$(awk -v a="$TIMING_START" -v b="$(now_s)" 'BEGIN { printf "%.1f", b - a }')"
  # Read before the scan below, which is the timing's own cost, not the step's.
  local cpu=""
  if [ -n "${TIMING_CG:-}" ]; then
    case "$TIMING_CG_KIND" in
      v1) cpu="$(awk '{ printf "%.1f", $1 / 1e9 }' "$TIMING_CG/cpuacct.usage" 2>/dev/null || true)" ;;
      v2) cpu="$(awk '$1 == "usage_usec" { printf "%.1f", $2 / 1e6 }' "$TIMING_CG/cpu.stat" 2>/dev/null || true)" ;;
    esac
    echo "$BASHPID" >"$TIMING_CG_BASE/cgroup.procs" 2>/dev/null || true
    # Refused while a process the step left behind still runs in it (harmless: empty, later).
    rmdir "$TIMING_CG" 2>/dev/null || true
    TIMING_CG=""
  fi
  # Files written since the step began, outside the timings folder itself and lock files. (`||
  # true`: find fails when a file goes while it walks, as another step's temp files do, and
  # xargs then exits 123; under `set -e` that failed a step whose tests had all passed: the web
  # app's, in a run of 84633fe.)
  files_mb="$({ timing_dirs | xargs -r -I{} find {} -xdev -type f -newer "$TIMING_MARK" \
    ! -path "$BITHIVE_CACHE/timings/*" ! -name '*.lock' ! -name '.cargo-lock' -printf '%s\n' 2>/dev/null || true; } \
    | awk '{ n++; b += $1 } END { printf "%d\t%.1f", n, b / 1048576 }')"
  rm -f "$TIMING_MARK"
  local state=cached
  [ "${files_mb%%$'\t'*}" = 0 ] || state=cold
  # The start (Unix seconds) lets a CPU trace (vmstat -t) be laid against the steps.
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$secs" "$state" "$files_mb" "$TIMING_START" "$cpu" >>"$BITHIVE_TIMINGS"
}
# timing_table: prints the table of this run's steps and keeps a copy as latest-<profile>.tsv.
timing_table() {
  [ -s "$BITHIVE_TIMINGS" ] || return 0
  cp "$BITHIVE_TIMINGS" "$(dirname "$BITHIVE_TIMINGS")/latest-$BITHIVE_SETUP_PROFILE.tsv"
  awk -F '\t' 'function dur(x) { return x < 60 ? sprintf("%.1f s", x) : sprintf("%d min %02d s", int(x / 60), int(x) % 60) }
    NR == 1 { printf "%-44s %10s %10s  %-6s  %s\n", "step", "wall", "CPU", "state", "written to caches"; next }
    { t += $2; c += $7; w = $3 == "cold" ? sprintf("%d files, %.1f MB", $4, $5) : "-"
      printf "%-44s %10s %10s  %-6s  %s\n", $1, dur($2), $7 == "" ? "-" : dur($7), $3, w }
    END { printf "%-44s %10s %10s\n", "sum of the steps", dur(t), c > 0 ? dur(c) : "-" }' "$BITHIVE_TIMINGS"
  printf '(kept in %s)\n' "$BITHIVE_TIMINGS"
}

# step_profile FILE: the profile its `# profile:` line names (test when it names none).
step_profile() { sed -n 's/^# profile: *\([a-z]*\).*/\1/p' "$1" | head -n1 | grep . || echo test; }
# profile_rank NAME: demo < models < test (a profile runs the steps of every lower rank).
profile_rank() { case "$1" in demo) echo 0 ;; models) echo 1 ;; *) echo 2 ;; esac; }

setup_started="$(now_s)"
log "profile $BITHIVE_SETUP_PROFILE"
for f in "$BITHIVE_ROOT"/scripts/setup.d/*.sh; do
  [ -e "$f" ] || continue
  step="$(basename "$f" .sh)"
  if (( $(profile_rank "$(step_profile "$f")") > $(profile_rank "$BITHIVE_SETUP_PROFILE") )); then
    continue
  fi
  # The step's first comment line says what it installs.
  log "$step: $(sed -n '1s/^# *//p' "$f")"
  step_started="$(now_s)"
  timing_begin
  # shellcheck source=/dev/null
  source "$f"
  timing_end "setup $step"
  log "$step: done in $(elapsed "$step_started")"
done
log "setup (profile $BITHIVE_SETUP_PROFILE) done in $(elapsed "$setup_started")"
unset f step step_started setup_started
