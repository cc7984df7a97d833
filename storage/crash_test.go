package storage

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The crash test re-executes the test binary as a writer process
// (TestHelperWriter, selected by these environment variables) and kills it
// with SIGKILL at random moments.
const (
	envCrashDir     = "CAREBOOK_CRASH_DIR"
	envCrashProfile = "CAREBOOK_CRASH_PROFILE"
	crashBatch      = 25 // resources per transaction
	crashRounds     = 40
)

func crashResourceID(txn, i int) string { return fmt.Sprintf("t%d-r%d", txn, i) }

// TestHelperWriter is not a test: it is the child writer process of
// TestCrashSafety. It writes numbered transactions until killed.
func TestHelperWriter(t *testing.T) {
	dir, profileID := os.Getenv(envCrashDir), os.Getenv(envCrashProfile)
	if dir == "" {
		t.Skip("helper process for TestCrashSafety; runs only when started by it")
	}
	ctx := context.Background()
	s, err := Open(dir, Options{NoKeyring: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	if err := s.UnlockWithPassphrase(ctx, testPassphrase); err != nil {
		fmt.Fprintln(os.Stderr, "unlock:", err)
		os.Exit(2)
	}
	v, _, err := s.Checkpoint(ctx, profileID, "txn")
	if err != nil {
		fmt.Fprintln(os.Stderr, "checkpoint:", err)
		os.Exit(2)
	}
	txn, _ := strconv.Atoi(v)
	fmt.Println("ready")
	for {
		txn++
		err := s.Update(ctx, profileID, func(tx *Tx) error {
			rs := make([]Resource, crashBatch)
			for i := range rs {
				rs[i] = observation(crashResourceID(txn, i), 1+txn%28)
			}
			if err := tx.Put(rs...); err != nil {
				return err
			}
			return tx.SetCheckpoint("txn", strconv.Itoa(txn))
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "update:", err)
			os.Exit(2)
		}
		fmt.Printf("txn %d\n", txn) // acknowledged: must survive the kill
		if _, err := s.Enqueue(ctx, OutboxItem{ProfileID: profileID, Kind: "message", Identifier: crashIdentifier(txn)}); err != nil {
			fmt.Fprintln(os.Stderr, "enqueue:", err)
			os.Exit(2)
		}
		fmt.Printf("enq %d\n", txn)
	}
}

func crashIdentifier(txn int) string { return fmt.Sprintf("urn:uuid:crash-%d", txn) }

func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("starts dozens of processes")
	}
	ctx := context.Background()
	s, dir := newPassphraseStore(t)
	p := newProfile(t, s, "Ada")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	lastTxn := 0
	progressed := 0
	for round := range crashRounds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1")
		cmd.Env = append(os.Environ(), envCrashDir+"="+dir, envCrashProfile+"="+p.ID)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait until the writer is in its loop, then let it write for a
		// random while; some rounds kill it right away.
		lines := bufio.NewScanner(stdout)
		if !lines.Scan() || lines.Text() != "ready" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("round %d: writer did not start: %q %s", round, lines.Text(), stderr.String())
		}
		// Collect the writer's acknowledgements until it dies.
		acked := make(chan []string, 1)
		go func() {
			var got []string
			for lines.Scan() {
				got = append(got, lines.Text())
			}
			acked <- got
		}()
		time.Sleep(time.Duration(rng.IntN(60_000)) * time.Microsecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		ackLines := <-acked
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("round %d: writer exited on its own (%v): %s", round, err, stderr.String())
		}

		txn, enqueued := verifyCrashState(t, ctx, dir, p.ID)
		if txn < lastTxn {
			t.Fatalf("round %d: committed transaction %d lost (now %d)", round, lastTxn, txn)
		}
		for _, line := range ackLines {
			var what string
			var k int
			if _, err := fmt.Sscanf(line, "%s %d", &what, &k); err != nil {
				t.Fatalf("round %d: writer printed %q", round, line)
			}
			switch {
			case what == "txn" && k > txn:
				t.Fatalf("round %d: transaction %d was acknowledged but the checkpoint is %d", round, k, txn)
			case what == "enq" && !enqueued[crashIdentifier(k)]:
				t.Fatalf("round %d: outbox item %d was acknowledged but is missing", round, k)
			}
		}
		if txn > lastTxn {
			progressed++
		}
		lastTxn = txn
	}
	if lastTxn == 0 {
		t.Error("the writer never committed: the kills tested nothing")
	}
	t.Logf("%d rounds, %d with progress, %d transactions committed", crashRounds, progressed, lastTxn)
}

// verifyCrashState opens the cache after a kill and checks it: SQLite's
// integrity check passes, and the resources present are exactly those of
// transactions 1..k where k is the checkpoint. It returns k and the
// identifiers in the outbox.
func verifyCrashState(t *testing.T, ctx context.Context, dir, profileID string) (int, map[string]bool) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	var result string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&result); err != nil {
		t.Fatalf("integrity_check: %v", err)
	}
	db.Close()
	if result != "ok" {
		t.Fatalf("integrity_check: %s", result)
	}

	s, err := Open(dir, Options{NoKeyring: true})
	if err != nil {
		t.Fatalf("Open after kill: %v", err)
	}
	defer s.Close()
	if err := s.UnlockWithPassphrase(ctx, testPassphrase); err != nil {
		t.Fatalf("unlock after kill: %v", err)
	}
	v, _, err := s.Checkpoint(ctx, profileID, "txn")
	if err != nil {
		t.Fatalf("checkpoint after kill: %v", err)
	}
	txn, _ := strconv.Atoi(v)
	want := make(map[string]bool, txn*crashBatch)
	for k := 1; k <= txn; k++ {
		for i := range crashBatch {
			want[crashResourceID(k, i)] = true
		}
	}
	got := 0
	err = s.Each(ctx, profileID, "Observation", func(r Resource) error {
		if !want[r.ID] {
			return fmt.Errorf("resource %s present but checkpoint is %d", r.ID, txn)
		}
		got++
		return nil
	})
	if err != nil {
		t.Fatalf("after kill: %v", err)
	}
	if got != len(want) {
		t.Fatalf("after kill: checkpoint %d needs %d resources, found %d", txn, len(want), got)
	}
	items, err := s.Outbox(ctx, profileID)
	if err != nil {
		t.Fatalf("outbox after kill: %v", err)
	}
	enqueued := make(map[string]bool, len(items))
	for _, it := range items {
		enqueued[it.Identifier] = true
	}
	return txn, enqueued
}
