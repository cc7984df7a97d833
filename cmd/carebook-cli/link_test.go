package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/carebook/carebook/sync/fhirapi/fhirtest"
)

// personServer is an open FHIR server holding one Patient.
func personServer(t *testing.T, id, name, birth string) *fhirtest.Server {
	t.Helper()
	srv := fhirtest.New(fhirtest.Features{Everything: true})
	t.Cleanup(srv.Close)
	family, given, _ := strings.Cut(name, " ")
	srv.Put(`{"resourceType":"Patient","id":"` + id + `","name":[{"family":"` + given + `","given":["` + family + `"]}],"birthDate":"` + birth + `"}`)
	srv.Put(`{"resourceType":"Condition","id":"c-` + id + `","subject":{"reference":"Patient/` + id + `"},"code":{"text":"Asthma"}}`)
	return srv
}

// profileIDs maps each practice's address to its profile's id.
func profileIDs(t *testing.T, dir string) map[string]string {
	t.Helper()
	code, out, errOut := cli(t, testPassphrase, "status", "--data", dir, "--json")
	if code != exitOK {
		t.Fatalf("status: %d %s", code, errOut)
	}
	var st []profileStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status = %s (%v)", out, err)
	}
	ids := map[string]string{}
	for _, p := range st {
		ids[p.Server] = p.ID
	}
	return ids
}

// TestLinkUnlink: two practices' records of Maya (same name and birth
// date) are offered for linking, linked on request, listed as linked, and
// unlinked; a record of someone born on another day is refused (exit 2),
// and a locked cache says so (exit 5).
func TestLinkUnlink(t *testing.T) {
	a := personServer(t, "pa", "Maya Rivera", "1988-04-12")
	b := personServer(t, "pb", "Maya Rivera", "1988-04-12")
	c := personServer(t, "pc", "Maya Rivera", "1990-01-01")
	dir := newCache(t)
	for _, s := range []struct {
		srv     *fhirtest.Server
		patient string
	}{{a, "pa"}, {b, "pb"}, {c, "pc"}} {
		if code, _, errOut := cli(t, testPassphrase, "connect", "--data", dir, "--server", s.srv.Base(), "--open", "--patient", s.patient); code != exitOK {
			t.Fatalf("connect %s: %d %s", s.patient, code, errOut)
		}
	}
	if code, _, errOut := cli(t, testPassphrase, "sync", "--data", dir); code != exitOK {
		t.Fatalf("sync: %d %s", code, errOut)
	}
	ids := profileIDs(t, dir)
	pa, pb, pc := ids[a.Base()], ids[b.Base()], ids[c.Base()]
	if pa == "" || pb == "" || pc == "" {
		t.Fatalf("profiles = %v", ids)
	}

	code, out, errOut := cli(t, testPassphrase, "link", "--data", dir)
	if code != exitOK {
		t.Fatalf("link (list): %d %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "offer\t") || !strings.Contains(lines[0], pa) || !strings.Contains(lines[0], pb) ||
		strings.Contains(lines[0], pc) || !strings.Contains(lines[0], "1988-04-12") {
		t.Fatalf("offers = %q, want one offer of %s and %s", out, pa, pb)
	}

	tests := []struct {
		name string
		pass string
		args []string
		want int
	}{
		{"born another day", testPassphrase, []string{"link", "--data", dir, "--profile", pa, "--with", pc}, exitUsage},
		{"itself", testPassphrase, []string{"link", "--data", dir, "--profile", pa, "--with", pa}, exitUsage},
		{"unknown profile", testPassphrase, []string{"link", "--data", dir, "--profile", pa, "--with", "nobody"}, exitUsage},
		{"one flag", testPassphrase, []string{"link", "--data", dir, "--profile", pa}, exitUsage},
		{"unlink without profile", testPassphrase, []string{"unlink", "--data", dir}, exitUsage},
		{"locked", "wrong passphrase", []string{"link", "--data", dir, "--profile", pa, "--with", pb}, exitLocked},
		{"unlink locked", "wrong passphrase", []string{"unlink", "--data", dir, "--profile", pa}, exitLocked},
		{"link", testPassphrase, []string{"link", "--data", dir, "--profile", pa, "--with", pb}, exitOK},
	}
	for _, tt := range tests {
		if code, _, errOut := cli(t, tt.pass, tt.args...); code != tt.want {
			t.Fatalf("%s: exit %d, want %d (%s)", tt.name, code, tt.want, errOut)
		}
	}

	_, out, _ = cli(t, testPassphrase, "link", "--data", dir)
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "linked\t") || !strings.Contains(lines[0], pa) || !strings.Contains(lines[0], pb) {
		t.Fatalf("after link = %q, want %s and %s linked and nothing offered", out, pa, pb)
	}

	if code, out, errOut := cli(t, testPassphrase, "unlink", "--data", dir, "--profile", pb); code != exitOK || !strings.Contains(out, pb) {
		t.Fatalf("unlink: %d %q %s", code, out, errOut)
	}
	if _, out, _ = cli(t, testPassphrase, "link", "--data", dir); strings.TrimSpace(out) != "" {
		t.Fatalf("after unlink = %q, want no link and no offer (the user said they differ)", out)
	}
}
