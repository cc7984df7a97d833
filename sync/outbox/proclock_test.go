package outbox

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
	"github.com/carebook/carebook/sync/fhirapi/fhirtest"
)

// senderEnv makes this test binary a sender process: "dir|profile|base".
const senderEnv = "CAREBOOK_TEST_OUTBOX_SENDER"

const senderPassphrase = "test passphrase"

// TestSenderProcess is not a test of its own: run by
// TestSendsSerializedAcrossProcesses in child processes, it opens the
// cache and sends the profile's outbox once.
func TestSenderProcess(t *testing.T) {
	arg := os.Getenv(senderEnv)
	if arg == "" {
		t.Skip("a child process of TestSendsSerializedAcrossProcesses")
	}
	parts := strings.Split(arg, "|")
	ctx := context.Background()
	st, err := storage.Open(parts[0], storage.Options{NoKeyring: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.UnlockWithPassphrase(ctx, senderPassphrase); err != nil {
		t.Fatal(err)
	}
	api, err := fhirapi.New(parts[2], fhirapi.Options{MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{Store: st, ProfileID: parts[1], API: api}).Send(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestSendsSerializedAcrossProcesses: three processes send one cache's
// outbox at once to a server without conditional create (where two sends
// of one item make two copies). The data folder's process lock lets one
// send at a time, and each reads what is still pending after the previous
// one: every message is on the server exactly once.
func TestSendsSerializedAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	ctx := context.Background()
	srv := fhirtest.New(fhirtest.Features{})
	defer srv.Close()
	// Latency, so that the three processes' sends overlap.
	srv.FailBefore(func(*http.Request) int { time.Sleep(5 * time.Millisecond); return 0 })

	dir := t.TempDir()
	st, err := storage.Open(dir, storage.Options{NoKeyring: true, KDF: &storage.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Setup(ctx, senderPassphrase); err != nil {
		t.Fatal(err)
	}
	p, err := st.CreateProfile(ctx, storage.Profile{PracticeURL: srv.Base(), PatientID: "p1", Label: "test"})
	if err != nil {
		t.Fatal(err)
	}
	const messages = 20
	for i := range messages {
		if _, err := New(Config{Store: st, ProfileID: p.ID}).EnqueueCreate(ctx, KindMessage, message(i)); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	var procs []*exec.Cmd
	var outs []*strings.Builder
	for range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSenderProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), senderEnv+"="+dir+"|"+p.ID+"|"+srv.Base())
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs, outs = append(procs, cmd), append(outs, &out)
	}
	for i, cmd := range procs {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("sender %d: %v\n%s", i, err, outs[i])
		}
	}
	copies := countByIdentifier(t, srv, "Communication")
	if len(copies) != messages {
		t.Fatalf("%d messages on the server, want %d", len(copies), messages)
	}
	for ident, n := range copies {
		if n != 1 {
			t.Errorf("message %s is on the server %d times", ident, n)
		}
	}
}
