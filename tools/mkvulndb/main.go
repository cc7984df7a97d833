// Command mkvulndb builds a local Go vulnerability database that
// `govulncheck -db file://DIR` reads, offline, from the OSV entries that the
// golang.org/x/vulndb module carries under data/osv/. The module comes from
// the Go module proxy at a pinned version (checked against go.sum's
// checksum database like any module), because the usual database host
// cannot be reached from every machine that builds Carebook.
//
// The database layout is govulncheck's v1 schema:
//
//	DIR/ID/<id>.json         one OSV entry each
//	DIR/index/db.json        {"modified": newest entry}
//	DIR/index/modules.json   per module: its vulns (id, modified, last fix)
//	DIR/index/vulns.json     per vuln: id, modified, aliases
//
// Some entries of the module carry a zero modified or published date; they
// get the commit time of the pinned module version instead, so every date
// in the database is real and the database's own date is stable.
//
// Usage: mkvulndb -version v0.0.0-20261105234957-e22db6528018 -out DIR
// It writes DIR only when it is missing, so a second run costs nothing.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

const vulndbModule = "golang.org/x/vulndb"

func main() {
	version := flag.String("version", "", "the pinned version of "+vulndbModule)
	out := flag.String("out", "", "the database folder to create")
	src := flag.String("src", "", "read OSV entries from this folder instead of downloading the module (tests)")
	flag.Parse()
	if *version == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: mkvulndb -version VERSION -out DIR")
		os.Exit(2)
	}
	if _, err := os.Stat(filepath.Join(*out, "index", "modules.json")); err == nil {
		return // already built for this version
	}
	if err := run(*version, *src, *out); err != nil {
		fmt.Fprintln(os.Stderr, "mkvulndb:", err)
		os.Exit(1)
	}
}

func run(version, src, out string) error {
	commitTime, err := module.PseudoVersionTime(version)
	if err != nil {
		return fmt.Errorf("version %s: %w", version, err)
	}
	if src == "" {
		dir, err := download(version)
		if err != nil {
			return err
		}
		src = filepath.Join(dir, "data", "osv")
	}
	entries, err := readEntries(src, commitTime.UTC())
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return fmt.Errorf("no OSV entries in %s", src)
	}
	// Build next to the target and rename, so an interrupted run never
	// leaves a half database that a later run would take as done.
	tmp := out + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := write(tmp, entries); err != nil {
		return err
	}
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

// download fetches the module through the go command (module proxy and
// checksum database) and returns its folder in the module cache.
func download(version string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", vulndbModule+"@"+version)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %w: %s", vulndbModule, version, err, stderr.String())
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(b, &info); err != nil {
		return "", fmt.Errorf("go mod download: %w", err)
	}
	if info.Error != "" || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s: %s", vulndbModule, version, info.Error)
	}
	return info.Dir, nil
}

// entry is one OSV entry: the fields the index needs, and the whole JSON
// (with real dates) to write back.
type entry struct {
	ID       string
	Modified time.Time
	Aliases  []string
	Affected []affected
	raw      map[string]json.RawMessage
}

type affected struct {
	Package struct {
		Name string `json:"name"`
	} `json:"package"`
	Ranges []struct {
		Type   string `json:"type"`
		Events []struct {
			Introduced string `json:"introduced"`
			Fixed      string `json:"fixed"`
		} `json:"events"`
	} `json:"ranges"`
}

func readEntries(dir string, commitTime time.Time) ([]*entry, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	entries := make([]*entry, 0, len(names))
	for _, name := range names {
		e, err := readEntry(name, commitTime)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(name), err)
		}
		entries = append(entries, e)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].ID < entries[j].ID })
	return entries, nil
}

func readEntry(name string, commitTime time.Time) (*entry, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var fields struct {
		ID        string     `json:"id"`
		Modified  time.Time  `json:"modified"`
		Published time.Time  `json:"published"`
		Aliases   []string   `json:"aliases"`
		Affected  []affected `json:"affected"`
	}
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, err
	}
	if fields.ID == "" || filepath.Base(name) != fields.ID+".json" {
		return nil, errors.New("file name does not match the entry's id")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	published := fields.Published
	if published.IsZero() {
		published = commitTime
	}
	modified := fields.Modified
	if modified.IsZero() {
		modified = published
	}
	for key, t := range map[string]time.Time{"modified": modified, "published": published} {
		if raw[key], err = json.Marshal(t.UTC()); err != nil {
			return nil, err
		}
	}
	return &entry{ID: fields.ID, Modified: modified.UTC(), Aliases: fields.Aliases, Affected: fields.Affected, raw: raw}, nil
}

type moduleVuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Fixed    string    `json:"fixed,omitempty"`
}

type moduleMeta struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

type vulnMeta struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
}

func write(dir string, entries []*entry) error {
	for _, sub := range []string{"ID", "index"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
	}
	var newest time.Time
	modules := map[string]*moduleMeta{}
	vulns := make([]vulnMeta, 0, len(entries))
	for _, e := range entries {
		b, err := json.Marshal(e.raw)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "ID", e.ID+".json"), b, 0o644); err != nil {
			return err
		}
		if e.Modified.After(newest) {
			newest = e.Modified
		}
		vulns = append(vulns, vulnMeta{ID: e.ID, Modified: e.Modified, Aliases: e.Aliases})
		for _, a := range e.Affected {
			m := modules[a.Package.Name]
			if m == nil {
				m = &moduleMeta{Path: a.Package.Name, Vulns: []moduleVuln{}}
				modules[a.Package.Name] = m
			}
			m.Vulns = append(m.Vulns, moduleVuln{ID: e.ID, Modified: e.Modified, Fixed: lastFix(a)})
		}
	}
	paths := make([]string, 0, len(modules))
	for p := range modules {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	metas := make([]*moduleMeta, 0, len(paths))
	for _, p := range paths {
		metas = append(metas, modules[p])
	}
	for name, v := range map[string]any{
		"db.json": struct {
			Modified time.Time `json:"modified"`
		}{newest},
		"modules.json": metas,
		"vulns.json":   vulns,
	} {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "index", name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// lastFix is the newest version that fixes the vulnerability in a module,
// or "" when a later version brought it back (govulncheck then reads the
// entry's ranges). Versions are written without a "v", as in OSV.
func lastFix(a affected) string {
	var last string
	for _, r := range a.Ranges {
		if r.Type != "SEMVER" {
			continue
		}
		for _, ev := range r.Events {
			if ev.Fixed != "" && less(last, ev.Fixed) {
				last = ev.Fixed
			}
		}
		for _, ev := range r.Events {
			if ev.Introduced != "" && ev.Introduced != "0" && less(last, ev.Introduced) {
				last = ""
				break
			}
		}
	}
	return last
}

// less compares OSV versions ("1.2.3", no "v"); "" sorts first.
func less(a, b string) bool {
	return semver.Compare(canon(a), canon(b)) < 0
}

func canon(v string) string {
	if v == "" {
		return ""
	}
	return "v" + strings.TrimPrefix(v, "v")
}
