package nft

import (
	"testing"
)

func BenchmarkZZBuild(b *testing.B) {
	rs := rulesetScale(100, 100, 0)
	for i := 0; i < b.N; i++ {
		p, _ := newPlan(rs, false)
		bt, _ := newBatch()
		full(bt, p)
		bt.messages()
	}
}
