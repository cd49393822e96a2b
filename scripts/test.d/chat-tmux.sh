#!/usr/bin/env bash
# BitChat as people use it (issue #46): `bithive chat` in tmux sessions, typed into and read
# from the screen. A relay and two people (their identities are their chain keys): Alice adds
# Bob, Bob accepts, they talk, Alice sends a file and Bob saves it; Bob quits, Alice writes while he is away (left at the relay),
# Bob comes back and reads it; then every file either of them or the relay wrote is checked:
# no message in clear, modes 0600. The story runs twice: over BitChat nodes at known addresses
# (Alice adds Bob by his card, the relay named by its card), and over libp2p (Alice knows only
# Bob's chain address, bithive1..., and finds him through the DHT of a public node, which is also
# the relay; by BitChat id the same lookup is tested by bitchat-nat.sh and the crate's tests).
# The first story is told on the screen (the terminal UI, keys typed into it), the second in
# lines (`--plain`, as scripts use it).
# With $BITHIVE_CHAT_SCREENS set, the final screens are kept there (the README quotes them).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
command -v tmux >/dev/null || { echo "chat-tmux: tmux is missing (scripts/setup.sh installs it)" >&2; exit 1; }
# shellcheck source=../lib/workspace-build.sh
source "$ROOT/scripts/lib/workspace-build.sh"
H="$(mktemp -d "${TMPDIR:-/tmp}/bithive-chat.XXXXXX")"
workspace_binary bithive "$H/bithive"
B="$H/bithive"
SOCK="$H/tmux.sock"
t() { tmux -S "$SOCK" "$@"; }
cleanup() {
  local rc=$?
  if [ "$rc" != 0 ]; then
    for s in relay alice bob; do
      echo "--- screen of $s:" >&2
      t capture-pane -p -J -t "$s" 2>/dev/null | grep -v '^$' >&2 || true
    done
  fi
  t kill-server 2>/dev/null || true
  rm -rf "$H"
  exit "$rc"
}
trap cleanup EXIT
cd "$H"
# Three BIP-39 test mnemonics (public test vectors; nothing of value).
echo "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about" | "$B" keys add alice --keyring alice.json >/dev/null
echo "legal winner thank year wave sausage worth useful legal winner thank yellow" | "$B" keys add bob --keyring bob.json >/dev/null
echo "letter advice cage absurd amount doctor acoustic avoid letter advice cage above" | "$B" keys add relay --keyring relay.json >/dev/null

port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
screen() { t capture-pane -p -J -t "$1" | grep -v '^$' || true; }
# wait_for SESSION TEXT [SECONDS]: until TEXT is on SESSION's screen.
wait_for() {
  local s="$1" text="$2" limit="${3:-30}" i
  for ((i = 0; i < limit * 5; i++)); do
    if screen "$s" | grep -qF -- "$text"; then return 0; fi
    sleep 0.2
  done
  echo "chat-tmux: '$text' did not appear on $s's screen within ${limit}s" >&2
  return 1
}
type_in() { t send-keys -t "$1" -l -- "$2"; t send-keys -t "$1" Enter; }
# quit_done SESSION: its bithive ended by itself, exit status 0 (the screen gives the terminal back
# as it was; in lines the last one is "bye").
quit_done() {
  local i
  for ((i = 0; i < 150; i++)); do
    if [ -s "$1.exit" ]; then
      [ "$(cat "$1.exit")" = 0 ] || { echo "chat-tmux: $1's bithive exited with status $(cat "$1.exit")" >&2; return 1; }
      rm -f "$1.exit"
      if [ "$UI" = plain ]; then wait_for "$1" "bye" 2; fi
      return 0
    fi
    sleep 0.2
  done
  echo "chat-tmux: $1's bithive did not end within 30 s of /quit" >&2
  return 1
}
card_of() { screen "$1" | grep -o 'bitchat1[0-9a-f]*' | head -n1; }

# story MODE UI: MODE is "cards" (BitChat nodes at known addresses) or "p2p" (libp2p); UI is
# "screen" (the terminal UI) or "plain" (lines).
story() {
MODE="$1"
UI="$2"
PLAIN=""; [ "$UI" = plain ] && PLAIN="--plain"
RP="$(port)"; AP="$(port)"; BP="$(port)"
cd "$H"; rm -rf "$MODE"; mkdir "$MODE"; cd "$MODE"
if [ "$MODE" = p2p ]; then
  RUST_LOG=warn t new-session -d -s relay -x 140 -y 30 \
    "$B chat relay --p2p --allow-loopback --keyring ../relay.json --key relay --home relay-home --listen 127.0.0.1:$RP"
  wait_for relay "bootstrap: /ip4"
  WAY="--bootstrap $(screen relay | sed -n 's/^bootstrap: //p' | head -n1) --allow-loopback"
else
  RUST_LOG=warn t new-session -d -s relay -x 140 -y 30 \
    "$B chat relay --keyring ../relay.json --key relay --home relay-home --listen 127.0.0.1:$RP"
  wait_for relay "card: bitchat1"
  WAY="--relay $(card_of relay)"
fi
t set-option -t relay remain-on-exit on >/dev/null
start() { # start NAME PORT
  t new-session -d -s "$1" -x 140 -y 30 \
    "$B chat run --keyring ../$1.json --key $1 --home $1-home --listen 127.0.0.1:$2 $WAY $PLAIN; echo \$? > $1.exit"
  t set-option -t "$1" remain-on-exit on >/dev/null
  wait_for "$1" "type /help for commands"
  if [ "$MODE" = p2p ]; then wait_for "$1" "people can now find you by your BitChat id"; fi
}
start alice "$AP"
start bob "$BP"
me() { screen "$1" | grep -o 'you are bithive1[0-9a-z]*' | head -n1 | cut -c9-; }
BOB="$(me bob)"
ALICE="$(me alice)"
if [ "$MODE" = p2p ]; then
  # Alice knows only Bob's chain address.
  BWHO="$BOB"
else
  # Bob's card as a script asks for it (the screen may wrap it).
  BWHO="$("$B" chat card --keyring ../bob.json --key bob --home bob-home --advertise "127.0.0.1:$BP")"
fi

if [ "$UI" = screen ]; then
  # As a person would: type the command, paste Bob's card (a bracketed paste), press Enter.
  t send-keys -t alice -l -- "/contact "
  t set-buffer -b card -- "$BWHO"
  t paste-buffer -p -d -b card -t alice
  t send-keys -t alice Enter
else
  type_in alice "/contact $BWHO"
fi
wait_for alice "asked $BOB to talk"
wait_for bob "$ALICE asks to talk"
type_in bob "/accept 1"
wait_for bob "now talk in #"
wait_for alice "you joined #"
if [ "$UI" = screen ]; then
  # The screen does not change windows by itself: the status window says so; Alice presses Tab.
  wait_for alice "with $BOB: Tab, or /open #"
  t send-keys -t alice Tab
  wait_for alice "to #"
fi
type_in bob "Hello Alice, Bob here."
wait_for alice "$BOB: Hello Alice, Bob here."
type_in alice "Hi Bob! Lab results are in."
wait_for bob "$ALICE: Hi Bob! Lab results are in."
# Bob has the conversation open: Alice learns he read it.
wait_for alice "$BOB read: Hi Bob! Lab results are in."
type_in alice "/list"
wait_for alice "with $BOB"
# A file: Alice sends her lab report; Bob saves it (fetched as encrypted chunks, opened).
printf 'Lab report\nHbA1c 6.1 %%, fasting glucose 5.4 mmol/L\n' > "$PWD/lab-report.txt"
type_in alice "/file $PWD/lab-report.txt"
wait_for alice "you: file lab-report.txt"
wait_for bob "$ALICE: file lab-report.txt (51 bytes): /save 1"
type_in bob "/save 1 $PWD/bob-downloads"
wait_for bob "saved file lab-report.txt"
cmp lab-report.txt bob-downloads/lab-report.txt
[ "$(stat -c %a bob-downloads/lab-report.txt)" = 600 ]

# Bob gives Alice a name only he sees (sealed with his cards): his screen shows it from now on,
# after a restart too, and takes it where a command asks who.
type_in bob "/name 1 alice-gp"
wait_for bob "you call $ALICE alice-gp now"
type_in bob "/contacts"
wait_for bob "1. alice-gp ($ALICE)"

# Bob leaves; Alice writes; the message waits at the relay; Bob returns and reads it.
type_in bob "/quit"
quit_done bob
t kill-session -t bob
CONV="$(screen alice | grep -o '#[0-9a-f]\{6\}' | head -n1)"
type_in alice "While you were away: the appointment moved to Friday."
wait_for alice "you: While you were away" 60
if [ "$MODE" = p2p ]; then wait_for alice "moved to Friday. (waiting at a relay for 1)"; fi
start bob "$BP"
if [ "$UI" = screen ]; then
  # It comes into the conversation's window, behind the status window in front: the status
  # window says so and the window list counts it; Bob opens it.
  wait_for bob "new in $CONV: Tab, or /open $CONV" 60
  wait_for bob "(1)"
  type_in bob "/open $CONV"
  wait_for bob "alice-gp: While you were away: the appointment moved to Friday."
  # The conversation's window holds what was said before Bob quit, kept sealed on his disk.
  wait_for bob "you: Hello Alice, Bob here."
  # Tab goes round the windows: to the status window (what is typed there is a command), back.
  t send-keys -t bob Tab
  wait_for bob "a command (/help)"
  t send-keys -t bob BTab
  wait_for bob "to $CONV alice-gp"
  # The mouse: the screen asked the terminal for it (SGR reports); a click on the window list's
  # first row brings the status window, one on the second row the conversation (a press and a
  # release as a terminal reports them; 1-based column 3, rows 3 and 4: inside the list's border).
  [ "$(t display-message -p -t bob '#{mouse_any_flag}#{mouse_sgr_flag}')" = 11 ] \
    || { echo "chat-tmux: bob's screen did not ask the terminal for the mouse" >&2; exit 1; }
  t send-keys -t bob -l $'\e[<0;3;3M\e[<0;3;3m'
  wait_for bob "a command (/help)"
  t send-keys -t bob -l $'\e[<0;3;4M\e[<0;3;4m'
  wait_for bob "to $CONV alice-gp"
else
  wait_for bob "alice-gp: While you were away: the appointment moved to Friday." 60
  type_in bob "/open $CONV"
fi
type_in bob "/history"
wait_for bob "$BOB: Hello Alice, Bob here."
# Searching: every conversation's sealed history, dated, the conversation named.
type_in bob "/find FRIDAY"
wait_for bob "$CONV alice-gp: While you were away: the appointment moved to Friday."

if [ -n "${BITHIVE_CHAT_SCREENS:-}" ]; then
  mkdir -p "$BITHIVE_CHAT_SCREENS"
  suffix=""; [ "$MODE" = p2p ] && suffix="-p2p"
  screen alice >"$BITHIVE_CHAT_SCREENS/alice$suffix.txt"
  screen bob >"$BITHIVE_CHAT_SCREENS/bob$suffix.txt"
fi
type_in alice "/quit"; type_in bob "/quit"
quit_done alice; quit_done bob
t send-keys -t relay C-c
wait_for relay "stopping"
sleep 1
for s in relay alice bob; do t kill-session -t "$s" 2>/dev/null || true; done

# Nothing any of them wrote holds a message in clear; every file is 0600.
bad=0
while IFS= read -r -d '' f; do
  mode="$(stat -c %a "$f")"
  if [ "$mode" != 600 ]; then echo "chat-tmux: $f has mode $mode, not 600" >&2; bad=1; fi
  for needle in "Lab results" "appointment moved" "Bob here" "HbA1c 6.1" "alice-gp"; do
    hexed="$(printf '%s' "$needle" | od -An -tx1 | tr -d ' \n')"
    if grep -qF -- "$needle" "$f" || grep -qF -- "$hexed" "$f"; then
      echo "chat-tmux: $f holds \"$needle\" in clear" >&2; bad=1
    fi
  done
done < <(find alice-home bob-home relay-home -type f -print0)
[ "$bad" = 0 ]
n="$(find alice-home bob-home relay-home -type f | wc -l)"
echo "chat-tmux ($MODE, $UI): Alice and Bob talked through bithive chat in tmux, a message waited at the relay while Bob was away; $n files scanned: sealed, 0600"
}

story cards screen
story p2p plain
