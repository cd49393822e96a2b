# Devnet CosmJS step (scripts/test.d/devnet-cosmjs.sh): Node (30-web.sh installs it) and npm.
# profile: test
# Some Node packages ship npm, Debian's does not.
command -v npm >/dev/null 2>&1 || apt_install npm
