package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/storage"
)

// What is new is what the patient has not seen. For results that is every
// result group (a report, or a day of results no report lists) issued
// after the profile's baseline and not opened yet. The baseline is set at
// the first sync to newResultsWindow before it, so the results of the
// last weeks a first sync brings are new until opened; results older than
// that are history, not news.

// newResultsWindow is how far back a first sync's results count as new.
const newResultsWindow = 42 * 24 * time.Hour

// valueResultsOpened lists (JSON) the keys of the result groups the
// patient opened (record.LabGroup.Key).
const valueResultsOpened = "results-opened"

// maxOpenedKept bounds the opened list: the oldest keys go first (their
// results are long past the baseline's window by then).
const maxOpenedKept = 2000

// resultsBaseline is when results start counting as new for p.
func resultsBaseline(p storage.Profile, now time.Time) time.Time {
	if t, err := time.Parse(time.RFC3339, p.Settings[settingResultsSeen]); err == nil {
		return t
	}
	return now.Add(-newResultsWindow)
}

// setResultsBaseline sets the baseline at the first sync (settings s),
// leaving one set before.
func setResultsBaseline(s map[string]string, now time.Time) {
	if s[settingResultsSeen] == "" {
		s[settingResultsSeen] = now.Add(-newResultsWindow).UTC().Format(time.RFC3339)
	}
}

// openedResults returns the keys of the result groups the patient opened.
func (a *App) openedResults(ctx context.Context, profileID string) ([]string, error) {
	b, err := a.store.Value(ctx, profileID, valueResultsOpened)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("opened results: %w", err)
	}
	var keys []string
	if err := json.Unmarshal(b, &keys); err != nil {
		return nil, nil // unreadable: nothing counts as opened, nothing is lost
	}
	return keys, nil
}

// MarkResultOpened remembers that the patient opened these result groups
// (record.LabGroup.Key): they are no longer new.
func (a *App) MarkResultOpened(ctx context.Context, profileID string, keys ...string) error {
	a.settingsMu.Lock()
	opened, err := a.openedResults(ctx, profileID)
	if err != nil {
		a.settingsMu.Unlock()
		return fmt.Errorf("mark result opened: %w", err)
	}
	changed := false
	for _, k := range keys {
		if k != "" && !slices.Contains(opened, k) {
			opened = append(opened, k)
			changed = true
		}
	}
	if !changed {
		a.settingsMu.Unlock()
		return nil
	}
	if len(opened) > maxOpenedKept {
		opened = opened[len(opened)-maxOpenedKept:]
	}
	b, err := json.Marshal(opened)
	if err == nil {
		err = a.store.PutValue(ctx, profileID, valueResultsOpened, b)
	}
	a.settingsMu.Unlock()
	if err != nil {
		return fmt.Errorf("mark result opened: %w", err)
	}
	a.bus.Publish(SeenChanged{ProfileID: profileID})
	return nil
}

// unseenResults filters what is new: the groups issued after the baseline
// (newSince, from record.NewResults) that the patient has not opened.
func unseenResults(newSince []record.LabGroup, opened []string) []record.LabGroup {
	if len(opened) == 0 {
		return newSince
	}
	var out []record.LabGroup
	for _, g := range newSince {
		if !slices.Contains(opened, g.Key()) {
			out = append(out, g)
		}
	}
	return out
}

// openedObservations are the keys of the results in opened groups, so
// that an abnormal result the patient has looked at stops asking for
// attention.
func openedObservations(groups []record.LabGroup, opened []string) map[string]bool {
	out := map[string]bool{}
	for _, g := range groups {
		if slices.Contains(opened, g.Key()) {
			for _, o := range g.Results {
				out[o.Key()] = true
			}
		}
	}
	return out
}
