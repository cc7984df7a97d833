package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Lock-screen cards are the one exception to "everything is sealed": a
// patient may choose to make their emergency card readable without the
// passphrase, so that whoever helps them in an emergency can read it from
// the lock screen. Only what the app hands to PutLockScreenCard is stored
// that way, in clear, in a file of its own in the data folder (readable by
// this user only, like the database); the record itself stays sealed.
// Removing the card, or the profile, removes it from the file.

// LockScreenFile is the name of the file of lock-screen cards in the data
// folder.
const LockScreenFile = "lockscreen-cards.json"

func (s *Store) lockScreenPath() string { return filepath.Join(s.dir, LockScreenFile) }

// readLockScreen reads the file: profile id -> card. A missing file is no
// card.
func (s *Store) readLockScreen() (map[string]json.RawMessage, error) {
	cards := map[string]json.RawMessage{}
	data, err := os.ReadFile(s.lockScreenPath())
	if errors.Is(err, os.ErrNotExist) {
		return cards, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &cards); err != nil {
		return nil, fmt.Errorf("lock-screen cards: %w", err)
	}
	return cards, nil
}

// writeLockScreen replaces the file (written beside it, made private,
// synced and renamed), or removes it when no card is left.
func (s *Store) writeLockScreen(cards map[string]json.RawMessage) error {
	if len(cards) == 0 {
		if err := os.Remove(s.lockScreenPath()); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	data, err := json.Marshal(cards)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(s.dir, ".lockscreen-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, s.lockScreenPath()); err != nil {
		return err
	}
	ok = true
	return nil
}

// PutLockScreenCard stores card (JSON) for the profile, readable without
// unlocking. It needs the store unlocked: only an unlocked app may decide
// what the lock screen shows.
func (s *Store) PutLockScreenCard(profileID string, card []byte) error {
	if s.Locked() {
		return fmt.Errorf("put lock-screen card: %w", ErrLocked)
	}
	if !json.Valid(card) {
		return fmt.Errorf("put lock-screen card: not JSON")
	}
	s.cardMu.Lock()
	defer s.cardMu.Unlock()
	cards, err := s.readLockScreen()
	if err != nil {
		cards = map[string]json.RawMessage{} // a damaged file is replaced
	}
	cards[profileID] = json.RawMessage(card)
	if err := s.writeLockScreen(cards); err != nil {
		return fmt.Errorf("put lock-screen card: %w", err)
	}
	return nil
}

// DeleteLockScreenCard removes the profile's card; removing an absent one
// is not an error. It works locked too (forgetting is always allowed).
func (s *Store) DeleteLockScreenCard(profileID string) error {
	s.cardMu.Lock()
	defer s.cardMu.Unlock()
	cards, err := s.readLockScreen()
	if err != nil {
		return s.writeLockScreen(nil) // damaged: remove it whole
	}
	if _, ok := cards[profileID]; !ok {
		return nil
	}
	delete(cards, profileID)
	if err := s.writeLockScreen(cards); err != nil {
		return fmt.Errorf("delete lock-screen card: %w", err)
	}
	return nil
}

// LockScreenCard is one card readable without unlocking.
type LockScreenCard struct {
	ProfileID string
	Card      []byte // as given to PutLockScreenCard
}

// LockScreenCards returns every stored card, by profile id. It works while
// locked: that is what the cards are for.
func (s *Store) LockScreenCards() ([]LockScreenCard, error) {
	s.cardMu.Lock()
	defer s.cardMu.Unlock()
	cards, err := s.readLockScreen()
	if err != nil {
		return nil, fmt.Errorf("read lock-screen cards: %w", err)
	}
	out := make([]LockScreenCard, 0, len(cards))
	for id, c := range cards {
		out = append(out, LockScreenCard{ProfileID: id, Card: []byte(c)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ProfileID < out[j].ProfileID })
	return out, nil
}
