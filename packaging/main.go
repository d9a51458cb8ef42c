// Command packaging writes mssclamp's .deb and .rpm (`make package`) from
// nfpm.yaml, nfpm's own declarative configuration, with nfpm used as a
// library: it derives the packages' version from git describe (version.go),
// writes what only exists at build time — the compressed man pages and
// README, Debian's changelog — into bin/pkgroot, and packs both formats
// into bin/.
//
// It is a Go module of its own so that nfpm and its dependencies stay out of
// the module the daemon is built from.
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the packagers
	_ "github.com/goreleaser/nfpm/v2/rpm"
)

func main() {
	describe := flag.String("version", "", "git describe --tags --always --dirty of the build")
	root := flag.String("root", "..", "the repository, which nfpm.yaml's paths are relative to")
	flag.Parse()
	if *describe == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*describe, *root); err != nil {
		fmt.Fprintf(os.Stderr, "packaging: %v\n", err)
		os.Exit(1)
	}
}

func run(describe, root string) error {
	config, err := filepath.Abs("nfpm.yaml")
	if err != nil {
		return err
	}
	if err := os.Chdir(root); err != nil {
		return err
	}
	// Reproducible builds: the date of the commit, as SOURCE_DATE_EPOCH
	// (which nfpm reads too) says, else now.
	date := time.Now()
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH=%q: %w", s, err)
		}
		date = time.Unix(n, 0).UTC()
	}
	version, err := packageVersion(describe, date)
	if err != nil {
		return err
	}
	c, err := nfpm.ParseFileWithEnvMapping(config, func(name string) string {
		return map[string]string{"VERSION": version, "ARCH": runtime.GOARCH}[name]
	})
	if err != nil {
		return err
	}
	if err := buildFiles(c.Maintainer, c.Homepage, version, describe, date); err != nil {
		return err
	}
	for _, format := range []string{"deb", "rpm"} {
		info, err := c.Get(format)
		if err != nil {
			return err
		}
		info = nfpm.WithDefaults(info)
		if err := nfpm.Validate(info); err != nil {
			return fmt.Errorf("%s: %w", format, err)
		}
		packager, err := nfpm.Get(format)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		if err := packager.Package(info, &b); err != nil {
			return fmt.Errorf("%s: %w", format, err)
		}
		path := filepath.Join("bin", packager.ConventionalFileName(info))
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			return err
		}
		fmt.Println(path)
	}
	return nil
}

// buildFiles writes into bin/pkgroot the files nfpm.yaml packs that are
// made at build time, compressed as `gzip -9n` does (no name, no time, so
// that the same input makes the same file): the man pages, the README for
// Debian's /usr/share/doc (as dh_compress does), and Debian's changelog.gz
// (a native package's, pointing at the git history).
func buildFiles(maintainer, homepage, version, describe string, date time.Time) error {
	changelog := fmt.Sprintf("mssclamp (%s) unstable; urgency=medium\n\n"+
		"  * Built from git %s; the history is in the git repository,\n"+
		"    %s.\n\n -- %s  %s\n",
		version, describe, homepage, maintainer, date.UTC().Format(time.RFC1123Z))
	files := map[string][]byte{"changelog.gz": []byte(changelog)}
	for _, src := range []string{"dist/man/mssclamp-cmd.1", "dist/man/mssclamp.xml.5", "dist/man/mssclampd.8", "README.md"} {
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		files[filepath.Base(src)+".gz"] = data
	}
	if err := os.MkdirAll("bin/pkgroot", 0o755); err != nil {
		return err
	}
	for name, data := range files {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		zw.Write(data)
		if err := zw.Close(); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join("bin/pkgroot", name), b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}
