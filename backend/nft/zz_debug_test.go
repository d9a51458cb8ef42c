package nft

import (
	"fmt"
	"testing"
	"time"

	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
)

func TestZZDebugPhases(t *testing.T) {
	ns := systest.NewNS(t)
	rs := rulesetScale(100, 100, 0)
	for i := 0; i < 4; i++ {
		t0 := time.Now()
		p, err := newPlan(rs, false)
		if err != nil {
			t.Fatal(err)
		}
		t1 := time.Now()
		bt, _ := newBatch()
		if err := full(bt, p); err != nil {
			t.Fatal(err)
		}
		t2 := time.Now()
		msgs, _ := bt.messages()
		t3 := time.Now()
		tr, _ := dialNetlink(ns.FD(t))
		err = bt.commit(tr, msgs)
		t4 := time.Now()
		size := 0
		for _, m := range msgs {
			size += len(m.Data) + 16
		}
		fmt.Println("plan", t1.Sub(t0), "batch", t2.Sub(t1), "flush", t3.Sub(t2), "send", t4.Sub(t3), err, len(msgs), "msgs", size, "bytes")
		tr.close()
	}
}
