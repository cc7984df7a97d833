package storage

import (
	"context"
	"errors"
	"testing"
)

// TestPhonePath runs the cache the way a phone build does: OSKeyring there
// is NoKeyring (keyring_mobile.go), so the passphrase alone protects the
// master key. Set up, write, lock, a wrong passphrase, unlock, read back,
// close and open again.
func TestPhonePath(t *testing.T) {
	ctx := context.Background()
	kr := NoKeyring("phone build")
	if _, err := kr.Get("carebook", "kek"); !errors.Is(err, ErrNoKeyring) {
		t.Fatalf("NoKeyring.Get = %v, want ErrNoKeyring", err)
	}
	if err := kr.Set("carebook", "kek", "x"); !errors.Is(err, ErrNoKeyring) {
		t.Fatalf("NoKeyring.Set = %v, want ErrNoKeyring", err)
	}

	dir := t.TempDir()
	s := openTest(t, dir, kr, false)
	if s.UsesKeyring() {
		t.Fatal("a store without a keyring backend says it uses the keyring")
	}
	if err := s.Setup(ctx, ""); !errors.Is(err, ErrPassphraseRequired) {
		t.Fatalf("Setup without a passphrase = %v, want ErrPassphraseRequired", err)
	}
	if err := s.Setup(ctx, testPassphrase); err != nil {
		t.Fatal(err)
	}
	p, err := s.CreateProfile(ctx, Profile{PracticeURL: "https://portal.example.org/fhir", PatientID: "p1", Label: "Maya"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, p.ID, Resource{Type: "Patient", ID: "p1", JSON: []byte(`{"resourceType":"Patient","id":"p1"}`)}); err != nil {
		t.Fatal(err)
	}
	s.Lock()
	if err := s.UnlockWithKeyring(ctx); !errors.Is(err, ErrNoKeyring) && !errors.Is(err, ErrPassphraseRequired) && !errors.Is(err, ErrNoKey) {
		t.Fatalf("UnlockWithKeyring on a phone = %v, want a keyring error", err)
	}
	if err := s.UnlockWithPassphrase(ctx, "not the passphrase"); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase = %v, want ErrWrongPassphrase", err)
	}
	if err := s.UnlockWithPassphrase(ctx, testPassphrase); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = openTest(t, dir, kr, false)
	if err := s.UnlockWithPassphrase(ctx, testPassphrase); err != nil {
		t.Fatalf("unlock after reopening: %v", err)
	}
	if c, err := s.Counts(ctx, p.ID); err != nil || c["Patient"] != 1 {
		t.Fatalf("counts after reopening = %v, %v", c, err)
	}
}
