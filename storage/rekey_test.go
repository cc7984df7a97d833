package storage

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// cacheContents is everything readable in a store, to compare before and
// after a rotation.
type cacheContents struct {
	Profiles    []Profile
	Resources   map[string][]Resource
	Checkpoints map[string]string
	Values      map[string]string
	Secrets     map[string]string
	Outbox      map[string][]OutboxItem
}

func readContents(t *testing.T, s *Store) cacheContents {
	t.Helper()
	ctx := context.Background()
	ps, err := s.Profiles(ctx)
	if err != nil {
		t.Fatalf("Profiles: %v", err)
	}
	c := cacheContents{Profiles: ps, Resources: map[string][]Resource{}, Checkpoints: map[string]string{},
		Values: map[string]string{}, Secrets: map[string]string{}, Outbox: map[string][]OutboxItem{}}
	for _, p := range ps {
		rs, err := s.List(ctx, p.ID, "")
		if err != nil {
			t.Fatalf("List %s: %v", p.Label, err)
		}
		c.Resources[p.ID] = rs
		v, _, err := s.Checkpoint(ctx, p.ID, "since")
		if err != nil {
			t.Fatalf("Checkpoint: %v", err)
		}
		c.Checkpoints[p.ID] = v
		if b, err := s.Value(ctx, p.ID, "draft"); err == nil {
			c.Values[p.ID] = string(b)
		} else if !errors.Is(err, ErrNotFound) {
			t.Fatalf("Value: %v", err)
		}
		if b, err := s.Secret(ctx, p.ID, "tokens"); err == nil {
			c.Secrets[p.ID] = string(b)
		} else if !errors.Is(err, ErrNotFound) {
			t.Fatalf("Secret: %v", err)
		}
		items, err := s.Outbox(ctx, p.ID)
		if err != nil {
			t.Fatalf("Outbox: %v", err)
		}
		c.Outbox[p.ID] = items
	}
	return c
}

// fillStore gives two profiles resources (more than a batch), a checkpoint,
// a value, a secret and outbox items (one waiting, one refused).
func fillStore(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	for _, label := range []string{"Ada", "Grace"} {
		p := newProfile(t, s, label)
		var rs []Resource
		for i := range 2*rekeyBatch + 50 {
			rs = append(rs, observation(fmt.Sprintf("%s-%d", label, i), 1+i%28))
		}
		if err := s.Update(ctx, p.ID, func(tx *Tx) error {
			if err := tx.Put(rs...); err != nil {
				return err
			}
			return tx.SetCheckpoint("since", "2024-03-01T00:00:00Z")
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.PutValue(ctx, p.ID, "draft", []byte("a draft of "+label)); err != nil {
			t.Fatal(err)
		}
		if err := s.PutSecret(ctx, p.ID, "tokens", []byte("refresh-token-of-"+label)); err != nil {
			t.Fatal(err)
		}
		for i, st := range []OutboxStatus{OutboxPending, OutboxFailed} {
			it, err := s.Enqueue(ctx, OutboxItem{ProfileID: p.ID, Kind: "message", Identifier: fmt.Sprintf("urn:uuid:%s-%d", label, i),
				Payload: []byte(`{"text":"unsent words of ` + label + `"}`)})
			if err != nil {
				t.Fatal(err)
			}
			it.Status, it.LastError = st, "refused"
			if err := s.SaveOutboxItem(ctx, it); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// oldKeys is the key material of a store before a rotation: its master
// key and every profile's wrapped data key, as an attacker who copied them
// would hold them.
type oldKeys struct {
	installID string
	kek       []byte
	wrapped   map[string][]byte
}

func captureKeys(t *testing.T, s *Store, dir string) oldKeys {
	t.Helper()
	s.mu.RLock()
	k := oldKeys{installID: s.installID, kek: append([]byte(nil), s.kek...), wrapped: map[string][]byte{}}
	s.mu.RUnlock()
	db := rawDB(t, dir)
	rows, err := db.Query("SELECT profile_id, wrapped_dek FROM profile_keys")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var w []byte
		if err := rows.Scan(&id, &w); err != nil {
			t.Fatal(err)
		}
		k.wrapped[id] = w
	}
	return k
}

// openable counts the sealed values in the database (and the keyring
// secrets in kr) that open with the old keys, each with its right
// associated data; total is how many values were tried.
func openable(t *testing.T, dir string, old oldKeys, kr Keyring) (opened, total int) {
	t.Helper()
	db := rawDB(t, dir)
	deks := map[string][]byte{}
	for id, w := range old.wrapped {
		if dek, err := open(old.kek, w, dekAD(old.installID, id)); err == nil {
			deks[id] = dek
		}
	}
	try := func(key, sealed []byte, ads ...[]byte) {
		total++
		for _, ad := range ads {
			if _, err := open(key, sealed, ad); err == nil {
				opened++
				return
			}
		}
	}
	scan := func(query string, fn func(rows *sql.Rows)) {
		rows, err := db.Query(query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			fn(rows)
		}
	}
	scan("SELECT p.id, r.type, r.row_key, r.sealed FROM resources r JOIN profiles p ON p.num = r.profile", func(rows *sql.Rows) {
		var id, typ string
		var key, sealed []byte
		rows.Scan(&id, &typ, &key, &sealed)
		try(deks[id], sealed, resourceAD(id, typ, key))
	})
	scan("SELECT profile_id, name_key, sealed FROM checkpoints", func(rows *sql.Rows) {
		var id string
		var key, sealed []byte
		rows.Scan(&id, &key, &sealed)
		try(deks[id], sealed, checkpointAD(id, key), valueAD(id, key))
	})
	scan("SELECT profile_id, seq, status, sealed FROM outbox", func(rows *sql.Rows) {
		var id, status string
		var seq int64
		var sealed []byte
		rows.Scan(&id, &seq, &status, &sealed)
		try(deks[id], sealed, outboxAD(id, seq, OutboxStatus(status)))
	})
	scan("SELECT profile_id, name_key, in_keyring, sealed FROM secrets", func(rows *sql.Rows) {
		var id string
		var key, sealed []byte
		var inKeyring bool
		rows.Scan(&id, &key, &inKeyring, &sealed)
		if inKeyring {
			enc, err := kr.Get(keyringService, secretKeyringUser(old.installID, id, key))
			if err != nil {
				t.Fatalf("keyring secret: %v", err)
			}
			if sealed, err = decodeB64(enc); err != nil {
				t.Fatal(err)
			}
		}
		try(deks[id], sealed, secretAD(id, key))
	})
	scan("SELECT id, sealed FROM profiles", func(rows *sql.Rows) {
		var id string
		var sealed []byte
		rows.Scan(&id, &sealed)
		try(deks[id], sealed, profileAD(id))
	})
	ak, err := auditKey(old.kek)
	if err != nil {
		t.Fatal(err)
	}
	scan("SELECT seq, sealed FROM audit WHERE sealed IS NOT NULL", func(rows *sql.Rows) {
		var seq int64
		var sealed []byte
		rows.Scan(&seq, &sealed)
		try(ak, sealed, auditAD(old.installID, seq))
	})
	scan("SELECT kek_check FROM install", func(rows *sql.Rows) {
		var sealed []byte
		rows.Scan(&sealed)
		try(old.kek, sealed, kekCheckAD(old.installID))
	})
	// The wrapped data keys themselves.
	scan("SELECT profile_id, wrapped_dek FROM profile_keys", func(rows *sql.Rows) {
		var id string
		var w []byte
		rows.Scan(&id, &w)
		try(old.kek, w, dekAD(old.installID, id))
	})
	return opened, total
}

// TestRekeyOldKeysOpenNothing: after a rotation every value reads the
// same (also after reopening), and the old master key with the old
// wrapped data keys opens nothing in the cache or the keyring; before it,
// the same check opens everything (so it can tell).
func TestRekeyOldKeysOpenNothing(t *testing.T) {
	for _, tc := range []struct {
		name       string
		keyring    bool
		passphrase string
	}{
		{"passphrase", false, testPassphrase},
		{"keyring", true, ""},
		{"keyring and passphrase", true, testPassphrase},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			kr := NewMemoryKeyring()
			s := openTest(t, dir, kr, !tc.keyring)
			if err := s.Setup(ctx, tc.passphrase); err != nil {
				t.Fatal(err)
			}
			fillStore(t, s)
			before := readContents(t, s)
			old := captureKeys(t, s, dir)
			if opened, total := openable(t, dir, old, kr); opened != total || total < 4*rekeyBatch {
				t.Fatalf("before the rotation the old keys open %d of %d values, want all", opened, total)
			}
			if tc.passphrase != "" {
				wantErr(t, "rekey with a wrong passphrase", s.Rekey(ctx, "not the passphrase"), ErrWrongPassphrase)
			}
			if err := s.Rekey(ctx, tc.passphrase); err != nil {
				t.Fatalf("Rekey: %v", err)
			}
			if got := readContents(t, s); !reflect.DeepEqual(got, before) {
				t.Fatal("contents changed by the rotation")
			}
			if opened, total := openable(t, dir, old, kr); opened != 0 {
				t.Fatalf("after the rotation the old keys still open %d of %d values", opened, total)
			}
			if pending, err := s.RekeyPending(ctx); err != nil || pending {
				t.Fatalf("RekeyPending = %v, %v", pending, err)
			}
			rep, err := s.AuditTrail(ctx)
			if err != nil || len(rep.Broken) > 0 || rep.Entries[len(rep.Entries)-1].Kind != AuditKeysChanged {
				t.Fatalf("audit trail after rotation: %+v, %v", rep, err)
			}

			s.Close()
			s2 := openTest(t, dir, kr, !tc.keyring)
			if tc.passphrase != "" {
				err = s2.UnlockWithPassphrase(ctx, tc.passphrase)
			} else {
				err = s2.UnlockWithKeyring(ctx)
			}
			if err != nil {
				t.Fatalf("unlock after rotation: %v", err)
			}
			if got := readContents(t, s2); !reflect.DeepEqual(got, before) {
				t.Fatal("contents changed after reopening")
			}
			// The old key in the keyring entry was replaced.
			if enc, err := kr.Get(keyringService, kekKeyringUser(old.installID)); tc.keyring && (err != nil || enc == base64Std(old.kek)) {
				t.Fatalf("keyring entry after rotation: %v, still the old key: %v", err, enc == base64Std(old.kek))
			}
		})
	}
}

// TestRekeyResumesAfterInterruption: a rotation stopped after some batches
// (as by a crash) leaves a store that reads the same, with either key, and
// the next unlock finishes it; writes made meanwhile are re-sealed too.
func TestRekeyResumesAfterInterruption(t *testing.T) {
	ctx := context.Background()
	for _, stopAfter := range []int{1, 3, 6} {
		t.Run(itoa(stopAfter), func(t *testing.T) {
			s, dir := newPassphraseStore(t)
			fillStore(t, s)
			before := readContents(t, s)
			old := captureKeys(t, s, dir)
			n := 0
			afterRekeyBatch = func() error {
				if n++; n == stopAfter {
					return errors.New("crash")
				}
				return nil
			}
			t.Cleanup(func() { afterRekeyBatch = nil })
			if err := s.Rekey(ctx, testPassphrase); err == nil {
				t.Fatal("Rekey went through the crash")
			}
			afterRekeyBatch = nil
			if pending, _ := s.RekeyPending(ctx); !pending {
				t.Fatal("no rotation pending after the crash")
			}
			if got := readContents(t, s); !reflect.DeepEqual(got, before) {
				t.Fatal("contents differ in the middle of a rotation")
			}
			wantErr(t, "new profile mid-rotation", func() error { _, err := s.CreateProfile(ctx, Profile{Label: "x"}); return err }(), ErrRekeying)
			// A write in the middle (sealed with the new key).
			p := before.Profiles[0]
			if err := s.Put(ctx, p.ID, observation("written-mid-rotation", 3)); err != nil {
				t.Fatal(err)
			}
			s.Close()

			s2 := openTest(t, dir, nil, true)
			if err := s2.UnlockWithPassphrase(ctx, testPassphrase); err != nil {
				t.Fatalf("unlock: %v", err)
			}
			if pending, _ := s2.RekeyPending(ctx); pending {
				t.Fatal("the unlock did not finish the rotation")
			}
			got := readContents(t, s2)
			if _, err := s2.Get(ctx, p.ID, "Observation", "written-mid-rotation"); err != nil {
				t.Fatalf("the write made mid-rotation: %v", err)
			}
			if len(got.Resources[p.ID]) != len(before.Resources[p.ID])+1 {
				t.Fatalf("%d resources, want %d", len(got.Resources[p.ID]), len(before.Resources[p.ID])+1)
			}
			if opened, total := openable(t, dir, old, nil); opened != 0 {
				t.Fatalf("the old keys open %d of %d values", opened, total)
			}
		})
	}
}

// TestOtherProcessKeysAreStale: a second store on the same folder that
// unlocked before a rotation must not write with its old keys: it locks
// itself (ErrLocked) and works again after unlocking.
func TestOtherProcessKeysAreStale(t *testing.T) {
	ctx := context.Background()
	s, dir := newPassphraseStore(t)
	p := newProfile(t, s, "Ada")
	other := openTest(t, dir, nil, true)
	if err := other.UnlockWithPassphrase(ctx, testPassphrase); err != nil {
		t.Fatal(err)
	}
	if err := s.Rekey(ctx, testPassphrase); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "write with stale keys", other.Put(ctx, p.ID, observation("o1", 1)), ErrLocked)
	if !other.Locked() {
		t.Fatal("the store with stale keys did not lock itself")
	}
	if err := other.UnlockWithPassphrase(ctx, testPassphrase); err != nil {
		t.Fatal(err)
	}
	if err := other.Put(ctx, p.ID, observation("o1", 1)); err != nil {
		t.Fatalf("write after unlocking again: %v", err)
	}
	if _, err := s.Get(ctx, p.ID, "Observation", "o1"); err != nil {
		t.Fatalf("read in the first store: %v", err)
	}
}

func decodeB64(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

// TestRekeyWhileInUse: a rotation while the same process keeps writing
// records, reading them and recording events: no operation fails, every
// record written meanwhile reads back, the trail verifies, and the old
// keys open nothing afterwards.
func TestRekeyWhileInUse(t *testing.T) {
	ctx := context.Background()
	s, dir := newPassphraseStore(t)
	fillStore(t, s)
	old := captureKeys(t, s, dir)
	p := readContents(t, s).Profiles[0]
	stop := make(chan struct{})
	errs := make(chan error, 3)
	written := make(chan int, 1)
	go func() {
		n := 0
		defer func() { written <- n }()
		for {
			select {
			case <-stop:
				errs <- nil
				return
			default:
			}
			if err := s.Put(ctx, p.ID, observation(fmt.Sprintf("during-%d", n), 1+n%28)); err != nil {
				errs <- fmt.Errorf("put: %w", err)
				return
			}
			n++
		}
	}()
	go func() {
		for {
			select {
			case <-stop:
				errs <- nil
				return
			default:
			}
			if _, err := s.List(ctx, p.ID, "Observation"); err != nil {
				errs <- fmt.Errorf("list: %w", err)
				return
			}
		}
	}()
	go func() {
		for {
			select {
			case <-stop:
				errs <- nil
				return
			default:
			}
			if err := s.Audit(ctx, AuditExport, p.ID, "during the rotation"); err != nil {
				errs <- fmt.Errorf("audit: %w", err)
				return
			}
		}
	}()
	err := s.Rekey(ctx, testPassphrase)
	close(stop)
	for range 3 {
		if e := <-errs; e != nil {
			t.Errorf("concurrent operation: %v", e)
		}
	}
	n := <-written
	if err != nil {
		t.Fatalf("Rekey: %v", err)
	}
	for i := range n {
		if _, err := s.Get(ctx, p.ID, "Observation", fmt.Sprintf("during-%d", i)); err != nil {
			t.Fatalf("record %d written during the rotation: %v", i, err)
		}
	}
	if rep, err := s.AuditTrail(ctx); err != nil || len(rep.Broken) > 0 {
		t.Fatalf("trail after a rotation in use: %v %v", rep.Broken, err)
	}
	if opened, total := openable(t, dir, old, nil); opened != 0 {
		t.Fatalf("the old keys open %d of %d values", opened, total)
	}
	t.Logf("%d records written during the rotation", n)
}
