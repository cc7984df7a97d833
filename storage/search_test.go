package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// wordIndexer indexes the "text" fields of a resource (lower-cased words),
// the "title" field as its title; a "ref" field names another resource
// whose "title" joins the words (as the app's indexer names references).
func wordIndexer(rs []Resource, lookup func(typ, id string) (Resource, bool)) []SearchDoc {
	var docs []SearchDoc
	for _, r := range rs {
		var v struct{ Title, Text, Ref string }
		_ = json.Unmarshal(r.JSON, &v)
		d := SearchDoc{Type: r.Type, ID: r.ID}
		split := func(s string, title bool) {
			for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
				d.Words = append(d.Words, SearchWord{Word: w, Title: title})
			}
		}
		split(v.Title, true)
		split(v.Text, false)
		if typ, id, ok := strings.Cut(v.Ref, "/"); ok {
			if t, ok := lookup(typ, id); ok {
				var tv struct{ Title string }
				_ = json.Unmarshal(t.JSON, &tv)
				split(tv.Title, false)
			}
		}
		docs = append(docs, d)
	}
	return docs
}

func doc(typ, id, title, text string) Resource {
	b, _ := json.Marshal(map[string]string{"title": title, "text": text})
	return Resource{Type: typ, ID: id, JSON: b}
}

// found returns the "Type/id" of the candidates still stored, in order.
func found(t *testing.T, s *Store, profileID string, words ...string) []string {
	t.Helper()
	cands, err := s.SearchIndex(context.Background(), profileID, words)
	if err != nil {
		t.Fatalf("SearchIndex(%q): %v", words, err)
	}
	var out []string
	for _, c := range cands {
		r, err := s.ResourceAt(context.Background(), profileID, c.Row)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r.Type+"/"+r.ID)
	}
	return out
}

func TestSearchIndexFollowsWrites(t *testing.T) {
	ctx := context.Background()
	s, _ := newPassphraseStore(t)
	s.SetSearchIndexer(wordIndexer)
	p := newProfile(t, s, "a")
	if err := s.Put(ctx, p.ID,
		doc("Observation", "o1", "Cholesterol", "total, fasting"),
		doc("Observation", "o2", "Glucose", "fasting cholesterol diet"),
		doc("Condition", "c1", "Asthma", "mild"),
	); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		words []string
		want  string
	}{
		{[]string{"chol"}, "Observation/o1 Observation/o2"}, // title before body
		{[]string{"cholesterol", "fasting"}, "Observation/o1 Observation/o2"},
		{[]string{"fast", "gluc"}, "Observation/o2"},
		{[]string{"asthma"}, "Condition/c1"},
		{[]string{"sthma"}, ""},
		{[]string{"asthma", "chol"}, ""},
	}
	for _, tt := range tests {
		if got := strings.Join(found(t, s, p.ID, tt.words...), " "); got != tt.want {
			t.Errorf("search %q = %q, want %q", tt.words, got, tt.want)
		}
	}

	// A sync adds one, a reference names another, and deletes one.
	ref, _ := json.Marshal(map[string]string{"title": "Visit", "ref": "Practitioner/dr"})
	err := s.Update(ctx, p.ID, func(tx *Tx) error {
		if err := tx.Put(Resource{Type: "Encounter", ID: "e1", JSON: ref}, doc("Practitioner", "dr", "Doctor Okonkwo", "")); err != nil {
			return err
		}
		return tx.Delete("Condition", "c1")
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := found(t, s, p.ID, "asthma"); len(got) != 0 {
		t.Errorf("deleted resource still found: %q", got)
	}
	if got := strings.Join(found(t, s, p.ID, "okonkwo"), " "); got != "Practitioner/dr Encounter/e1" {
		t.Errorf("search okonkwo = %q", got)
	}
	// A changed resource ranks by its new words.
	if err := s.Put(ctx, p.ID, doc("Observation", "o2", "Cholesterol HDL", "")); err != nil {
		t.Fatal(err)
	}
	cands, err := s.SearchIndex(ctx, p.ID, []string{"cholesterol", "hdl"})
	if err != nil || len(cands) != 1 || cands[0].Score != 8 {
		t.Errorf("candidates after change = %+v, %v", cands, err)
	}
}

func TestSearchIndexIsSealed(t *testing.T) {
	ctx := context.Background()
	s, dir := newPassphraseStore(t)
	s.SetSearchIndexer(wordIndexer)
	a, b := newProfile(t, s, "a"), newProfile(t, s, "b")
	words := []string{"pheochromocytoma", "quixotewright", "zebulon"}
	for _, p := range []Profile{a, b} {
		if err := s.Put(ctx, p.ID, doc("Condition", "c1", "Pheochromocytoma suspected", "seen by Zebulon Quixotewright")); err != nil {
			t.Fatal(err)
		}
		if got := found(t, s, p.ID, "pheo", "zeb"); len(got) != 1 {
			t.Fatalf("the index does not work: %q", got)
		}
	}
	ta, err := s.searchTokenOf(ctx, a.ID, "zebulon")
	if err != nil {
		t.Fatal(err)
	}
	tb, err := s.searchTokenOf(ctx, b.ID, "zebulon")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(ta, tb) {
		t.Error("the same word gives the same token in two profiles")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertNoLeak(t, "search index", dir, words...)
	data, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, ta) || bytes.Contains(data, tb) {
		t.Error("a word's token is in the file in clear")
	}
}

func TestSearchIndexRebuild(t *testing.T) {
	ctx := context.Background()
	s, _ := newPassphraseStore(t)
	p := newProfile(t, s, "a")
	// Written without an indexer, as by a version older than the index.
	var rs []Resource
	for i := range 1200 {
		rs = append(rs, doc("Observation", "o"+itoa(i), "Result "+itoa(i), "hemoglobin"))
	}
	if err := s.Put(ctx, p.ID, rs...); err != nil {
		t.Fatal(err)
	}
	s.SetSearchIndexer(wordIndexer)
	if _, err := s.SearchIndex(ctx, p.ID, []string{"hemoglobin"}); !errors.Is(err, ErrSearchNotReady) {
		t.Fatalf("search of an unbuilt index: %v", err)
	}
	steps := 0
	for {
		pr, err := s.RebuildSearchStep(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		steps++
		if pr.Built {
			break
		}
		if st, err := s.SearchStatus(ctx, p.ID); err != nil || st.Total != 1200 || st.Done <= 0 || st.Built {
			t.Fatalf("progress = %+v, %v", st, err)
		}
		if steps > 10 {
			t.Fatal("the rebuild does not end")
		}
	}
	if got := found(t, s, p.ID, "hemo"); len(got) != 1200 {
		t.Errorf("found %d after rebuild", len(got))
	}
	if got := found(t, s, p.ID, "result", "1199"); len(got) != 1 || got[0] != "Observation/o1199" {
		t.Errorf("found %q", got)
	}

	// A key rotation builds the index again, under the new key.
	if err := s.Rekey(ctx, testPassphrase); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SearchIndex(ctx, p.ID, []string{"hemoglobin"}); !errors.Is(err, ErrSearchNotReady) {
		t.Fatalf("search right after a key rotation: %v", err)
	}
	for {
		pr, err := s.RebuildSearchStep(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if pr.Built {
			break
		}
	}
	if got := found(t, s, p.ID, "result", "7"); len(got) != 111 || got[0] != "Observation/o7" { // o7, o70-o79, o700-o799
		t.Errorf("found %q after key rotation", got)
	}
}

func TestSearchIndexOfClosedProfile(t *testing.T) {
	ctx := context.Background()
	s, _ := newPassphraseStore(t)
	s.SetSearchIndexer(wordIndexer)
	p := newProfile(t, s, "a")
	if err := s.Put(ctx, p.ID, doc("Condition", "c1", "Asthma", "")); err != nil {
		t.Fatal(err)
	}
	if err := s.SetProfileLock(ctx, p.ID, "", "own passphrase of a"); err != nil {
		t.Fatal(err)
	}
	if err := s.CloseProfile(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SearchIndex(ctx, p.ID, []string{"asthma"}); !errors.Is(err, ErrProfileLocked) {
		t.Fatalf("search of a closed record: %v", err)
	}
	if err := s.OpenProfile(ctx, p.ID, "own passphrase of a"); err != nil {
		t.Fatal(err)
	}
	if got := found(t, s, p.ID, "asthma"); len(got) != 1 {
		t.Errorf("found %q once opened", got)
	}
}

// TestSearchIndexAfterRollback: words of a write that was rolled back are
// not taken for known ones by the next write.
func TestSearchIndexAfterRollback(t *testing.T) {
	ctx := context.Background()
	s, _ := newPassphraseStore(t)
	s.SetSearchIndexer(wordIndexer)
	p := newProfile(t, s, "a")
	if err := s.Put(ctx, p.ID, doc("Condition", "c0", "Asthma", "")); err != nil {
		t.Fatal(err)
	}
	failed := errors.New("the sync failed")
	err := s.Update(ctx, p.ID, func(tx *Tx) error {
		if err := tx.Put(doc("Condition", "c1", "Sarcoidosis", "")); err != nil {
			return err
		}
		if err := tx.flushSearch(); err != nil {
			return err
		}
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatal(err)
	}
	if err := s.Put(ctx, p.ID, doc("Condition", "c1", "Sarcoidosis", "")); err != nil {
		t.Fatal(err)
	}
	if got := found(t, s, p.ID, "sarco"); len(got) != 1 {
		t.Errorf("found %q after a rolled back write and its retry", got)
	}
}

// TestSearchIndexCompaction: the chunks many writes left are merged into
// one per bucket; searches find the same, deleted resources' postings go.
func TestSearchIndexCompaction(t *testing.T) {
	ctx := context.Background()
	s, _ := newPassphraseStore(t)
	s.SetSearchIndexer(wordIndexer)
	p := newProfile(t, s, "a")
	for i := range 40 { // one write each, as many small syncs
		if err := s.Put(ctx, p.ID, doc("Observation", "o"+itoa(i), "Glucose", "fasting "+itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Put(ctx, p.ID, doc("Observation", "o3", "Glucose random", "")); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, p.ID, "Observation", "o5"); err != nil {
		t.Fatal(err)
	}
	chunks := func() int {
		var n int
		if err := s.reader.QueryRow("SELECT count(*) FROM search_chunks").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := chunks()
	want := found(t, s, p.ID, "glucose")
	wantFasting := found(t, s, p.ID, "fasting")
	if err := s.CompactSearch(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if after := chunks(); after >= before || after > searchBuckets {
		t.Errorf("chunks: %d before compaction, %d after", before, after)
	}
	if got := found(t, s, p.ID, "glucose"); strings.Join(got, " ") != strings.Join(want, " ") || len(got) != 39 {
		t.Errorf("after compaction found %q, before %q", got, want)
	}
	// o3 lost the word; the index may still say it has it (callers check
	// the resource itself), compacted or not.
	if got := found(t, s, p.ID, "fasting"); strings.Join(got, " ") != strings.Join(wantFasting, " ") || len(got) != 39 {
		t.Errorf("after compaction found %q, before %q", got, wantFasting)
	}
	cands, err := s.SearchIndex(ctx, p.ID, []string{"glucose"})
	if err != nil || len(cands) != 39 {
		t.Errorf("deleted resource still in the index: %d candidates, %v", len(cands), err)
	}
	if got := found(t, s, p.ID, "random"); len(got) != 1 || got[0] != "Observation/o3" {
		t.Errorf("found %q", got)
	}
}
