// Package mss computes the TCP MSS to clamp to behind an encapsulation, with
// the arithmetic shown line by line, and the tcp-mss-clamp rich rule that
// does it (mssclamp-cmd --suggest-mss).
//
// # Model
//
//	MSS = link MTU − encapsulation overhead − inner IP header − TCP header
//	                                         [− 40 bytes of TCP options]
//
// The link MTU is the MTU of the link the encapsulated packets leave by
// (eth0 under a tunnel, not the tunnel interface itself: for that one, use
// encapsulation none). The overhead is everything the encapsulation puts
// around the inner IP packet; link MTU − overhead is the MTU inside the
// encapsulation, which is also the MTU a correctly configured tunnel
// interface has, so a pmtu rule clamps to the same value there. Following
// RFC 6691 §2 the MSS leaves out only the fixed IP and TCP headers: a
// sender takes its options out of each segment itself. Conservative also
// subtracts 40 bytes, the largest TCP options, as some vendors' figures do
// (Sophos: 1500 − 73 IPsec − 20 IPv4 − 60 TCP = 1347). A result below 536
// gets no rule: that is the smallest value a tcp-mss-clamp rule takes.
//
// Every size is a fixed header or trailer, except ESP padding, which is
// taken at its worst case (block size − 1) so that no inner packet of the
// computed size can exceed the link MTU. Options that make a header longer
// and that most deployments do not use (GRE key/sequence/checksum, Geneve
// options, IPv4 options, IPv6 extension headers) are not counted.
//
// # Constants and their sources
//
//	outer/inner IPv4 header   20  RFC 791 §3.1 (no options)
//	outer/inner IPv6 header   40  RFC 8200 §3
//	TCP header                20  RFC 9293 §3.1 (no options); RFC 6691 §2
//	TCP options (conserv.)    40  RFC 9293 §3.1: data offset ≤ 15 words = 60 bytes
//	UDP header                 8  RFC 768
//	pppoe                      8  RFC 2516 §4 PPPoE header 6 + RFC 1661 §2 PPP protocol 2
//	gre                    ip+4   RFC 2784 §2 (no checksum, key, sequence: RFC 2890)
//	ipip                     ip   RFC 2003 (IPv4 in IPv4); over IPv6 RFC 2473
//	6in4                     20   RFC 4213 §3.5 (IPv6 in IPv4, protocol 41)
//	  over IPv6 (gre, ipip)  +8   RFC 2473 §4.1.1 tunnel encapsulation limit
//	                              option, which Linux ip6gre/ip6tnl add by default
//	wireguard       ip+8+16+16    WireGuard paper §5.4.6 (type, reserved, receiver,
//	                              counter = 16) + RFC 8439 §2.8 Poly1305 tag 16;
//	                              padding to 16 stops at the interface MTU: 0
//	vxlan          ip+8+8+14      RFC 7348 §5: UDP, VXLAN header, inner Ethernet
//	                              header (no FCS, no 802.1Q)
//	geneve         ip+8+8+14      RFC 8926 §3.4: UDP, base header, inner Ethernet
//	ipsec (ESP tunnel mode)       RFC 4301 §5.1.2 outer ip; RFC 3948 §2.1 NAT-T UDP 8;
//	                              RFC 4303 §2 ESP header 8, §2.4 padding, §2.5-2.6
//	                              pad length + next header 2
//	  aes-cbc+sha1       16+15+12 RFC 3602 §3 IV 16 and 16-byte block (pad ≤ 15),
//	                              RFC 2404 HMAC-SHA-1-96 ICV 12
//	  aes-cbc+sha256     16+15+16 same, RFC 4868 §2.3 HMAC-SHA-256-128 ICV 16
//	  aes-gcm             8+3+16  RFC 4106 §3.1 IV 8, 4-byte alignment (pad ≤ 3),
//	                              §6 ICV 16
//	openvpn-udp    ip+8+4+4+16    OpenVPN ≥ 2.4 data channel: P_DATA_V2 opcode and
//	                              peer id 4, packet id 4, AES-GCM tag 16 (tun mode;
//	                              src/openvpn/ssl_pkt.h, crypto.h — no RFC)
//
// ip is 20 over an IPv4 underlay (the default) and 40 over IPv6. So, for a
// link MTU of 1500: PPPoE 1492 inside, MSS 1452 (IPv4) / 1432 (IPv6);
// WireGuard over IPv6 1420 → 1380 / 1360; ESP aes-cbc+sha1 over IPv4 is
// 20+8+16+15+2+12 = 73 → 1427, conservative 1347 / 1327; GRE 1476 → 1436 /
// 1416; VXLAN 1450 → 1410 / 1390. testdata/mss holds these and more.
//
// An encapsulation is written kind[,option...] (ParseEncap): the underlay
// ipv4 or ipv6, an ESP cipher, nat-t. 6in4 carries only IPv6; ipip over IPv4
// only IPv4 (IPv6 over IPv4 is 6in4).
package mss
