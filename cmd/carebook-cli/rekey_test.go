package main

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi/fhirtest"
)

// TestRekeySurvivesSIGKILL kills `carebook-cli rekey` (the real binary)
// with SIGKILL 6 times, and more while no kill has landed in the middle
// of a rotation (killLoop): one in three at a moment drawn from what a
// whole rotation takes here (measured first), the others once the
// rotation has started. After each kill the next command's unlock finishes
// an interrupted rotation; the cache must open and read the same record,
// with the unsent message kept, every time. The seed of the moments is
// logged; CAREBOOK_SEED replays it.
func TestRekeySurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and spawns carebook-cli")
	}
	bin := buildCLI(t)
	_, dir := syncedOpenCache(t, 2000)
	pid := profileID(t, dir)
	enqueueMessage(t, dir, pid) // unsent: the practice is never asked again below
	// The binary (not this race-instrumented test process) reads the cache
	// after each kill: its unlock is what finishes a rotation.
	runBin := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append(args, "--data", dir)...)
		cmd.Env = append(os.Environ(), passphraseVar+"="+testPassphrase)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("carebook-cli %s: %v %s", args[0], err, stderr.String())
		}
		return string(out)
	}
	export := func() string {
		t.Helper()
		return timestamp.ReplaceAllString(runBin("export", "--format", "bundle"), "")
	}
	before := export()

	rekey := func(int) *exec.Cmd { return startCLI(t, bin, "rekey", "--data", dir) }
	db := rawCacheDB(t, dir)
	defer db.Close()
	midway := 0
	loop := killLoop{bin: bin, dir: dir, kills: 6, probes: 1, probe: rekey, start: rekey,
		wait: func(i int, cmd *exec.Cmd, delay time.Duration, rng *rand.Rand) {
			if i%3 == 2 {
				// Anywhere in the run: unlock, key derivation, start, batches, finish.
				time.Sleep(delay)
				return
			}
			// Inside the re-sealing: once the rotation has started (its row
			// is there), after a random part of a batch or a few.
			waitRotationStarted(t, db, cmd)
			time.Sleep(time.Duration(rng.Int64N(int64(30 * time.Millisecond))))
		},
		afterKill: func(i int) {
			if pendingRekey(t, dir) {
				midway++
			}
			// Any command's unlock finishes the rotation; the record reads the same.
			if got := export(); got != before {
				t.Fatalf("after kill %d the export differs", i+1)
			}
			if pendingRekey(t, dir) {
				t.Fatalf("after kill %d and an unlock the rotation is still pending", i+1)
			}
			if status := runBin("status", "--json"); !onePending.MatchString(status) {
				t.Fatalf("after kill %d the unsent message is not pending: %s", i+1, status)
			}
		},
		tooEarly: func(int) bool { return midway == 0 },
	}
	killed := loop.run(t)
	t.Logf("%d of %d kills (%d extra) landed in the middle of a rotation", midway, killed.kills, killed.extra)
	if midway == 0 {
		t.Fatalf("no kill of %d landed in the middle of a rotation (seed %d)", killed.kills, killed.seed)
	}
	st := unlockedCache(t, dir)
	items, err := st.Outbox(context.Background(), pid, storage.OutboxPending)
	st.Close()
	if err != nil || len(items) != 1 || !strings.Contains(string(items[0].Payload), "hello") {
		t.Fatalf("the unsent message at the end: %d items, %v", len(items), err)
	}
	code, out, errOut := cli(t, testPassphrase, "activity", "--data", dir, "--json")
	if code != exitOK || !strings.Contains(out, `"kind": "keys-changed"`) || !strings.Contains(out, `"kind": "export"`) {
		t.Fatalf("activity: exit %d\n%s\n%s", code, out, errOut)
	}
}

// waitRotationStarted polls the cache file until a key rotation's row
// appears, or until the process has ended (it then has nothing left to
// cut, and killLoop counts it as finished).
func waitRotationStarted(t *testing.T, db *sql.DB, cmd *exec.Cmd) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		if err := db.QueryRow("SELECT count(*) FROM rekey").Scan(&n); err == nil && n > 0 {
			return
		}
		// Signal 0 only asks whether the process is there: it fails once
		// killLoop's goroutine has waited for its end.
		if cmd.Process.Signal(syscall.Signal(0)) != nil {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("the rotation never started")
}

// onePending finds one pending outbox item in status --json.
var onePending = regexp.MustCompile(`"pending":\s*1\b`)

// timestamp is the export's time of writing, left out of comparisons.
var timestamp = regexp.MustCompile(`"timestamp":"[^"]*"`)

// pendingRekey reports whether a rotation waits to be finished, without
// unlocking.
func pendingRekey(t *testing.T, dir string) bool {
	t.Helper()
	st, err := storage.Open(dir, storage.Options{NoKeyring: true})
	if err != nil {
		t.Fatalf("open after a kill: %v", err)
	}
	defer st.Close()
	p, err := st.RekeyPending(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestActivityCommand: the trail lists what happened, newest first, and a
// trail altered outside Carebook is reported with exit 1.
func TestActivityCommand(t *testing.T) {
	srv := fhirtest.New(fhirtest.Features{Everything: true})
	defer srv.Close()
	seedServer(srv, 2)
	dir := newCache(t)
	if code, _, errOut := cli(t, testPassphrase, "connect", "--data", dir, "--server", srv.Base(), "--open", "--patient", "p1"); code != exitOK {
		t.Fatalf("connect: %d %s", code, errOut)
	}
	if code, _, _ := cli(t, "wrong passphrase", "status", "--data", dir); code != exitLocked {
		t.Fatalf("status with a wrong passphrase: exit %d", code)
	}
	if code, _, errOut := cli(t, testPassphrase, "export", "--data", dir, "--out", dir+"/export.json"); code != exitOK {
		t.Fatalf("export: %d %s", code, errOut)
	}
	code, out, errOut := cli(t, testPassphrase, "activity", "--data", dir)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != exitOK || len(lines) != 3 || !strings.Contains(lines[0], "Record exported: bundle to a file") ||
		!strings.Contains(lines[1], "Failed attempt to unlock Carebook: passphrase") ||
		!strings.Contains(lines[2], "Record added to this device") {
		t.Fatalf("activity: exit %d\n%s\n%s", code, out, errOut)
	}
	db := rawCacheDB(t, dir)
	if _, err := db.Exec("DELETE FROM audit WHERE seq = (SELECT min(seq) FROM audit)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, _, errOut = cli(t, testPassphrase, "activity", "--data", dir)
	if code != exitOther || !strings.Contains(errOut, "removed") {
		t.Fatalf("activity of an altered trail: exit %d, %s", code, errOut)
	}
}

// rawCacheDB opens the cache file directly, to play the one who alters it.
func rawCacheDB(t *testing.T, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, storage.FileName)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	return db
}
