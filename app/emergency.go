package app

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/carebook/carebook/storage"
)

// LockScreenCardChanged: a profile's emergency card was made readable from
// the lock screen, made again, or taken off it.
type LockScreenCardChanged struct{ ProfileID string }

// EmergencyCard returns the emergency card of profileID's person, made
// from every record of that person on this device (SamePerson), from the
// local cache: it works offline.
func (a *App) EmergencyCard(ctx context.Context, profileID string) (EmergencyCard, error) {
	ids, err := a.SamePerson(ctx, profileID)
	if err != nil {
		return EmergencyCard{}, fmt.Errorf("emergency card: %w", err)
	}
	s, err := a.HealthSummary(ctx, ids...)
	if err != nil {
		return EmergencyCard{}, fmt.Errorf("emergency card: %w", err)
	}
	return s.Card, nil
}

// LockScreenCardOn reports whether the profile's emergency card can be
// read from the lock screen. It works while locked.
func (a *App) LockScreenCardOn(ctx context.Context, profileID string) (bool, error) {
	cards, err := a.store.LockScreenCards()
	if err != nil {
		return false, fmt.Errorf("lock-screen card: %w", err)
	}
	return slices.ContainsFunc(cards, func(c storage.LockScreenCard) bool { return c.ProfileID == profileID }), nil
}

// SetLockScreenCard turns reading the profile's emergency card from the
// lock screen on or off. On stores the card (and only the card) outside
// the encryption, so it can be read without the passphrase: the screen
// must have told the patient so first. Off deletes that copy. The card is
// made again after every sync that changes the record, while on.
func (a *App) SetLockScreenCard(ctx context.Context, profileID string, on bool) error {
	if !on {
		if err := a.store.DeleteLockScreenCard(profileID); err != nil {
			return fmt.Errorf("lock-screen card: %w", err)
		}
		a.bus.Publish(LockScreenCardChanged{ProfileID: profileID})
		return nil
	}
	card, err := a.EmergencyCard(ctx, profileID)
	if err != nil {
		return fmt.Errorf("lock-screen card: %w", err)
	}
	data, err := json.Marshal(card)
	if err != nil {
		return fmt.Errorf("lock-screen card: %w", err)
	}
	if err := a.store.PutLockScreenCard(profileID, data); err != nil {
		return fmt.Errorf("lock-screen card: %w", err)
	}
	a.bus.Publish(LockScreenCardChanged{ProfileID: profileID})
	return nil
}

// refreshLockScreenCard makes the card again after the record changed,
// for every card that shows this profile's person. Best effort: the old
// card stays when the new one cannot be made.
func (a *App) refreshLockScreenCard(ctx context.Context, profileID string) error {
	cards, err := a.store.LockScreenCards()
	if err != nil || len(cards) == 0 {
		return err
	}
	ids, err := a.SamePerson(ctx, profileID)
	if err != nil {
		return err
	}
	for _, c := range cards {
		if slices.Contains(ids, c.ProfileID) {
			if err := a.SetLockScreenCard(ctx, c.ProfileID, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// LockScreenCards returns the emergency cards readable without unlocking,
// for the lock screen. It works while locked and reads nothing else.
func (a *App) LockScreenCards(ctx context.Context) ([]EmergencyCard, error) {
	cards, err := a.store.LockScreenCards()
	if err != nil {
		return nil, fmt.Errorf("lock-screen cards: %w", err)
	}
	out := make([]EmergencyCard, 0, len(cards))
	for _, c := range cards {
		var card EmergencyCard
		if err := json.Unmarshal(c.Card, &card); err != nil {
			continue // a card that cannot be read is not shown
		}
		out = append(out, card)
	}
	return out, nil
}

func (LockScreenCardChanged) isEvent() {}
