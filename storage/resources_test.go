package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
)

func TestResourceRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, _ := newPassphraseStore(t)
	p := newProfile(t, s, "Ada")

	rs := []Resource{observation("o1", 1), observation("o2", 2),
		{Type: "Patient", ID: "pat-1", JSON: []byte(`{"resourceType":"Patient","id":"pat-1"}`)}}
	if err := s.Put(ctx, p.ID, rs...); err != nil {
		t.Fatalf("Put: %v", err)
	}

	for _, want := range rs {
		got, err := s.Get(ctx, p.ID, want.Type, want.ID)
		if err != nil {
			t.Fatalf("Get %s/%s: %v", want.Type, want.ID, err)
		}
		if got.Type != want.Type || got.ID != want.ID || !got.LastUpdated.Equal(want.LastUpdated) || !bytes.Equal(got.JSON, want.JSON) {
			t.Errorf("Get %s/%s = %+v, want %+v", want.Type, want.ID, got, want)
		}
	}

	tests := []struct {
		typ  string
		want []string
	}{
		{"", []string{"Observation/o1", "Observation/o2", "Patient/pat-1"}},
		{"Observation", []string{"Observation/o1", "Observation/o2"}},
		{"Condition", nil},
	}
	for _, tt := range tests {
		list, err := s.List(ctx, p.ID, tt.typ)
		if err != nil {
			t.Fatalf("List(%q): %v", tt.typ, err)
		}
		var got []string
		for _, r := range list {
			got = append(got, r.Type+"/"+r.ID)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("List(%q) = %v, want %v", tt.typ, got, tt.want)
		}
	}

	counts, err := s.Counts(ctx, p.ID)
	if err != nil {
		t.Fatalf("Counts: %v", err)
	}
	if counts["Observation"] != 2 || counts["Patient"] != 1 || len(counts) != 2 {
		t.Errorf("Counts = %v", counts)
	}

	// Replace, then delete.
	changed := observation("o1", 9)
	if err := s.Put(ctx, p.ID, changed); err != nil {
		t.Fatalf("Put again: %v", err)
	}
	got, err := s.Get(ctx, p.ID, "Observation", "o1")
	if err != nil || !bytes.Equal(got.JSON, changed.JSON) {
		t.Fatalf("Get after replace = %s, %v", got.JSON, err)
	}
	if err := s.Delete(ctx, p.ID, "Observation", "o1"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err = s.Get(ctx, p.ID, "Observation", "o1")
	wantErr(t, "Get after Delete", err, ErrNotFound)
	if err := s.Delete(ctx, p.ID, "Observation", "o1"); err != nil {
		t.Fatalf("Delete of an absent resource: %v", err)
	}
	_, err = s.Get(ctx, "no-such-profile", "Observation", "o2")
	wantErr(t, "Get in unknown profile", err, ErrNotFound)
}

func TestUpdateIsAtomic(t *testing.T) {
	ctx := context.Background()
	s, _ := newPassphraseStore(t)
	p := newProfile(t, s, "Ada")

	err := s.Update(ctx, p.ID, func(tx *Tx) error {
		if err := tx.Put(observation("a", 1), observation("b", 2)); err != nil {
			return err
		}
		if err := tx.SetCheckpoint("since", "2024-03-02T00:00:00Z"); err != nil {
			return err
		}
		ids, err := tx.IDs("Observation")
		if err != nil {
			return err
		}
		if !slices.Equal(ids, []string{"a", "b"}) {
			t.Errorf("IDs inside tx = %v", ids)
		}
		v, ok, err := tx.Checkpoint("since")
		if err != nil || !ok || v != "2024-03-02T00:00:00Z" {
			t.Errorf("Checkpoint inside tx = %q, %v, %v", v, ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}

	boom := errors.New("boom")
	err = s.Update(ctx, p.ID, func(tx *Tx) error {
		if err := tx.Put(observation("c", 3)); err != nil {
			return err
		}
		if err := tx.Delete("Observation", "a"); err != nil {
			return err
		}
		if err := tx.SetCheckpoint("since", "later"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update returned %v, want the function's error", err)
	}
	list, err := s.List(ctx, p.ID, "Observation")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(list) != 2 || list[0].ID != "a" || list[1].ID != "b" {
		t.Errorf("after rolled back Update: %d resources", len(list))
	}
	v, ok, err := s.Checkpoint(ctx, p.ID, "since")
	if err != nil || !ok || v != "2024-03-02T00:00:00Z" {
		t.Errorf("Checkpoint after rollback = %q, %v, %v", v, ok, err)
	}
	_, ok, err = s.Checkpoint(ctx, p.ID, "never-set")
	if err != nil || ok {
		t.Errorf("unset Checkpoint = ok %v, err %v", ok, err)
	}
}

func TestPutRejectsIncompleteResources(t *testing.T) {
	ctx := context.Background()
	s, _ := newPassphraseStore(t)
	p := newProfile(t, s, "Ada")
	for _, r := range []Resource{{ID: "x"}, {Type: "Observation"}} {
		wantErr(t, "Put incomplete", s.Put(ctx, p.ID, r), ErrInvalid)
	}
}

func TestEachStopsAtFirstError(t *testing.T) {
	ctx := context.Background()
	s, _ := newPassphraseStore(t)
	p := newProfile(t, s, "Ada")
	if err := s.Put(ctx, p.ID, observation("a", 1), observation("b", 2), observation("c", 3)); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	calls := 0
	err := s.Each(ctx, p.ID, "", func(Resource) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("Each = %v after %d calls, want the callback's error after 1", err, calls)
	}
}

// TestRemoveByKey: Remove finds a record by its row key, reports whether it
// was cached, and touches nothing else (not the same id of another type,
// not the same record of another profile).
func TestRemoveByKey(t *testing.T) {
	ctx := context.Background()
	s, _ := newPassphraseStore(t)
	a, b := newProfile(t, s, "Ada"), newProfile(t, s, "Bo")
	same := []Resource{observation("o1", 1), observation("o2", 2),
		{Type: "Condition", ID: "o1", JSON: []byte(`{"resourceType":"Condition","id":"o1"}`)}}
	for _, p := range []Profile{a, b} {
		if err := s.Put(ctx, p.ID, same...); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		typ, id string
		want    bool
	}{
		{"Observation", "o1", true},
		{"Observation", "o1", false}, // already gone
		{"Observation", "absent", false},
		{"Patient", "o2", false}, // the id under another type
	}
	for _, tt := range tests {
		var got bool
		if err := s.Update(ctx, a.ID, func(tx *Tx) error {
			var err error
			got, err = tx.Remove(tt.typ, tt.id)
			return err
		}); err != nil {
			t.Fatalf("Remove %s/%s: %v", tt.typ, tt.id, err)
		}
		if got != tt.want {
			t.Errorf("Remove %s/%s = %v, want %v", tt.typ, tt.id, got, tt.want)
		}
	}
	for _, c := range []struct {
		profile string
		want    map[string]int
	}{
		{a.ID, map[string]int{"Observation": 1, "Condition": 1}},
		{b.ID, map[string]int{"Observation": 2, "Condition": 1}},
	} {
		counts, err := s.Counts(ctx, c.profile)
		if err != nil {
			t.Fatal(err)
		}
		if len(counts) != len(c.want) || counts["Observation"] != c.want["Observation"] || counts["Condition"] != c.want["Condition"] {
			t.Errorf("counts of %s = %v, want %v", c.profile, counts, c.want)
		}
	}
	if _, err := s.Get(ctx, a.ID, "Observation", "o2"); err != nil {
		t.Errorf("the record left in place: %v", err)
	}
}

// TestRemoveAll: RemoveAll removes the named records that are cached,
// counts them by type (an absent one, one named twice and the same id
// under another type count for nothing), tells a write watcher of each,
// and touches nothing else (not the same records of another profile).
func TestRemoveAll(t *testing.T) {
	ctx := context.Background()
	s, _ := newPassphraseStore(t)
	a, b := newProfile(t, s, "Ada"), newProfile(t, s, "Bo")
	condition := func(id string) Resource {
		return Resource{Type: "Condition", ID: id, JSON: fmt.Appendf(nil, `{"resourceType":"Condition","id":%q}`, id)}
	}
	same := []Resource{observation("o1", 1), observation("o2", 2), observation("o3", 3), condition("c1"), condition("o3")}
	for _, p := range []Profile{a, b} {
		if err := s.Put(ctx, p.ID, same...); err != nil {
			t.Fatal(err)
		}
	}
	var watched []Change
	s.SetWriteWatcher(WriteWatcher{Types: []string{"Observation", "Condition"}, Watch: func(_ *Tx, cs []Change) error {
		watched = append(watched, cs...)
		return nil
	}})
	defer s.SetWriteWatcher(WriteWatcher{})
	var removed map[string]int
	err := s.Update(ctx, a.ID, func(tx *Tx) error {
		var err error
		removed, err = tx.RemoveAll([]Resource{
			{Type: "Observation", ID: "o3"}, {Type: "Observation", ID: "o1"}, {Type: "Observation", ID: "o1"},
			{Type: "Observation", ID: "absent"}, {Type: "Patient", ID: "o2"}, {Type: "Condition", ID: "c1"},
		})
		return err
	})
	if err != nil {
		t.Fatalf("RemoveAll: %v", err)
	}
	if want := map[string]int{"Observation": 2, "Condition": 1}; !maps.Equal(removed, want) {
		t.Errorf("RemoveAll removed %v, want %v", removed, want)
	}
	var got []string
	for _, c := range watched {
		if !c.Removed {
			t.Errorf("watcher told of %s/%s as stored, want removed", c.Type, c.ID)
		}
		got = append(got, c.Type+"/"+c.ID)
	}
	slices.Sort(got)
	if want := []string{"Condition/c1", "Observation/o1", "Observation/o3"}; !slices.Equal(got, want) {
		t.Errorf("watcher told of %v, want %v", got, want)
	}
	for _, c := range []struct {
		profile string
		want    []string
	}{
		{a.ID, []string{"Condition/o3", "Observation/o2"}},
		{b.ID, []string{"Condition/c1", "Condition/o3", "Observation/o1", "Observation/o2", "Observation/o3"}},
	} {
		rs, err := s.List(ctx, c.profile, "")
		if err != nil {
			t.Fatal(err)
		}
		var left []string
		for _, r := range rs {
			left = append(left, r.Type+"/"+r.ID)
		}
		if !slices.Equal(left, c.want) {
			t.Errorf("left in %s: %v, want %v", c.profile, left, c.want)
		}
	}
	if err := s.Update(ctx, a.ID, func(tx *Tx) error {
		removed, err = tx.RemoveAll(nil)
		return err
	}); err != nil || len(removed) != 0 {
		t.Errorf("RemoveAll(nil) = %v, %v; want nothing removed", removed, err)
	}
}

// TestUncached: Uncached returns, sorted and once each, the ids of one
// type that the profile does not hold (the same id under another type,
// or in another profile, does not count as held).
func TestUncached(t *testing.T) {
	ctx := context.Background()
	s, _ := newPassphraseStore(t)
	a, b := newProfile(t, s, "Ada"), newProfile(t, s, "Bo")
	if err := s.Put(ctx, a.ID, observation("o1", 1), observation("o2", 2)); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, b.ID, observation("o3", 3)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		typ  string
		ids  []string
		want []string
	}{
		{"Observation", nil, nil},
		{"Observation", []string{"o1", "o2"}, nil},
		{"Observation", []string{"o3", "o1", "o9", "o3"}, []string{"o3", "o9"}},
		{"Condition", []string{"o1"}, []string{"o1"}},
	}
	for _, tt := range tests {
		var got []string
		if err := s.Update(ctx, a.ID, func(tx *Tx) error {
			var err error
			got, err = tx.Uncached(tt.typ, tt.ids)
			return err
		}); err != nil {
			t.Fatalf("Uncached(%s, %v): %v", tt.typ, tt.ids, err)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Uncached(%s, %v) = %v, want %v", tt.typ, tt.ids, got, tt.want)
		}
	}
}

// TestUnlisted: Unlisted returns the cached ids of a type that a listing
// lacks, sorted, whatever the listing holds besides (ids not cached, ids
// of another type).
func TestUnlisted(t *testing.T) {
	ctx := context.Background()
	s, _ := newPassphraseStore(t)
	p := newProfile(t, s, "Ada")
	if err := s.Put(ctx, p.ID, observation("o1", 1), observation("o2", 2), observation("o3", 3), observation("o4", 4),
		Resource{Type: "Condition", ID: "o2", JSON: []byte(`{"resourceType":"Condition","id":"o2"}`)}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		typ    string
		listed []string
		want   []string
	}{
		{"Observation", []string{"o1", "o3", "absent"}, []string{"o2", "o4"}},
		{"Observation", nil, []string{"o1", "o2", "o3", "o4"}},
		{"Observation", []string{"o4", "o3", "o2", "o1"}, nil},
		{"Condition", []string{"o1"}, []string{"o2"}},
		{"Patient", []string{"o1"}, nil},
	}
	for _, tt := range tests {
		var got []string
		if err := s.Update(ctx, p.ID, func(tx *Tx) error {
			var err error
			got, err = tx.Unlisted(tt.typ, tt.listed)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Unlisted(%s, %v) = %v, want %v", tt.typ, tt.listed, got, tt.want)
		}
	}
}

// TestPutReplacesInPlace: a resource written again, in a later transaction
// or in the same one, keeps its local row (the search index refers to it)
// and that row holds the newest value.
func TestPutReplacesInPlace(t *testing.T) {
	ctx := context.Background()
	s, _ := newPassphraseStore(t)
	p := newProfile(t, s, "Ada")
	rowsOf := func() map[string]int64 {
		t.Helper()
		rows, err := s.reader.QueryContext(ctx, "SELECT id FROM resources")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]int64{}
		for rows.Next() {
			var row int64
			if err := rows.Scan(&row); err != nil {
				t.Fatal(err)
			}
			r, err := s.ResourceAt(ctx, p.ID, row)
			if err != nil {
				t.Fatalf("ResourceAt(%d): %v", row, err)
			}
			out[r.Type+"/"+r.ID+" "+string(r.JSON)] = row
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	o1, o2 := observation("o1", 1), observation("o2", 2)
	if err := s.Put(ctx, p.ID, o1, o2); err != nil {
		t.Fatalf("Put: %v", err)
	}
	before := rowsOf()
	o1b, o2b, o2c := observation("o1", 3), observation("o2", 4), observation("o2", 5)
	if err := s.Put(ctx, p.ID, o1b, o2b, o2c); err != nil {
		t.Fatalf("Put again: %v", err)
	}
	after := rowsOf()
	tests := []struct {
		name     string
		old, new Resource
	}{
		{"replaced in a later transaction", o1, o1b},
		{"replaced twice in one transaction", o2, o2c},
	}
	for _, tt := range tests {
		oldRow := before["Observation/"+tt.old.ID+" "+string(tt.old.JSON)]
		newRow, ok := after["Observation/"+tt.new.ID+" "+string(tt.new.JSON)]
		if !ok || newRow != oldRow || oldRow == 0 {
			t.Errorf("%s: row %d (found %v), want %d", tt.name, newRow, ok, oldRow)
		}
	}
	if len(after) != 2 {
		t.Errorf("%d rows after replacing, want 2: %v", len(after), after)
	}
}
