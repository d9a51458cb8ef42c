package main

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/goreleaser/nfpm/v2/files"
)

// What the .deb has besides the tree: see addDebianDocs.
var (
	//go:embed debian/copyright
	debianCopyright string
	//go:embed debian/lintian-overrides
	lintianOverrides string
)

// treeContents lists the files of a tree make install laid out, as the
// package installs them: modes as laid out, owned by root, dated date.
// Man pages are compressed first (in the tree, a scratch copy), as both
// distributions ship them. Files under /etc are conffiles the package
// manager never overwrites once changed. In the .rpm, documentation and
// the licence are marked so, and the package's own directories are its.
func treeContents(root string, date time.Time) (files.Contents, error) {
	if err := gzipManPages(root); err != nil {
		return nil, err
	}
	rpmTree := filepath.Base(root) == "rpm"
	var contents files.Contents
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == root {
			return err
		}
		dst := "/" + filepath.ToSlash(strings.TrimPrefix(path, root+string(filepath.Separator)))
		info, err := d.Info()
		if err != nil {
			return err
		}
		fi := &files.ContentFileInfo{Owner: "root", Group: "root", Mode: info.Mode().Perm(), MTime: date}
		switch {
		case d.IsDir():
			// Shared directories (/usr/bin, /etc) belong to the system.
			if rpmTree && strings.Contains(dst, "mssclamp") {
				contents = append(contents, &files.Content{Destination: dst, Type: files.TypeDir, FileInfo: fi})
			}
			return nil
		case !info.Mode().IsRegular():
			return fmt.Errorf("%s: only regular files and directories are packaged", path)
		}
		c := &files.Content{Source: path, Destination: dst, FileInfo: fi}
		switch {
		case strings.HasPrefix(dst, "/etc/"):
			c.Type = files.TypeConfigNoReplace
		case rpmTree && strings.HasPrefix(dst, "/usr/share/licenses/"):
			c.Type = files.TypeRPMLicense
		case rpmTree && strings.HasPrefix(dst, "/usr/share/doc/"):
			c.Type = files.TypeRPMDoc
		}
		contents = append(contents, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", root, err)
	}
	return contents, nil
}

// gzipManPages replaces each man page under root by its gzip'd file.
func gzipManPages(root string) error {
	return filepath.WalkDir(filepath.Join(root, "usr/share/man"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, ".gz") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := writeGzip(path+".gz", data); err != nil {
			return err
		}
		return os.Remove(path)
	})
}

// writeGzip writes data compressed as `gzip -9n` does: no name, no time, so
// that the same input makes the same file.
func writeGzip(path string, data []byte) error {
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(data); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// addDebianDocs writes what Debian's policy wants in every package's
// /usr/share/doc: the machine-readable copyright file and, this being a
// native package (no Debian revision), changelog.gz in Debian's format;
// documentation is compressed, as dh_compress does. It adds lintian's
// overrides too.
func addDebianDocs(root, version, describe string, date time.Time) error {
	dir := filepath.Join(root, "usr/share/doc/mssclamp")
	overrides := filepath.Join(root, "usr/share/lintian/overrides")
	for _, d := range []string{dir, overrides} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "copyright"), []byte(debianCopyright), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(overrides, "mssclamp"), []byte(lintianOverrides), 0o644); err != nil {
		return err
	}
	readme := filepath.Join(dir, "README.md")
	data, err := os.ReadFile(readme)
	if err != nil {
		return err
	}
	if err := writeGzip(readme+".gz", data); err != nil {
		return err
	}
	if err := os.Remove(readme); err != nil {
		return err
	}
	changelog := fmt.Sprintf("mssclamp (%s) unstable; urgency=medium\n\n"+
		"  * Built from git %s; the history is in the git repository,\n"+
		"    %s.\n\n -- %s  %s\n",
		version, describe, homepage, maintainer, date.UTC().Format(time.RFC1123Z))
	return writeGzip(filepath.Join(dir, "changelog.gz"), []byte(changelog))
}
