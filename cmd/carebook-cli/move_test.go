package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/carebook/carebook/practice/demo"
	"github.com/carebook/carebook/practice/synth"
)

// TestNewAddressCommand: the practice moves (its old address answers with
// a permanent redirect); sync says so and how to sign in there, having
// sent nothing to the new address; new-address signs in there, and the
// next sync sends what waited and keeps the record.
func TestNewAddressCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end against the practice server: skipped with -short")
	}
	ctx := context.Background()
	dataFile := filepath.Join(t.TempDir(), "practice.db")
	old, err := demo.Start(ctx, demo.Options{DataFile: dataFile, PasswordCost: 64, StaffDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	current := old
	browser := playBrowser(t, func(authURL string) (*url.URL, error) {
		mu.Lock()
		d := current
		mu.Unlock()
		return d.SignIn(context.Background(), authURL)
	})
	dir := newCache(t)
	run := func(args ...string) (int, string, string) { return runWith(ctx, dir, browser, args...) }
	code, out, errOut := run("connect", "--server", old.FHIRBase(), "--timeout", "30s")
	if code != exitOK {
		t.Fatalf("connect: %d %s", code, errOut)
	}
	id := strings.TrimSpace(out)
	if code, _, errOut := run("sync"); code != exitOK {
		t.Fatalf("sync: %d %s", code, errOut)
	}
	oldHost := strings.TrimSuffix(strings.TrimPrefix(old.FHIRBase(), "http://"), "/fhir")
	old.Close()

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
	oldLn, err := net.Listen("tcp", oldHost)
	if err != nil {
		t.Fatalf("listen at the old address: %v", err)
	}
	redirector := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+newHost+r.URL.RequestURI(), http.StatusMovedPermanently)
	})}
	go redirector.Serve(oldLn)
	defer redirector.Close()

	code, _, errOut = run("sync")
	if code == exitOK || !strings.Contains(errOut, "carebook-cli new-address --profile "+id+" --server "+newBase) {
		t.Fatalf("sync at the moved practice: %d %s", code, errOut)
	}
	// A message written now is kept, waiting.
	code, out, errOut = run("message", "--to", "Organization/"+synth.PracticeOrgID, "--subject", "Moved?",
		"--text", "Written while the practice moved.", "--topic", "other")
	if code != exitNetwork || !strings.HasPrefix(strings.TrimSpace(out), "local-") {
		t.Fatalf("message while the practice moved: %d %q %s", code, out, errOut)
	}
	if n := reached.Load(); n != 0 {
		t.Fatalf("%d requests reached the new address before the sign-in there", n)
	}
	if code, _, errOut := run("new-address", "--profile", id, "--server", "ftp://nowhere"); code != exitUsage {
		t.Fatalf("new-address with a bad address: %d %s", code, errOut)
	}

	standInSrv.Close()
	_, port, _ := net.SplitHostPort(newHost)
	portFile := filepath.Join(t.TempDir(), "port")
	if err := os.WriteFile(portFile, []byte(port), 0o600); err != nil {
		t.Fatal(err)
	}
	moved, err := demo.Start(ctx, demo.Options{DataFile: dataFile, PortFile: portFile, PasswordCost: 64, StaffDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer moved.Close()
	mu.Lock()
	current = moved
	mu.Unlock()
	if code, _, errOut := run("new-address", "--profile", id, "--server", newBase, "--timeout", "30s"); code != exitOK {
		t.Fatalf("new-address: %d %s", code, errOut)
	}
	if code, _, errOut := run("sync"); code != exitOK || !strings.Contains(errOut, "outbox: 1 sent") {
		t.Fatalf("sync at the new address: %d %s", code, errOut)
	}
	code, out, errOut = run("status", "--json")
	var st []profileStatus
	if code != exitOK || json.Unmarshal([]byte(out), &st) != nil || len(st) != 1 || st[0].Server != newBase || st[0].Counts["Patient"] != 1 {
		t.Fatalf("status after the move: %d %s %s", code, out, errOut)
	}
}
