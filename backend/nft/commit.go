package nft

import (
	"errors"
	"fmt"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// batchSeq numbers the batch begin message; the messages follow it. Replies
// are matched by these numbers only within one batch.
const batchSeq = 1

// errUncertain marks a failure after which we cannot tell whether the
// kernel committed the batch.
type errUncertain struct{ err error }

func (e *errUncertain) Error() string {
	return "cannot tell whether the kernel applied the batch: " + e.err.Error()
}
func (e *errUncertain) Unwrap() error { return e.err }

// send commits the batch through t as one transaction: the kernel applies
// all of it or, on any error, none of it. Only the last message asks for an
// acknowledgement; the kernel reports every failing message anyway, in
// order, before that acknowledgement. (One reply per message would overrun
// the socket's receive buffer for a large ruleset.)
func (b *batch) send(t transport) error {
	msgs, err := b.messages()
	if err != nil || len(msgs) == 0 {
		return err
	}
	all := make([]netlink.Message, 0, len(msgs)+2)
	all = append(all, netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(unix.NFNL_MSG_BATCH_BEGIN), Flags: netlink.Request, Sequence: batchSeq},
		Data:   nfgenmsg(unix.AF_UNSPEC, unix.NFNL_SUBSYS_NFTABLES),
	})
	last := uint32(batchSeq + len(msgs))
	for i, m := range msgs {
		m.Header.Sequence = uint32(batchSeq + 1 + i)
		m.Header.PID = 0
		// nftables.Conn asks for both an acknowledgement and a copy of
		// each new rule.
		m.Header.Flags &^= netlink.Acknowledge | netlink.Echo
		if m.Header.Sequence == last {
			m.Header.Flags |= netlink.Acknowledge
		}
		all = append(all, m)
	}
	all = append(all, netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(unix.NFNL_MSG_BATCH_END), Flags: netlink.Request, Sequence: last + 1},
		Data:   nfgenmsg(unix.AF_UNSPEC, unix.NFNL_SUBSYS_NFTABLES),
	})
	replies, xerr := t.exchange(all, func(m netlink.Message) bool {
		a, ok := parseAck(m)
		return ok && (a.seq == last || a.seq == batchSeq && a.errno != 0)
	})
	var failed []ack
	acked := false
	for _, r := range replies {
		a, ok := parseAck(r)
		switch {
		case !ok:
		case a.errno != 0:
			failed = append(failed, a)
		case a.seq == last:
			acked = true
		}
	}
	switch {
	case len(failed) > 0:
		return b.kernelError(failed)
	case xerr != nil:
		return &errUncertain{xerr}
	case !acked:
		return &errUncertain{errNoReply}
	}
	return nil
}

// kernelError names the first message the kernel refused; later errors
// are often its consequences.
func (b *batch) kernelError(failed []ack) error {
	a := failed[0]
	what := "committing the batch"
	if i := int(a.seq) - batchSeq - 1; i >= 0 && i < len(b.labels) {
		what = b.labels[i].String()
	}
	detail := ""
	if a.msg != "" {
		detail = " (" + a.msg + ")"
	}
	if n := len(failed) - 1; n > 0 {
		detail += fmt.Sprintf(" (and %d more errors)", n)
	}
	return fmt.Errorf("%s: %w%s", what, a.errno, detail)
}

// isUncertain reports whether err leaves the kernel's state unknown.
func isUncertain(err error) bool {
	var u *errUncertain
	return errors.As(err, &u)
}

func nfgenmsg(family uint8, resID uint16) []byte {
	return []byte{family, unix.NFNETLINK_V0, byte(resID >> 8), byte(resID)}
}
