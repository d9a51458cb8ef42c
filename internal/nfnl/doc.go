// Package nfnl decodes nf_tables netlink messages, for the two backends
// that read the kernel's nftables objects: backend/nft (its own table) and
// backend/ipt (the rules iptables-nft keeps in nftables). Attributes of
// nf_tables are big endian and follow a struct nfgenmsg. Dial opens the
// netfilter socket in a network namespace given by path, without moving a
// thread of the caller.
package nfnl
