# iproute2 and nftables, for the BitChat NAT test (scripts/test.d/bitchat-nat.sh builds NAT
# routers in network namespaces, with veth pairs and nftables masquerade). Only if missing.
# profile: test
apt_install iproute2 nftables
