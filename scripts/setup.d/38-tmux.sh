# tmux, for the BitChat terminal test (scripts/test.d/chat-tmux.sh drives `bithive chat` as a
# person would, in terminal sessions). Only if missing.
# profile: test
apt_install tmux
