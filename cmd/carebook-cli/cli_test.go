package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
	"github.com/carebook/carebook/sync/fhirapi/fhirtest"
	"github.com/carebook/carebook/sync/smart"
)

const reexecVar = "CAREBOOK_CLI_TEST_REEXEC"

// TestMain lets tests run the command as a separate process: the test
// binary re-executed with reexecVar set behaves as carebook-cli.
func TestMain(m *testing.M) {
	if os.Getenv(reexecVar) == "1" {
		os.Exit(run(context.Background(), os.Args[1:], env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}))
	}
	os.Exit(m.Run())
}

const testPassphrase = "correct horse battery staple"

// newCache sets up a cache with cheap key derivation (the CLI then unlocks
// it with the stored parameters) and no keyring.
func newCache(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	st, err := storage.Open(dir, storage.Options{NoKeyring: true, KDF: &storage.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Setup(context.Background(), testPassphrase); err != nil {
		t.Fatal(err)
	}
	st.Close()
	return dir
}

// cli runs a command in-process.
func cli(t *testing.T, passphrase string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string {
		if k == passphraseVar {
			return passphrase
		}
		return ""
	}
	code = run(context.Background(), args, env{stdout: &out, stderr: &errb, getenv: getenv,
		openBrowser: func(string) error { return errors.New("no browser in tests") }})
	return code, out.String(), errb.String()
}

func seedServer(srv *fhirtest.Server, n int) {
	srv.Put(`{"resourceType":"Patient","id":"p1"}`)
	for i := range n {
		srv.Put(fmt.Sprintf(`{"resourceType":"Observation","id":"o%d","status":"final","subject":{"reference":"Patient/p1"},"valueString":"%s"}`, i, strings.Repeat("x", 200)))
	}
	srv.Put(`{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"}}`)
}

func TestOpenServerConnectSyncStatusExport(t *testing.T) {
	srv := fhirtest.New(fhirtest.Features{Everything: true})
	defer srv.Close()
	seedServer(srv, 30)
	dir := newCache(t)

	code, out, errOut := cli(t, testPassphrase, "connect", "--data", dir, "--server", srv.Base(), "--open", "--patient", "p1")
	if code != exitOK {
		t.Fatalf("connect: %d %s", code, errOut)
	}
	profileID := strings.TrimSpace(out)
	if code, _, errOut := cli(t, testPassphrase, "sync", "--data", dir); code != exitOK {
		t.Fatalf("sync: %d %s", code, errOut)
	}
	code, out, errOut = cli(t, testPassphrase, "status", "--data", dir, "--json")
	if code != exitOK {
		t.Fatalf("status: %d %s", code, errOut)
	}
	var st []profileStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatal(err)
	}
	if len(st) != 1 || st[0].ID != profileID || st[0].Counts["Observation"] != 30 || st[0].Counts["Patient"] != 1 ||
		st[0].LastSync == "" || st[0].Auth != "none" {
		t.Fatalf("status = %+v", st)
	}
	if code, out, _ := cli(t, testPassphrase, "status", "--data", dir); code != exitOK || !strings.Contains(out, "Observation") {
		t.Fatalf("status text: %d %s", code, out)
	}
	code, out, errOut = cli(t, testPassphrase, "export", "--data", dir, "--format", "bundle")
	if code != exitOK {
		t.Fatalf("export: %d %s", code, errOut)
	}
	var b struct {
		ResourceType, Type string
		Entry              []struct {
			FullURL  string          `json:"fullUrl"`
			Resource json.RawMessage `json:"resource"`
		}
	}
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		t.Fatalf("export is not JSON: %v", err)
	}
	if b.ResourceType != "Bundle" || b.Type != "collection" || len(b.Entry) != 32 {
		t.Fatalf("bundle: %s/%s with %d entries", b.ResourceType, b.Type, len(b.Entry))
	}
	// Connecting again to the same server and patient reuses the profile.
	if _, out, _ := cli(t, testPassphrase, "connect", "--data", dir, "--server", srv.Base(), "--open", "--patient", "p1"); strings.TrimSpace(out) != profileID {
		t.Fatalf("second connect made profile %q, want %q", out, profileID)
	}
}

func TestExitCodes(t *testing.T) {
	srv := fhirtest.New(fhirtest.Features{})
	defer srv.Close()
	seedServer(srv, 1)
	dir := newCache(t)
	if code, _, errOut := cli(t, testPassphrase, "connect", "--data", dir, "--server", srv.Base(), "--open", "--patient", "p1"); code != 0 {
		t.Fatalf("connect: %s", errOut)
	}
	// A SMART profile whose tokens are gone needs sign-in.
	smartDir := newCache(t)
	st, err := storage.Open(smartDir, storage.Options{NoKeyring: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.UnlockWithPassphrase(context.Background(), testPassphrase); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateProfile(context.Background(), storage.Profile{PracticeURL: srv.Base(), PatientID: "p1",
		Settings: map[string]string{smart.SettingAuth: "smart"}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	downDir := newCache(t)
	down := fhirtest.New(fhirtest.Features{})
	seedServer(down, 1)
	if code, _, errOut := cli(t, testPassphrase, "connect", "--data", downDir, "--server", down.Base(), "--open", "--patient", "p1"); code != 0 {
		t.Fatalf("connect: %s", errOut)
	}
	down.Close()

	tests := []struct {
		name       string
		passphrase string
		args       []string
		want       int
	}{
		{"no command", testPassphrase, nil, exitUsage},
		{"unknown command", testPassphrase, []string{"frobnicate"}, exitUsage},
		{"unknown flag", testPassphrase, []string{"sync", "--nope"}, exitUsage},
		{"missing server", testPassphrase, []string{"connect", "--data", dir}, exitUsage},
		{"open without patient", testPassphrase, []string{"connect", "--data", dir, "--server", srv.Base(), "--open"}, exitUsage},
		{"plain http", testPassphrase, []string{"connect", "--data", dir, "--server", "http://ehr.example/fhir", "--open", "--patient", "p1"}, exitUsage},
		{"bad format", testPassphrase, []string{"export", "--data", dir, "--format", "csv"}, exitUsage},
		{"wrong passphrase", "wrong", []string{"status", "--data", dir}, exitLocked},
		{"no passphrase no keyring", "", []string{"status", "--data", dir}, exitLocked},
		{"needs sign-in", testPassphrase, []string{"sync", "--data", smartDir}, exitNeedsSignIn},
		{"server down", testPassphrase, []string{"sync", "--data", downDir}, exitNetwork},
		{"help", testPassphrase, []string{"help"}, exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := cli(t, tt.passphrase, tt.args...)
			if code != tt.want {
				t.Fatalf("exit %d, want %d (%s)", code, tt.want, errOut)
			}
			if strings.Contains(errOut, testPassphrase) {
				t.Fatal("the passphrase was printed")
			}
		})
	}
	// needs sign-in is remembered on the profile and shown by status.
	if code, out, _ := cli(t, testPassphrase, "status", "--data", smartDir); code != 0 || !strings.Contains(out, "NEEDS SIGN-IN") {
		t.Fatalf("status after refused sign-in: %d %s", code, out)
	}
}

func TestExitCodeMapping(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{usagef("x"), exitUsage},
		{fmt.Errorf("a: %w", fhirapi.ErrInsecure), exitUsage},
		{fmt.Errorf("a: %w", smart.ErrNeedsSignIn), exitNeedsSignIn},
		{&fhirapi.OperationOutcomeError{Status: 401}, exitNeedsSignIn},
		{&fhirapi.OperationOutcomeError{Status: 503}, exitNetwork},
		{fmt.Errorf("a: %w", fhirapi.ErrNetwork), exitNetwork},
		{fmt.Errorf("a: %w", storage.ErrWrongPassphrase), exitLocked},
		{errors.Join(errors.New("x"), fmt.Errorf("a: %w", storage.ErrLocked)), exitLocked},
		{&fhirapi.OperationOutcomeError{Status: 400}, exitOther},
		{errors.New("x"), exitOther},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

// TestSyncSurvivesSIGKILL kills `carebook-cli sync` (this test binary
// re-executed) at random moments while the server keeps changing. After
// every kill the cache must open; at the end a sync must converge to the
// server.
func TestSyncSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	srv := fhirtest.New(fhirtest.Features{Everything: true})
	defer srv.Close()
	seedServer(srv, 500)
	dir := newCache(t)
	if code, _, errOut := cli(t, testPassphrase, "connect", "--data", dir, "--server", srv.Base(), "--open", "--patient", "p1"); code != 0 {
		t.Fatalf("connect: %s", errOut)
	}
	const kills = 50
	next, completed := 500, 0
	for i := range kills {
		// The server changes between attempts: new, updated and deleted records.
		srv.Put(fmt.Sprintf(`{"resourceType":"Observation","id":"o%d","status":"final","subject":{"reference":"Patient/p1"}}`, next))
		next++
		srv.Put(fmt.Sprintf(`{"resourceType":"Observation","id":"o%d","status":"amended","subject":{"reference":"Patient/p1"}}`, rand.IntN(next)))
		if i%5 == 0 {
			srv.Delete("Observation", fmt.Sprintf("o%d", rand.IntN(next)))
		}
		cmd := exec.Command(os.Args[0], "sync", "--data", dir, "--quiet")
		cmd.Env = append(os.Environ(), reexecVar+"=1", passphraseVar+"="+testPassphrase)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if i%10 == 9 {
			// Now and then a sync finishes, so later kills also hit
			// incremental syncs that start from checkpoints.
			if err := cmd.Wait(); err != nil {
				t.Fatalf("sync %d: %v", i, err)
			}
			completed++
		} else {
			time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond)
			cmd.Process.Signal(syscall.SIGKILL)
			if cmd.Wait() == nil {
				completed++
			}
		}
		// The cache opens and unlocks after every kill.
		if code, _, errOut := cli(t, testPassphrase, "status", "--data", dir); code != exitOK {
			t.Fatalf("kill %d: cache unusable: %d %s", i, code, errOut)
		}
	}
	t.Logf("%d of %d syncs finished before the kill", completed, kills)
	if code, _, errOut := cli(t, testPassphrase, "sync", "--data", dir, "--full", "--quiet"); code != exitOK {
		t.Fatalf("final sync: %d %s", code, errOut)
	}
	st, err := storage.Open(dir, storage.Options{NoKeyring: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if err := st.UnlockWithPassphrase(ctx, testPassphrase); err != nil {
		t.Fatal(err)
	}
	ps, _ := st.Profiles(ctx)
	for _, typ := range []string{"Observation", "Patient", "Condition"} {
		want := srv.Resources(typ)
		got, err := st.List(ctx, ps[0].ID, typ)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d cached, server has %d", typ, len(got), len(want))
		}
		for _, r := range got {
			if !bytes.Equal(r.JSON, want[r.ID]) {
				t.Fatalf("%s/%s differs from the server", typ, r.ID)
			}
		}
	}
}
