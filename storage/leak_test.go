package storage

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
)

// Distinctive values that must never reach the disk in any readable form.
const (
	leakName  = "Zebulon Quixotewright"
	leakMRN   = "MRN-QX-8675309-ZW"
	leakToken = "tok_live_Hq7vK2pX9mZ4wR8sT1yB"
	leakNote  = "suspected pheochromocytoma"
	leakURL   = "https://clinic-zebulon.example/fhir"
)

// encodings returns the byte sequences under which s could appear: raw,
// hex (both cases), UTF-16 (both byte orders) and base64 at each of the
// three alignments it can have inside a longer encoded string.
func encodings(s string) map[string][]byte {
	out := map[string][]byte{
		"raw":       []byte(s),
		"hex":       []byte(hex.EncodeToString([]byte(s))),
		"HEX":       []byte(strings.ToUpper(hex.EncodeToString([]byte(s)))),
		"utf16le":   utf16Bytes(s, binary.LittleEndian),
		"utf16be":   utf16Bytes(s, binary.BigEndian),
		"lowercase": []byte(strings.ToLower(s)),
	}
	for encName, enc := range map[string]*base64.Encoding{"base64": base64.StdEncoding, "base64url": base64.URLEncoding} {
		for pad := range 3 {
			if mid := base64Core(enc, s, pad); len(mid) >= 6 {
				out[fmt.Sprintf("%s (offset %d)", encName, pad)] = mid
			}
		}
	}
	return out
}

// base64Core returns the base64 characters that depend only on s when s
// starts pad bytes into the encoded data: those whose 6 bits all come from
// bytes of s.
func base64Core(enc *base64.Encoding, s string, pad int) []byte {
	e := enc.EncodeToString(append(make([]byte, pad), s...))
	var core []byte
	for j := range len(e) {
		first, last := 6*j/8, (6*j+5)/8
		if first >= pad && last < pad+len(s) {
			core = append(core, e[j])
		}
	}
	return core
}

func utf16Bytes(s string, order binary.AppendByteOrder) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = order.AppendUint16(b, u)
	}
	return b
}

// assertNoLeak reads every file under dir and fails if any encoding of any
// needle occurs in it.
func assertNoLeak(t *testing.T, when, dir string, needles ...string) {
	t.Helper()
	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, needle := range needles {
			for name, enc := range encodings(needle) {
				if bytes.Contains(data, enc) {
					t.Errorf("%s: %s contains %s of a sensitive value", when, filepath.Base(path), name)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatalf("%s: no files in %s", when, dir)
	}
}

func TestNoPHIOnDisk(t *testing.T) {
	needles := []string{leakName, leakMRN, leakToken, leakNote, leakURL}
	modes := []struct {
		name      string
		keyring   Keyring
		noKeyring bool
	}{
		{"passphrase only", nil, true},
		{"keyring", NewMemoryKeyring(), false},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			s := openTest(t, dir, m.keyring, m.noKeyring)
			if err := s.Setup(ctx, testPassphrase); err != nil {
				t.Fatal(err)
			}
			p, err := s.CreateProfile(ctx, Profile{
				PracticeURL: leakURL, PatientID: leakMRN, Label: leakName,
				Settings: map[string]string{"display": leakName},
			})
			if err != nil {
				t.Fatal(err)
			}
			patient := Resource{Type: "Patient", ID: leakMRN, JSON: []byte(`{"resourceType":"Patient","id":"` + leakMRN +
				`","identifier":[{"value":"` + leakMRN + `"}],"name":[{"text":"` + leakName + `"}]}`)}
			note := Resource{Type: "Condition", ID: "c1", JSON: []byte(`{"resourceType":"Condition","code":{"text":"` + leakNote + `"}}`)}
			err = s.Update(ctx, p.ID, func(tx *Tx) error {
				if err := tx.Put(patient, note); err != nil {
					return err
				}
				return tx.SetCheckpoint(leakMRN, leakName)
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.PutSecret(ctx, p.ID, leakMRN, []byte(leakToken)); err != nil {
				t.Fatal(err)
			}
			item, err := s.Enqueue(ctx, OutboxItem{ProfileID: p.ID, Kind: "message", Identifier: leakMRN,
				Payload: []byte(`{"payload":[{"contentString":"` + leakNote + ` for ` + leakName + `"}]}`)})
			if err != nil {
				t.Fatal(err)
			}
			item.Status, item.LastError, item.Result = OutboxFailed, "server said: "+leakName, []byte(leakNote)
			if err := s.SaveOutboxItem(ctx, item); err != nil {
				t.Fatal(err)
			}

			// The data really is there (a test that cannot fail proves nothing).
			if got, err := s.Secret(ctx, p.ID, leakMRN); err != nil || string(got) != leakToken {
				t.Fatalf("Secret = %q, %v", got, err)
			}
			if _, err := os.Stat(filepath.Join(dir, FileName+"-wal")); err != nil {
				t.Fatalf("expected a WAL file while open: %v", err)
			}
			assertNoLeak(t, "while open", dir, needles...)

			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			assertNoLeak(t, "after Close", dir, needles...)

			// And the checker does find a value written in clear.
			canary := filepath.Join(t.TempDir(), "canary")
			writeFile(t, canary, []byte("x"+base64.StdEncoding.EncodeToString([]byte("..."+leakToken+"..."))))
			data, _ := os.ReadFile(canary)
			found := false
			for _, enc := range encodings(leakToken) {
				found = found || bytes.Contains(data, enc)
			}
			if !found {
				t.Error("the leak checker misses a base64-encoded token")
			}
		})
	}
}

func TestFilePermissions(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "data", "carebook")
	s := openTest(t, dir, nil, true)
	if err := s.Setup(context.Background(), testPassphrase); err != nil {
		t.Fatal(err)
	}
	newProfile(t, s, "Ada")
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Errorf("directory mode %o, want 700", perm)
	}
	for _, name := range []string{FileName, FileName + "-wal", FileName + "-shm"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s mode %o, want 600", name, perm)
		}
	}
}
