package main

import (
	"context"
	"encoding/json"
	"net/http"
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

	var out, errb strings.Builder
	getenv := func(k string) string {
		if k == passphraseVar {
			return testPassphrase
		}
		return ""
	}
	browser := func(authURL string) error {
		go func() {
			redirect, err := psmart.SignIn(context.Background(), &http.Client{}, authURL, acct.Username, acct.Password, acct.PatientIDs[0])
			if err != nil {
				t.Errorf("browser: %v", err)
				return
			}
			resp, err := http.Get(redirect.String())
			if err != nil {
				t.Errorf("browser: %v", err)
				return
			}
			resp.Body.Close()
		}()
		return nil
	}
	code := run(context.Background(), []string{"connect", "--data", dir, "--server", srv.FHIRBase(), "--timeout", "30s"},
		env{stdout: &out, stderr: &errb, getenv: getenv, openBrowser: browser})
	if code != exitOK {
		t.Fatalf("connect: %d %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "/auth/authorize?") {
		t.Fatalf("the sign-in URL was not printed: %s", errb.String())
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
