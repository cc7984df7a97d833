package storage

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/internal/filedamage"
)

// damagedStoreWithWork is a store whose cached record has a damaged page,
// left as a killed process leaves it (Open refuses it), holding what the
// practice cannot send again: a profile with a sign-in secret, a
// checkpoint, a draft (a value), an outbox item not sent and a sent one
// removed (so the outbox's numbers went past the items kept).
func damagedStoreWithWork(t *testing.T) (dir string, profileID string, kept OutboxItem) {
	t.Helper()
	ctx := context.Background()
	s, dir := newPassphraseStore(t)
	p := newProfile(t, s, "Ada")
	var rs []Resource
	for i := range 300 {
		rs = append(rs, observation("obs-"+itoa(i), 1+i%28))
	}
	if err := s.Put(ctx, p.ID, rs...); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSecret(ctx, p.ID, "token", []byte("sign-in secret")); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, p.ID, func(tx *Tx) error { return tx.SetCheckpoint("last-sync", "2026-12-01T00:00:00Z") }); err != nil {
		t.Fatal(err)
	}
	if err := s.PutValue(ctx, p.ID, "draft", []byte("Dear doctor, my knee")); err != nil {
		t.Fatal(err)
	}
	kept, err := s.Enqueue(ctx, OutboxItem{ProfileID: p.ID, Kind: "message", Identifier: "urn:uuid:kept", Payload: []byte("a message not sent yet")})
	if err != nil {
		t.Fatal(err)
	}
	sent, err := s.Enqueue(ctx, OutboxItem{ProfileID: p.ID, Kind: "message", Identifier: "urn:uuid:sent"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteOutboxItem(ctx, p.ID, sent.Seq, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	damageResourcePage(t, dir)
	writeFile(t, filepath.Join(dir, FileName+"-wal"), nil) // a killed process's log
	if _, err := Open(dir, Options{NoKeyring: true, KDF: cheapKDF}); err == nil {
		t.Fatal("Open accepted the damaged file: the test damaged nothing")
	}
	return dir, p.ID, kept
}

// TestRebuildDamagedKeepsWhatCannotBeDownloaded: a file whose cached
// record is damaged is rebuilt without it; everything else (the profile,
// its sign-in, checkpoints, drafts, the outbox and its numbering) is as
// it was, opened with the same passphrase; the damaged file is kept
// beside it, private; the new file passes the whole check.
func TestRebuildDamagedKeepsWhatCannotBeDownloaded(t *testing.T) {
	ctx := context.Background()
	dir, profileID, kept := damagedStoreWithWork(t)
	damagedBytes, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}

	rep, err := RebuildDamaged(dir)
	if err != nil {
		t.Fatalf("RebuildDamaged: %v", err)
	}
	if filepath.Dir(rep.DamagedCopy) != dir {
		t.Errorf("damaged copy kept at %s, want it in %s", rep.DamagedCopy, dir)
	}
	if b, err := os.ReadFile(rep.DamagedCopy); err != nil || !bytes.Equal(b, damagedBytes) {
		t.Errorf("the damaged copy is not the damaged file (%v)", err)
	}
	if fi, err := os.Stat(rep.DamagedCopy); err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("the damaged copy's permissions: %v, %v", fi.Mode(), err)
	}
	for _, left := range []string{FileName + "-wal", FileName + ".rebuilt"} {
		if _, err := os.Stat(filepath.Join(dir, left)); err == nil {
			t.Errorf("%s left beside the new file", left)
		}
	}

	s := openTest(t, dir, nil, true)
	if err := s.UnlockWithPassphrase(ctx, testPassphrase); err != nil {
		t.Fatalf("unlock the rebuilt file with the same passphrase: %v", err)
	}
	if err := s.CheckIntegrity(ctx); err != nil {
		t.Fatalf("the rebuilt file's full check: %v", err)
	}
	ps, err := s.Profiles(ctx)
	if err != nil || len(ps) != 1 || ps[0].ID != profileID || ps[0].Label != "Ada" {
		t.Fatalf("profiles after the rebuild: %+v, %v", ps, err)
	}
	if has, err := s.HasResources(ctx, profileID); err != nil || has {
		t.Errorf("cached resources after the rebuild: %v, %v; want none (downloaded again)", has, err)
	}
	if aside, err := s.RecordSetAside(ctx, profileID); err != nil || !aside {
		t.Errorf("RecordSetAside after the rebuild: %v, %v; want true (downloaded again in full)", aside, err)
	}
	if b, err := s.Secret(ctx, profileID, "token"); err != nil || string(b) != "sign-in secret" {
		t.Errorf("sign-in secret: %q, %v", b, err)
	}
	if v, ok, err := s.Checkpoint(ctx, profileID, "last-sync"); err != nil || !ok || v != "2026-12-01T00:00:00Z" {
		t.Errorf("checkpoint: %q %v %v", v, ok, err)
	}
	if b, err := s.Value(ctx, profileID, "draft"); err != nil || string(b) != "Dear doctor, my knee" {
		t.Errorf("draft: %q, %v", b, err)
	}
	items, err := s.Outbox(ctx, profileID)
	if err != nil || len(items) != 1 || items[0].Seq != kept.Seq || string(items[0].Payload) != "a message not sent yet" {
		t.Fatalf("outbox after the rebuild: %+v, %v", items, err)
	}
	next, err := s.Enqueue(ctx, OutboxItem{ProfileID: profileID, Kind: "message", Identifier: "urn:uuid:next"})
	if err != nil {
		t.Fatal(err)
	}
	if next.Seq <= kept.Seq+1 {
		t.Errorf("a new outbox item got number %d: a number given before the rebuild (up to %d) was given again", next.Seq, kept.Seq+1)
	}
	// The rebuild is in the activity trail, sealed at the unlock, and the
	// trail still verifies whole.
	trail, err := s.AuditTrail(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(trail.Broken) != 0 {
		t.Errorf("the trail after the rebuild is broken: %v", trail.Broken)
	}
	rebuilt := 0
	for _, e := range trail.Entries {
		if e.Kind == AuditFileRebuilt {
			rebuilt++
		}
	}
	if rebuilt != 1 {
		t.Errorf("the trail lists %d rebuilds, want 1: %+v", rebuilt, trail.Entries)
	}
	if st, err := s.SearchStatus(ctx, profileID); err != nil || !st.Built {
		t.Errorf("search index after the rebuild: %+v, %v; want an empty one, built", st, err)
	}
	if err := s.Put(ctx, profileID, observation("obs-new", 3)); err != nil {
		t.Fatalf("writing the record again: %v", err)
	}
	if has, err := s.HasResources(ctx, profileID); err != nil || !has {
		t.Errorf("HasResources after a write: %v, %v", has, err)
	}
}

// TestRebuildRefusesDamageBeyondTheCache: when what cannot be downloaded
// again is damaged too, RebuildDamaged says so (ErrNotRebuildable and
// ErrCorrupt) and changes nothing: the file is as it was, nothing is left
// beside it.
func TestRebuildRefusesDamageBeyondTheCache(t *testing.T) {
	dir, _, _ := damagedStoreWithWork(t)
	path := filepath.Join(dir, FileName)
	if err := filedamage.Page(path, "profiles"); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	entries := func() int {
		es, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		return len(es)
	}
	n := entries()

	_, err = RebuildDamaged(dir)
	wantErr(t, "RebuildDamaged with the profiles damaged", err, ErrNotRebuildable)
	wantErr(t, "RebuildDamaged with the profiles damaged", err, ErrCorrupt)
	after, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(before, after) {
		t.Errorf("the file changed (%v)", err)
	}
	if entries() > n {
		t.Errorf("RebuildDamaged left files behind: %d entries, %d before", entries(), n)
	}
}

// TestRebuildKeepsOnlyItsDamagedCopy: a rebuild removes the damaged
// copies (and their logs) that earlier rebuilds left, keeps the one it
// makes, and leaves alone what only looks like a copy.
func TestRebuildKeepsOnlyItsDamagedCopy(t *testing.T) {
	dir, _, _ := damagedStoreWithWork(t)
	older := filepath.Join(dir, FileName+".damaged-20260101T080000")
	writeFile(t, older, []byte("an older damaged copy"))
	writeFile(t, older+"-wal", []byte("its log"))
	notOurs := filepath.Join(dir, FileName+".damaged-by-hand")
	writeFile(t, notOurs, []byte("a file someone named so"))

	rep, err := RebuildDamaged(dir)
	if err != nil {
		t.Fatalf("RebuildDamaged: %v", err)
	}
	if want := []string{older}; !slices.Equal(rep.Removed, want) {
		t.Errorf("Removed = %v, want %v", rep.Removed, want)
	}
	for _, gone := range []string{older, older + "-wal"} {
		if _, err := os.Stat(gone); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s is still there (%v)", filepath.Base(gone), err)
		}
	}
	for _, kept := range []string{rep.DamagedCopy, notOurs} {
		if _, err := os.Stat(kept); err != nil {
			t.Errorf("%s was removed: %v", filepath.Base(kept), err)
		}
	}
}

// TestOpenRemovesDamagedCopiesPastTheirTime: Open removes a damaged copy
// (with its log) once DamagedCopyKeep has passed since its rebuild, and
// keeps a younger one.
func TestOpenRemovesDamagedCopiesPastTheirTime(t *testing.T) {
	_, dir := newPassphraseStore(t)
	name := func(age time.Duration) string {
		return filepath.Join(dir, FileName+damagedCopyInfix+time.Now().Add(-age).UTC().Format(damagedCopyTime))
	}
	old, young := name(DamagedCopyKeep+time.Hour), name(DamagedCopyKeep-time.Hour)
	for _, f := range []string{old, old + "-wal", young, young + "-wal"} {
		writeFile(t, f, []byte("damaged"))
	}
	s := openTest(t, dir, nil, true)
	s.Close()
	for _, gone := range []string{old, old + "-wal"} {
		if _, err := os.Stat(gone); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s is still there (%v)", filepath.Base(gone), err)
		}
	}
	for _, kept := range []string{young, young + "-wal"} {
		if _, err := os.Stat(kept); err != nil {
			t.Errorf("%s was removed: %v", filepath.Base(kept), err)
		}
	}
}

// TestRebuildRefusedWhileInUse: while any Store of the folder is open (the
// app at its lock screen, a carebook-cli command: here in this process,
// through a file lock of its own as another process holds it), the file
// is not rebuilt: ErrInUse, nothing changed. Once it is closed, the
// rebuild runs.
func TestRebuildRefusedWhileInUse(t *testing.T) {
	t.Run("a store open", func(t *testing.T) {
		s, dir := newPassphraseStore(t)
		before := folderState(t, dir)
		_, err := RebuildDamaged(dir)
		wantErr(t, "RebuildDamaged with a store open", err, ErrInUse)
		if after := folderState(t, dir); !maps.Equal(before, after) {
			t.Errorf("the folder changed: %v, was %v", after, before)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := RebuildDamaged(dir); err != nil {
			t.Fatalf("RebuildDamaged once the store is closed: %v", err)
		}
	})
	t.Run("the damaged file, held", func(t *testing.T) {
		dir, _, _ := damagedStoreWithWork(t)
		held, err := lockInUse(dir, false, 0)
		if err != nil {
			t.Fatal(err)
		}
		before := folderState(t, dir)
		_, err = RebuildDamaged(dir)
		wantErr(t, "RebuildDamaged with the folder held", err, ErrInUse)
		if after := folderState(t, dir); !maps.Equal(before, after) {
			t.Errorf("the folder changed: %v, was %v", after, before)
		}
		held()
		if _, err := RebuildDamaged(dir); err != nil {
			t.Fatalf("RebuildDamaged once released: %v", err)
		}
	})
}

// TestOpenWaitsForARebuild: an Open started while the file is being
// rebuilt waits for the rebuild to end; one that waited openWait in vain
// says ErrInUse.
func TestOpenWaitsForARebuild(t *testing.T) {
	s, dir := newPassphraseStore(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rebuilding, err := lockInUse(dir, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func(w time.Duration) { openWait = w }(openWait)
	openWait = 2 * lockPoll
	_, err = Open(dir, Options{NoKeyring: true, KDF: cheapKDF})
	wantErr(t, "Open during a rebuild that does not end", err, ErrInUse)

	openWait = time.Minute
	opened := make(chan error, 1)
	go func() {
		s, err := Open(dir, Options{NoKeyring: true, KDF: cheapKDF})
		if err == nil {
			s.Close()
		}
		opened <- err
	}()
	select {
	case err := <-opened:
		t.Fatalf("Open returned during the rebuild: %v", err)
	case <-time.After(5 * lockPoll):
	}
	rebuilding()
	if err := <-opened; err != nil {
		t.Fatalf("Open after the rebuild: %v", err)
	}
}

// folderState is the name and contents of each file in dir.
func folderState(t *testing.T, dir string) map[string]string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	state := map[string]string{}
	for _, e := range es {
		if strings.HasSuffix(e.Name(), "-shm") {
			continue // SQLite's shared memory: changes as readers come and go
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		state[e.Name()] = string(b)
	}
	return state
}
