package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/practice"
	"github.com/carebook/carebook/practice/faults"
	"github.com/carebook/carebook/practice/rules"
	psmart "github.com/carebook/carebook/practice/smart"
	"github.com/carebook/carebook/practice/synth"
	"github.com/carebook/carebook/sync/outbox"
)

// connectPractice starts the reference practice and connects a new cache
// to it (SMART sign-in of its first demo account, its pages played by
// practice/smart.SignIn as the browser), then syncs.
func connectPractice(t *testing.T) (*practice.Server, string) {
	t.Helper()
	srv, err := practice.New(context.Background(), practice.Config{PasswordCost: 64, StaffDelay: time.Hour, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
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
			if resp, err := http.Get(redirect.String()); err == nil {
				resp.Body.Close()
			}
		}()
		return nil
	}
	if code := run(context.Background(), []string{"connect", "--data", dir, "--server", srv.FHIRBase(), "--timeout", "30s"},
		env{stdout: &out, stderr: &errb, getenv: getenv, openBrowser: browser}); code != exitOK {
		t.Fatalf("connect: %d %s", code, errb.String())
	}
	if code, _, errOut := cli(t, testPassphrase, "sync", "--data", dir, "--quiet"); code != exitOK {
		t.Fatalf("sync: %d %s", code, errOut)
	}
	return srv, dir
}

func listMessages(t *testing.T, dir string) []messageJSON {
	t.Helper()
	code, out, errOut := cli(t, testPassphrase, "messages", "--data", dir, "--json")
	if code != exitOK {
		t.Fatalf("messages: %d %s", code, errOut)
	}
	var ms []messageJSON
	if err := json.Unmarshal([]byte(out), &ms); err != nil {
		t.Fatalf("messages --json: %v\n%s", err, out)
	}
	return ms
}

func messageBy(ms []messageJSON, text string) (messageJSON, int) {
	var found messageJSON
	n := 0
	for _, m := range ms {
		if m.Text == text {
			found = m
			n++
		}
	}
	return found, n
}

// TestMessageCommands runs `message` and `messages` against the reference
// practice for every outcome and its exit code: accepted (0, prints
// Communication/id), a reply in its thread, bad input and a missing file
// (2, nothing stored), locked (5), refused by the practice (6, its words on
// stderr, listed as failed), and stored while the practice is down (4,
// prints the local id; null id and "waiting" until the next sync).
func TestMessageCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end against the practice server: skipped with -short")
	}
	srv, dir := connectPractice(t)
	to := "Organization/" + synth.PracticeOrgID
	photo := filepath.Join(t.TempDir(), "rash.png")
	if err := os.WriteFile(photo, []byte("\x89PNG\r\n\x1a\na small picture"), 0o600); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := cli(t, testPassphrase, "message", "--data", dir, "--to", to, "--subject", "A rash",
		"--text", "A photo of the rash.", "--attach", photo, "--topic", "medical")
	ref := strings.TrimSpace(out)
	if code != exitOK || !strings.HasPrefix(ref, "Communication/") {
		t.Fatalf("message: %d %q %s", code, out, errOut)
	}
	m, n := messageBy(listMessages(t, dir), "A photo of the rash.")
	if n != 1 || m.ID == nil || "Communication/"+*m.ID != ref || m.LocalID == nil || m.State != "sent" || m.Sent == nil ||
		!strings.HasSuffix(*m.Sent, "Z") || m.Thread != ref || len(m.Attachments) != 1 || m.Attachments[0].Name != "rash.png" || m.Subject != "A rash" {
		t.Fatalf("listed as %+v (%d)", m, n)
	}
	if _, err := time.Parse(time.RFC3339, *m.Sent); err != nil {
		t.Errorf("sent %q is not RFC 3339: %v", *m.Sent, err)
	}

	code, out, errOut = cli(t, testPassphrase, "message", "--data", dir, "--reply-to", *m.ID, "--text", "And it itches.")
	if code != exitOK || !strings.HasPrefix(out, "Communication/") {
		t.Fatalf("reply: %d %q %s", code, out, errOut)
	}
	if r, _ := messageBy(listMessages(t, dir), "And it itches."); r.Thread != ref || r.State != "sent" {
		t.Errorf("reply listed as %+v, want in thread %s", r, ref)
	}

	for _, args := range [][]string{
		{"--to", to, "--text", "no subject"},
		{"--to", "riverside", "--subject", "s", "--text", "bad recipient"},
		{"--to", to, "--subject", "s", "--text", "x", "--attach", filepath.Join(t.TempDir(), "missing.pdf")},
		{"--to", to, "--subject", "s", "--text", strings.Repeat("a", rules.MaxMessageText+1)},
		{"--to", "Patient/someone", "--subject", "s", "--text", "to a patient"},
		{"--reply-to", "no-such-message", "--text", "x"},
	} {
		if code, _, errOut := cli(t, testPassphrase, append([]string{"message", "--data", dir}, args...)...); code != exitUsage {
			t.Errorf("message %v: exit %d, want %d (%s)", args, code, exitUsage, errOut)
		}
	}
	if code, _, _ := cli(t, "wrong passphrase", "message", "--data", dir, "--to", to, "--subject", "s", "--text", "locked"); code != exitLocked {
		t.Errorf("wrong passphrase: exit %d, want %d", code, exitLocked)
	}

	// The practice lowered its file limit after the app read it.
	small := rules.DefaultMessagePolicy()
	small.MaxAttachmentBytes = 8
	srv.SetMessagePolicy(small)
	code, out, errOut = cli(t, testPassphrase, "message", "--data", dir, "--to", to, "--subject", "Photo", "--text", "Too big.", "--attach", photo)
	if code != exitRefused || !strings.Contains(errOut, "An attachment can be at most 8 bytes.") || !strings.HasPrefix(out, "local-") {
		t.Fatalf("refused: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if f, _ := messageBy(listMessages(t, dir), "Too big."); f.State != "failed" || f.Error != "An attachment can be at most 8 bytes." || f.ID != nil {
		t.Errorf("refused message listed as %+v", f)
	}
	srv.SetMessagePolicy(rules.DefaultMessagePolicy())

	// The practice is down: stored, exit 4, local id; sent by the next sync.
	srv.Faults().Set(faults.Config{ErrorRate: 1, ErrorStatus: http.StatusServiceUnavailable, OnlyPaths: "/fhir/Communication"})
	code, out, errOut = cli(t, testPassphrase, "message", "--data", dir, "--to", to, "--subject", "Later", "--text", "Sent later.")
	local := strings.TrimSpace(out)
	if code != exitNetwork || !strings.HasPrefix(local, "local-") {
		t.Fatalf("practice down: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// The practice's server answered 503: the message may have reached
	// it, and says so.
	if w, _ := messageBy(listMessages(t, dir), "Sent later."); w.State != "waiting" || !w.MayHaveReached || w.ID != nil || w.LocalID == nil || *w.LocalID != local {
		t.Errorf("queued message listed as %+v", w)
	}
	srv.Faults().Set(faults.Config{})
	if code, _, errOut := cli(t, testPassphrase, "sync", "--data", dir, "--quiet"); code != exitOK {
		t.Fatalf("sync: %d %s", code, errOut)
	}
	// Sent; or already read, if the practice's staff made a pass since
	// (their first pass can start late on a busy machine).
	if w, n := messageBy(listMessages(t, dir), "Sent later."); n != 1 || (w.State != "sent" && w.State != "read") || w.ID == nil || *w.LocalID != local {
		t.Errorf("after the sync: %+v (%d)", w, n)
	}
	code, out, _ = cli(t, testPassphrase, "messages", "--data", dir)
	if code != exitOK || !strings.Contains(out, "A rash — with") || !strings.Contains(out, "file: rash.png") {
		t.Errorf("messages (text): %d\n%s", code, out)
	}
}

// TestMessageSurvivesSIGKILL kills `carebook-cli message` (the real
// binary, built without cgo) 10 times (30 with CAREBOOK_LONG=1), and more
// while the kills have not yet interrupted enough messages (killLoop), at
// random moments of its run, drawn from how long an uncut run takes here,
// while the practice is slow with the messages it is sent, before it
// stores one and more after, before its reply. After every kill the cache
// opens. At least one kill must leave a message committed at the practice
// but still waiting in the cache, its reply lost (a resend that does not
// look for it first makes it twice). Then one `sync`: every message the
// cache holds is at the practice exactly once (none lost, none twice), and
// the practice has no message the cache does not know of.
func TestMessageSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and spawns carebook-cli")
	}
	bin := buildCLI(t)
	srv, dir := connectPractice(t)
	// The practice waits 30 ms before it stores a message and 90 ms after,
	// before its reply; searches (for an identifier, before a resend) go
	// through at once. The send's part before the practice has the message
	// (reading the practice's capabilities, searching, the 30 ms, storing)
	// takes about as long as the 90 ms: kills land about as often before
	// as after (measured; the log tells where they landed).
	srv.Faults().Set(faults.Config{Latency: 30 * time.Millisecond, ReplyLatency: 90 * time.Millisecond,
		OnlyPaths: "/fhir/Communication", OnlyWrites: true})
	to := "Organization/" + synth.PracticeOrgID
	send := func(subject string) *exec.Cmd {
		return startCLI(t, bin, "message", "--data", dir, "--to", to, "--subject", subject, "--text", "Sent by a process that may be killed.")
	}
	// Most kills land in the message's work (storing, sending, reading
	// back).
	killed := killSends(t, bin, dir, srv, outbox.KindMessage, "Communication", "message", send)
	srv.Faults().Set(faults.Config{})
	if code, _, errOut := cli(t, testPassphrase, "sync", "--data", dir, "--quiet"); code != exitOK {
		t.Fatalf("sync: %d %s", code, errOut)
	}

	// Every message the cache holds is at the practice once; the
	// practice has none of the test's ("Kill test" subjects) that the
	// cache does not know, and no subject twice.
	subjects := map[string]int{}
	stored := sentOnce(t, srv, dir, outbox.KindMessage, "Communication", func(resource []byte) bool {
		var c struct {
			Topic struct{ Text string } `json:"topic"`
		}
		if err := json.Unmarshal(resource, &c); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(c.Topic.Text, "Kill test") {
			return false
		}
		subjects[c.Topic.Text]++
		return true
	})
	for s, n := range subjects {
		if n != 1 {
			t.Errorf("%q is at the practice %d times", s, n)
		}
	}
	t.Logf("%d messages at the practice", len(subjects))
	checkSendsInterrupted(t, "message", stored, killed)
}
