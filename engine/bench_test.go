package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/backend/nft"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
	"github.com/firewalld-mssclamp/mssclamp/store"
)

// BenchmarkAddRule is one runtime add with 1,000 rules present, through the
// engine and the real nftables backend in a namespace: the daemon's work for
// addRichRule without the D-Bus round trip. The rules are spread over five
// zones (400, 200, 200, 100, 100), most scoped to a source network.
func BenchmarkAddRule(b *testing.B) {
	systest.RequireRoot(b)
	ns := systest.NewNS(b)
	be, err := nft.New(nft.WithNetNS(ns.Path))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = be.Flush(context.Background()); be.Close() })
	dir := b.TempDir()
	sizes := []int{400, 200, 200, 100, 100}
	for z, n := range sizes {
		var x strings.Builder
		fmt.Fprintf(&x, "<zone>\n  <interface name=\"eth%d\"/>\n", z)
		for i := 0; i < n; i++ {
			fmt.Fprintf(&x, "  <rule family=\"ipv4\"><source address=\"10.%d.%d.0/24\"/><tcp-mss-clamp value=\"%d\"/></rule>\n", 100+z*2+i/256, i%256, 1300+i%150)
		}
		x.WriteString("</zone>\n")
		path := filepath.Join(dir, "zones", fmt.Sprintf("z%d.xml", z))
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(x.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	eng := New(Config{Backend: be, Store: store.Open(dir)})
	ctx := context.Background()
	if err := eng.Start(ctx, nil); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		rule := fmt.Sprintf("rule family=ipv4 source address=10.250.%d.%d tcp-mss-clamp value=1400", i/256%256, i%256)
		if _, err := eng.AddRule(ctx, firewalld.Scope{Name: "z0"}, rule, 0); err != nil {
			b.Fatal(err)
		}
	}
}
