package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Permissions as firewalld's zone_writer gives them: directories 0750
// (os.mkdir(dirpath, 0o750)); a new file 0644 (Python's open() under the
// usual umask 022); an existing file keeps its mode, since firewalld
// rewrites it in place.
const (
	dirMode  fs.FileMode = 0o750
	fileMode fs.FileMode = 0o644
)

// tempPrefix names our temporary files for NAME.xml: ".NAME.xml.tmp...".
// They never end in ".xml", so neither Load nor firewalld reads them.
func tempPrefix(path string) string { return "." + filepath.Base(path) + ".tmp" }

// replaceFile puts data at path so that a crash at any moment leaves either
// the previous file or the new one there, complete: a temporary file in the
// same directory is written and synced, the previous file is copied to
// path.old (firewalld's backup), the temporary file is renamed over path,
// and the directory is synced.
func replaceFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := ensureDir(dir); err != nil {
		return err
	}
	removeTemps(path)
	mode := fileMode
	old, err := os.ReadFile(path)
	switch {
	case err == nil:
		fi, err := os.Stat(path)
		if err != nil {
			return err
		}
		mode = fi.Mode().Perm()
		if err := writeRename(path+".old", old, mode); err != nil {
			return fmt.Errorf("keeping the previous file: %w", err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	if err := writeRename(path, data, mode); err != nil {
		return err
	}
	return syncDir(dir)
}

// writeRename writes data to a synced temporary file beside path and
// renames it to path.
func writeRename(path string, data []byte, mode fs.FileMode) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), tempPrefix(path))
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(mode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// removeTemps deletes temporary files that an earlier save of path left
// behind when it crashed. Only path's own: another file may be being saved.
func removeTemps(path string) {
	dir := filepath.Dir(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, prefix := range []string{tempPrefix(path), tempPrefix(path + ".old")} {
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), prefix) && !e.IsDir() {
				os.Remove(filepath.Join(dir, e.Name()))
			}
		}
	}
}

// retireFile renames path to path.old, as firewalld removes a zone.
func retireFile(path string) error {
	if err := os.Rename(path, path+".old"); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// ensureDir creates dir and its missing parents with firewalld's mode,
// syncing each parent so that the new entries survive a crash.
func ensureDir(dir string) error {
	fi, err := os.Stat(dir)
	if err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s is not a directory", dir)
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := ensureDir(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, dirMode); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(parent)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}
