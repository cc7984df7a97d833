package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/practice/faults"
	"github.com/carebook/carebook/sync/outbox"
)

// recordKeys returns the keys ("Type/id") of a cached record's entries the
// commands below are about.
type recordKeys struct {
	lisinopril, cetirizine, allergy, report string
}

func keysOf(t *testing.T, dir string) recordKeys {
	t.Helper()
	ctx := context.Background()
	var out, errb strings.Builder
	a, err := openApp(ctx, dir, env{stdout: &out, stderr: &errb, getenv: func(k string) string {
		if k == passphraseVar {
			return testPassphrase
		}
		return ""
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	p, err := pickProfile(ctx, a, "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.Chart(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var k recordKeys
	for _, m := range c.Medications {
		switch {
		case m.Status == "active" && strings.HasPrefix(m.Medication, "Lisinopril"):
			k.lisinopril = m.Key()
		case m.Status == "active" && strings.HasPrefix(m.Medication, "Cetirizine"):
			k.cetirizine = m.Key()
		}
	}
	k.allergy, k.report = c.Allergies[0].Key(), c.Reports[0].Key()
	if k.lisinopril == "" || k.cetirizine == "" {
		t.Fatalf("the demo patient's prescriptions are missing: %+v", k)
	}
	return k
}

func listRequests(t *testing.T, dir string) []requestJSON {
	t.Helper()
	code, out, errOut := cli(t, testPassphrase, "requests", "--data", dir, "--json")
	if code != exitOK {
		t.Fatalf("requests: %d %s", code, errOut)
	}
	var rs []requestJSON
	if err := json.Unmarshal([]byte(out), &rs); err != nil {
		t.Fatalf("requests --json: %v\n%s", err, out)
	}
	return rs
}

func requestTitled(rs []requestJSON, title string) (requestJSON, int) {
	var found requestJSON
	n := 0
	for _, r := range rs {
		if r.Title == title {
			found, n = r, n+1
		}
	}
	return found, n
}

// TestRequestCommands runs `refill`, `request` and `requests` against the
// reference practice for every outcome and its exit code: accepted (0,
// prints Task/id), bad input (2, nothing stored), locked (5), refused by
// the practice (6, its words on stderr, listed as failed), stored while
// the practice is down (4, prints the local id; "waiting" with a null id
// until the next sync), and stored while the practice wants a new sign-in
// (3).
func TestRequestCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end against the practice server: skipped with -short")
	}
	srv, dir := connectPractice(t)
	k := keysOf(t, dir)

	code, out, errOut := cli(t, testPassphrase, "refill", "--data", dir, "--medication", k.lisinopril,
		"--pharmacy", "CareMail Pharmacy (mail order)", "--note", "Five tablets left.")
	ref := strings.TrimSpace(out)
	if code != exitOK || !strings.HasPrefix(ref, "Task/") {
		t.Fatalf("refill: %d %q %s", code, out, errOut)
	}
	r, n := requestTitled(listRequests(t, dir), "Refill: Lisinopril 10 mg tablet")
	if n != 1 || r.ID == nil || "Task/"+*r.ID != ref || r.LocalID == nil || r.State != "sent" || r.Type != "refill" ||
		r.Pharmacy != "CareMail Pharmacy (mail order)" || r.Note != "Five tablets left." || !r.Open || r.About != k.lisinopril {
		t.Fatalf("listed as %+v (%d)", r, n)
	}
	if ts, err := time.Parse(time.RFC3339, r.CreatedAt); err != nil || !strings.HasSuffix(r.CreatedAt, "Z") || time.Since(ts) > time.Hour {
		t.Errorf("created_at %q is not a recent UTC RFC 3339 time: %v", r.CreatedAt, err)
	}

	// The same prescription's id alone names it too.
	code, out, errOut = cli(t, testPassphrase, "request", "--data", dir, "--type", "correction", "--about", k.allergy,
		"--wrong", "I am not allergic to penicillin.", "--should-say", "No known drug allergies.")
	if code != exitOK || !strings.HasPrefix(out, "Task/") {
		t.Fatalf("correction: %d %q %s", code, out, errOut)
	}
	code, out, errOut = cli(t, testPassphrase, "request", "--data", dir, "--type", "copy", "--about", k.report)
	if code != exitOK || !strings.HasPrefix(out, "Task/") {
		t.Fatalf("copy: %d %q %s", code, out, errOut)
	}
	before := len(listRequests(t, dir))

	for _, args := range [][]string{
		{"refill", "--medication", k.lisinopril}, // already asked for
		{"refill"},
		{"refill", "--medication", "MedicationRequest/nope"},
		{"refill", "--medication", k.cetirizine, "--pharmacy", "Pharmacy Nowhere"},
		{"request", "--type", "pizza", "--text", "x"},
		{"request", "--type", "correction", "--about", k.allergy},
		{"request", "--type", "referral"},
		{"request", "--type", "copy", "--about", k.allergy},
		{"requests", "--profile", "nobody"},
	} {
		full := append([]string{args[0], "--data", dir}, args[1:]...)
		if code, _, errOut := cli(t, testPassphrase, full...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, exitUsage, errOut)
		}
	}
	if code, _, _ := cli(t, "wrong passphrase", "refill", "--data", dir, "--medication", k.cetirizine); code != exitLocked {
		t.Errorf("wrong passphrase: exit %d, want %d", code, exitLocked)
	}
	if after := len(listRequests(t, dir)); after != before {
		t.Fatalf("bad input stored something: %d requests, were %d", after, before)
	}

	// The practice refuses a pharmacy it does not know, in its own words.
	code, out, errOut = cli(t, testPassphrase, "refill", "--data", dir, "--medication", k.cetirizine, "--pharmacy", "Organization/nowhere")
	if code != exitRefused || !strings.Contains(errOut, "refers to a Organization that does not exist") || !strings.HasPrefix(out, "local-") {
		t.Fatalf("refused: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	f, _ := requestTitled(listRequests(t, dir), "Refill: Cetirizine (Zyrtec) 10 mg tablet")
	if f.State != "failed" || f.ID != nil || f.LocalID == nil || *f.LocalID != strings.TrimSpace(out) ||
		!strings.Contains(f.Words, "Organization that does not exist") || f.Open {
		t.Errorf("refused request listed as %+v", f)
	}

	// The practice is down: stored, exit 4, local id; sent by the next sync.
	srv.Faults().Set(faults.Config{ErrorRate: 1, ErrorStatus: http.StatusServiceUnavailable, OnlyPaths: "/fhir/Task"})
	code, out, errOut = cli(t, testPassphrase, "request", "--data", dir, "--type", "referral", "--text", "Physiotherapy for my knee")
	local := strings.TrimSpace(out)
	if code != exitNetwork || !strings.HasPrefix(local, "local-") {
		t.Fatalf("practice down: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	w, _ := requestTitled(listRequests(t, dir), "Referral: Physiotherapy for my knee")
	// Its server answered 503: the request may have reached it.
	if w.State != "waiting" || !w.MayHaveReached || w.ID != nil || w.LocalID == nil || *w.LocalID != local || !w.Open {
		t.Errorf("queued request listed as %+v", w)
	}
	srv.Faults().Set(faults.Config{})
	if code, _, errOut := cli(t, testPassphrase, "sync", "--data", dir, "--quiet"); code != exitOK {
		t.Fatalf("sync: %d %s", code, errOut)
	}
	if w, n := requestTitled(listRequests(t, dir), "Referral: Physiotherapy for my knee"); n != 1 || w.State != "sent" || w.ID == nil || *w.LocalID != local {
		t.Errorf("after the sync: %+v (%d)", w, n)
	}

	code, out, _ = cli(t, testPassphrase, "requests", "--data", dir)
	if code != exitOK || !strings.Contains(out, ref) || !strings.Contains(out, "Refill: Lisinopril 10 mg tablet") ||
		!strings.Contains(out, "failed") || !strings.Contains(out, "in-progress") {
		t.Errorf("requests (text): %d\n%s", code, out)
	}

	// Access revoked: the request is stored, and sign-in is needed (3).
	acct := srv.DemoAccounts()[0]
	if err := srv.Auth().RevokeAccess(context.Background(), acct.Username, acct.PatientIDs[0]); err != nil {
		t.Fatal(err)
	}
	srv.Auth().ExpireAccessTokens()
	code, out, errOut = cli(t, testPassphrase, "request", "--data", dir, "--type", "referral", "--text", "Cardiology")
	if code != exitNeedsSignIn || !strings.HasPrefix(out, "local-") {
		t.Fatalf("after revoke: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if s, _ := requestTitled(listRequests(t, dir), "Referral: Cardiology"); s.State != "waiting" {
		t.Errorf("stored while sign-in is needed: %+v", s)
	}
}

// TestRequestSurvivesSIGKILL kills `carebook-cli request` (the real binary,
// built without cgo) 10 times (30 with CAREBOOK_LONG=1), and more while the
// kills have not yet interrupted enough requests (killLoop), at random
// moments of its run, drawn from how long an uncut run takes, while the
// practice is slow with the requests it is sent, before it stores one and
// more after, before its reply. After every kill the cache opens; at least
// one kill must leave a request committed at the practice but still
// waiting in the cache, its reply lost (a resend that does not look for it
// first makes it twice). After one `sync` every request the cache holds is
// at the practice exactly once, and the practice has none the cache does
// not know of. (Referrals, not refills: a second refill of the same
// prescription is refused before anything is stored, which would end the
// test's run early; both go through the same use case and outbox.)
func TestRequestSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and spawns carebook-cli")
	}
	bin := buildCLI(t)
	srv, dir := connectPractice(t)
	// 30 ms before the practice stores a request, 90 ms after it, before
	// its reply; searches go through at once: kills land about as often
	// before the practice has the request as after (as for messages).
	srv.Faults().Set(faults.Config{Latency: 30 * time.Millisecond, ReplyLatency: 90 * time.Millisecond,
		OnlyPaths: "/fhir/Task", OnlyWrites: true})
	ask := func(text string) *exec.Cmd {
		return startCLI(t, bin, "request", "--data", dir, "--type", "referral", "--text", text)
	}
	killed := killSends(t, bin, dir, srv, outbox.KindTask, "Task", "request", ask)
	srv.Faults().Set(faults.Config{})
	if code, _, errOut := cli(t, testPassphrase, "sync", "--data", dir, "--quiet"); code != exitOK {
		t.Fatalf("sync: %d %s", code, errOut)
	}

	listed := map[string]int{}
	for _, r := range listRequests(t, dir) {
		if !strings.HasPrefix(r.Title, "Referral: Kill test") {
			continue
		}
		listed[r.Title]++
		if r.State != "sent" || r.ID == nil {
			t.Errorf("%s is %s after the sync (%s)", r.Title, r.State, r.Words)
		}
	}
	stored := sentOnce(t, srv, dir, outbox.KindTask, "Task", func(resource []byte) bool {
		var task struct{ Description string }
		if err := json.Unmarshal(resource, &task); err != nil {
			t.Fatal(err)
		}
		return strings.HasPrefix(task.Description, "Referral: Kill test")
	})
	for title, n := range listed {
		if n != 1 {
			t.Errorf("%q is listed %d times", title, n)
		}
	}
	t.Logf("%d requests listed", len(listed))
	checkSendsInterrupted(t, "request", stored, killed)
}
