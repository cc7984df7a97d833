package app

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/carebook/carebook/practice/demo"
	"github.com/carebook/carebook/storage"
)

// TestPracticeMovedKeepsTheRecord: a real practice server on 127.0.0.1
// moves (the same practice, its data file, at another port) and its old
// address answers every request with a permanent redirect to the new one.
// The sync says the practice moved and where; nothing at all reaches the
// new address (an HTTP server standing there counts) until the patient
// signs in there; a message written meanwhile waits. After MovePractice
// (a real SMART sign-in at the new address) the cached record is the
// same, the message goes to the practice at its new address, and the
// profile syncs there.
func TestPracticeMovedKeepsTheRecord(t *testing.T) {
	ctx := context.Background()
	dataFile := filepath.Join(t.TempDir(), "practice.db")
	old, err := demo.Start(ctx, demo.Options{DataFile: dataFile, PasswordCost: 64})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	current := old // the practice the "browser" signs in at
	browser := func(u string) error {
		mu.Lock()
		d := current
		mu.Unlock()
		return demoBrowser(ctx, d, demoPatientAccount, "")(u)
	}
	a, err := Open(Config{DataDir: t.TempDir(), Storage: storage.Options{KDF: cheapKDF, NoKeyring: true}, IdleTimeout: -1,
		OpenBrowser: browser})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Setup(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	p, err := a.Connect(ctx, old.FHIRBase(), ConnectOptions{})
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if err := a.Sync(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	before, err := a.store.Counts(ctx, p.ID)
	if err != nil || before["Patient"] != 1 {
		t.Fatalf("counts before: %v %v", before, err)
	}
	opts, err := a.MessageOptions(ctx, p.ID)
	if err != nil || len(opts.Recipients) == 0 {
		t.Fatalf("message options: %+v %v", opts, err)
	}
	oldBase := old.FHIRBase()
	oldHost := strings.TrimSuffix(strings.TrimPrefix(oldBase, "http://"), "/fhir")
	old.Close()

	// Something answers at the new address; it must hear nothing.
	var reached atomic.Int64
	standIn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	standInSrv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		http.Error(w, "not yet", http.StatusServiceUnavailable)
	})}
	go standInSrv.Serve(standIn)
	newHost := standIn.Addr().String()
	newBase := "http://" + newHost + "/fhir"
	// The old address redirects, permanently, to the new one.
	oldLn, err := net.Listen("tcp", oldHost)
	if err != nil {
		t.Fatalf("listen at the old address: %v", err)
	}
	redirector := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+newHost+r.URL.RequestURI(), http.StatusPermanentRedirect)
	})}
	go redirector.Serve(oldLn)
	defer redirector.Close()

	err = a.Sync(ctx, p.ID)
	if !errors.Is(err, ErrPracticeMoved) || PracticeMovedTo(err) != newBase {
		t.Fatalf("sync at the old address: %v (moved to %q), want ErrPracticeMoved to %s", err, PracticeMovedTo(err), newBase)
	}
	if ps, _ := a.Profiles(ctx); len(ps) != 1 || ps[0].MovedTo != newBase || ps[0].PracticeURL != oldBase {
		t.Fatalf("profile after the move was seen: %+v", ps)
	}
	sub, err := a.SendMessage(ctx, p.ID, Draft{To: opts.Recipients[0].Ref, Topic: "other", Subject: "Moved",
		Text: "Written while the practice moved."})
	if !errors.Is(err, ErrQueued) || !errors.Is(err, ErrPracticeMoved) {
		t.Fatalf("a message while the practice moved: %v, want ErrQueued (moved)", err)
	}
	if n := reached.Load(); n != 0 {
		t.Fatalf("%d requests reached the new address before the sign-in there", n)
	}
	if _, err := a.Dashboard(ctx, p.ID); err != nil {
		t.Fatalf("the cached record while moved: %v", err)
	}

	// The practice runs at its new address; the patient signs in there.
	standInSrv.Close()
	_, port, _ := net.SplitHostPort(newHost)
	portFile := filepath.Join(t.TempDir(), "port")
	if err := os.WriteFile(portFile, []byte(port), 0o600); err != nil {
		t.Fatal(err)
	}
	moved, err := demo.Start(ctx, demo.Options{DataFile: dataFile, PortFile: portFile, PasswordCost: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer moved.Close()
	if moved.FHIRBase() != newBase {
		t.Fatalf("the practice came up at %s, want %s", moved.FHIRBase(), newBase)
	}
	mu.Lock()
	current = moved
	mu.Unlock()
	if err := a.MovePractice(ctx, p.ID, "not an address at all ://"); !errors.Is(err, ErrBadAddress) && !errors.Is(err, ErrUnreachable) && !errors.Is(err, ErrNotFHIR) {
		t.Fatalf("MovePractice to a bad address: %v", err)
	}
	if err := a.MovePractice(ctx, p.ID, newBase); err != nil {
		t.Fatalf("MovePractice: %v", err)
	}
	ps, _ := a.Profiles(ctx)
	if len(ps) != 1 || ps[0].ID != p.ID || ps[0].PracticeURL != newBase || ps[0].MovedTo != "" || ps[0].NeedsSignIn {
		t.Fatalf("profile after signing in at the new address: %+v", ps)
	}
	after, err := a.store.Counts(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for typ, n := range before {
		if after[typ] < n {
			t.Errorf("%s: %d cached before the move, %d after the sign-in", typ, n, after[typ])
		}
	}
	if err := a.Sync(ctx, p.ID); err != nil {
		t.Fatalf("sync at the new address: %v", err)
	}
	box, err := a.Outbox(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range box {
		if e.Seq == sub.Seq {
			found = true
			if e.State != storage.OutboxSent {
				t.Fatalf("the message written while moved is %s after the sign-in and a sync: %s", e.State, e.LastError)
			}
		}
	}
	if !found {
		t.Fatal("the message written while moved is gone")
	}
}
