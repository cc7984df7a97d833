package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
)

// wordIndexer indexes the "text" fields of a resource (lower-cased words),
// the "title" field as its title; a "ref" field names another resource
// whose "title" joins the words (as the app's indexer names references).
func wordIndexer(rs []Resource, lookup func(typ, id string) (Resource, bool)) []SearchDoc {
	var docs []SearchDoc
	for _, r := range rs {
		var v struct{ Title, Text, Ref, Date string }
		_ = json.Unmarshal(r.JSON, &v)
		d := SearchDoc{Type: r.Type, ID: r.ID}
		d.Date, _ = time.Parse(time.DateOnly, v.Date)
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

// TestSearchIndexDocsOutOfRowOrder: an indexer may give its documents in
// any order (the app's gives them type by type), and a changed resource
// keeps its older row: each token's postings are still kept in row order,
// before and after a compaction.
func TestSearchIndexDocsOutOfRowOrder(t *testing.T) {
	ctx := context.Background()
	s, _ := newPassphraseStore(t)
	s.SetSearchIndexer(func(rs []Resource, lookup func(typ, id string) (Resource, bool)) []SearchDoc {
		docs := wordIndexer(rs, lookup)
		slices.Reverse(docs)
		return docs
	})
	p := newProfile(t, s, "a")
	if err := s.Put(ctx, p.ID, doc("Observation", "o1", "Glucose", ""), doc("Observation", "o2", "Sodium", ""),
		doc("Condition", "c1", "Asthma", "")); err != nil {
		t.Fatal(err)
	}
	// New resources, then two changed ones written after them.
	if err := s.Put(ctx, p.ID, doc("Observation", "o3", "Alpha", ""), doc("Condition", "c2", "Beta", "alpha"),
		doc("Observation", "o2", "Alpha beta", ""), doc("Observation", "o1", "Alpha", "")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		words []string
		want  []string
	}{
		{[]string{"alpha"}, []string{"Observation/o1", "Observation/o2", "Observation/o3", "Condition/c2"}},
		{[]string{"beta"}, []string{"Condition/c2", "Observation/o2"}},
		{[]string{"al"}, []string{"Observation/o1", "Observation/o2", "Observation/o3", "Condition/c2"}},
		{[]string{"asthma"}, []string{"Condition/c1"}},
	}
	check := func(when string) {
		t.Helper()
		checkPostingsInRowOrder(t, s, p.ID)
		for _, tt := range tests {
			got := found(t, s, p.ID, tt.words...)
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tt.want))
			if !slices.Equal(got, want) {
				t.Errorf("%s: search %q = %q, want %q", when, tt.words, got, want)
			}
		}
	}
	check("written")
	if err := s.compactSearch(ctx, p.ID, 0); err != nil {
		t.Fatal(err)
	}
	check("compacted")
}

// checkPostingsInRowOrder fails t unless every token of every chunk of
// the profile's index lists its postings in row order.
func checkPostingsInRowOrder(t *testing.T, s *Store, profileID string) {
	t.Helper()
	var (
		tok   []byte
		chunk = -1
		last  uint64
		n     int
	)
	eachChunkPosting(t, s, profileID, func(c int, tk []byte, row, _, _ uint64) {
		if c != chunk || !bytes.Equal(tk, tok) { // the next token
			chunk, tok, last = c, slices.Clone(tk), 0
		}
		if row < last {
			t.Errorf("chunk %d: a token's postings out of row order: %d after %d", c, row, last)
		}
		last = row
		n++
	})
	if n == 0 {
		t.Fatal("no postings")
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
	// The tokens of the first two letters too ("ze" of zebulon, "qu" of
	// quixotewright): per profile, and not those of the words "ze" or "qu".
	var prefixTokens [][]byte
	for _, prefix := range []string{"ze", "qu", "ph"} {
		pa, err := s.searchPrefixTokenOf(ctx, a.ID, prefix)
		if err != nil {
			t.Fatal(err)
		}
		pb, err := s.searchPrefixTokenOf(ctx, b.ID, prefix)
		if err != nil {
			t.Fatal(err)
		}
		wa, err := s.searchTokenOf(ctx, a.ID, prefix)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(pa, pb) || bytes.Equal(pa, wa) {
			t.Errorf("the beginning %q gives the same token in two profiles, or as a word", prefix)
		}
		prefixTokens = append(prefixTokens, pa, pb)
	}
	if got := found(t, s, a.ID, "z", "qu"); len(got) != 1 {
		t.Fatalf("the index of short words does not work: %q", got)
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
	for _, tok := range prefixTokens {
		if bytes.Contains(data, tok) {
			t.Error("a short beginning's token is in the file in clear")
		}
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

func datedDoc(typ, id, title, text, date string) Resource {
	b, _ := json.Marshal(map[string]string{"title": title, "text": text, "date": date})
	return Resource{Type: typ, ID: id, JSON: b}
}

// TestSearchIndexShortWords: a query word of one or two letters (looked up
// by its own token, not through the words it starts) finds and ranks what
// the words it starts would: title before body, whole word before
// beginning, newest first; accented letters count as one; changes and
// deletions are followed, compacted or not.
func TestSearchIndexShortWords(t *testing.T) {
	ctx := context.Background()
	s, _ := newPassphraseStore(t)
	s.SetSearchIndexer(wordIndexer)
	p := newProfile(t, s, "a")
	if err := s.Put(ctx, p.ID,
		datedDoc("Observation", "o1", "Cholesterol", "total, fasting", "2020-01-01"),
		datedDoc("Observation", "o2", "Glucose", "fasting cholesterol diet", "2021-01-01"),
		datedDoc("Procedure", "p1", "C section", "", "2019-01-01"),
		datedDoc("Condition", "c1", "Asthma", "mild, c", "2022-01-01"),
		datedDoc("Condition", "c2", "Chest pain", "", "2018-01-01"),
		datedDoc("Condition", "e1", "Árbol bronquial", "ñandú", "2017-01-01"),
		datedDoc("Condition", "e2", "Ñu", "arteria", "2016-01-01"),
	); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		words []string
		want  string
	}{
		// Whole word "c" in a title (4), then titles starting with it (3,
		// newest first), then the whole word in a body (2), then the
		// beginning of one (1).
		{[]string{"c"}, "Procedure/p1 Observation/o1 Condition/c2 Condition/c1 Observation/o2"},
		{[]string{"ch"}, "Observation/o1 Condition/c2 Observation/o2"},
		{[]string{"ch", "fasting"}, "Observation/o1 Observation/o2"},
		{[]string{"c", "se"}, "Procedure/p1"},
		{[]string{"á"}, "Condition/e1"},
		{[]string{"ár"}, "Condition/e1"},
		{[]string{"ñ"}, "Condition/e2 Condition/e1"},
		{[]string{"ña"}, "Condition/e1"},
		{[]string{"a"}, "Condition/c1 Condition/e2"},
		{[]string{"x"}, ""},
		{[]string{"zz"}, ""},
	}
	check := func(when string) {
		t.Helper()
		checkPostingsInRowOrder(t, s, p.ID)
		for _, tt := range tests {
			if got := strings.Join(found(t, s, p.ID, tt.words...), " "); got != tt.want {
				t.Errorf("%s: search %q = %q, want %q", when, tt.words, got, tt.want)
			}
		}
	}
	check("written")
	cands, err := s.SearchIndex(ctx, p.ID, []string{"c", "ch"})
	if err != nil || len(cands) != 3 || cands[0].Score != 6 || cands[2].Score != 2 {
		t.Errorf("candidates for c ch = %+v, %v", cands, err)
	}

	// A sync changes one (it loses its c words) and deletes another.
	err = s.Update(ctx, p.ID, func(tx *Tx) error {
		if err := tx.Put(datedDoc("Condition", "c1", "Asthma", "mild", "2022-01-01")); err != nil {
			return err
		}
		return tx.Delete("Procedure", "p1")
	})
	if err != nil {
		t.Fatal(err)
	}
	// The index may still list c1 for the word it lost (callers check the
	// resource itself); the others keep their order.
	withoutC1 := func(words ...string) string {
		t.Helper()
		return strings.Join(slices.DeleteFunc(found(t, s, p.ID, words...), func(k string) bool { return k == "Condition/c1" }), " ")
	}
	if got := withoutC1("c"); got != "Observation/o1 Condition/c2 Observation/o2" {
		t.Errorf("after the sync: search c = %q", got)
	}
	cands, err = s.SearchIndex(ctx, p.ID, []string{"c", "mi"})
	if err != nil || len(cands) != 0 {
		t.Errorf("a resource found by words it lost: %+v, %v", cands, err)
	}
	if got := found(t, s, p.ID, "se"); len(got) != 0 {
		t.Errorf("after the sync: deleted resource found: %q", got)
	}
	if err := s.compactSearch(ctx, p.ID, 0); err != nil { // every bucket, however few its chunks
		t.Fatal(err)
	}
	if got := withoutC1("c"); got != "Observation/o1 Condition/c2 Observation/o2" {
		t.Errorf("after compaction: search c = %q", got)
	}
	if cands, err := s.SearchIndex(ctx, p.ID, []string{"se"}); err != nil || len(cands) != 0 {
		t.Errorf("after compaction: the deleted resource's postings stay: %+v, %v", cands, err)
	}
	for _, tt := range tests[4:] {
		if got := strings.Join(found(t, s, p.ID, tt.words...), " "); got != tt.want {
			t.Errorf("after compaction: search %q = %q, want %q", tt.words, got, tt.want)
		}
	}
}

// TestSearchIndexShortWordsSameAsWords: over many resources, a search of
// one- and two-letter words gives the candidates, scores and order that
// matching every indexed word would.
func TestSearchIndexShortWordsSameAsWords(t *testing.T) {
	ctx := context.Background()
	s, _ := newPassphraseStore(t)
	s.SetSearchIndexer(wordIndexer)
	p := newProfile(t, s, "a")
	vocab := strings.Fields("cholesterol chest c cd glucose gout hemoglobin hdl h2 2020 2021 20 árbol año ñandú blood b12 basal vacuna vía")
	type entry struct {
		title, body []string
		day         int
	}
	var entries []entry
	var rs []Resource
	for i := range 300 {
		e := entry{day: i % 37}
		for j := range 1 + i%3 {
			e.title = append(e.title, vocab[(i*7+j*3)%len(vocab)])
		}
		for j := range i % 5 {
			e.body = append(e.body, vocab[(i*11+j*5+1)%len(vocab)])
		}
		entries = append(entries, e)
		date := time.Date(2000, 1, 1+e.day, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
		rs = append(rs, datedDoc("Observation", "o"+itoa(i), strings.Join(e.title, " "), strings.Join(e.body, " "), date))
	}
	if err := s.Put(ctx, p.ID, rs...); err != nil {
		t.Fatal(err)
	}
	rows, err := liveRows(ctx, s.reader, mustKeys(t, s, p.ID).num)
	if err != nil || len(rows) != len(rs) {
		t.Fatalf("rows %d, %v", len(rows), err)
	}
	// What matching each word of each resource gives.
	expect := func(words []string) []SearchCandidate {
		var out []SearchCandidate
		for i, e := range entries {
			total := 0
			for _, w := range words {
				best := 0
				for _, x := range e.title {
					if strings.HasPrefix(x, w) {
						best = max(best, wordScore(true, x == w))
					}
				}
				for _, x := range e.body {
					if strings.HasPrefix(x, w) {
						best = max(best, wordScore(false, x == w))
					}
				}
				if best == 0 {
					total = 0
					break
				}
				total += best
			}
			if total > 0 {
				out = append(out, SearchCandidate{Row: rows[i], Score: total, Day: searchDay(time.Date(2000, 1, 1+e.day, 0, 0, 0, 0, time.UTC))})
			}
		}
		slices.SortFunc(out, func(a, b SearchCandidate) int {
			if a.Score != b.Score {
				return b.Score - a.Score
			}
			if a.Day != b.Day {
				return int(b.Day - a.Day)
			}
			return int(a.Row - b.Row)
		})
		return out
	}
	queries := [][]string{{"c"}, {"ch"}, {"h"}, {"2"}, {"20"}, {"b"}, {"bl"}, {"á"}, {"añ"}, {"v"}, {"ví"},
		{"c", "b"}, {"ch", "20"}, {"cholesterol", "b"}, {"h", "hdl"}, {"gou", "2"}, {"q"}, {"ca"}, {"car"}}
	check := func(when string) {
		t.Helper()
		for _, q := range queries {
			got, err := s.SearchIndex(ctx, p.ID, q)
			if err != nil {
				t.Fatal(err)
			}
			want := expect(q)
			if !slices.Equal(got, want) {
				t.Errorf("%s: search %q: %d candidates %v\nwant %d: %v", when, q, len(got), head(got), len(want), head(want))
			}
		}
	}
	check("written")

	// A sync writes new resources, then changes older ones (which keep
	// their rows: one write's postings are not in row order).
	var more []Resource
	for i := range 20 {
		e := entry{title: []string{"cardiology", vocab[i%len(vocab)]}, day: i}
		entries = append(entries, e)
		date := time.Date(2000, 1, 1+e.day, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
		more = append(more, datedDoc("Observation", "n"+itoa(i), strings.Join(e.title, " "), "", date))
	}
	for i := len(rs) - 1; i >= 0; i -= 4 {
		e := &entries[i]
		e.body = append(e.body, "cardio", "b12") // words added only: no posting outdated
		date := time.Date(2000, 1, 1+e.day, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
		more = append(more, datedDoc("Observation", "o"+itoa(i), strings.Join(e.title, " "), strings.Join(e.body, " "), date))
	}
	if err := s.Put(ctx, p.ID, more...); err != nil {
		t.Fatal(err)
	}
	if rows, err = liveRows(ctx, s.reader, mustKeys(t, s, p.ID).num); err != nil || len(rows) != len(entries) {
		t.Fatalf("rows %d, %v", len(rows), err)
	}
	check("after a sync")
	if err := s.compactSearch(ctx, p.ID, 0); err != nil {
		t.Fatal(err)
	}
	check("compacted")
}

func head(cs []SearchCandidate) []SearchCandidate { return cs[:min(len(cs), 5)] }

// TestSearchIndexOlderFormatRebuilt: an index written before short words
// had tokens of their own is built again; search waits for it meanwhile.
func TestSearchIndexOlderFormatRebuilt(t *testing.T) {
	ctx := context.Background()
	s, _ := newPassphraseStore(t)
	s.SetSearchIndexer(wordIndexer)
	p := newProfile(t, s, "a")
	if err := s.Put(ctx, p.ID, doc("Condition", "c1", "Asthma", ""), doc("Condition", "c2", "Gout", "")); err != nil {
		t.Fatal(err)
	}
	// As the version before wrote it: built, format 1, no short words.
	if _, err := s.writer.Exec("UPDATE search_state SET built = 1, cursor = 99"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SearchIndex(ctx, p.ID, []string{"a"}); !errors.Is(err, ErrSearchNotReady) {
		t.Fatalf("search of an index of the older format: %v", err)
	}
	if st, err := s.SearchStatus(ctx, p.ID); err != nil || st.Built || st.Done != 0 || st.Total != 2 {
		t.Fatalf("status of an index of the older format = %+v, %v", st, err)
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
	if got := found(t, s, p.ID, "a"); len(got) != 1 || got[0] != "Condition/c1" {
		t.Errorf("found %q once built again", got)
	}
	if got := found(t, s, p.ID, "gout"); len(got) != 1 || got[0] != "Condition/c2" {
		t.Errorf("found %q once built again", got)
	}
}
