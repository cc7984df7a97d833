package storage

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
)

// fuzzKey is a fixed key for fuzzing the envelope parser.
var fuzzKey = bytes.Repeat([]byte{7}, keySize)

// FuzzOpenEnvelope feeds arbitrary bytes, as read from a damaged or hostile
// database, to the envelope opener: it must never panic, and must accept
// nothing but a genuine envelope for the same associated data.
func FuzzOpenEnvelope(f *testing.F) {
	ad := adFor("resources", "p1", "Observation", "k")
	// A fixed nonce, so every fuzz worker process builds the same envelope.
	aead, err := chacha20poly1305.NewX(fuzzKey)
	if err != nil {
		f.Fatal(err)
	}
	nonce := bytes.Repeat([]byte{9}, nonceSize)
	good := aead.Seal(append([]byte{envelopeV1}, nonce...), nonce, []byte(`{"resourceType":"Observation"}`), ad)
	if _, err := open(fuzzKey, good, ad); err != nil {
		f.Fatal(err)
	}
	f.Add(good, false)
	f.Add(good[:len(good)-1], false)
	f.Add([]byte{}, false)
	f.Add([]byte{envelopeV1}, false)
	f.Add(append([]byte{2}, good[1:]...), false)
	f.Add(good, true)
	f.Fuzz(func(t *testing.T, envelope []byte, otherAD bool) {
		useAD := ad
		if otherAD {
			useAD = adFor("resources", "p2", "Observation", "k")
		}
		pt, err := open(fuzzKey, envelope, useAD)
		if err != nil {
			if !errors.Is(err, ErrIntegrity) {
				t.Fatalf("open failed with %v, want ErrIntegrity", err)
			}
			return
		}
		if otherAD || !bytes.Equal(envelope, good) {
			t.Fatalf("open accepted a forged envelope (%d bytes)", len(envelope))
		}
		if string(pt) != `{"resourceType":"Observation"}` {
			t.Fatalf("open returned %q", pt)
		}
	})
}

// FuzzDecodeResource checks the parser of a resource's sealed plaintext:
// no panic on any input, and encode/decode round-trips.
func FuzzDecodeResource(f *testing.F) {
	f.Add([]byte{}, "Observation", "o1", int64(1700000000), []byte(`{}`))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, "Patient", "", int64(0), []byte{})
	f.Add([]byte{2, 'a', 'b', 1, 0}, "Condition", "x", int64(-5), []byte(`[]`))
	f.Fuzz(func(t *testing.T, raw []byte, typ, id string, sec int64, js []byte) {
		if r, err := decodeResource(typ, raw); err == nil {
			if r.Type != typ || len(r.ID)+len(r.JSON) > len(raw) {
				t.Fatalf("decode of %d bytes returned %+v", len(raw), r)
			}
		} else if !errors.Is(err, ErrIntegrity) {
			t.Fatalf("decode failed with %v, want ErrIntegrity", err)
		}

		in := Resource{Type: typ, ID: id, JSON: js}
		if sec != 0 {
			in.LastUpdated = time.Unix(sec, sec%1e9&0x3fffffff%1e9).UTC()
		}
		out, err := decodeResource(typ, encodeResource(in))
		if err != nil {
			t.Fatalf("round trip: %v", err)
		}
		if out.ID != in.ID || !out.LastUpdated.Equal(in.LastUpdated) || !bytes.Equal(out.JSON, in.JSON) {
			t.Fatalf("round trip: %+v != %+v", out, in)
		}
	})
}

// FuzzOpenDatabaseFile opens arbitrary bytes as the database file, like a
// disk or a sync tool might leave it. Open must fail cleanly or give a
// working store; a damaged file is ErrCorrupt.
func FuzzOpenDatabaseFile(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("SQLite format 3\x00"))
	f.Add(append([]byte("SQLite format 3\x00"), make([]byte, 84)...))
	f.Add(bytes.Repeat([]byte{0xA5}, 4096))
	// A real, small cache, and a truncated copy of it.
	dir := f.TempDir()
	s, err := Open(dir, Options{NoKeyring: true, KDF: cheapKDF})
	if err != nil {
		f.Fatal(err)
	}
	s.Close()
	real, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(real)
	f.Add(real[:len(real)/2])
	f.Fuzz(func(t *testing.T, file []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, FileName), file, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Open(dir, Options{NoKeyring: true, KDF: cheapKDF})
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNewerSchema) {
				t.Fatalf("Open failed with %v, want ErrCorrupt", err)
			}
			return
		}
		defer s.Close()
		if _, err := s.Initialized(context.Background()); err != nil {
			t.Fatalf("Open succeeded but the store does not work: %v", err)
		}
	})
}
