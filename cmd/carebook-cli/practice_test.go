package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/practice"
	psmart "github.com/carebook/carebook/practice/smart"
)

// TestConnectSMARTAgainstPractice runs `connect` with SMART sign-in against
// the reference practice (its login pages played by practice/smart.SignIn as
// the browser), then `sync` and `status`.
func TestConnectSMARTAgainstPractice(t *testing.T) {
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
	acct := srv.DemoAccounts()[0]
	dir := newCache(t)

	browser := playBrowser(t, func(authURL string) (*url.URL, error) {
		return psmart.SignIn(context.Background(), &http.Client{}, authURL, acct.Username, acct.Password, acct.PatientIDs[0])
	})
	code, _, errOut := runWith(context.Background(), dir, browser, "connect", "--server", srv.FHIRBase(), "--timeout", "30s")
	if code != exitOK {
		t.Fatalf("connect: %d %s", code, errOut)
	}
	if !strings.Contains(errOut, "/auth/authorize?") {
		t.Fatalf("the sign-in URL was not printed: %s", errOut)
	}
	if code, _, errOut := cli(t, testPassphrase, "sync", "--data", dir); code != exitOK {
		t.Fatalf("sync: %d %s", code, errOut)
	}
	code, stdout, errOut := cli(t, testPassphrase, "status", "--data", dir, "--json")
	if code != exitOK {
		t.Fatalf("status: %d %s", code, errOut)
	}
	var st []profileStatus
	if err := json.Unmarshal([]byte(stdout), &st); err != nil {
		t.Fatal(err)
	}
	if len(st) != 1 || st[0].Auth != "smart" || st[0].Counts["Patient"] < 1 || st[0].LastSync == "" {
		t.Fatalf("status = %+v", st)
	}
	// Access revoked at the practice: sync exits with "needs sign-in".
	if err := srv.Auth().RevokeAccess(context.Background(), acct.Username, acct.PatientIDs[0]); err != nil {
		t.Fatal(err)
	}
	srv.Auth().ExpireAccessTokens()
	if code, _, errOut := cli(t, testPassphrase, "sync", "--data", dir); code != exitNeedsSignIn {
		t.Fatalf("sync after revoke: %d %s", code, errOut)
	}
}
