package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

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
type SavedDraft = savedValue[Draft]

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
		return putIndexed(tx, draftIndexName, key, draftName(key), b)
	})
	if err != nil {
		return "", fmt.Errorf("save draft: %w", err)
	}
	return key, nil
}

// indexKeys reads the index value named index (the keys of a profile's
// drafts) with value (Store.Value or Tx.Value of the profile).
func indexKeys(value func(name string) ([]byte, error), index string) ([]string, error) {
	b, err := value(index)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var keys []string
	if err := json.Unmarshal(b, &keys); err != nil {
		return nil, fmt.Errorf("%s: %w", index, storage.ErrIntegrity)
	}
	return keys, nil
}

func putIndexKeys(tx *storage.Tx, index string, keys []string) error {
	b, err := json.Marshal(keys)
	if err != nil {
		return err
	}
	return tx.PutValue(index, b)
}

// putIndexed writes b as the value name and names key in the index, in
// tx.
func putIndexed(tx *storage.Tx, index, key, name string, b []byte) error {
	keys, err := indexKeys(tx.Value, index)
	if err != nil {
		return err
	}
	if !slices.Contains(keys, key) {
		if err := putIndexKeys(tx, index, append(keys, key)); err != nil {
			return err
		}
	}
	return tx.PutValue(name, b)
}

// deleteIndexed removes the value name and key from the index, in tx.
func deleteIndexed(tx *storage.Tx, index, key, name string) error {
	keys, err := indexKeys(tx.Value, index)
	if err != nil {
		return err
	}
	if i := slices.Index(keys, key); i >= 0 {
		if err := putIndexKeys(tx, index, slices.Delete(keys, i, i+1)); err != nil {
			return err
		}
	}
	return tx.DeleteValue(name)
}

// readValue reads the profile's value name as the JSON of a T; ok is
// false when there is none.
func readValue[T any](ctx context.Context, s *storage.Store, profileID, name string) (v T, ok bool, err error) {
	b, err := s.Value(ctx, profileID, name)
	if errors.Is(err, storage.ErrNotFound) {
		return v, false, nil
	}
	if err != nil {
		return v, false, err
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, false, storage.ErrIntegrity
	}
	return v, true, nil
}

// Draft returns the draft kept under key; ok is false when there is none.
func (a *App) Draft(ctx context.Context, profileID, key string) (d Draft, ok bool, err error) {
	d, ok, err = readValue[Draft](ctx, a.store, profileID, draftName(key))
	if err != nil {
		return Draft{}, false, fmt.Errorf("read draft: %w", err)
	}
	return d, ok, nil
}

// Drafts lists the profile's drafts, new messages' and replies', the
// latest saved first.
func (a *App) Drafts(ctx context.Context, profileID string) ([]SavedDraft, error) {
	// DraftNew may have been saved before the index existed.
	ds, err := readDrafts(ctx, a.store, profileID, draftIndexName, draftName, func(d Draft) time.Time { return d.Saved }, DraftNew)
	if err != nil {
		return nil, fmt.Errorf("drafts: %w", err)
	}
	return ds, nil
}

// savedValue is a draft (a T) with the key it is kept under: SavedDraft,
// SavedFormDraft.
type savedValue[T any] struct {
	Key   string
	Draft T
}

// readDrafts reads the drafts the index names, and those under also
// when the index does not name them: the value name(key) of each, those
// gone left out, the latest saved (by saved) first.
func readDrafts[T any](ctx context.Context, s *storage.Store, profileID, index string, name func(key string) string,
	saved func(T) time.Time, also ...string) ([]savedValue[T], error) {
	keys, err := indexKeys(func(name string) ([]byte, error) { return s.Value(ctx, profileID, name) }, index)
	if err != nil {
		return nil, err
	}
	for _, key := range also {
		if !slices.Contains(keys, key) {
			keys = append(keys, key)
		}
	}
	var out []savedValue[T]
	for _, key := range keys {
		d, ok, err := readValue[T](ctx, s, profileID, name(key))
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, savedValue[T]{Key: key, Draft: d})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return saved(out[i].Draft).After(saved(out[j].Draft)) })
	return out, nil
}

// DiscardDraft removes the draft kept under key, if any.
func (a *App) DiscardDraft(ctx context.Context, profileID, key string) error {
	err := a.store.Update(ctx, profileID, func(tx *storage.Tx) error {
		return deleteIndexed(tx, draftIndexName, key, draftName(key))
	})
	if err != nil {
		return fmt.Errorf("discard draft: %w", err)
	}
	return nil
}
