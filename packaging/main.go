// Command packaging writes mssclamp's .deb and .rpm packages (`make
// package`) with nfpm used as a library, from the trees `make install` laid
// out for each: DESTDIR=bin/pkgroot/deb and bin/pkgroot/rpm, with each
// distribution's directories. Everything under /etc is a conffile; man
// pages are compressed; the Debian package gets its copyright file and
// changelog. The maintainer scripts (scripts/) reload systemd and D-Bus but
// never enable or start the daemon.
//
// It is a Go module of its own so that nfpm and its dependencies stay out of
// the module the daemon is built from.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

func main() {
	var o options
	flag.StringVar(&o.describe, "version", "", "git describe --tags --always --dirty of the build")
	flag.StringVar(&o.debRoot, "deb", "", "the tree make install laid out for the .deb")
	flag.StringVar(&o.rpmRoot, "rpm", "", "the tree make install laid out for the .rpm")
	flag.StringVar(&o.out, "out", ".", "where to write the packages")
	flag.StringVar(&o.arch, "arch", runtime.GOARCH, "the binaries' GOARCH")
	flag.Parse()
	if o.describe == "" || o.debRoot == "" || o.rpmRoot == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	// Reproducible builds: the date of the commit, as SOURCE_DATE_EPOCH
	// (which nfpm also reads) says, else now.
	o.date = time.Now()
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			fmt.Fprintf(os.Stderr, "packaging: SOURCE_DATE_EPOCH=%q: %v\n", s, err)
			os.Exit(2)
		}
		o.date = time.Unix(n, 0).UTC()
	}
	paths, err := build(o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "packaging: %v\n", err)
		os.Exit(1)
	}
	for _, p := range paths {
		fmt.Println(p)
	}
}
