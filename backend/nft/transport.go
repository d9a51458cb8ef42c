package nft

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/mdlayher/netlink"
	"github.com/mdlayher/netlink/nltest"
	"golang.org/x/sys/unix"

	"github.com/firewalld-mssclamp/mssclamp/internal/nfnl"
)

// transport carries our netlink messages to nf_tables. The batch is sent by
// this package itself, not by nftables.Conn.Flush, for three reasons: Flush
// asks for an acknowledgement of every message (tens of thousands of
// replies for a large ruleset, which overrun the socket's receive buffer),
// it cannot send a batch larger than the default socket buffer, and it
// joins the kernel's errors without saying which message failed.
type transport interface {
	// execute sends one request and returns its replies (all parts of a dump).
	execute(m netlink.Message) ([]netlink.Message, error)
	// exchange sends one batch and returns the replies read until stop
	// reports the last one expected.
	exchange(msgs []netlink.Message, stop func(netlink.Message) bool) ([]netlink.Message, error)
	close() error
}

// replyTimeout bounds the wait for the kernel's replies to a batch, which
// in practice are all queued before the send returns.
const replyTimeout = 30 * time.Second

// nlTransport is a real netlink socket, in the namespace of netns if set.
type nlTransport struct {
	c *netlink.Conn
}

func dialNetlink(netns string) (*nlTransport, error) {
	c, err := nfnl.Dial(netns)
	if err != nil {
		return nil, err
	}
	// Errors carry the kernel's message.
	if err := c.SetOption(netlink.ExtendedAcknowledge, true); err != nil {
		c.Close()
		return nil, fmt.Errorf("configuring the netlink socket: %w", err)
	}
	return &nlTransport{c: c}, nil
}

func (t *nlTransport) execute(m netlink.Message) ([]netlink.Message, error) {
	return t.c.Execute(m)
}

func (t *nlTransport) close() error { return t.c.Close() }

func (t *nlTransport) exchange(msgs []netlink.Message, stop func(netlink.Message) bool) ([]netlink.Message, error) {
	size := 0
	for _, m := range msgs {
		size += nlmsgAlign(unix.NLMSG_HDRLEN + len(m.Data))
	}
	rc, err := t.c.SyscallConn()
	if err != nil {
		return nil, err
	}
	// One batch is one send; the kernel refuses a send larger than the
	// socket's send buffer, so make room (as nft does).
	if size > 1<<17 {
		var serr error
		if err := rc.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, size+1<<16)
			if serr != nil {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF, size+1<<16)
			}
		}); err != nil {
			return nil, err
		}
		if serr != nil {
			return nil, fmt.Errorf("growing the socket's send buffer to %d bytes: %w", size, serr)
		}
	}
	// An error for a large message would otherwise carry a copy of it.
	// (Only here: the netlink package cannot parse capped errors.)
	if err := t.c.SetOption(netlink.CapAcknowledge, true); err != nil {
		return nil, err
	}
	defer t.c.SetOption(netlink.CapAcknowledge, false)
	// One buffer, one send: the kernel takes a batch from a single send.
	wire := make([]byte, 0, size)
	for _, m := range msgs {
		wire = binary.NativeEndian.AppendUint32(wire, uint32(unix.NLMSG_HDRLEN+len(m.Data)))
		wire = binary.NativeEndian.AppendUint16(wire, uint16(m.Header.Type))
		wire = binary.NativeEndian.AppendUint16(wire, uint16(m.Header.Flags))
		wire = binary.NativeEndian.AppendUint32(wire, m.Header.Sequence)
		wire = binary.NativeEndian.AppendUint32(wire, m.Header.PID)
		wire = append(wire, m.Data...)
		for len(wire)%unix.NLMSG_ALIGNTO != 0 {
			wire = append(wire, 0)
		}
	}
	var serr error
	if err := rc.Write(func(fd uintptr) bool {
		serr = unix.Sendto(int(fd), wire, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
		return serr != unix.EAGAIN
	}); err != nil {
		return nil, fmt.Errorf("sending the batch: %w", err)
	}
	if serr != nil {
		return nil, fmt.Errorf("sending the batch: %w", serr)
	}
	if err := t.c.SetReadDeadline(time.Now().Add(replyTimeout)); err != nil {
		return nil, err
	}
	defer t.c.SetReadDeadline(time.Time{})
	buf := make([]byte, 1<<16)
	var out []netlink.Message
	for {
		var n int
		var rerr error
		if err := rc.Read(func(fd uintptr) bool {
			n, _, rerr = unix.Recvfrom(int(fd), buf, 0)
			return rerr != unix.EAGAIN
		}); err != nil {
			return out, fmt.Errorf("reading the kernel's replies: %w", err)
		}
		if rerr != nil {
			return out, fmt.Errorf("reading the kernel's replies: %w", rerr)
		}
		parsed, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return out, fmt.Errorf("parsing the kernel's replies: %w", err)
		}
		for _, p := range parsed {
			m := netlink.Message{Header: netlink.Header{
				Length: p.Header.Len, Type: netlink.HeaderType(p.Header.Type),
				Flags: netlink.HeaderFlags(p.Header.Flags), Sequence: p.Header.Seq, PID: p.Header.Pid,
			}, Data: append([]byte(nil), p.Data...)}
			out = append(out, m)
			if stop(m) {
				return out, nil
			}
		}
	}
}

func nlmsgAlign(n int) int { return (n + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1) }

// funcTransport hands every message to a test function standing in for the
// kernel (nftables.WithTestDial's nltest.Func).
type funcTransport struct{ fn nltest.Func }

func (t funcTransport) execute(m netlink.Message) ([]netlink.Message, error) {
	replies, err := t.fn([]netlink.Message{m})
	if err != nil {
		return nil, err
	}
	var out []netlink.Message
	for _, r := range replies {
		switch r.Header.Type {
		case netlink.Error:
			if a, ok := parseAck(r); ok && a.errno != 0 {
				return nil, a.errno
			}
		case netlink.Done:
		default:
			out = append(out, r)
		}
	}
	return out, nil
}

func (t funcTransport) exchange(msgs []netlink.Message, _ func(netlink.Message) bool) ([]netlink.Message, error) {
	return t.fn(msgs)
}

func (funcTransport) close() error { return nil }

// ack is a parsed NLMSG_ERROR reply: the errno (0 for an acknowledgement),
// the sequence number of the message it answers, and the kernel's text.
type ack struct {
	errno unix.Errno
	seq   uint32
	msg   string
}

func parseAck(m netlink.Message) (ack, bool) {
	const hdr = 4 + unix.NLMSG_HDRLEN // errno, then the request's header
	if m.Header.Type != netlink.Error || len(m.Data) < hdr {
		return ack{}, false
	}
	a := ack{
		errno: unix.Errno(-int32(binary.NativeEndian.Uint32(m.Data[:4]))),
		seq:   binary.NativeEndian.Uint32(m.Data[4+8 : 4+12]),
	}
	if m.Header.Flags&netlink.AcknowledgeTLVs == 0 {
		return a, true
	}
	rest := m.Data[hdr:]
	if m.Header.Flags&netlink.Capped == 0 {
		// Not capped: the whole request follows its header.
		l := int(binary.NativeEndian.Uint32(m.Data[4:8]))
		if l < unix.NLMSG_HDRLEN || 4+l > len(m.Data) {
			return a, true
		}
		rest = m.Data[4+nlmsgAlign(l):]
	}
	if ad, err := netlink.NewAttributeDecoder(rest); err == nil {
		for ad.Next() {
			if ad.Type() == unix.NLMSGERR_ATTR_MSG {
				a.msg = ad.String()
			}
		}
	}
	return a, true
}

var errNoReply = errors.New("the kernel did not answer the batch")
