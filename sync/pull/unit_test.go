package pull

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi/fhirtest"
)

// refIndexer indexes a resource under its id and, for an Observation, the
// id of its performer when that is cached ("by-dr1"): what it finds
// through lookup shows in the index.
func refIndexer(rs []storage.Resource, lookup func(typ, id string) (storage.Resource, bool)) []storage.SearchDoc {
	var docs []storage.SearchDoc
	for _, r := range rs {
		d := storage.SearchDoc{Type: r.Type, ID: r.ID, Words: []storage.SearchWord{{Word: strings.ToLower(r.ID)}, {Word: "all"}}}
		var v struct {
			Performer []struct{ Reference string }
		}
		_ = json.Unmarshal(r.JSON, &v)
		for _, p := range v.Performer {
			if typ, id, ok := strings.Cut(p.Reference, "/"); ok {
				if _, ok := lookup(typ, id); ok {
					d.Words = append(d.Words, storage.SearchWord{Word: "by-" + id})
				}
			}
		}
		docs = append(docs, d)
	}
	return docs
}

// searchCount is how many stored resources the index finds for word.
func searchCount(t *testing.T, st *storage.Store, pid, word string) int {
	t.Helper()
	ctx := context.Background()
	cands, err := st.SearchIndex(ctx, pid, []string{word})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range cands {
		if _, err := st.ResourceAt(ctx, pid, c.Row); err == nil {
			n++
		}
	}
	return n
}

// A sync cut off after any page leaves whole pages committed, each with
// its search index, and no checkpoint: pages are prepared ahead of the
// writer, but only what is committed is there.
func TestCutOffSyncLeavesWholePages(t *testing.T) {
	srv := fhirtest.New(fhirtest.Features{Everything: true})
	defer srv.Close()
	srv.Put(`{"resourceType":"Patient","id":"p1"}`)
	for i := range 23 {
		srv.Put(fmt.Sprintf(`{"resourceType":"Observation","id":"o%02d","status":"final","subject":{"reference":"Patient/p1"},"performer":[{"reference":"Practitioner/dr1"}]}`, i))
	}
	srv.Put(`{"resourceType":"Practitioner","id":"dr1"}`)
	for stopAfter := 1; stopAfter <= 4; stopAfter++ {
		st, pid := openStore(t)
		st.SetSearchIndexer(refIndexer)
		done := cutOffSync(t, srv, st, pid, stopAfter)
		stored := 0
		for _, n := range counts(t, st, pid) {
			stored += n
		}
		if stored != done || done%5 != 0 {
			t.Errorf("stop after %d pages: %d stored, %d reported done: want the same, whole pages of 5", stopAfter, stored, done)
		}
		if got := searchCount(t, st, pid, "all"); got != stored {
			t.Errorf("stop after %d pages: the index finds %d of %d stored", stopAfter, got, stored)
		}
	}
}

// Each page's index sees what the pages before it store or remove, and
// what its own page removes, but nothing of the pages after it; once
// committed, a page leaves the cache to answer.
func TestPendingPagesLookup(t *testing.T) {
	res := func(id, v string) storage.Resource {
		return storage.Resource{Type: "Observation", ID: id, JSON: []byte(v)}
	}
	p := newPending()
	p.add(&pageWrite{seq: 1, batch: []storage.Resource{res("a", "1"), res("b", "1")}})
	p.add(&pageWrite{seq: 2, batch: []storage.Resource{res("a", "2")}, removes: []key{{"Observation", "b"}}})
	p.add(&pageWrite{seq: 3, batch: []storage.Resource{res("b", "3"), res("c", "3")}})
	p.add(&pageWrite{seq: 4, removes: []key{{"Observation", "c"}}})
	tests := []struct {
		seq           int
		id            string
		want          string // JSON of the resource seen
		exists, known bool
	}{
		{1, "a", "1", true, true},
		{2, "a", "2", true, true},
		{1, "b", "1", true, true},
		{2, "b", "", false, true}, // its own page removes it
		{3, "b", "3", true, true},
		{2, "c", "", false, false}, // a later page's: the cache answers
		{4, "c", "", false, true},
		{4, "d", "", false, false},
	}
	check := func(when string) {
		t.Helper()
		for _, tt := range tests {
			r, exists, known := p.lookup(tt.seq)("Observation", tt.id)
			if string(r.JSON) != tt.want || exists != tt.exists || known != tt.known {
				t.Errorf("%s: page %d looks up %s: %q %v %v, want %q %v %v", when, tt.seq, tt.id, r.JSON, exists, known, tt.want, tt.exists, tt.known)
			}
		}
	}
	check("all pending")
	p.committed(2)
	tests = []struct {
		seq           int
		id            string
		want          string
		exists, known bool
	}{
		{3, "a", "", false, false}, // committed: the cache answers
		{3, "b", "3", true, true},
		{4, "c", "", false, true},
	}
	check("pages 1 and 2 committed")
	p.committed(4)
	if len(p.versions) != 0 {
		t.Errorf("%d resources still pending once every page is committed", len(p.versions))
	}
}
