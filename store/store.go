package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

// DefaultDir is the configuration directory of the daemon: beside
// firewalld's own files, never among them.
const DefaultDir = "/etc/firewalld/mssclamp"

// Sub-directories of the configuration directory, as in /etc/firewalld.
const (
	zonesDir    = "zones"
	policiesDir = "policies"
	fileSuffix  = ".xml"
)

// Zone is the permanent configuration of one zone.
type Zone struct {
	// Name comes from the file name (NAME.xml), as in firewalld.
	Name               string
	Short, Description string
	// Interfaces and Sources bind the zone when running without firewalld;
	// with firewalld the bindings are firewalld's. Sources are in
	// firewalld's spelling: an address or network, a MAC address, or
	// "ipset:NAME".
	Interfaces []string
	Sources    []string
	Rules      []*richrule.Rule
}

// Policy is the permanent configuration of one policy.
type Policy struct {
	Name               string
	Short, Description string
	// Priority is firewalld's policy priority: -32768..32767 except 0;
	// firewalld's default is -1 (DefaultPriority).
	Priority int
	// Ingress and Egress are zone names, "ANY" or "HOST"; used when running
	// without firewalld (with firewalld they come from firewalld).
	Ingress, Egress []string
	Rules           []*richrule.Rule
}

// DefaultPriority is firewalld's priority of a policy that names none.
const DefaultPriority = firewalld.DefaultPriority

// Config is everything the directory holds, each list sorted by name.
type Config struct {
	Zones    []*Zone
	Policies []*Policy
}

// Topology is the world without firewalld: the zones and policies of the
// configuration, and the default zone, which always exists.
func (c *Config) Topology(defaultZone string) *firewalld.Topology {
	t := &firewalld.Topology{DefaultZone: defaultZone}
	for _, z := range c.Zones {
		t.Zones = append(t.Zones, firewalld.Zone{Name: z.Name, Interfaces: z.Interfaces, Sources: z.Sources})
	}
	if !t.Has(firewalld.ZoneScope(defaultZone)) {
		t.Zones = append(t.Zones, firewalld.Zone{Name: defaultZone})
	}
	for _, p := range c.Policies {
		t.Policies = append(t.Policies, firewalld.Policy{Name: p.Name, Priority: p.Priority, Ingress: p.Ingress, Egress: p.Egress})
	}
	return t
}

// Rules are the rules of every zone and policy.
func (c *Config) Rules() map[firewalld.Scope][]*richrule.Rule {
	out := map[firewalld.Scope][]*richrule.Rule{}
	for _, z := range c.Zones {
		out[firewalld.ZoneScope(z.Name)] = z.Rules
	}
	for _, p := range c.Policies {
		out[firewalld.PolicyScope(p.Name)] = p.Rules
	}
	return out
}

// FileError is a problem with one file (or directory) of the store. A file
// with any problem is left out of the Config: nothing of it is used.
type FileError struct {
	Path string
	// Line and Column (1-based, Column in bytes) locate the problem in the
	// file; 0 when it concerns the whole file.
	Line, Column int
	Err          error
}

func (e *FileError) Error() string {
	switch {
	case e.Line == 0:
		return e.Path + ": " + e.Err.Error()
	case e.Column == 0:
		return e.Path + ":" + strconv.Itoa(e.Line) + ": " + e.Err.Error()
	}
	return e.Path + ":" + strconv.Itoa(e.Line) + ":" + strconv.Itoa(e.Column) + ": " + e.Err.Error()
}

func (e *FileError) Unwrap() error { return e.Err }

// Store reads and writes the files under one configuration directory. It
// holds no state besides the path; see doc.go about concurrent use.
type Store struct {
	dir string
}

// Open returns the store for dir; nothing is read or created until used.
func Open(dir string) *Store { return &Store{dir: dir} }

// Dir is the configuration directory.
func (s *Store) Dir() string { return s.dir }

func (s *Store) zonePath(name string) string {
	return filepath.Join(s.dir, zonesDir, name+fileSuffix)
}

func (s *Store) policyPath(name string) string {
	return filepath.Join(s.dir, policiesDir, name+fileSuffix)
}

// Load reads every zone and policy file. Each file with a problem is
// reported (every problem found in it) and left out; the others load. A
// missing directory is an empty configuration.
func (s *Store) Load() (*Config, []*FileError) {
	cfg := &Config{}
	var errs []*FileError
	for _, path := range s.files(zonesDir, &errs) {
		z, fes := readZone(path)
		if fes != nil {
			errs = append(errs, fes...)
			continue
		}
		cfg.Zones = append(cfg.Zones, z)
	}
	for _, path := range s.files(policiesDir, &errs) {
		p, fes := readPolicy(path)
		if fes != nil {
			errs = append(errs, fes...)
			continue
		}
		cfg.Policies = append(cfg.Policies, p)
	}
	slices.SortFunc(cfg.Zones, func(a, b *Zone) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(cfg.Policies, func(a, b *Policy) int { return strings.Compare(a.Name, b.Name) })
	return cfg, errs
}

// files lists the NAME.xml files of one sub-directory, as firewalld does:
// other names (NAME.xml.old, our temporary files) and directories are not
// configuration.
func (s *Store) files(sub string, errs *[]*FileError) []string {
	dir := filepath.Join(s.dir, sub)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		*errs = append(*errs, &FileError{Path: dir, Err: err})
	}
	var paths []string
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), fileSuffix) {
			continue
		}
		paths = append(paths, filepath.Join(dir, e.Name()))
	}
	return paths
}

// LoadZone reads one zone file. A missing file is an error wrapping
// fs.ErrNotExist; otherwise the error is a *FileError, or an errors.Join
// of several when the file has several problems.
func (s *Store) LoadZone(name string) (*Zone, error) {
	if err := firewalld.ValidZoneName(name); err != nil {
		return nil, fmt.Errorf("loading zone %q: %w", name, err)
	}
	z, fes := readZone(s.zonePath(name))
	if fes != nil {
		return nil, joinFileErrors(fes)
	}
	return z, nil
}

// LoadPolicy reads one policy file; errors as for LoadZone.
func (s *Store) LoadPolicy(name string) (*Policy, error) {
	if err := firewalld.ValidPolicyName(name); err != nil {
		return nil, fmt.Errorf("loading policy %q: %w", name, err)
	}
	p, fes := readPolicy(s.policyPath(name))
	if fes != nil {
		return nil, joinFileErrors(fes)
	}
	return p, nil
}

func joinFileErrors(fes []*FileError) error {
	if len(fes) == 1 {
		return fes[0]
	}
	errs := make([]error, len(fes))
	for i, fe := range fes {
		errs[i] = fe
	}
	return errors.Join(errs...)
}

// SaveZone checks z and replaces its file atomically, keeping the previous
// file as NAME.xml.old.
func (s *Store) SaveZone(z *Zone) error {
	data, err := encodeZone(z)
	return s.save("zone", z.Name, s.zonePath, data, err)
}

// SavePolicy checks p and replaces its file atomically, keeping the previous
// file as NAME.xml.old.
func (s *Store) SavePolicy(p *Policy) error {
	data, err := encodePolicy(p)
	return s.save("policy", p.Name, s.policyPath, data, err)
}

func (s *Store) save(kind, name string, path func(string) string, data []byte, err error) error {
	if err == nil {
		err = replaceFile(path(name), data)
	}
	if err != nil {
		return fmt.Errorf("saving %s %q: %w", kind, name, err)
	}
	return nil
}

// RemoveZone removes a zone's file, keeping it as NAME.xml.old as firewalld
// does. A missing file is an error wrapping fs.ErrNotExist.
func (s *Store) RemoveZone(name string) error {
	return s.remove("zone", name, firewalld.ValidZoneName, s.zonePath)
}

// RemovePolicy removes a policy's file, keeping it as NAME.xml.old.
func (s *Store) RemovePolicy(name string) error {
	return s.remove("policy", name, firewalld.ValidPolicyName, s.policyPath)
}

func (s *Store) remove(kind, name string, valid func(string) error, path func(string) string) error {
	err := valid(name)
	if err == nil {
		err = retireFile(path(name))
	}
	if err != nil {
		return fmt.Errorf("removing %s %q: %w", kind, name, err)
	}
	return nil
}
