package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// batchPages is a small record in three pages, as a sync gets it: words,
// dates, references to resources of an earlier page, of the same page, of
// a later page and of one cached before, one resource written twice.
func batchPages() [][]Resource {
	res := func(typ, id, title, text, ref, date string) Resource {
		b, _ := json.Marshal(map[string]string{"title": title, "text": text, "ref": ref, "date": date})
		return Resource{Type: typ, ID: id, JSON: b, LastUpdated: time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)}
	}
	return [][]Resource{
		{
			res("Practitioner", "dr1", "Doctor Okonkwo", "", "", ""),
			res("Observation", "o1", "Cholesterol", "total fasting", "Practitioner/dr1", "2024-03-02"),
			res("Observation", "o2", "Glucose", "fasting", "Practitioner/dr3", "2023-11-20"),
			res("Encounter", "e1", "Visit", "checkup", "Practitioner/old", "2022-01-05"),
		},
		{
			res("Observation", "o3", "Hémoglobine A1c", "diabète", "Practitioner/dr1", "2024-04-01"),
			res("Practitioner", "dr2", "Doctor Ng", "", "", ""),
			res("Observation", "o4", "Cholesterol HDL", "", "Practitioner/dr2", ""),
			res("Observation", "o1", "Cholesterol LDL", "changed", "Practitioner/dr1", "2024-03-03"),
		},
		{
			res("Practitioner", "dr3", "Doctor Alvarez", "", "", ""),
			res("Observation", "o5", "x", "a bc é", "Practitioner/dr2", "2021-07-07"),
		},
	}
}

// testDateOf reads the "date" field (a day) of a resource.
func testDateOf(r Resource) (time.Time, bool) {
	var v struct{ Date string }
	if json.Unmarshal(r.JSON, &v) != nil || v.Date == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, v.Date)
	return t, err == nil
}

// dumpRows is what a profile's resources rows hold, in row order, opened.
func dumpRows(t *testing.T, s *Store, profileID string) []string {
	t.Helper()
	ctx := context.Background()
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.reader.QueryContext(ctx, "SELECT type, row_key, updated_day, own_month, sealed FROM resources WHERE profile = ? ORDER BY id", k.num)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var typ string
		var key, sealed []byte
		var day, month *string
		if err := rows.Scan(&typ, &key, &day, &month, &sealed); err != nil {
			t.Fatal(err)
		}
		r, err := openRow(k, profileID, typ, key, sealed)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := k.rowKey("resource", typ, r.ID)
		out = append(out, fmt.Sprintf("%s/%s key ok %v day %v month %v updated %s json %s",
			typ, r.ID, string(want) == string(key), deref(day), deref(month), r.LastUpdated.Format(time.RFC3339Nano), r.JSON))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return "NULL"
	}
	return "'" + *s + "'"
}

// dumpIndex is a profile's search index with its blind tokens named by
// the words (and beginnings) they stand for and its rows by their place
// among the profile's rows: chunk by chunk in write order, each chunk's
// generation and postings.
func dumpIndex(t *testing.T, s *Store, profileID string) []string {
	t.Helper()
	ctx := context.Background()
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		t.Fatal(err)
	}
	v := k.vocabOf()
	v.mu.Lock()
	err = v.load(ctx, s.reader, k, profileID)
	words := make([]string, 0, len(v.words))
	for w := range v.words {
		words = append(words, w)
	}
	v.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, w := range words {
		tok, _ := k.rowKey("search", w)
		names[string(tok)] = w
		if p, ok := searchPrefix(w); ok {
			tok, _ := k.rowKey(searchPrefixDomain, p)
			names[string(tok)] = "prefix " + p
		}
	}
	live, err := liveRows(ctx, s.reader, k.num)
	if err != nil {
		t.Fatal(err)
	}
	place := map[uint64]int{}
	for i, r := range live {
		place[uint64(r)] = i
	}
	var chunks []string
	eachChunkPosting(t, s, profileID, func(_ int, tok []byte, row, mark, gen uint64) {
		name, ok := names[string(tok)]
		if !ok {
			name = "unknown token"
		}
		chunks = append(chunks, fmt.Sprintf("gen %d %s: row %d mark %d", gen, name, place[row], mark))
	})
	slices.Sort(words)
	slices.Sort(chunks) // buckets differ with the profile's key
	return append([]string{"words " + strings.Join(words, " ")}, chunks...)
}

// eachChunkPosting calls fn with every posting of every chunk of the
// profile's index, chunk by chunk in the order they were written (chunk
// counts them from 0).
func eachChunkPosting(t *testing.T, s *Store, profileID string, fn func(chunk int, tok []byte, row, mark, gen uint64)) {
	t.Helper()
	ctx := context.Background()
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		t.Fatal(err)
	}
	q, err := s.reader.QueryContext(ctx, "SELECT bucket, sealed FROM search_chunks WHERE profile = ? ORDER BY id", k.num)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	for chunk := 0; q.Next(); chunk++ {
		var bucket int
		var sealed []byte
		if err := q.Scan(&bucket, &sealed); err != nil {
			t.Fatal(err)
		}
		pt, err := k.open(sealed, searchChunkAD(profileID, bucket))
		if err != nil {
			t.Fatal(err)
		}
		err = eachPosting(pt, func(tok []byte, row, mark, gen uint64) bool {
			fn(chunk, tok, row, mark, gen)
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Err(); err != nil {
		t.Fatal(err)
	}
}

// aheadOf answers for the pages before page i and page i itself, as
// written one transaction each (pull's pending pages do the same).
func aheadOf(pages [][]Resource, i int) Ahead {
	return func(typ, id string) (Resource, bool, bool) {
		for j := i; j >= 0; j-- {
			for n := len(pages[j]) - 1; n >= 0; n-- {
				if r := pages[j][n]; r.Type == typ && r.ID == id {
					return r, true, true
				}
			}
		}
		return Resource{}, false, false
	}
}

// Batches prepared ahead, all before the first is written (as a sync
// prepares pages while the writer commits earlier ones), store the same
// rows and the same search index as the same pages written with Put.
func TestPutBatchSameAsPut(t *testing.T) {
	ctx := context.Background()
	s, _ := newPassphraseStore(t)
	s.SetSearchIndexer(wordIndexer)
	s.SetDateOf(testDateOf)
	pages := batchPages()
	var prepared Profile
	// A page a transaction, then every page in one (as a sync groups
	// them), the first batch written before in a transaction rolled back.
	for _, oneTx := range []bool{false, true} {
		serial, batched := newProfile(t, s, fmt.Sprint("serial ", oneTx)), newProfile(t, s, fmt.Sprint("batched ", oneTx))
		old := doc("Practitioner", "old", "Doctor Cached", "")
		for _, p := range []Profile{serial, batched} {
			if err := s.Put(ctx, p.ID, old); err != nil {
				t.Fatal(err)
			}
		}
		batches := make([]*Batch, len(pages))
		for i, page := range pages {
			b, err := s.Prepare(ctx, batched.ID, page, aheadOf(pages, i))
			if err != nil {
				t.Fatal(err)
			}
			if b.Len() != len(page) {
				t.Fatalf("batch of %d resources, want %d", b.Len(), len(page))
			}
			batches[i] = b
		}
		if oneTx {
			if err := s.Update(ctx, serial.ID, func(tx *Tx) error {
				for _, page := range pages {
					if err := tx.Put(page...); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			rollBack := errors.New("rolled back")
			err := s.Update(ctx, batched.ID, func(tx *Tx) error {
				if err := tx.PutBatch(batches[0]); err != nil {
					return err
				}
				return rollBack
			})
			if !errors.Is(err, rollBack) {
				t.Fatalf("a write rolled back: %v", err)
			}
			if err := s.Update(ctx, batched.ID, func(tx *Tx) error {
				for _, b := range batches {
					if err := tx.PutBatch(b); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		} else {
			for i, page := range pages {
				if err := s.Update(ctx, serial.ID, func(tx *Tx) error { return tx.Put(page...) }); err != nil {
					t.Fatal(err)
				}
				if err := s.Update(ctx, batched.ID, func(tx *Tx) error { return tx.PutBatch(batches[i]) }); err != nil {
					t.Fatal(err)
				}
			}
			prepared = batched
		}
		for _, tt := range []struct {
			what string
			dump func(*testing.T, *Store, string) []string
		}{{"rows", dumpRows}, {"search index", dumpIndex}} {
			want, got := tt.dump(t, s, serial.ID), tt.dump(t, s, batched.ID)
			if !slices.Equal(got, want) {
				t.Errorf("one transaction %v: %s written from batches:\n%s\nwant (written with Put):\n%s", oneTx, tt.what,
					strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		}
		checkPostingsInRowOrder(t, s, batched.ID)
	}
	// The references named what the pages before wrote, and the cached
	// resource; not what a later page wrote.
	for _, tt := range []struct{ word, want string }{
		{"okonkwo", "Practitioner/dr1 Observation/o3 Observation/o1"},
		{"ng", "Practitioner/dr2 Observation/o5 Observation/o4"},
		{"cached", "Practitioner/old Encounter/e1"},
		{"alvarez", "Practitioner/dr3"},
	} {
		if got := strings.Join(found(t, s, prepared.ID, tt.word), " "); got != tt.want {
			t.Errorf("search %q = %q, want %q", tt.word, got, tt.want)
		}
	}
}

// A batch prepared before the store's hooks change, or before a key
// rotation, is prepared again when written: what it stores follows the
// hooks and key of the write.
func TestPutBatchPreparedAgain(t *testing.T) {
	ctx := context.Background()
	s, _ := newPassphraseStore(t)
	s.SetSearchIndexer(wordIndexer)
	p := newProfile(t, s, "a")
	page := batchPages()[0]
	b, err := s.Prepare(ctx, p.ID, page, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.SetDateOf(testDateOf)
	if err := s.Update(ctx, p.ID, func(tx *Tx) error { return tx.PutBatch(b) }); err != nil {
		t.Fatal(err)
	}
	rows := dumpRows(t, s, p.ID)
	if len(rows) != len(page) || !strings.Contains(rows[1], "Observation/o1 key ok true day '2024-05-01' month '2024-03'") {
		t.Errorf("rows after the DateOf changed:\n%s", strings.Join(rows, "\n"))
	}

	// A rotation between Prepare and PutBatch: the rows are sealed with
	// the key of the write, and read back.
	b, err = s.Prepare(ctx, p.ID, batchPages()[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := s.keysFor(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	k.mu.Lock()
	k.sealGen++ // as rotate does
	k.mu.Unlock()
	if err := s.Update(ctx, p.ID, func(tx *Tx) error { return tx.PutBatch(b) }); err != nil {
		t.Fatal(err)
	}
	if got := len(dumpRows(t, s, p.ID)); got != 7 {
		t.Errorf("%d rows, want 7", got)
	}

	// A batch of another profile is refused.
	other := newProfile(t, s, "b")
	err = s.Update(ctx, other.ID, func(tx *Tx) error { return tx.PutBatch(b) })
	wantErr(t, "batch of another profile", err, ErrInvalid)

	// Without an indexer, the index is marked out of date, as by Put.
	s.SetSearchIndexer(nil)
	b, err = s.Prepare(ctx, other.ID, batchPages()[2], nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, other.ID, func(tx *Tx) error { return tx.PutBatch(b) }); err != nil {
		t.Fatal(err)
	}
	st, err := s.SearchStatus(ctx, other.ID)
	if err != nil || st.Built {
		t.Errorf("search status after a write without indexer = %+v, %v", st, err)
	}

	// An invalid resource fails Prepare as it fails Put.
	_, err = s.Prepare(ctx, p.ID, []Resource{{Type: "Observation"}}, nil)
	wantErr(t, "resource without id", err, ErrInvalid)
	s.Lock()
	_, err = s.Prepare(ctx, p.ID, page, nil)
	wantErr(t, "prepare while locked", err, ErrLocked)
}
