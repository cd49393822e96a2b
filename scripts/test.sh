#!/usr/bin/env bash
# Runs every test of the project on a fresh Debian machine (installs what it needs first):
# fmt, clippy -D warnings, the workspace's build, component test steps beside schema drift and
# artifact freshness, then the whole workspace test suite (which also drives the committed
# artifacts in cosmwasm-vm).
#
# Two things make a second run on the same machine short (issue #49):
# - It runs from a copy of the checkout at a fixed path ($BITHIVE_CACHE/test-src, or
#   BITHIVE_TEST_SRC_DIR) in which a file is rewritten only when its content changed
#   (scripts/lib/stable-source.sh). Cargo decides freshness by mtime and bakes the checkout's path
#   into test binaries (CARGO_MANIFEST_DIR), so from a new clone, as every CI run is, it rebuilt
#   every workspace crate in every profile; from the copy it rebuilds what changed. What a run
#   leaves behind (web/screenshots, node_modules) is in the copy; BITHIVE_TEST_IN_PLACE=1 runs in
#   the checkout itself. One run at a time per copy: a second checkout's concurrent run needs its
#   own BITHIVE_TEST_SRC_DIR.
# - The steps that mostly wait on chains, a browser, a package manager or a network (test.d ibc,
#   wasmd, wasmd-networks, web-app: 70 to 80 % of their time idle; devnet-cosmjs, bitchat-nat,
#   chat-tmux, browser-package: 10 to 55 % busy) run side by side, in the background, while the
#   CPU-bound steps run in the foreground and the workspace's tests start as soon as those end. Each draws its own free ports and temp dirs; their output is printed whole, one
#   step at a time, when each ends. BITHIVE_TEST_SERIAL=1 runs every step in turn.
set -euo pipefail
run_started="$(date +%s.%3N)"
# cpu_ticks: the machine's busy and idle clock ticks since boot (user+nice+system+irq+softirq+steal,
# idle+iowait), so the end of the run can say how busy the cores were: a warm run whose cores
# were busy throughout is cut only by doing less work, one that waited by overlapping more.
cpu_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6; exit }' /proc/stat; }
run_cpu_started="$(cpu_ticks)"
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh" test
# One full build, no edit-compile loop: incremental caches would only cost disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
# A cold run writes about 10 GB (targets, chains, browsers), a warm one a few; a full disk shows up
# later as a node that stops making blocks, so space is made, or its lack named, here first.
# shellcheck source=lib/disk-space.sh
source "$BITHIVE_ROOT/scripts/lib/disk-space.sh"
# (`|| true`: a step of the clean-up that fails leaves the check below to decide.)
free_disk_space "${BITHIVE_DISK_WANT_GB:-12}" || true
# What this run's builds read is told apart at its end by access times (lib/disk-space.sh).
units_marked="$(date +%s)"
mark_target_units_unread || true
free_gb="$(disk_free_gb)"
if [ "$free_gb" -lt 4 ]; then
  echo "test.sh: only ${free_gb} GB free where the run writes (home, clone, temp) after freeing what it could rebuild; a run needs about 4 GB warm, 10 GB cold (largest folders above)" >&2
  exit 1
elif [ "$free_gb" -lt 10 ]; then
  echo "test.sh: warning: ${free_gb} GB free where the run writes (home, clone, temp); a cold run writes about 10 GB" >&2
fi
step() { printf '\n\033[1;36m==> %s\033[0m\n' "$*"; }
# timed NAME CMD...: runs one test step, timed into the table printed at the end (setup.sh).
# A step that fails ends the run (after the background steps end, whose output then follows):
# its name is kept to be said again at the very end.
fg_failed=""
timed() {
  local name="$1" rc=0; shift
  step "$name"
  timing_begin
  "$@" || rc=$?
  if [ "$rc" != 0 ]; then fg_failed="$name"; return "$rc"; fi
  timing_end "$name"
}

# Background steps: name, pid and output file, in the order they started; the index of each that
# failed (its whole output kept in failed_log I).
bg_names=() bg_pids=() bg_logs=() bg_failed=()
failed_log() { printf '%s' "${BITHIVE_TIMINGS%.tsv}-step-$1.log"; }
bg_dir="$(mktemp -d "${TMPDIR:-/tmp}/bithive-test-steps.XXXXXX")"
# in_background NAME CMD...: starts a timed step; its output goes to a file shown by wait_background.
in_background() {
  local name="$1"; shift
  local out
  out="$bg_dir/${#bg_names[@]}.log"
  step "$name: started in the background (output when it ends)"
  (
    timing_begin
    rc=0
    "$@" >"$out" 2>&1 </dev/null || rc=$?
    [ "$rc" != 0 ] || timing_end "$name"
    exit "$rc"
  ) &
  bg_names+=("$name") bg_pids+=("$!") bg_logs+=("$out")
}
# wait_background: waits for every background step, printing each one's output as it is reached;
# fails (after all of them ended, so each stopped its own chains) if any failed.
wait_background() {
  local i rc failed=()
  for i in "${!bg_pids[@]}"; do
    rc=0
    wait "${bg_pids[$i]}" || rc=$?
    step "${bg_names[$i]} (ran in the background): exit $rc"
    cat "${bg_logs[$i]}"
    if [ "$rc" != 0 ]; then
      failed+=("${bg_names[$i]}")
      # Kept whole beside the run's timings; its end is printed again after the table (CI shows
      # only the end of a run's output, where a failed step's own message would be cut).
      if cp "${bg_logs[$i]}" "$(failed_log "$i")" 2>/dev/null; then bg_failed+=("$i"); fi
    fi
  done
  bg_pids=()
  if ((${#failed[@]})); then
    printf '\n\033[1;31mfailed in the background: %s (output above)\033[0m\n' "${failed[*]}" >&2
    return 1
  fi
}
# The table is printed however the run ends, so a failing run still shows where the time went. A
# step still running in the background is waited for first: it stops its own chains and nodes.
on_exit() {
  local rc=$?
  if ((${#bg_pids[@]})); then
    printf '\n\033[1;36m==> waiting for the background steps to end (%s)\033[0m\n' "${bg_names[*]}"
    wait_background || true
  fi
  rm -rf "$bg_dir"
  # A passing run keeps the caches bounded: the build units it did not use go (lib/disk-space.sh).
  if [ "$rc" = 0 ]; then sweep_units_this_run_left_unread "$units_marked" || true; fi
  printf "\n\033[1;36m==> step timings (exit %s)\033[0m\n" "$rc"
  timing_table
  awk -v a="$run_started" -v b="$(date +%s.%3N)" 'BEGIN { d = b - a
    printf "%-44s %10s\n", "wall clock of the whole run", sprintf("%d min %02d s", int(d / 60), int(d) % 60) }'
  # shellcheck disable=SC2086 # two numbers each
  set -- $run_cpu_started $(cpu_ticks)
  awk -v b0="$1" -v i0="$2" -v b1="$3" -v i1="$4" -v n="$(nproc)" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { b = b1 - b0; t = b + i1 - i0; if (t <= 0) exit
      printf "%-44s %10s\n", "CPU busy (all " n " cores, whole machine)", sprintf("%.0f %%, %d CPU-min", 100 * b / t, b / hz / 60) }'
  if [ -n "$fg_failed" ]; then
    printf '\n\033[1;31m==> %s failed (exit %s); its output is above, before the background steps'"'"' output\033[0m\n' \
      "$fg_failed" "$rc"
  fi
  local i
  for i in "${bg_failed[@]}"; do
    printf '\n\033[1;31m==> the end of %s, which failed (whole in %s)\033[0m\n' \
      "${bg_names[$i]}" "$(failed_log "$i")"
    tail -n 30 "$(failed_log "$i")"
  done
  exit "$rc"
}
trap on_exit EXIT

if [ "${BITHIVE_TEST_IN_PLACE:-0}" != 1 ]; then
  # shellcheck source=lib/stable-source.sh
  source "$BITHIVE_ROOT/scripts/lib/stable-source.sh"
  step "copy of the checkout at a fixed path (BITHIVE_TEST_IN_PLACE=1 runs in place)"
  timing_begin
  BITHIVE_ROOT="$(stable_source "$BITHIVE_ROOT" "${BITHIVE_TEST_SRC_DIR:-$BITHIVE_CACHE/test-src}")"
  timing_end "copy of the checkout"
  echo "running in $BITHIVE_ROOT"
fi
cd "$BITHIVE_ROOT"

timed "cargo fmt --check" cargo fmt --all --check

timed "cargo clippy --all-targets -D warnings" \
  cargo clippy --workspace --all-targets --locked --quiet -- -D warnings

# Every binary, test and example of the workspace, once, with nextest's feature set; the steps
# below take theirs from it (lib/workspace-build.sh), so on a new machine they start from built
# binaries instead of each compiling its own under the target dir's lock.
# shellcheck source=lib/workspace-build.sh
source "$BITHIVE_ROOT/scripts/lib/workspace-build.sh"
timed "workspace build (binaries, tests, examples)" workspace_build

# Component steps (e.g. browser tests) that are not plain cargo tests. A script may name
# variants, each a run of its own with one more variable set (`# variants: IBC_RELAYER=hermes
# IBC_RELAYER=rly`). Those that wait on chains and a browser start first, in the background.
# (Measured on CI's warm run of 14e0ac4: devnet-cosmjs 153 s wall for 11 CPU-s, bitchat-nat 58 s
# for 10, chat-tmux 27 s for 4, browser-package 58 s for 33; in the foreground they held back
# the workspace's tests, the run's last step, by 296 s.)
waiting_steps=" ibc wasmd wasmd-networks web-app devnet-cosmjs bitchat-nat chat-tmux browser-package "
# component_steps: "NAME<TAB>FILE<TAB>VARIABLE=VALUE or empty" for each run of each script.
component_steps() {
  local f name v variants
  for f in scripts/test.d/*.sh; do
    [ -e "$f" ] || continue
    name="$(basename "$f" .sh)"
    variants="$(sed -n 's/^# variants: *//p' "$f" | head -n1)"
    if [ -z "$variants" ]; then printf '%s\t%s\t\n' "$name" "$f"; continue; fi
    for v in $variants; do printf '%s\t%s\t%s\n' "$name" "$f" "$v"; done
  done
}
# run_component FILE VARIABLE=VALUE|"": the script, with the variant's variable set.
run_component() { if [ -n "$2" ]; then env "$2" bash "$1"; else bash "$1"; fi; }
background() { [ "${BITHIVE_TEST_SERIAL:-0}" != 1 ] && [[ "$waiting_steps" == *" $1 "* ]]; }
# (if/then, not && or ||: bash ignores `set -e` inside a function called from either; the list
# on fd 3, so a step that reads its stdin cannot eat it.)
while IFS=$'\t' read -r -u 3 name f v; do
  if background "$name"; then in_background "test.d $name${v:+ ($v)}" run_component "$f" "$v"; fi
done 3< <(component_steps)
# The artifact check waits on the contracts' source copy while the browser package builds from it
# (5.7 min of wall for 77 CPU-s in the foreground of a warm run, holding back nextest): it runs
# beside the others too. Schema drift, in the foreground, takes seconds.
in_background "wasm artifacts: rebuild and compare" scripts/build-wasm.sh --check
timed "schema drift" scripts/schema.sh --check
while IFS=$'\t' read -r -u 3 name f v; do
  if ! background "$name"; then timed "test.d $name${v:+ ($v)}" run_component "$f" "$v"; fi
done 3< <(component_steps)

timed "cargo nextest (whole workspace)" cargo nextest run --workspace --locked --no-fail-fast

wait_background
