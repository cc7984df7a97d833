package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/practice"
	psmart "github.com/carebook/carebook/practice/smart"
	"github.com/carebook/carebook/sync/smart"
)

// TestTwoProcessesKeepTheSignIn runs two real `carebook-cli sync`
// processes on one cache at once, round after round, against the practice
// with access tokens shorter than the refresh margin, so every request of
// both refreshes. The practice rotates refresh tokens and revokes the
// whole sign-in when one is used twice: without refreshes serialized
// across processes (and the newest token re-read under the lock), the
// first rounds end with exit 3. Every sync must succeed and the profile
// must still be signed in at the end.
func TestTwoProcessesKeepTheSignIn(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and spawns carebook-cli against the practice")
	}
	bin := buildCLI(t)
	srv, err := practice.New(context.Background(), practice.Config{PasswordCost: 64, StaffDelay: time.Hour, Seed: 3,
		AccessTokenTTL: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	acct := srv.DemoAccounts()[0]
	dir := newCache(t)
	browser := func(authURL string) error {
		go func() {
			redirect, err := psmart.SignIn(context.Background(), nil, authURL, acct.Username, acct.Password, acct.PatientIDs[0])
			if err != nil {
				t.Errorf("browser: %v", err)
				return
			}
			if resp, err := (&http.Client{Timeout: 30 * time.Second}).Get(redirect.String()); err == nil {
				resp.Body.Close()
			}
		}()
		return nil
	}
	var out, errb strings.Builder
	getenv := func(k string) string {
		if k == passphraseVar {
			return testPassphrase
		}
		return ""
	}
	if code := run(context.Background(), []string{"connect", "--data", dir, "--server", srv.FHIRBase(), "--timeout", "30s"},
		env{stdout: &out, stderr: &errb, getenv: getenv, openBrowser: browser}); code != exitOK {
		t.Fatalf("connect: %d %s", code, errb.String())
	}

	sync := func(args ...string) (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(bin, append([]string{"sync", "--data", dir, "--quiet"}, args...)...)
		cmd.Env = append(os.Environ(), passphraseVar+"="+testPassphrase)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, &stderr
	}
	const rounds = 8
	for round := range rounds {
		// One of the two pulls everything again in every other round, so
		// the two runs overlap in different ways.
		var second []string
		if round%2 == 1 {
			second = []string{"--full"}
		}
		a, aErr := sync()
		b, bErr := sync(second...)
		for _, p := range []struct {
			cmd    *exec.Cmd
			stderr *bytes.Buffer
		}{{a, aErr}, {b, bErr}} {
			if err := p.cmd.Wait(); err != nil {
				t.Fatalf("round %d: sync %v: %v\n%s", round, p.cmd.Args[2:], err, p.stderr)
			}
		}
	}

	st := unlockedCache(t, dir)
	defer st.Close()
	ps, err := st.Profiles(context.Background())
	if err != nil || len(ps) != 1 {
		t.Fatalf("profiles %v, %v", ps, err)
	}
	if ps[0].Settings[smart.SettingNeedsSignIn] != "" {
		t.Fatal("the profile needs sign-in again")
	}
	if code, _, errOut := cli(t, testPassphrase, "sync", "--data", dir, "--quiet"); code != exitOK {
		t.Fatalf("a last sync: %d %s", code, errOut)
	}
}
