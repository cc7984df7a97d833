package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

const testVersion = "v0.0.0-20261105234957-e22db6528018"

// An entry as some of the module carries it: zero dates.
const zeroDates = `{
  "schema_version": "1.3.1",
  "id": "GO-2026-0002",
  "modified": "0001-01-01T00:00:00Z",
  "published": "0001-01-01T00:00:00Z",
  "aliases": ["CVE-2026-2"],
  "affected": [{
    "package": {"name": "example.com/b", "ecosystem": "Go"},
    "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.2.0"}, {"introduced": "1.3.0"}, {"fixed": "1.4.1"}]}],
    "ecosystem_specific": {"imports": [{"path": "example.com/b", "symbols": ["F"]}]}
  }]
}`

const reintroduced = `{
  "id": "GO-2026-0001",
  "modified": "2026-03-01T10:00:00Z",
  "published": "2026-02-01T10:00:00Z",
  "affected": [
    {"package": {"name": "example.com/a"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.5.0"}, {"introduced": "0.9.0"}]}]},
    {"package": {"name": "example.com/b"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.0.0-20250101000000-abcdefabcdef"}]}]}
  ]
}`

func TestBuildDatabase(t *testing.T) {
	src := t.TempDir()
	for name, body := range map[string]string{"GO-2026-0001.json": reintroduced, "GO-2026-0002.json": zeroDates} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "db")
	if err := run(testVersion, src, out); err != nil {
		t.Fatal(err)
	}
	commit := time.Date(2026, 11, 5, 23, 49, 57, 0, time.UTC)

	var db struct{ Modified time.Time }
	readJSON(t, filepath.Join(out, "index", "db.json"), &db)
	if !db.Modified.Equal(commit) {
		t.Errorf("db modified = %v, want the newest entry's date %v", db.Modified, commit)
	}

	var modules []moduleMeta
	readJSON(t, filepath.Join(out, "index", "modules.json"), &modules)
	want := []moduleMeta{
		{Path: "example.com/a", Vulns: []moduleVuln{{ID: "GO-2026-0001", Modified: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}}},
		{Path: "example.com/b", Vulns: []moduleVuln{
			{ID: "GO-2026-0001", Modified: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), Fixed: "0.0.0-20250101000000-abcdefabcdef"},
			{ID: "GO-2026-0002", Modified: commit, Fixed: "1.4.1"},
		}},
	}
	if got, _ := json.Marshal(modules); string(got) != mustJSON(t, want) {
		t.Errorf("modules.json =\n%s\nwant\n%s", got, mustJSON(t, want))
	}

	var vulns []vulnMeta
	readJSON(t, filepath.Join(out, "index", "vulns.json"), &vulns)
	if len(vulns) != 2 || vulns[1].ID != "GO-2026-0002" || !vulns[1].Modified.Equal(commit) || len(vulns[1].Aliases) != 1 {
		t.Errorf("vulns.json = %+v", vulns)
	}

	// The entry is written whole, with real dates in place of zero ones.
	var e map[string]any
	readJSON(t, filepath.Join(out, "ID", "GO-2026-0002.json"), &e)
	if e["modified"] != "2026-11-05T23:49:57Z" || e["published"] != "2026-11-05T23:49:57Z" {
		t.Errorf("dates = %v, %v; want the module's commit time", e["modified"], e["published"])
	}
	if e["schema_version"] != "1.3.1" || e["affected"] == nil {
		t.Errorf("entry lost fields: %v", e)
	}
}

func TestMismatchedFileNameRefused(t *testing.T) {
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "GO-2026-9999.json"), []byte(reintroduced), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "db")
	if err := run(testVersion, src, out); err == nil {
		t.Fatal("an entry under another id's name was accepted")
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed build left %s behind (err %v)", out, err)
	}
}

func readJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
