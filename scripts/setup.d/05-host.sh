# Host build tools: a C compiler and libc headers (ring and the bundled SQLite compile C).
# profile: demo
# The Rust toolchain itself (rustup, Rust 1.95) is a prerequisite checked by setup.sh.
apt_install gcc libc6-dev
