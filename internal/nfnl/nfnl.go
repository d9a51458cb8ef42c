package nfnl

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Attributes decodes the attributes of an nf_tables message, after its
// nfgenmsg.
func Attributes(m netlink.Message) (*netlink.AttributeDecoder, error) {
	if len(m.Data) < 4 {
		return nil, errors.New("short nf_tables message")
	}
	return decoder(m.Data[4:])
}

func decoder(data []byte) (*netlink.AttributeDecoder, error) {
	ad, err := netlink.NewAttributeDecoder(data)
	if err != nil {
		return nil, err
	}
	ad.ByteOrder = binary.BigEndian
	return ad, nil
}

// Request is an nf_tables request of type typ about protocol family fam.
func Request(typ int, flags netlink.HeaderFlags, fam uint8, attrs []byte) netlink.Message {
	// struct nfgenmsg: family, version, resource id (big endian).
	data := append([]byte{fam, unix.NFNETLINK_V0, 0, 0}, attrs...)
	return netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | typ), Flags: netlink.Request | flags},
		Data:   data,
	}
}

// Exprs calls fn with the name and the data of each expression of a rule's
// NFTA_RULE_EXPRESSIONS attribute.
func Exprs(ad *netlink.AttributeDecoder, fn func(name string, data []byte)) {
	ad.Nested(func(list *netlink.AttributeDecoder) error {
		for list.Next() {
			if list.Type() != unix.NFTA_LIST_ELEM {
				continue
			}
			list.Nested(func(e *netlink.AttributeDecoder) error {
				var name string
				var data []byte
				for e.Next() {
					switch e.Type() {
					case unix.NFTA_EXPR_NAME:
						name = e.String()
					case unix.NFTA_EXPR_DATA:
						data = e.Bytes()
					}
				}
				fn(name, data)
				return nil
			})
		}
		return nil
	})
}

// ForAttrs calls fn for each attribute of data (an expression's data);
// data that does not decode has none.
func ForAttrs(data []byte, fn func(typ uint16, ad *netlink.AttributeDecoder)) {
	ad, err := decoder(data)
	if err != nil {
		return
	}
	for ad.Next() {
		fn(ad.Type(), ad)
	}
}

// Dial opens a netfilter netlink socket in the network namespace at path
// (e.g. /run/netns/NAME), or in the current one when path is "". No thread
// of the caller moves: the socket is opened there.
func Dial(netns string) (*netlink.Conn, error) {
	cfg := &netlink.Config{}
	if netns != "" {
		f, err := os.Open(netns)
		if err != nil {
			return nil, fmt.Errorf("opening network namespace %s: %w", netns, err)
		}
		defer f.Close()
		cfg.NetNS = int(f.Fd())
	}
	c, err := netlink.Dial(unix.NETLINK_NETFILTER, cfg)
	if err != nil {
		return nil, fmt.Errorf("opening a netfilter netlink socket: %w", err)
	}
	return c, nil
}
