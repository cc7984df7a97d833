package storage

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

const ownPassphrase = "nia's own secret"

// ownLockedStore returns an unlocked passphrase store with two profiles,
// "Amara" and "Nia", each with a resource and an unsent outbox item; Nia's
// profile has its own lock, closed.
func ownLockedStore(t *testing.T) (s *Store, dir string, amara, nia Profile) {
	t.Helper()
	ctx := context.Background()
	s, dir = newPassphraseStore(t)
	amara, nia = newProfile(t, s, "Amara"), newProfile(t, s, "Nia")
	for i, p := range []Profile{amara, nia} {
		if err := s.Put(ctx, p.ID, observation("obs-"+p.Label, i+1)); err != nil {
			t.Fatalf("Put: %v", err)
		}
		if _, err := s.Enqueue(ctx, OutboxItem{ProfileID: p.ID, Kind: "message", Identifier: "urn:uuid:" + p.Label,
			Payload: []byte("unsent words of " + p.Label)}); err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
	}
	if err := s.SetProfileLock(ctx, nia.ID, "", ownPassphrase); err != nil {
		t.Fatalf("SetProfileLock: %v", err)
	}
	// Another family member unlocks the app.
	s.Lock()
	if err := s.UnlockWithPassphrase(ctx, testPassphrase); err != nil {
		t.Fatalf("unlock: %v", err)
	}
	return s, dir, amara, nia
}

// wantOpen checks that a profile's resource and unsent item read back.
func wantOpen(t *testing.T, s *Store, p Profile) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Get(ctx, p.ID, "Observation", "obs-"+p.Label); err != nil {
		t.Fatalf("Get %s: %v", p.Label, err)
	}
	items, err := s.Outbox(ctx, p.ID)
	if err != nil || len(items) != 1 || string(items[0].Payload) != "unsent words of "+p.Label {
		t.Fatalf("Outbox %s = %+v, %v", p.Label, items, err)
	}
}

func TestOwnLockKeepsOthersOut(t *testing.T) {
	ctx := context.Background()
	s, _, amara, nia := ownLockedStore(t)
	wantOpen(t, s, amara)
	if _, err := s.Get(ctx, nia.ID, "Observation", "obs-Nia"); !errors.Is(err, ErrProfileLocked) {
		t.Fatalf("Get of a closed own-locked profile: %v, want ErrProfileLocked", err)
	}
	if _, err := s.Outbox(ctx, nia.ID); !errors.Is(err, ErrProfileLocked) {
		t.Fatalf("Outbox of a closed own-locked profile: %v", err)
	}
	if _, err := s.Profile(ctx, nia.ID); !errors.Is(err, ErrProfileLocked) {
		t.Fatalf("Profile: %v", err)
	}
	if s.ProfileOpen(ctx, nia.ID) || !s.ProfileOpen(ctx, amara.ID) {
		t.Error("ProfileOpen does not tell the closed profile from the open one")
	}
	ps, err := s.Profiles(ctx)
	if err != nil || len(ps) != 1 || ps[0].ID != amara.ID {
		t.Fatalf("Profiles = %+v, %v; want only Amara", ps, err)
	}
	locked, err := s.LockedProfiles(ctx)
	if err != nil || len(locked) != 1 || locked[0].ID != nia.ID || locked[0].Label != "Nia" {
		t.Fatalf("LockedProfiles = %+v, %v", locked, err)
	}

	// Whatever the app's unlock can unwrap from the file opens none of
	// Nia's rows: the wrapped key only yields her inner envelope.
	var wrapped, sealedProfile []byte
	if err := s.reader.QueryRow("SELECT wrapped_dek FROM profile_keys WHERE profile_id = ?", nia.ID).Scan(&wrapped); err != nil {
		t.Fatal(err)
	}
	if err := s.reader.QueryRow("SELECT sealed FROM profiles WHERE id = ?", nia.ID).Scan(&sealedProfile); err != nil {
		t.Fatal(err)
	}
	s.mu.RLock()
	kek := append([]byte(nil), s.kek...)
	s.mu.RUnlock()
	inner, err := open(kek, wrapped, dekAD(s.installID, nia.ID))
	if err != nil {
		t.Fatalf("the outer wrap should open with the KEK: %v", err)
	}
	if len(inner) == keySize {
		t.Fatal("the KEK alone unwraps a key-sized value: the data key is not wrapped by the own key")
	}
	for _, candidate := range [][]byte{kek, inner[:keySize], inner[len(inner)-keySize:]} {
		if _, err := open(candidate, sealedProfile, profileAD(nia.ID)); err == nil {
			t.Fatal("a key the app's unlock reaches opens Nia's profile row")
		}
	}

	// Nothing of the passphrase is stored.
	for _, name := range []string{"carebook.db", "carebook.db-wal"} {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(s.Path()), name))
		if err == nil && bytes.Contains(b, []byte(ownPassphrase)) {
			t.Errorf("%s holds the own passphrase in clear", name)
		}
	}
}

func TestOwnLockWrongPassphraseLosesNothing(t *testing.T) {
	ctx := context.Background()
	s, _, amara, nia := ownLockedStore(t)
	err := s.OpenProfile(ctx, nia.ID, "not her passphrase")
	if !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("OpenProfile with a wrong passphrase: %v, want ErrWrongPassphrase", err)
	}
	if err := s.OpenProfile(ctx, nia.ID, testPassphrase); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("the app's passphrase opened her profile: %v", err)
	}
	if err := s.OpenProfile(ctx, nia.ID, ownPassphrase); err != nil {
		t.Fatalf("OpenProfile: %v", err)
	}
	wantOpen(t, s, nia)
	wantOpen(t, s, amara)
	if ps, err := s.Profiles(ctx); err != nil || len(ps) != 2 {
		t.Fatalf("Profiles after opening = %d, %v", len(ps), err)
	}
	// Closing it (or locking the app) needs her passphrase again.
	if err := s.CloseProfile(ctx, nia.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Outbox(ctx, nia.ID); !errors.Is(err, ErrProfileLocked) {
		t.Fatalf("after CloseProfile: %v", err)
	}
	if err := s.CloseProfile(ctx, amara.ID); err != nil || !s.ProfileOpen(ctx, amara.ID) {
		t.Fatalf("CloseProfile of a profile without own lock closed it: %v", err)
	}
	// Its audit trail says a wrong own passphrase was tried.
	report, err := s.AuditTrail(ctx)
	if err != nil {
		t.Fatal(err)
	}
	refused := 0
	for _, e := range report.Entries {
		if e.Kind == AuditOwnLock && e.Detail == "own passphrase refused" {
			refused++
		}
	}
	if refused != 2 {
		t.Errorf("audit holds %d refused own passphrases, want 2", refused)
	}
}

func TestOwnLockChangeAndRemove(t *testing.T) {
	ctx := context.Background()
	s, _, _, nia := ownLockedStore(t)
	tests := []struct {
		name     string
		old, new string
		want     error
	}{
		{"wrong old passphrase", "wrong passphrase", "another secret", ErrWrongPassphrase},
		{"too short", ownPassphrase, "short", ErrWeakPassphrase},
		{"changed", ownPassphrase, "a new own secret", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.SetProfileLock(ctx, nia.ID, tt.old, tt.new)
			if tt.want != nil {
				wantErr(t, "SetProfileLock", err, tt.want)
				return
			}
			if err != nil {
				t.Fatalf("SetProfileLock: %v", err)
			}
		})
	}
	s.Lock()
	if err := s.UnlockWithPassphrase(ctx, testPassphrase); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "old own passphrase", s.OpenProfile(ctx, nia.ID, ownPassphrase), ErrWrongPassphrase)
	wantErr(t, "remove with a wrong passphrase", s.RemoveProfileLock(ctx, nia.ID, ownPassphrase), ErrWrongPassphrase)
	if err := s.RemoveProfileLock(ctx, nia.ID, "a new own secret"); err != nil {
		t.Fatalf("RemoveProfileLock: %v", err)
	}
	s.Lock()
	if err := s.UnlockWithPassphrase(ctx, testPassphrase); err != nil {
		t.Fatal(err)
	}
	wantOpen(t, s, nia)
	if own, err := s.HasOwnLock(ctx, nia.ID); err != nil || own {
		t.Fatalf("HasOwnLock after removal = %v, %v", own, err)
	}
	wantErr(t, "remove again", s.RemoveProfileLock(ctx, nia.ID, ""), ErrNotFound)
}

func TestOwnLockSurvivesRekey(t *testing.T) {
	for _, openDuring := range []bool{false, true} {
		name := map[bool]string{false: "closed", true: "open"}[openDuring]
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s, dir, amara, nia := ownLockedStore(t)
			if openDuring {
				if err := s.OpenProfile(ctx, nia.ID, ownPassphrase); err != nil {
					t.Fatal(err)
				}
			}
			old := captureKeys(t, s, dir)
			if err := s.Rekey(ctx, testPassphrase); err != nil {
				t.Fatalf("Rekey with an own-locked profile present: %v", err)
			}
			s.Lock()
			if err := s.UnlockWithPassphrase(ctx, testPassphrase); err != nil {
				t.Fatalf("unlock after rekey: %v", err)
			}
			wantOpen(t, s, amara)
			if locked, err := s.LockedProfiles(ctx); err != nil || len(locked) != 1 || locked[0].Label != "Nia" {
				t.Fatalf("LockedProfiles after rekey = %+v, %v", locked, err)
			}
			if err := s.OpenProfile(ctx, nia.ID, ownPassphrase); err != nil {
				t.Fatalf("OpenProfile after rekey: %v", err)
			}
			wantOpen(t, s, nia)
			// The old master key unwraps nothing of hers any more.
			var wrapped []byte
			if err := s.reader.QueryRow("SELECT wrapped_dek FROM profile_keys WHERE profile_id = ?", nia.ID).Scan(&wrapped); err != nil {
				t.Fatal(err)
			}
			if _, err := open(old.kek, wrapped, dekAD(s.installID, nia.ID)); err == nil {
				t.Error("the old master key still opens her wrapped key")
			}
		})
	}
}
