package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/internal/practicetest"
	"github.com/carebook/carebook/practice"
	psmart "github.com/carebook/carebook/practice/smart"
	"github.com/carebook/carebook/practice/synth"
)

// connectAs connects a new cache to srv as the demo account username (its
// first chart) through the app's Connect use case, the one the screens
// call, and syncs it with the CLI.
func connectAs(t *testing.T, srv *practice.Server, username string) string {
	t.Helper()
	ctx := context.Background()
	dir := newCache(t)
	e := env{stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string {
		if k == passphraseVar {
			return testPassphrase
		}
		return ""
	}}
	st, err := openCache(ctx, dir, e)
	if err != nil {
		t.Fatal(err)
	}
	browser := func(authURL string) error {
		return practicetest.DeliverRedirect(psmart.SignIn(ctx, &http.Client{}, authURL, username, synth.DemoPassword, ""))
	}
	a := app.OpenWithStore(app.Config{OpenBrowser: browser}, st)
	_, err = a.Connect(ctx, srv.FHIRBase(), app.ConnectOptions{})
	a.Close()
	if err != nil {
		t.Fatalf("connect %s: %v", username, err)
	}
	if code, _, errOut := cli(t, testPassphrase, "sync", "--data", dir, "--quiet"); code != exitOK {
		t.Fatalf("sync %s: %d %s", username, code, errOut)
	}
	return dir
}

// TestAccessCommand: José lists who may see his record and ends his
// daughter's access (exit 0 and the practice's reference); her next sync
// is refused; a caregiver cannot manage the patient's access (exit 2); an
// unknown person is bad input.
func TestAccessCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end against the practice server: skipped with -short")
	}
	srv, err := practice.New(context.Background(), practice.Config{PasswordCost: 64, StaffDelay: time.Hour, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	jose := connectAs(t, srv, "jose")
	lucia := connectAs(t, srv, "lucia")

	code, stdout, errOut := cli(t, testPassphrase, "access", "--data", jose)
	if code != exitOK || !strings.Contains(stdout, "RelatedPerson/demo-lucia-jose\tLucía Hernández\tdaughter") {
		t.Fatalf("access: %d %q %s", code, stdout, errOut)
	}
	if code, _, _ := cli(t, testPassphrase, "access", "--data", lucia); code != exitUsage {
		t.Errorf("a caregiver listing the patient's access: exit %d, want %d", code, exitUsage)
	}
	if code, _, _ := cli(t, testPassphrase, "access", "--data", jose, "--end", "nobody"); code != exitUsage {
		t.Errorf("ending an unknown person's access: exit %d, want %d", code, exitUsage)
	}
	code, stdout, errOut = cli(t, testPassphrase, "access", "--data", jose, "--end", "RelatedPerson/demo-lucia-jose")
	if code != exitOK || strings.TrimSpace(stdout) != "RelatedPerson/demo-lucia-jose" {
		t.Fatalf("access --end: %d %q %s", code, stdout, errOut)
	}
	if code, _, errOut := cli(t, testPassphrase, "sync", "--data", lucia, "--quiet"); code == exitOK {
		t.Errorf("Lucía's sync after José ended her access succeeded: %s", errOut)
	}

}
