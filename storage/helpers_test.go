package storage

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"
)

// cheapKDF keeps Argon2id fast in tests; production uses DefaultKDFParams.
var cheapKDF = &KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

const testPassphrase = "correct horse battery staple"

// openTest opens a store in dir with cheap key derivation.
func openTest(t testing.TB, dir string, kr Keyring, noKeyring bool) *Store {
	t.Helper()
	s, err := Open(dir, Options{Keyring: kr, NoKeyring: noKeyring, KDF: cheapKDF})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newPassphraseStore returns an unlocked store that uses only a passphrase.
func newPassphraseStore(t testing.TB) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s := openTest(t, dir, nil, true)
	if err := s.Setup(context.Background(), testPassphrase); err != nil {
		t.Fatalf("Setup: %v", err)
	}
	return s, dir
}

// newProfile creates a profile with a recognisable label.
func newProfile(t testing.TB, s *Store, label string) Profile {
	t.Helper()
	p, err := s.CreateProfile(context.Background(), Profile{
		PracticeURL: "https://practice.example/fhir", PatientID: "pat-" + label, Label: label,
	})
	if err != nil {
		t.Fatalf("CreateProfile: %v", err)
	}
	return p
}

// observation returns a small Observation resource.
func observation(id string, day int) Resource {
	updated := time.Date(2024, 3, day, 10, 30, 0, 123456789, time.UTC)
	return Resource{
		Type: "Observation", ID: id, LastUpdated: updated,
		JSON: fmt.Appendf(nil, `{"resourceType":"Observation","id":%q,"meta":{"lastUpdated":%q},"status":"final"}`,
			id, updated.Format(time.RFC3339Nano)),
	}
}

// wantErr fails the test unless errors.Is(err, want).
func wantErr(t testing.TB, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func itoa(i int) string { return strconv.Itoa(i) }
