package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/google/uuid"

	"github.com/carebook/carebook/storage"
)

// A profile keeps any number of drafts: the new message the patient
// writes (DraftNew), another new message each ("new/<uuid>", NewDraftKey)
// started while that one was in progress (a question about a result, a
// refused message brought back), and a reply per thread. Nothing the
// patient wrote is replaced by another draft. Value names are sealed, so
// storage cannot list them: the draft index value names every key, and is
// written in the same transaction as the draft.

// draftIndexName is the value listing the keys of the profile's drafts.
const draftIndexName = "message-drafts"

// draftName is the storage value name of a draft.
func draftName(key string) string { return "message-draft/" + key }

// NewDraftKey is the key of a new message's draft of its own, beside the
// one under DraftNew.
func NewDraftKey() string { return DraftNew + "/" + uuid.NewString() }

// IsNewMessageDraft reports whether key is that of a new message's draft
// (DraftNew or a NewDraftKey), not a reply's.
func IsNewMessageDraft(key string) bool {
	return key == DraftNew || strings.HasPrefix(key, DraftNew+"/")
}

// SavedDraft is a draft with the key it is kept under.
type SavedDraft struct {
	Key   string
	Draft Draft
}

// SaveDraft keeps d as the draft under key (DraftNew, a NewDraftKey, or a
// thread's "Communication/id"), sealed with the profile. An empty draft
// removes it.
func (a *App) SaveDraft(ctx context.Context, profileID, key string, d Draft) error {
	if d.IsEmpty() && d.About == "" {
		return a.DiscardDraft(ctx, profileID, key)
	}
	_, err := a.putDraft(ctx, profileID, key, d, false)
	return err
}

// putDraft writes d under key and names key in the draft index, in one
// transaction. With keepOther, a draft already under key is left as it is
// and d goes under a NewDraftKey instead. It returns the key used.
func (a *App) putDraft(ctx context.Context, profileID, key string, d Draft, keepOther bool) (string, error) {
	d.Saved = a.cfg.Now().UTC()
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("save draft: %w", err)
	}
	err = a.store.Update(ctx, profileID, func(tx *storage.Tx) error {
		if keepOther {
			_, err := tx.Value(draftName(key))
			switch {
			case err == nil:
				key = NewDraftKey()
			case !errors.Is(err, storage.ErrNotFound):
				return err
			}
		}
		keys, err := draftKeys(tx.Value)
		if err != nil {
			return err
		}
		if !slices.Contains(keys, key) {
			if err := putDraftKeys(tx, append(keys, key)); err != nil {
				return err
			}
		}
		return tx.PutValue(draftName(key), b)
	})
	if err != nil {
		return "", fmt.Errorf("save draft: %w", err)
	}
	return key, nil
}

// draftKeys reads the draft index with value (Store.Value or Tx.Value of
// the profile).
func draftKeys(value func(name string) ([]byte, error)) ([]string, error) {
	b, err := value(draftIndexName)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var keys []string
	if err := json.Unmarshal(b, &keys); err != nil {
		return nil, fmt.Errorf("draft index: %w", storage.ErrIntegrity)
	}
	return keys, nil
}

func putDraftKeys(tx *storage.Tx, keys []string) error {
	b, err := json.Marshal(keys)
	if err != nil {
		return err
	}
	return tx.PutValue(draftIndexName, b)
}

// Draft returns the draft kept under key; ok is false when there is none.
func (a *App) Draft(ctx context.Context, profileID, key string) (d Draft, ok bool, err error) {
	b, err := a.store.Value(ctx, profileID, draftName(key))
	if errors.Is(err, storage.ErrNotFound) {
		return Draft{}, false, nil
	}
	if err != nil {
		return Draft{}, false, fmt.Errorf("read draft: %w", err)
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return Draft{}, false, fmt.Errorf("read draft: %w", storage.ErrIntegrity)
	}
	return d, true, nil
}

// Drafts lists the profile's drafts, new messages' and replies', the
// latest saved first.
func (a *App) Drafts(ctx context.Context, profileID string) ([]SavedDraft, error) {
	keys, err := draftKeys(func(name string) ([]byte, error) { return a.store.Value(ctx, profileID, name) })
	if err != nil {
		return nil, fmt.Errorf("drafts: %w", err)
	}
	if !slices.Contains(keys, DraftNew) {
		// Saved before the index existed.
		keys = append(keys, DraftNew)
	}
	var out []SavedDraft
	for _, key := range keys {
		d, ok, err := a.Draft(ctx, profileID, key)
		if err != nil {
			return nil, fmt.Errorf("drafts: %w", err)
		}
		if ok {
			out = append(out, SavedDraft{Key: key, Draft: d})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Draft.Saved.After(out[j].Draft.Saved) })
	return out, nil
}

// DiscardDraft removes the draft kept under key, if any.
func (a *App) DiscardDraft(ctx context.Context, profileID, key string) error {
	err := a.store.Update(ctx, profileID, func(tx *storage.Tx) error {
		keys, err := draftKeys(tx.Value)
		if err != nil {
			return err
		}
		if i := slices.Index(keys, key); i >= 0 {
			if err := putDraftKeys(tx, slices.Delete(keys, i, i+1)); err != nil {
				return err
			}
		}
		return tx.DeleteValue(draftName(key))
	})
	if err != nil {
		return fmt.Errorf("discard draft: %w", err)
	}
	return nil
}
