package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/internal/version"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
	"github.com/carebook/carebook/sync/fhirapi/fhirtest"
	"github.com/carebook/carebook/sync/outbox"
	"github.com/carebook/carebook/sync/smart"
)

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

// unlockedCache opens the cache in dir and unlocks it with the test
// passphrase, as the app does; the caller closes it.
func unlockedCache(t *testing.T, dir string) *storage.Store {
	t.Helper()
	st, err := storage.Open(dir, storage.Options{NoKeyring: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.UnlockWithPassphrase(context.Background(), testPassphrase); err != nil {
		st.Close()
		t.Fatal(err)
	}
	return st
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

// playBrowser plays the browser of a sign-in: signIn fills in the
// practice's pages for authURL, and the redirect it ends at is delivered
// to the CLI's loopback listener, in the background as a browser would.
func playBrowser(t *testing.T, signIn func(authURL string) (*url.URL, error)) func(string) error {
	return func(authURL string) error {
		go func() {
			redirect, err := signIn(authURL)
			if redirect == nil {
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
}

// runWith runs a command in-process on the cache in dir (--data), with the
// test passphrase and browser.
func runWith(ctx context.Context, dir string, browser func(string) error, args ...string) (code int, stdout, stderr string) {
	var out, errb strings.Builder
	getenv := func(k string) string {
		if k == passphraseVar {
			return testPassphrase
		}
		return ""
	}
	code = run(ctx, append(args, "--data", dir), env{stdout: &out, stderr: &errb, getenv: getenv, openBrowser: browser})
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
	code, _, errOut = cli(t, testPassphrase, "sync", "--data", dir)
	if code != exitOK {
		t.Fatalf("sync: %d %s", code, errOut)
	}
	// Progress on stderr: how many of how many, then a summary.
	if !strings.Contains(errOut, "pull everything: ") || !strings.Contains(errOut, "/32\n") || !strings.Contains(errOut, "32 records written") {
		t.Fatalf("sync progress on stderr:\n%s", errOut)
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
	// A message written while offline: status shows it pending, the next
	// sync sends it.
	enqueueMessage(t, dir, profileID)
	code, out, _ = cli(t, testPassphrase, "status", "--data", dir)
	if code != exitOK || !strings.Contains(out, "outbox:    1 pending, 0 failed, 0 conflict, 0 sent") {
		t.Fatalf("status with a pending message: %d\n%s", code, out)
	}
	if code, _, errOut := cli(t, testPassphrase, "sync", "--data", dir); code != exitOK || !strings.Contains(errOut, "outbox: 1 sent") {
		t.Fatalf("sync with a pending message: %d %s", code, errOut)
	}
	if n := srv.Count("Communication"); n != 1 {
		t.Fatalf("%d messages on the server, want 1", n)
	}
	_, out, _ = cli(t, testPassphrase, "status", "--data", dir, "--json")
	st = nil
	if err := json.Unmarshal([]byte(out), &st); err != nil || st[0].Outbox["pending"] != 0 || st[0].Outbox["sent"] != 1 {
		t.Fatalf("status after sending: %+v, %v", st, err)
	}
	// Connecting again to the same server and patient reuses the profile.
	if _, out, _ := cli(t, testPassphrase, "connect", "--data", dir, "--server", srv.Base(), "--open", "--patient", "p1"); strings.TrimSpace(out) != profileID {
		t.Fatalf("second connect made profile %q, want %q", out, profileID)
	}
}

// enqueueMessage writes a message to a profile's outbox, as the app does.
func enqueueMessage(t *testing.T, dir, profileID string) {
	t.Helper()
	ctx := context.Background()
	st := unlockedCache(t, dir)
	defer st.Close()
	msg := `{"resourceType":"Communication","status":"in-progress","subject":{"reference":"Patient/p1"},"payload":[{"contentString":"hello"}]}`
	if _, err := outbox.New(outbox.Config{Store: st, ProfileID: profileID}).EnqueueCreate(ctx, outbox.KindMessage, []byte(msg)); err != nil {
		t.Fatal(err)
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
	st := unlockedCache(t, smartDir)
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
		{"sign-in where none is offered", testPassphrase, []string{"connect", "--data", dir, "--server", srv.Base(), "--no-browser"}, exitUsage},
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
			if tt.name == "sign-in where none is offered" && !strings.Contains(errOut, "--open --patient") {
				t.Fatalf("no hint for an open server: %s", errOut)
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
		// What a sync sees when the token endpoint is down, or refuses the
		// refresh token.
		{fmt.Errorf("GET x: %w: %w", fhirapi.ErrAccessToken, fmt.Errorf("%w: token endpoint: HTTP 503", fhirapi.ErrServer)), exitNetwork},
		{fmt.Errorf("GET x: %w: %w", fhirapi.ErrAccessToken, smart.ErrNeedsSignIn), exitNeedsSignIn},
		{fmt.Errorf("a: %w", storage.ErrWrongPassphrase), exitLocked},
		{errors.Join(errors.New("x"), fmt.Errorf("a: %w", storage.ErrLocked)), exitLocked},
		{&fhirapi.OperationOutcomeError{Status: 400}, exitOther},
		{errors.New("x"), exitOther},
		// The outcomes of an action (app/actions.go).
		{fmt.Errorf("send: %w: %w", app.ErrQueued, fmt.Errorf("a: %w", fhirapi.ErrNetwork)), exitNetwork},
		{&app.RefusedError{Message: "Attachments may not exceed 5 MB"}, exitRefused},
		{&app.RefusedError{Message: "taken", Conflict: true}, exitRefused},
		{fmt.Errorf("send: %w", app.ErrNeedsSignIn), exitNeedsSignIn},
		{fmt.Errorf("%w: empty message", app.ErrInvalidInput), exitUsage},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

// buildCLI builds carebook-cli as users get it, with cgo disabled (the
// command must build without cgo) and, in a git checkout, the commit
// passed by the linker as scripts/package.sh passes it; it returns the
// binary's path. It is built once for the package's tests (TestMain
// removes it): linking it for each test that runs it cost seconds apiece.
func buildCLI(t *testing.T) string {
	t.Helper()
	builtCLI.once.Do(func() {
		dir, err := os.MkdirTemp("", "carebook-cli-test")
		if err != nil {
			builtCLI.err = err
			return
		}
		builtCLI.dir = dir
		bin := filepath.Join(dir, "carebook-cli")
		args := []string{"build", "-o", bin}
		if head, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
			builtCLI.commit = strings.TrimSpace(string(head))
			args = append(args, "-ldflags", "-X github.com/carebook/carebook/internal/version.Commit="+builtCLI.commit)
		}
		cmd := exec.Command("go", append(args, ".")...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			builtCLI.err = fmt.Errorf("CGO_ENABLED=0 go build: %w\n%s", err, out)
			return
		}
		builtCLI.bin = bin
	})
	if builtCLI.err != nil {
		t.Fatal(builtCLI.err)
	}
	return builtCLI.bin
}

// builtCLI is the binary buildCLI built, in a folder of its own.
var builtCLI struct {
	once             sync.Once
	dir, bin, commit string
	err              error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builtCLI.dir != "" {
		os.RemoveAll(builtCLI.dir)
	}
	os.Exit(code)
}

// TestSyncSurvivesSIGKILL kills `carebook-cli sync` (the real binary) 15
// times (50 with CAREBOOK_LONG=1), and more while too many kills came
// after the sync had finished (killLoop), at random moments while the
// server keeps changing. After every kill the cache must open; at the end
// a sync must converge to the server.
// The moments are drawn from what a sync takes here (measured first):
// most inside the sync's work, initial, full or incremental, and one in
// five of the first during its start (opening a cache that the last kill
// left).
func TestSyncSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and spawns carebook-cli")
	}
	bin := buildCLI(t)
	// The client asks for 1,000 a page; this server gives at most 200.
	srv := fhirtest.New(fhirtest.Features{Everything: true, MaxCount: 200})
	defer srv.Close()
	const records = 1000 // five pages
	seedServer(srv, records)
	// Network latency, so that a sync's pages are committed one by one
	// over its run rather than within a few milliseconds of each other.
	srv.FailBefore(func(*http.Request) int { time.Sleep(15 * time.Millisecond); return 0 })
	startSync := func(dir string, args ...string) *exec.Cmd {
		return startCLI(t, bin, append([]string{"sync", "--data", dir, "--quiet"}, args...)...)
	}
	connect := func(dir string) {
		if code, _, errOut := cli(t, testPassphrase, "connect", "--data", dir, "--server", srv.Base(), "--open", "--patient", "p1"); code != 0 {
			t.Fatalf("connect: %s", errOut)
		}
	}
	// The uncut runs are whole full syncs of a cache of their own, once a
	// first sync has run.
	probe := newCache(t)
	connect(probe)
	if err := startSync(probe).Wait(); err != nil {
		t.Fatalf("probe sync: %v", err)
	}

	dir := newCache(t)
	connect(dir)
	next, changes, completed := records, 0, 0
	// change changes the server between attempts: new, updated and deleted
	// records.
	change := func() {
		srv.Put(fmt.Sprintf(`{"resourceType":"Observation","id":"o%d","status":"final","subject":{"reference":"Patient/p1"}}`, next))
		next++
		for range 5 {
			srv.Put(fmt.Sprintf(`{"resourceType":"Observation","id":"o%d","status":"amended","subject":{"reference":"Patient/p1"},"valueInteger":%d}`, rand.IntN(next), changes))
		}
		if changes%5 == 0 {
			srv.Delete("Observation", fmt.Sprintf("o%d", rand.IntN(next)))
		}
		changes++
		// Time passes between a change and the next sync (hours, in real
		// life): more than the checkpoint's overlap, which would otherwise
		// fetch the changes again and hide a checkpoint moved too early.
		srv.Advance(2 * time.Second)
	}
	loop := killLoop{bin: bin, dir: probe, kills: longLoop(15, 50), // CAREBOOK_LONG=1: 50
		probe: func(int) *exec.Cmd { return startSync(probe, "--full") },
		start: func(i int) *exec.Cmd {
			if i > 0 && i%9 == 0 {
				// Now and then a sync is let finish: the sync after a kill
				// converges, and later kills also hit incremental syncs that
				// start from checkpoints.
				change()
				if err := startSync(dir).Wait(); err != nil {
					t.Fatalf("sync before kill %d: %v", i, err)
				}
				converged(t, srv, dir, false)
				completed++
			}
			change()
			if completed > 0 && i%3 == 0 {
				return startSync(dir) // incremental
			}
			return startSync(dir, "--full") // initial, or full with reconcile
		},
		// The cache opens and unlocks after every kill.
		afterKill: func(i int) {
			if code, _, errOut := cli(t, testPassphrase, "status", "--data", dir); code != exitOK {
				t.Fatalf("after kill %d the cache is unusable: %d %s", i, code, errOut)
			}
		},
	}
	killed := loop.run(t)
	t.Logf("%d kills (%d extra), %d of them after the sync had finished; %d syncs let finish",
		killed.kills, killed.extra, killed.finished, completed)
	if killed.finished > killed.kills/2 {
		t.Fatalf("%d of %d kills came after the sync had finished: the test did not interrupt syncs", killed.finished, killed.kills)
	}
	// Last, a full sync removes what the server deleted (an open server's
	// history cannot be used), and the cache equals the server.
	if code, _, errOut := cli(t, testPassphrase, "sync", "--data", dir, "--quiet", "--full"); code != exitOK {
		t.Fatalf("full sync: %d %s", code, errOut)
	}
	converged(t, srv, dir, true)
}

// converged checks that every record the server has is cached exactly as
// the server has it, and with exact, that nothing else is (deletions reach
// an open server's cache only through a full sync).
func converged(t *testing.T, srv *fhirtest.Server, dir string, exact bool) {
	t.Helper()
	st := unlockedCache(t, dir)
	defer st.Close()
	ctx := context.Background()
	ps, err := st.Profiles(ctx)
	if err != nil || len(ps) != 1 {
		t.Fatalf("profiles: %d, %v", len(ps), err)
	}
	for _, typ := range []string{"Observation", "Patient", "Condition"} {
		want := srv.Resources(typ)
		got, err := st.List(ctx, ps[0].ID, typ)
		if err != nil {
			t.Fatal(err)
		}
		cached := map[string][]byte{}
		for _, r := range got {
			cached[r.ID] = r.JSON
		}
		for id, raw := range want {
			if !bytes.Equal(cached[id], raw) {
				t.Fatalf("%s/%s missing from the cache or different from the server", typ, id)
			}
		}
		if exact && len(cached) != len(want) {
			t.Fatalf("%d %s cached, server has %d", len(cached), typ, len(want))
		}
	}
}

// TestVersion: the binary says which version and commit it is, as a
// patient or a practice's IT person would ask it.
func TestVersion(t *testing.T) {
	bin := buildCLI(t)
	commit := builtCLI.commit
	if commit == "" {
		t.Skip("not in a git checkout")
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("carebook-cli --version: %v", err)
	}
	got := strings.TrimSpace(string(out))
	if want := "carebook-cli " + version.Version + " (commit " + commit[:12]; !strings.HasPrefix(got, want) {
		t.Fatalf("carebook-cli --version = %q, want %q...", got, want)
	}
}

// longLoop is how many rounds a kill or stress loop runs: short in make
// test, which must stay well under 15 minutes on 2 cores, and long with
// CAREBOOK_LONG=1 (make test-long), the count the issues ask for.
func longLoop(short, long int) int {
	if os.Getenv("CAREBOOK_LONG") == "1" {
		return long
	}
	return short
}
