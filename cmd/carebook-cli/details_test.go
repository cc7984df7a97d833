package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func readDetails(t *testing.T, dir string) detailsJSON {
	t.Helper()
	code, out, errOut := cli(t, testPassphrase, "details", "--data", dir, "--json")
	if code != exitOK {
		t.Fatalf("details: %d %s", code, errOut)
	}
	var d detailsJSON
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("details --json: %v\n%s", err, out)
	}
	return d
}

func detailOf(d detailsJSON, key string) detailJSON {
	for _, f := range d.Details {
		if f.Key == key {
			return f
		}
	}
	return detailJSON{}
}

// TestDetailsCommand runs `details` against the reference practice: shown
// with the identity read-only, changed (0, prints Patient/id), bad input
// (2, nothing sent), and a change that crosses one at the practice (6,
// both versions on stderr) resolved with --keep.
func TestDetailsCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end against the practice server: skipped with -short")
	}
	srv, dir := connectPractice(t)
	d := readDetails(t, dir)
	if n := detailOf(d, "name"); n.Value == "" || n.Editable || !strings.Contains(n.Ask, "front desk") {
		t.Fatalf("name = %+v", n)
	}
	if d.Version == "" || d.Update != nil || !detailOf(d, "phone").Editable {
		t.Fatalf("details = %+v", d)
	}

	code, out, errOut := cli(t, testPassphrase, "details", "--data", dir, "--set", "phone=(555) 010-4242", "--set", "language=Spanish")
	if code != exitOK || !strings.HasPrefix(out, "Patient/") {
		t.Fatalf("set: %d %q %s", code, out, errOut)
	}
	d = readDetails(t, dir)
	if detailOf(d, "phone").Value != "(555) 010-4242" || detailOf(d, "language").Display != "Spanish" || d.Update == nil || d.Update.State != "sent" {
		t.Fatalf("after set: %+v", d)
	}
	for _, args := range [][]string{
		{"--set", "email=nope"},
		{"--set", "name=Someone Else"},
		{"--set", "phone"},
		{"--keep", "phone=both"},
		{"--set", "phone=(555) 010-4242"}, // unchanged
	} {
		full := append([]string{"details", "--data", dir}, args...)
		if code, _, errOut := cli(t, testPassphrase, full...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, exitUsage, errOut)
		}
	}

	// The front desk changes the e-mail meanwhile (the CLI's cache still
	// holds the version before).
	ctx := context.Background()
	id := strings.TrimPrefix(strings.TrimSpace(out), "Patient/")
	res, err := srv.Store().Read(ctx, "Patient", id)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(res.JSON, &m); err != nil {
		t.Fatal(err)
	}
	for _, tc := range m["telecom"].([]any) {
		if cp := tc.(map[string]any); cp["system"] == "email" {
			cp["value"] = "front.desk.typed@example.org"
		}
	}
	b, _ := json.Marshal(m)
	if _, err := srv.Store().Update(ctx, "Patient", id, b, res.VersionID); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = cli(t, testPassphrase, "details", "--data", dir, "--set", "email=maya@example.net")
	if code != exitRefused || !strings.HasPrefix(out, "local-") || !strings.Contains(errOut, "yours: maya@example.net") ||
		!strings.Contains(errOut, "practice: front.desk.typed@example.org") {
		t.Fatalf("conflict: %d %q %s", code, out, errOut)
	}
	if d := readDetails(t, dir); d.Update == nil || d.Update.State != "conflict" {
		t.Fatalf("state after the conflict: %+v", d.Update)
	}
	code, out, errOut = cli(t, testPassphrase, "details", "--data", dir, "--keep", "email=practice")
	if code != exitOK || !strings.HasPrefix(out, "Patient/") {
		t.Fatalf("keep: %d %q %s", code, out, errOut)
	}
	if d := readDetails(t, dir); detailOf(d, "email").Value != "front.desk.typed@example.org" || detailOf(d, "phone").Value != "(555) 010-4242" {
		t.Fatalf("after keep: %+v", d)
	}
}
