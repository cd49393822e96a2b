# Disk space for the test command (sourced by scripts/test.sh after setup.sh, which sets
# BITHIVE_CACHE and CARGO_TARGET_DIR).
#
# A machine that runs the test command again and again (CI's, a contributor's) keeps its caches,
# and cargo never deletes from a target dir: every dependency bump, feature change or new source
# path leaves the old build units behind. CI's machine ran out (stop 68: "only 2 GB free" after
# a run that passed the stop before). So the test command keeps its caches bounded itself:
# - at the start, when less than BITHIVE_DISK_WANT_GB (12) is free, it frees what it can rebuild,
#   cheapest first, and says what it freed and what the big folders hold;
# - at its start it marks every build unit of its target dirs (a change of its fingerprint
#   files' status time, which makes the next read set their access time), and at the end of a
#   passing run it removes, from each profile folder the run built in, every unit the run did
#   not read: the units of earlier dependency versions, feature sets and lock files, which
#   made the target dir 55 GB on a machine that had run it for four days (issue #49). A profile
#   folder the run did not build in (the demo's, a release build) keeps the 7-day rule.
# Nothing here deletes what this run used. Two test runs at once on one machine share the target
# dirs: the sweep of one may remove a unit only the other used, which cargo then rebuilds.

# The cargo target dirs the test command builds into (those that exist).
bithive_target_dirs() {
  local d
  for d in "${CARGO_TARGET_DIR:-$BITHIVE_CACHE/target}" "$BITHIVE_CACHE/fuzz-target" \
    "$BITHIVE_CACHE/wasm-target" "$BITHIVE_CACHE/wasm-target-browser"; do
    [ -d "$d" ] && printf '%s\n' "$d"
  done
  return 0
}

# disk_free_gb: the least free space, in GiB, among the places a run writes.
disk_free_gb() {
  df -P -BG "$HOME" "$BITHIVE_ROOT" "${TMPDIR:-/tmp}" "$BITHIVE_CACHE" 2>/dev/null \
    | awk 'NR > 1 { v = $4 + 0; if (m == "" || v < m) m = v } END { print m + 0 }'
}

disk_log() { printf '\033[1;34m[disk]\033[0m %s\n' "$*" >&2; }

# disk_usage_report: the folders a run fills, largest first, so a full disk names its cause.
disk_usage_report() {
  local d
  {
    for d in "$BITHIVE_CACHE"/* "${CARGO_TARGET_DIR:-}" "$HOME/.cargo/registry" "$HOME/go/pkg/mod" \
      "$HOME/.cache/go-build" "$HOME/.npm" "$HOME/.cache/ms-playwright" "${TMPDIR:-/tmp}"; do
      [ -n "$d" ] && [ -d "$d" ] && du -sm "$d" 2>/dev/null
    done
  } | sort -rn | awk 'NR <= 15 { printf "  %8.1f GB  %s\n", $1 / 1024, $2 }' >&2
}

# atime_works DIR: whether reading a file there updates its access time (not on noatime mounts).
# The sweep below tells a unit in use from a stale one by it, so without it the sweep is skipped.
atime_works() {
  local probe
  probe="$(mktemp "$1/.bithive-atime.XXXXXX" 2>/dev/null)" || return 1
  echo probe >"$probe"
  touch -a -d '3 days ago' "$probe"
  cat "$probe" >/dev/null
  local a
  a="$(stat -c %X "$probe")"
  rm -f "$probe"
  [ "$a" -gt "$(($(date +%s) - 3600))" ]
}

# fingerprint_dirs DIR: the `.fingerprint` folder of each profile folder of the target dir DIR
# (debug, wasm, <triple>/release, ...).
fingerprint_dirs() { find "$1" -maxdepth 4 -type d -name .fingerprint 2>/dev/null; }

# mark_target_units_unread: moves the status-change time of every fingerprint file in the test
# command's target dirs to now (a chmod that changes nothing), so that the first read of each by
# cargo in this run sets its access time to now: on a relatime mount a read updates the access
# time only when it is older than the modification or status-change time, or a day old, so
# without the mark a unit read the day before would look unread. The access times themselves are
# kept: the 7-day rule still reads them in the profile folders this run does not build in (the
# demo's, the fuzzers' when they are skipped).
mark_target_units_unread() {
  local d fp
  while IFS= read -r d; do
    atime_works "$d" || continue
    while IFS= read -r fp; do
      find "$fp" -mindepth 2 -maxdepth 2 -type f -exec chmod u+r {} +
    done < <(fingerprint_dirs "$d")
  done < <(bithive_target_dirs)
}

# cargo_sweep DIR SINCE [built-here]: removes from the cargo target dir DIR every build unit whose
# fingerprint no build read or wrote since SINCE (seconds since the epoch; cargo reads a unit's
# fingerprint each time it decides whether the unit is fresh), with the unit's outputs
# (deps/*-HASH*, build/*-HASH). With `built-here`, only in the profile folders some build read or
# wrote since SINCE. Cargo rebuilds a removed unit if it is ever needed again. Prints the MB freed.
cargo_sweep() {
  local dir="$1" since="$2" mode="${3:-}" before after fp profile unit hash used
  [ -d "$dir" ] || { echo 0; return 0; }
  atime_works "$dir" || { echo 0; return 0; }
  before="$(du -sm "$dir" 2>/dev/null | cut -f1)"
  while IFS= read -r fp; do
    profile="${fp%/.fingerprint}"
    # A unit is in use when any file of its fingerprint folder was read or written since SINCE.
    used="$(find "$fp" -mindepth 2 -maxdepth 2 -type f \( -newerat "@$since" -o -newermt "@$since" \) \
      -printf '%h\n' | sed 's|.*/||' | LC_ALL=C sort -u)"
    if [ "$mode" = built-here ] && [ -z "$used" ]; then continue; fi
    LC_ALL=C comm -23 \
      <(find "$fp" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | LC_ALL=C sort) \
      <(printf '%s\n' "$used" | sed '/^$/d') \
      | while IFS= read -r unit; do
          hash="${unit##*-}"
          # Cargo's unit hashes are 16 hex digits; anything else is not a unit folder.
          [[ "$hash" =~ ^[0-9a-f]{16}$ ]] || continue
          rm -rf "${fp:?}/$unit" "$profile"/build/*-"$hash" "$profile"/deps/*-"$hash" \
            "$profile"/deps/*-"$hash".* "$profile"/examples/*-"$hash" "$profile"/examples/*-"$hash".*
        done
  done < <(fingerprint_dirs "$dir")
  after="$(du -sm "$dir" 2>/dev/null | cut -f1)"
  echo $((before - after))
}

# sweep_target_dirs DAYS: cargo_sweep over every target dir, with a line per dir that freed any.
sweep_target_dirs() {
  local days="$1" d mb
  while IFS= read -r d; do
    mb="$(cargo_sweep "$d" "$(($(date +%s) - days * 86400))")"
    [ "${mb:-0}" -le 0 ] || disk_log "removed build units unused for $days days from $d: $mb MB"
  done < <(bithive_target_dirs)
}

# sweep_units_this_run_left_unread SINCE: after a passing run that began at SINCE (and marked the
# units unread first), removes from each profile folder it built in the units it did not read,
# with a line per target dir that freed any; then the 7-day rule for the other profile folders.
sweep_units_this_run_left_unread() {
  local since="$1" d mb
  while IFS= read -r d; do
    mb="$(cargo_sweep "$d" "$since" built-here)"
    [ "${mb:-0}" -le 0 ] || disk_log "removed build units this run did not use from $d: $mb MB"
  done < <(bithive_target_dirs)
  sweep_target_dirs 7
}

# stale_run_dirs: temp folders of earlier runs (chains, browsers, test step logs) that a run
# killed before its cleanup left behind; none is younger than 6 hours, so no run still uses it.
stale_run_dirs() {
  find "${TMPDIR:-/tmp}" -mindepth 1 -maxdepth 1 -type d \( -name 'bithive-*' -o -name 'bitchat-nat.*' \) \
    -mmin +360 2>/dev/null
}

# free_disk_space WANT_GB: frees rebuildable caches, cheapest to rebuild first, until WANT_GB
# is free or nothing is left to free.
free_disk_space() {
  local want="$1" free d n
  free="$(disk_free_gb)"
  [ "$free" -lt "$want" ] || return 0
  disk_log "only $free GB free where the run writes (it wants $want GB); the largest folders:"
  disk_usage_report
  # 1. what killed runs left in the temp folder
  n=0
  while IFS= read -r d; do rm -rf "$d"; n=$((n + 1)); done < <(stale_run_dirs)
  [ "$n" = 0 ] || disk_log "removed $n temp folders of earlier runs (older than 6 hours)"
  [ "$(disk_free_gb)" -lt "$want" ] || { disk_log "now $(disk_free_gb) GB free"; return 0; }
  # 2. build units no build used for a week
  sweep_target_dirs 7
  [ "$(disk_free_gb)" -lt "$want" ] || { disk_log "now $(disk_free_gb) GB free"; return 0; }
  # 3. the build folders of the test tools (the tools themselves stay installed in ~/.cargo/bin),
  #    Go's build cache (wasmd and Hermes are kept as binaries) and npm's download cache
  if [ -d "$BITHIVE_CACHE/cargo-install" ]; then
    rm -rf "$BITHIVE_CACHE/cargo-install"
    disk_log "removed the test tools' build folder ($BITHIVE_CACHE/cargo-install)"
  fi
  if command -v go >/dev/null 2>&1; then go clean -cache 2>/dev/null && disk_log "emptied Go's build cache"; fi
  if [ -d "$HOME/.npm/_cacache" ]; then rm -rf "$HOME/.npm/_cacache"; disk_log "emptied npm's download cache"; fi
  [ "$(disk_free_gb)" -lt "$want" ] || { disk_log "now $(disk_free_gb) GB free"; return 0; }
  # 4. build units unused for 3 days (at worst, units only an older branch or commit built)
  sweep_target_dirs 3
  disk_log "now $(disk_free_gb) GB free"
}
