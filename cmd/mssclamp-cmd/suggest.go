package main

import (
	"slices"
	"strings"

	"github.com/firewalld-mssclamp/mssclamp/mss"
)

// runSuggest is --suggest-mss: the MSS behind an encapsulation, with the
// arithmetic line by line and the rule to add (package mss). It asks no
// daemon. Everything that can go wrong is the command line's fault (a
// link MTU out of range or too small for the headers, an unknown
// encapsulation, a family the encapsulation cannot carry, an interface
// that does not exist), so it fails as a usage error, with status 2.
func runSuggest(o *options, p *printer) int {
	mtu := o.mtu
	if slices.Contains(o.suggestGiven, "--mtu-of") {
		var err error
		if mtu, err = mss.InterfaceMTU(o.mtuOf); err != nil {
			return p.usage(err.Error())
		}
	}
	enc, err := mss.ParseEncap(o.encap)
	if err != nil {
		return p.usage(err.Error())
	}
	results, err := mss.Suggest(mss.Request{LinkMTU: mtu, Encap: enc, Family: mss.Family(o.family), Conservative: o.conservative})
	if err != nil {
		return p.usage(err.Error())
	}
	if o.json {
		data, err := mss.JSON(results)
		if err != nil {
			return p.fail(err)
		}
		return p.exit(strings.TrimSuffix(string(data), "\n"), 0)
	}
	return p.exit(strings.TrimSuffix(mss.Text(results), "\n"), 0)
}
