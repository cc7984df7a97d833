package storage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
)

func encounter(id string) Resource {
	return Resource{Type: "Encounter", ID: id, JSON: fmt.Appendf(nil, `{"resourceType":"Encounter","id":%q}`, id)}
}

// TestWriteWatcher: the watcher sees the stored and removed resources of
// its types, in order, once per transaction, before the commit; what it
// writes commits with them, and its error rolls them back.
func TestWriteWatcher(t *testing.T) {
	ctx := context.Background()
	s, _ := newPassphraseStore(t)
	p := newProfile(t, s, "Ada")
	var seen []string
	var kept [][]byte // the JSON handed over, to check it is wiped
	fail := false
	s.SetWriteWatcher(WriteWatcher{Types: []string{"Encounter"}, Watch: func(tx *Tx, changes []Change) error {
		var names []string
		for i, c := range changes {
			if c.Removed {
				names = append(names, "-"+c.ID)
				continue
			}
			names = append(names, "+"+c.ID)
			kept = append(kept, c.JSON)
			// Inside the transaction, the watcher reads its writes.
			last := !slices.ContainsFunc(changes[i+1:], func(later Change) bool { return later.ID == c.ID })
			if r, err := tx.Get(c.Type, c.ID); last && (err != nil || string(r.JSON) != string(c.JSON)) {
				return fmt.Errorf("get %s inside the transaction: %v", c.ID, err)
			}
		}
		n := 0
		if err := tx.Each("Encounter", func(Resource) error { n++; return nil }); err != nil {
			return err
		}
		seen = append(seen, fmt.Sprintf("%v=%d", names, n))
		if fail {
			return errors.New("watcher refuses")
		}
		return tx.PutValue("count", []byte(fmt.Sprint(n)))
	}})
	value := func() string {
		v, err := s.Value(ctx, p.ID, "count")
		if errors.Is(err, ErrNotFound) {
			return "none"
		}
		if err != nil {
			t.Fatal(err)
		}
		return string(v)
	}

	// Other types alone: the watcher is not called.
	if err := s.Put(ctx, p.ID, observation("o1", 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, p.ID, func(tx *Tx) error {
		if err := tx.Put(encounter("e1"), observation("o2", 2), encounter("e2")); err != nil {
			return err
		}
		if err := tx.Delete("Encounter", "e1"); err != nil {
			return err
		}
		if err := tx.Delete("Encounter", "absent"); err != nil { // nothing removed: not a change
			return err
		}
		return tx.Put(encounter("e3"))
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, p.ID, "Encounter", "e2"); err != nil {
		t.Fatal(err)
	}
	want := []string{"[+e1 +e2 -e1 +e3]=2", "[-e2]=1"}
	if !slices.Equal(seen, want) {
		t.Errorf("the watcher saw %q, want %q", seen, want)
	}
	if got := value(); got != "1" {
		t.Errorf("value written by the watcher = %q, want 1", got)
	}
	for _, b := range kept {
		for _, c := range b {
			if c != 0 {
				t.Fatalf("JSON handed to the watcher not wiped after it returned: %q", b)
			}
		}
	}

	// Its error rolls the whole transaction back.
	fail = true
	err := s.Put(ctx, p.ID, encounter("e4"), observation("o3", 3))
	if err == nil || err.Error() != "watcher refuses" {
		t.Fatalf("Put with a failing watcher: %v, want its error", err)
	}
	for _, id := range []struct{ typ, id string }{{"Encounter", "e4"}, {"Observation", "o3"}} {
		if _, err := s.Get(ctx, p.ID, id.typ, id.id); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s/%s after the rolled back write: %v, want ErrNotFound", id.typ, id.id, err)
		}
	}
	fail = false

	// A value written by the watcher is re-sealed by a key rotation like
	// any other, and reads the same after it.
	if err := s.Rekey(ctx, testPassphrase); err != nil {
		t.Fatal(err)
	}
	if got := value(); got != "1" {
		t.Errorf("value after a key rotation = %q, want 1", got)
	}
	if err := s.Update(ctx, p.ID, func(tx *Tx) error {
		v, err := tx.Value("count")
		if err != nil || string(v) != "1" {
			return fmt.Errorf("tx.Value after a key rotation = %q, %v", v, err)
		}
		if _, err := tx.Value("absent"); !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("tx.Value of an absent value: %v, want ErrNotFound", err)
		}
		if _, err := tx.Get("Encounter", "e2"); !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("tx.Get of a removed resource: %v, want ErrNotFound", err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// Removed, it sees nothing more.
	s.SetWriteWatcher(WriteWatcher{})
	if err := s.Put(ctx, p.ID, encounter("e5")); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 3 { // the two writes above and the one rolled back
		t.Errorf("a removed watcher still saw %q", seen[3:])
	}
}

// TestWriteWatcherDigest: each change hands the watcher its Digest of the
// resource stored, made by Prepare for a Batch (PutBatch makes none) and
// by Put as it writes; a removal has none; a Batch prepared under another
// watcher gets the digests of the watcher of its write.
func TestWriteWatcherDigest(t *testing.T) {
	ctx := context.Background()
	s, _ := newPassphraseStore(t)
	p := newProfile(t, s, "Ada")
	var digests atomic.Int64
	var seen []string
	watch := func(name string) WriteWatcher {
		return WriteWatcher{
			Types: []string{"Encounter"},
			Digest: func(r Resource) any {
				digests.Add(1)
				return fmt.Sprintf("%s digest of %s (%d bytes)", name, r.ID, len(r.JSON))
			},
			Watch: func(_ *Tx, changes []Change) error {
				for _, c := range changes {
					seen = append(seen, fmt.Sprintf("%s removed %v: %v", c.ID, c.Removed, c.Digest))
				}
				return nil
			},
		}
	}
	s.SetWriteWatcher(watch("A"))
	check := func(what string, wantDigests int64, want ...string) {
		t.Helper()
		if !slices.Equal(seen, want) {
			t.Errorf("%s: the watcher saw %q, want %q", what, seen, want)
		}
		if got := digests.Swap(0); got != wantDigests {
			t.Errorf("%s: %d digests made, want %d", what, got, wantDigests)
		}
		seen = nil
	}

	if err := s.Put(ctx, p.ID, encounter("e1"), observation("o1", 1)); err != nil {
		t.Fatal(err)
	}
	check("Put", 1, "e1 removed false: A digest of e1 (38 bytes)")

	b, err := s.Prepare(ctx, p.ID, []Resource{encounter("e2"), observation("o2", 2), encounter("e3")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	check("Prepare", 2)
	if err := s.Update(ctx, p.ID, func(tx *Tx) error {
		if err := tx.PutBatch(b); err != nil {
			return err
		}
		return tx.Delete("Encounter", "e1")
	}); err != nil {
		t.Fatal(err)
	}
	check("PutBatch", 0, "e2 removed false: A digest of e2 (38 bytes)", "e3 removed false: A digest of e3 (38 bytes)",
		"e1 removed true: <nil>")

	b, err = s.Prepare(ctx, p.ID, []Resource{encounter("e4")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.SetWriteWatcher(watch("B"))
	if err := s.Update(ctx, p.ID, func(tx *Tx) error { return tx.PutBatch(b) }); err != nil {
		t.Fatal(err)
	}
	check("PutBatch under another watcher", 2, // one by Prepare, one by the write
		"e4 removed false: B digest of e4 (38 bytes)")
}
