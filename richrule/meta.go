package richrule

import "github.com/firewalld-mssclamp/mssclamp/internal/firewalld"

// meta is what a Rule does not hold but the check needs: where each part
// was written (for error positions) and the values as written where the
// typed Rule keeps a normalised form (limit rates, the clamp value), so
// that an invalid value fails at the point firewalld's check() fails it,
// with its text. A Rule built in Go has no meta.
type meta struct {
	in   *input // parse: maps offsets to columns; nil for XML
	pos  [nSlots]pos
	tags *[nSlots]string // XML: the element each slot was read from

	mss    string // clamp value as written; "" = none given
	hasMSS bool

	limits []rawLimit

	// Attributes firewalld 1.3.3 leaves as None, which crash its check
	// (port) or print as "None" (messages).
	noPort, noProto, noSet bool
}

// pos is a place in the source: an offset+1 into the cleaned rule text
// (line 0), or a line and column of an XML document. Zero: unknown.
type pos struct{ line, col int32 }

// rawLimit is a limit as written: value after firewalld's unit-word
// normalisation ("1/minute" -> "1/m"), burst as written.
type rawLimit struct {
	l        *Limit
	value    string
	burst    string
	hasBurst bool
	at       pos // of value=
	burstAt  pos
}

type slot uint8

const (
	slotRule slot = iota
	slotPriority
	slotSource
	slotSrcAddr
	slotSrcMAC
	slotSrcIPSet
	slotDest
	slotDstAddr
	slotDstIPSet
	slotElement
	slotElemName // name=, value= or port=
	slotElemProto
	slotToPort
	slotToAddr
	slotLog
	slotLogPrefix
	slotLogLevel // level= or group=
	slotLogQueue
	slotAudit
	slotAction
	slotActionAttr // type= or set=
	nSlots
)

func (m *meta) set(s slot, off int) {
	if m != nil {
		m.pos[s] = pos{col: int32(off + 1)}
	}
}

func (m *meta) raw(l *Limit) *rawLimit {
	if m == nil || l == nil {
		return nil
	}
	for i := range m.limits {
		if m.limits[i].l == l {
			return &m.limits[i]
		}
	}
	return nil
}

// locate fills e's position from the first known slot.
func (m *meta) locate(e *firewalld.Error, slots ...slot) *firewalld.Error {
	if m == nil {
		return e
	}
	for _, s := range slots {
		if p := m.pos[s]; p.col != 0 {
			m.place(e, p)
			if m.tags != nil && m.tags[s] != "" {
				e.Construct = "<" + m.tags[s] + "> " + e.Construct
			}
			break
		}
	}
	return e
}

func (m *meta) place(e *firewalld.Error, p pos) {
	switch {
	case p.line != 0:
		e.Line, e.Column = int(p.line), int(p.col)
	case m.in != nil:
		e.Column = m.in.column(int(p.col) - 1)
	}
}
