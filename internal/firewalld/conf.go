package firewalld

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// DefaultConf is where firewalld keeps its configuration.
const DefaultConf = "/etc/firewalld/firewalld.conf"

// ParseConf reads a firewalld.conf as firewalld does: KEY=VALUE
// lines, comments and blank lines ignored, the last setting of a key winning.
func ParseConf(r io.Reader) (map[string]string, error) {
	conf := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			conf[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return conf, nil
}

// ReadConf is ParseConf on a file; a missing file is an
// empty configuration.
func ReadConf(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	conf, err := ParseConf(f)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return conf, nil
}
