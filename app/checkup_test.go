package app

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/pull"
)

// TestLastCheckUpKeptInStep: the last check-up the dashboard reads alone
// stays the one the whole record names, whatever writes add, change or
// remove visits, after a key rotation, and for a cache written before it
// was kept; the dashboard's preventive care says the same as when
// computed from the whole decoded record.
func TestLastCheckUpKeptInStep(t *testing.T) {
	ctx := context.Background()
	a := openTestApp(t, false, -1)
	const passphrase = "a long passphrase"
	if err := a.Setup(ctx, passphrase); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	// The steps stand for syncs: the record counts as downloaded in full,
	// or the dashboard would leave the guidance out.
	p, err := a.store.CreateProfile(ctx, storage.Profile{PracticeURL: "https://example.org/fhir", PatientID: "pat", Label: "Ada",
		Settings: map[string]string{settingLastSync: now.UTC().Format(time.RFC3339)}})
	if err != nil {
		t.Fatal(err)
	}
	err = a.store.Update(ctx, p.ID, func(tx *storage.Tx) error {
		return tx.SetCheckpoint(pull.CheckpointReconciled, now.UTC().Format(time.RFC3339Nano))
	})
	if err != nil {
		t.Fatal(err)
	}
	a.cfg.Now = func() time.Time { return now }
	date := func(monthsAgo int) string { return now.AddDate(0, -monthsAgo, 0).UTC().Format(time.DateOnly) }
	visit := func(id, kind, status string, monthsAgo int) storage.Resource {
		return storage.Resource{Type: "Encounter", ID: id, LastUpdated: now, JSON: fmt.Appendf(nil,
			`{"resourceType":"Encounter","id":%q,"status":%q,"type":[{"text":%q}],"subject":{"reference":"Patient/pat"},"period":{"start":%q}}`,
			id, status, kind, date(monthsAgo))}
	}
	const checkUp, followUp = "Encounter for check up (procedure)", "Follow-up visit"
	put := func(rs ...storage.Resource) func() error {
		return func() error { return a.store.Put(ctx, p.ID, rs...) }
	}
	del := func(ids ...string) func() error {
		return func() error {
			return a.store.Update(ctx, p.ID, func(tx *storage.Tx) error {
				for _, id := range ids {
					if err := tx.Delete("Encounter", id); err != nil {
						return err
					}
				}
				return nil
			})
		}
	}
	steps := []struct {
		name string
		do   func() error
		last string // the id of the last check-up, "" for none
	}{
		{"a first sync", put(storage.Resource{Type: "Patient", ID: "pat", JSON: []byte(`{"resourceType":"Patient","id":"pat","birthDate":"1970-01-01"}`)},
			visit("a", checkUp, "finished", 36), visit("f", followUp, "finished", 1)), "a"},
		{"a later check-up", put(visit("b", checkUp, "finished", 24)), "b"},
		{"an earlier check-up", put(visit("old", checkUp, "finished", 60)), "b"},
		{"the last one cancelled", put(visit("b", checkUp, "cancelled", 24)), "a"},
		{"a recent check-up", put(visit("c", checkUp, "finished", 2), visit("d", followUp, "finished", 1)), "c"},
		{"the last one removed", del("c"), "a"},
		{"the last one moved back", put(visit("a", checkUp, "finished", 72)), "old"},
		{"a key rotation", func() error { return a.store.Rekey(ctx, passphrase) }, "old"},
		{"every check-up removed", del("a", "b", "old"), ""},
		{"a cache from before", func() error {
			// Written with no watcher, and no value kept: the dashboard
			// finds it.
			a.store.SetWriteWatcher(storage.WriteWatcher{})
			defer a.store.SetWriteWatcher(writeWatcher)
			if err := a.store.DeleteValue(ctx, p.ID, valueLastCheckUp); err != nil {
				return err
			}
			return a.store.Put(ctx, p.ID, visit("e", checkUp, "finished", 18))
		}, "e"},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		a.forget(p.ID)
		fast, err := a.Dashboard(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		kept, known, err := readLastCheckUp(func(name string) ([]byte, error) { return a.store.Value(ctx, p.ID, name) })
		if err != nil || !known || kept.ID != st.last {
			t.Errorf("%s: last check-up kept %q (known %v, %v), want %q", st.name, kept.ID, known, err, st.last)
		}
		chart, err := a.Chart(ctx, p.ID) // the whole record, decoded
		if err != nil {
			t.Fatal(err)
		}
		if e, _ := record.LastCheckUp(chart.Encounters); e.ID != st.last {
			t.Errorf("%s: the whole record's last check-up is %q, want %q", st.name, e.ID, st.last)
		}
		full, err := a.Dashboard(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fast.Due, full.Due) {
			t.Errorf("%s: preventive care from the few records:\n%+v\nfrom the whole record:\n%+v", st.name, fast.Due, full.Due)
		}
		var keys []string
		for _, c := range fast.Due {
			if strings.HasPrefix(c.Key, record.CheckUpGuidanceKey) {
				keys = append(keys, strings.TrimPrefix(c.Key, record.CheckUpGuidanceKey))
			}
		}
		t.Logf("%s: check-up guidance %v", st.name, keys)
		if st.last == "c" && len(keys) != 0 {
			t.Errorf("%s: check-up guidance %v two months after one", st.name, keys)
		}
		if st.last == "" && (len(keys) != 1 || keys[0] != "none") {
			t.Errorf("%s: check-up guidance %v, want one saying there is none", st.name, keys)
		}
	}
}
