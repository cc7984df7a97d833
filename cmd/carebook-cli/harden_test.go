package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi/fhirtest"
)

// TestPassphraseRule: the CLI sets a cache up only with a passphrase the
// app would accept (at least storage.MinPassphraseLength characters); a
// shorter one is bad input (exit 2) and leaves the cache not set up.
func TestPassphraseRule(t *testing.T) {
	for _, tt := range []struct {
		passphrase string
		want       int
	}{
		{"a", exitUsage},
		{"seven77", exitUsage},
		{"eight888", exitOK},
	} {
		t.Run(tt.passphrase, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			code, _, errOut := cli(t, tt.passphrase, "status", "--data", dir)
			if code != tt.want {
				t.Fatalf("exit %d, want %d: %s", code, tt.want, errOut)
			}
			st, err := storage.Open(dir, storage.Options{NoKeyring: true})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			ok, err := st.Initialized(context.Background())
			if err != nil || ok != (tt.want == exitOK) {
				t.Fatalf("initialized = %v, %v", ok, err)
			}
		})
	}
}

// TestExportOut: export --out writes the Bundle into a file readable by
// its owner only, also over an existing file that was readable by all, and
// says on stderr that the file is not encrypted.
func TestExportOut(t *testing.T) {
	srv := fhirtest.New(fhirtest.Features{Everything: true})
	defer srv.Close()
	seedServer(srv, 5)
	dir := newCache(t)
	if code, _, errOut := cli(t, testPassphrase, "connect", "--data", dir, "--server", srv.Base(), "--open", "--patient", "p1"); code != exitOK {
		t.Fatalf("connect: %d %s", code, errOut)
	}
	if code, _, errOut := cli(t, testPassphrase, "sync", "--data", dir, "--quiet"); code != exitOK {
		t.Fatalf("sync: %d %s", code, errOut)
	}
	out := filepath.Join(t.TempDir(), "record.json")
	if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, errOut := cli(t, testPassphrase, "export", "--data", dir, "--out", out)
	if code != exitOK {
		t.Fatalf("export: %d %s", code, errOut)
	}
	if stdout != "" {
		t.Errorf("stdout = %q, want nothing", stdout)
	}
	if !strings.Contains(errOut, "not encrypted") {
		t.Errorf("stderr = %q, want a warning that the file is not encrypted", errOut)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", fi.Mode().Perm())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var bundle struct {
		ResourceType string
		Entry        []json.RawMessage
	}
	if err := json.Unmarshal(b, &bundle); err != nil || bundle.ResourceType != "Bundle" || len(bundle.Entry) != 7 {
		t.Fatalf("file: %d entries, %v", len(bundle.Entry), err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".carebook-export-*")); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	// On standard output, the same warning on stderr.
	if code, _, errOut := cli(t, testPassphrase, "export", "--data", dir); code != exitOK || !strings.Contains(errOut, "not encrypted") {
		t.Errorf("export to stdout: %d, stderr %q", code, errOut)
	}
}
