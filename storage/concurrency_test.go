package storage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentUse runs writers, readers and lock/unlock cycles at once
// (meaningful under -race). Every operation either succeeds or fails with
// ErrLocked; nothing else is acceptable.
func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	s, _ := newPassphraseStore(t)
	profiles := []Profile{newProfile(t, s, "Ada"), newProfile(t, s, "Bo")}

	var wg sync.WaitGroup
	errc := make(chan error, 64)
	ok := func(err error) {
		if err != nil && !errors.Is(err, ErrLocked) {
			errc <- err
		}
	}
	for w, p := range profiles {
		wg.Go(func() {
			for i := range 40 {
				ok(s.Update(ctx, p.ID, func(tx *Tx) error {
					if err := tx.Put(observation(fmt.Sprintf("w%d-%d", w, i), 1+i%28)); err != nil {
						return err
					}
					return tx.SetCheckpoint("n", fmt.Sprint(i))
				}))
				_, err := s.Enqueue(ctx, OutboxItem{ProfileID: p.ID, Kind: "message", Identifier: fmt.Sprintf("urn:uuid:%d", i)})
				ok(err)
				ok(s.PutSecret(ctx, p.ID, "token", []byte(fmt.Sprint(i))))
			}
		})
		wg.Go(func() {
			for range 40 {
				_, err := s.List(ctx, p.ID, "Observation")
				ok(err)
				_, _, err = s.Checkpoint(ctx, p.ID, "n")
				ok(err)
				_, err = s.Outbox(ctx, p.ID, OutboxPending)
				ok(err)
				if _, err := s.Secret(ctx, p.ID, "token"); !errors.Is(err, ErrNotFound) {
					ok(err)
				}
				_, err = s.Profiles(ctx)
				ok(err)
			}
		})
	}
	wg.Go(func() {
		for range 10 {
			s.Lock()
			ok(s.UnlockWithPassphrase(ctx, testPassphrase))
		}
	})
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}

	// After the storm the data is consistent: each checkpoint matches its rows.
	if err := s.UnlockWithPassphrase(ctx, testPassphrase); err != nil {
		t.Fatal(err)
	}
	for _, p := range profiles {
		if _, err := s.List(ctx, p.ID, ""); err != nil {
			t.Errorf("List after concurrent use: %v", err)
		}
	}
}
