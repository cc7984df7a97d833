package app

import (
	"context"
	"testing"

	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/practice/store"
	"github.com/carebook/carebook/storage"
)

// guidanceOf returns the general guidance among due items.
func guidanceOf(due []record.CareDue) []string {
	var keys []string
	for _, c := range due {
		if c.Guidance {
			keys = append(keys, c.Key)
		}
	}
	return keys
}

// TestGuidanceWaitsForTheWholeRecord: general guidance reads what the
// record does not show ("your record shows none"), so the dashboard and
// the notifications leave it out until the record has been downloaded in
// full: before the first sync, and again when the cache was emptied by a
// rebuild of the data file, all through the download that fills it.
func TestGuidanceWaitsForTheWholeRecord(t *testing.T) {
	ctx := context.Background()
	p := startMsgPractice(t)
	dir := t.TempDir()
	a, err := Open(Config{DataDir: dir, Storage: storage.Options{KDF: cheapKDF, NoKeyring: true}, IdleTimeout: -1, Now: p.staffNow,
		Demo: func(context.Context) (DemoPractice, error) { return keepOpen{p}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Setup(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	info, err := a.ConnectDemo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id := info.ID

	// wantIncomplete checks the dashboard of a record not downloaded in
	// full.
	wantIncomplete := func(when string) {
		t.Helper()
		d, err := a.Dashboard(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Incomplete {
			t.Errorf("%s: the dashboard does not say the record is incomplete", when)
		}
		if g := guidanceOf(d.Due); len(g) > 0 {
			t.Errorf("%s: general guidance %v shown from an incomplete record", when, g)
		}
		if incomplete, err := a.RecordIncomplete(ctx, id); err != nil || !incomplete {
			t.Errorf("%s: RecordIncomplete = %v, %v", when, incomplete, err)
		}
	}
	// wantComplete checks the dashboard of a record downloaded in full: it
	// shows the guidance the whole record gives (some, for the demo
	// patient, or this test could not tell).
	wantComplete := func(when string) {
		t.Helper()
		d, err := a.Dashboard(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if d.Incomplete {
			t.Errorf("%s: the dashboard says the record is incomplete", when)
		}
		chart, err := a.Chart(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want := guidanceOf(record.PreventiveCare(chart, p.staffNow()))
		if len(want) == 0 {
			t.Fatalf("%s: the demo record gives no general guidance: the test cannot see it left out", when)
		}
		if got := guidanceOf(d.Due); len(got) != len(want) {
			t.Errorf("%s: guidance %v, want %v", when, got, want)
		}
	}

	// The practice has no vaccine on the record: the guidance on the
	// tetanus booster is due whatever the date ("your record shows none").
	var shots []store.Resource
	for page := ""; ; {
		rs, _, next, err := p.Store().Everything(ctx, store.EverythingQuery{Patient: practicePatient(t, a, id), Count: 1000, Page: page})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.Type == "Immunization" {
				shots = append(shots, r)
			}
		}
		if page = next; page == "" {
			break
		}
	}
	for _, r := range shots {
		if err := p.Store().Delete(ctx, r.Type, r.ID); err != nil {
			t.Fatal(err)
		}
	}

	wantIncomplete("before the first sync")
	syncNow(t, a, id)
	wantComplete("after the first sync")

	// The data file rebuilt without the cached record (as after damage):
	// the settings, the last sync's time among them, are kept.
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := RebuildDataFile(dir); err != nil {
		t.Fatal(err)
	}
	a, id = openMsgApp(t, p, dir) // unlocked, not synced
	wantIncomplete("after the rebuild")
	checked := false
	_, err = a.SyncWith(ctx, id, SyncOptions{OnProgress: func(pr SyncProgress) {
		// Progress comes once a page is stored: the cache is no longer
		// empty, but the record is still incomplete.
		if checked || pr.Done == 0 {
			return
		}
		checked = true
		if incomplete, err := a.RecordIncomplete(ctx, id); err != nil || !incomplete {
			t.Errorf("during the download after the rebuild (%d of %s stored): RecordIncomplete = %v, %v", pr.Done, pr.Type, incomplete, err)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !checked {
		t.Fatal("the sync after the rebuild reported no progress")
	}
	a.forget(id)
	wantComplete("after the sync that downloaded it again")
}

// TestRecordSharedEmptyIsComplete: a record whose finished sync left
// nothing in the cache (a practice that shares nothing of it, as after a
// parent's access was narrowed) is downloaded in full: the dashboard does
// not say it is still downloading.
func TestRecordSharedEmptyIsComplete(t *testing.T) {
	ctx := context.Background()
	p := startMsgPractice(t)
	a, id := openMsgApp(t, p, t.TempDir())
	syncNow(t, a, id)

	// What the sync left in the cache goes, as if the practice had
	// shared none of it; the sync's checkpoints stay.
	counts, err := a.store.Counts(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	err = a.store.Update(ctx, id, func(tx *storage.Tx) error {
		for typ := range counts {
			ids, err := tx.IDs(typ)
			if err != nil {
				return err
			}
			for _, rid := range ids {
				if err := tx.Delete(typ, rid); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if has, err := a.store.HasResources(ctx, id); err != nil || has {
		t.Fatalf("the cache still holds resources (%v): the test emptied nothing", err)
	}
	a.forget(id)
	d, err := a.Dashboard(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Incomplete {
		t.Error("the dashboard says a record synced in full, with nothing shared, is not downloaded in full yet")
	}
	if incomplete, err := a.RecordIncomplete(ctx, id); err != nil || incomplete {
		t.Errorf("RecordIncomplete = %v, %v; want false", incomplete, err)
	}
}
