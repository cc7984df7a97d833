package app

import (
	"context"
	"net"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/carebook/carebook/practice/demo"
	"github.com/carebook/carebook/storage"
)

// TestDemoKeepsItsAddressAcrossRestarts: the demo practice runs inside the
// app and remembers its port in the data folder (as main wires it). After
// a restart (a new App on the same folder) the family's demo records are
// at the same address and sync without anyone signing in; when that port
// was taken meanwhile, the practice moves, says where, and the demo
// records follow it (the demo signs them in again itself).
func TestDemoKeepsItsAddressAcrossRestarts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func() *App {
		t.Helper()
		a, err := Open(Config{DataDir: dir, Storage: storage.Options{KDF: cheapKDF, NoKeyring: true}, IdleTimeout: -1,
			Demo: func(ctx context.Context) (DemoPractice, error) {
				return demo.Start(ctx, demo.Options{PortFile: filepath.Join(dir, "demo-practice.port"), PasswordCost: 64})
			}})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	syncAll := func(a *App) map[string]string {
		t.Helper()
		ps, err := a.Profiles(ctx)
		if err != nil || len(ps) != 2 {
			t.Fatalf("profiles after restart: %+v %v", ps, err)
		}
		bases := map[string]string{}
		for _, p := range ps {
			if err := a.Sync(ctx, p.ID); err != nil {
				t.Fatalf("sync of %s after restart: %v", p.Label, err)
			}
			if p.NeedsSignIn {
				t.Errorf("%s needs signing in after a restart", p.Label)
			}
			q, err := a.store.Profile(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			bases[p.ID] = q.PracticeURL
		}
		return bases
	}

	a := open()
	if err := a.Setup(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	kids, err := a.ConnectDemoAccount(ctx, "amara")
	if err != nil || len(kids) != 2 {
		t.Fatalf("ConnectDemoAccount: %+v %v", kids, err)
	}
	before := syncAll(a)
	a.Close()

	a = open()
	if err := a.Unlock(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	after := syncAll(a)
	for id, base := range before {
		if after[id] != base {
			t.Errorf("record %s moved from %s to %s across a restart", id, base, after[id])
		}
	}
	a.Close()

	// Something else took the port meanwhile.
	u, err := url.Parse(before[kids[0].ID])
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", u.Host)
	if err != nil {
		t.Fatalf("take the demo's port: %v", err)
	}
	defer l.Close()
	a = open()
	defer a.Close()
	if err := a.Unlock(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	moved := syncAll(a)
	for id, base := range moved {
		if base == before[id] {
			t.Errorf("record %s still points at the taken port %s", id, base)
		}
	}
}
