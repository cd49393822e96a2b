# Sourced by scripts/test.sh, scripts/build-wasm.sh and scripts/build-web.sh. Not run on its own.
#
# stable_source ROOT DEST: makes DEST a copy of the checkout at ROOT (its tracked files and the
# untracked ones git does not ignore) in which a file is rewritten, and so gets a new mtime, only
# when its content changed. Prints DEST.
#
# Why (issue #49): the wasm builds remap the source path to /code for reproducible bytes, so the
# path is in their RUSTFLAGS, and every new clone at another path (each CI run) rebuilt std, every
# dependency and every contract from scratch (about 7 min on 2 cores). A fresh clone also gives
# every file a new mtime, which cargo reads as "changed". Built from DEST, whose path is fixed and
# whose mtimes follow the content, cargo's own freshness check rebuilds exactly the contracts whose
# sources changed; the bytes are the same (scripts/repro-check.sh builds at another path).
# ROOT may itself be such a copy (the test command runs from one, $BITHIVE_CACHE/test-src): its
# manifest says what it holds, so the wasm builds still compile from their own fixed copy. Built
# from test-src in the test command and from wasm-src by hand, the contracts' one target dir saw
# two source paths and rebuilt everything each time the other ran (16 min here, issue #49).
# Another checkout that is not a git work tree is built where it is, as before.
stable_source() {
  local root="$1" dest="$2" manifest new changed removed from_copy=0
  if ! git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    if [ ! -f "$root/.bithive-source-manifest" ] || [ "$root" -ef "$dest" ]; then
      printf '%s\n' "$root"
      return 0
    fi
    from_copy=1
  fi
  mkdir -p "$dest"
  # One sync at a time into DEST (the test command's steps run side by side and more than one
  # builds from the same copy); the copy is the same for all of them once it is synced.
  local lock
  exec {lock}>"$dest.lock"
  flock "$lock"
  manifest="$dest/.bithive-source-manifest"
  new="$(mktemp)"
  # "<blob hash> <path>" for every file of the checkout, sorted by path.
  if [ "$from_copy" = 1 ]; then
    sort "$root/.bithive-source-manifest" >"$new"
  else
    (
      cd "$root"
      git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
        [ -f "$f" ] && printf '%s\n' "$f"
      done | sort -u >"$new.paths"
      git hash-object --stdin-paths <"$new.paths" | paste -d ' ' - "$new.paths" | sort >"$new"
    )
    rm -f "$new.paths"
  fi
  touch "$manifest"
  # Lines only in the new manifest: files added or changed; paths only in the old one: removed.
  changed="$(comm -13 "$manifest" "$new" | cut -d ' ' -f 2-)"
  removed="$(comm -23 <(cut -d ' ' -f 2- "$manifest" | sort) <(cut -d ' ' -f 2- "$new" | sort))"
  if [ -n "$removed" ]; then
    while IFS= read -r f; do rm -f -- "$dest/$f"; done <<<"$removed"
  fi
  if [ -n "$changed" ]; then
    while IFS= read -r f; do
      mkdir -p -- "$dest/$(dirname -- "$f")"
      cp -p --no-preserve=timestamps -- "$root/$f" "$dest/$f"
    done <<<"$changed"
  fi
  mv "$new" "$manifest"
  exec {lock}>&-
  printf '%s\n' "$dest"
}
