package store

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// pager reads one page of a search or $everything from a token ("" for
// the first page) and returns the resources, the total and the next token.
type pager func(t *testing.T, s *Store, token string) ([]Resource, int, string)

func searchPager(t *testing.T, s *Store, token string) ([]Resource, int, string) {
	t.Helper()
	v := url.Values{"_count": {"3"}}
	if token != "" {
		v.Set("_cursor", token)
	}
	q, _, err := ParseQuery("Observation", v, false)
	if err != nil {
		t.Fatal(err)
	}
	q.Patient = "pa"
	res, err := s.SearchPage(context.Background(), "Observation", q)
	if err != nil {
		t.Fatal(err)
	}
	return res.Resources, res.Total, res.Next
}

func everythingPager(t *testing.T, s *Store, token string) ([]Resource, int, string) {
	t.Helper()
	rs, total, next, err := s.Everything(context.Background(), EverythingQuery{Patient: "pa", Count: 3, Page: token})
	if err != nil {
		t.Fatal(err)
	}
	return rs, total, next
}

func obsBody(status string) string {
	return fmt.Sprintf(`{"resourceType":"Observation","status":%q,"subject":{"reference":"Patient/pa"},"performer":[{"reference":"Practitioner/dr"}]}`, status)
}

// TestPagingTokenAfterChanges pages a patient's observations (a search)
// and the patient's $everything three at a time, changing the data after
// the first page: a record already sent and one not sent yet are updated,
// one not sent yet is deleted, a new one is created. Every record that
// existed at the start comes exactly once; the total and the snapshot
// come from the token; the new record is left for the next sync.
func TestPagingTokenAfterChanges(t *testing.T) {
	tests := []struct {
		name string
		page pager
		// what the pages list besides the observations
		extra []string
		// whether a record deleted after the first page is still listed (as
		// it was at the start) or not (it no longer matches)
		listsDeleted bool
		// the status of o7 (updated after the first page) as listed
		o7 string
	}{
		{"search", searchPager, nil, false, "amended"},
		{"everything", everythingPager, []string{"Patient/pa", "Practitioner/dr"}, true, "final"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s := openTest(t)
			mustPut(t, s, "Patient", "pa", `{"resourceType":"Patient"}`)
			mustPut(t, s, "Patient", "pb", `{"resourceType":"Patient"}`)
			mustPut(t, s, "Practitioner", "dr", `{"resourceType":"Practitioner"}`)
			for i := range 10 {
				mustPut(t, s, "Observation", fmt.Sprintf("o%d", i), obsBody("final"))
				// Another patient's records in between change nothing.
				mustPut(t, s, "Observation", fmt.Sprintf("x%d", i), `{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/pb"}}`)
			}
			wantTotal := 10 + len(tt.extra)

			rs, total, next := tt.page(t, s, "")
			if total != wantTotal || next == "" {
				t.Fatalf("first page: total %d, next %q", total, next)
			}
			seen := map[string]int{}
			status := map[string]string{}
			add := func(rs []Resource) {
				for _, r := range rs {
					seen[r.Type+"/"+r.ID]++
					if r.Type == "Observation" {
						status[r.ID] = statusOf(t, r)
					}
				}
			}
			add(rs)
			sent := rs[len(rs)-1]
			if sent.Type != "Observation" {
				t.Fatalf("the first page ends with %s/%s", sent.Type, sent.ID)
			}
			// After the first page: update one sent and one not sent, delete
			// one not sent, create one.
			mustPut(t, s, "Observation", sent.ID, obsBody("amended"))
			mustPut(t, s, "Observation", "o7", obsBody("amended"))
			if err := s.Delete(ctx, "Observation", "o8"); err != nil {
				t.Fatal(err)
			}
			mustPut(t, s, "Observation", "new", obsBody("final"))

			for pages := 1; next != ""; pages++ {
				if pages > 20 {
					t.Fatal("the pages never end")
				}
				rs, total, next = tt.page(t, s, next)
				if total != wantTotal {
					t.Fatalf("page %d: total %d, want %d (the first page's)", pages+1, total, wantTotal)
				}
				add(rs)
			}
			var want []string
			for i := range 10 {
				if i != 8 || tt.listsDeleted {
					want = append(want, fmt.Sprintf("Observation/o%d", i))
				}
			}
			want = append(want, tt.extra...)
			var got []string
			for k, n := range seen {
				if n != 1 {
					t.Errorf("%s listed %d times", k, n)
				}
				got = append(got, k)
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("listed %v\nwant     %v", got, want)
			}
			if status["o7"] != tt.o7 {
				t.Errorf("o7 listed as %q, want %q", status["o7"], tt.o7)
			}
			if status[sent.ID] != "final" {
				t.Errorf("%s, sent before its update, listed as %q", sent.ID, status[sent.ID])
			}
		})
	}
}

func statusOf(t *testing.T, r Resource) string {
	t.Helper()
	i := strings.Index(string(r.JSON), `"status":"`)
	if i < 0 {
		t.Fatalf("%s/%s has no status", r.Type, r.ID)
	}
	rest := string(r.JSON)[i+len(`"status":"`):]
	return rest[:strings.IndexByte(rest, '"')]
}

// TestPagingTokenMalformed: tokens that do not parse are ErrInvalid.
func TestPagingTokenMalformed(t *testing.T) {
	s := openTest(t)
	mustPut(t, s, "Patient", "pa", `{"resourceType":"Patient"}`)
	for _, tok := range []string{"x1", "o", "o1", "o1.2", "o5.2.3", "o1.2.x", "s1.2", "s0.2.", "s3.2.Nope/1", "s3.2.Patient/a b"} {
		if _, _, _, err := s.Everything(context.Background(), EverythingQuery{Patient: "pa", Page: tok}); err == nil {
			t.Errorf("$everything page %q accepted", tok)
		}
	}
	for _, tok := range []string{"-1", "1.2", "5.2.3", "1.2.x", "1.2.3.4", "a"} {
		if _, _, err := ParseQuery("Observation", url.Values{"_cursor": {tok}}, false); err == nil {
			t.Errorf("_cursor %q accepted", tok)
		}
	}
}

// TestIncrementalReadsStartAtTheirTime: $everything with _since, a search
// with _lastUpdated=gt and history with _since list what changed since,
// and the shared resources changed since only where the patient's record
// refers to them.
func TestIncrementalReadsStartAtTheirTime(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	seedSearch(t, s) // ap1 (patient a) refers to Practitioner doc
	mustPut(t, s, "Practitioner", "far", `{"resourceType":"Practitioner"}`)
	since := s.SafeTime().Add(time.Microsecond)
	mustPut(t, s, "Observation", "o2", `{"resourceType":"Observation","status":"amended","subject":{"reference":"Patient/a"}}`)
	mustPut(t, s, "Practitioner", "doc", `{"resourceType":"Practitioner","active":true}`)
	mustPut(t, s, "Practitioner", "far", `{"resourceType":"Practitioner","active":true}`) // nobody's
	mustPut(t, s, "Observation", "o3", `{"resourceType":"Observation","status":"amended","subject":{"reference":"Patient/b"}}`)

	tests := []struct {
		name    string
		patient string
		want    string
		total   int
	}{
		{"patient a", "a", "o2,doc", 2},
		{"patient b", "b", "o3", 1}, // b refers to no practitioner
	}
	for _, tt := range tests {
		rs, total, next, err := s.Everything(ctx, EverythingQuery{Patient: tt.patient, Since: since})
		if err != nil || next != "" {
			t.Fatalf("%s: %v, next %q", tt.name, err, next)
		}
		if ids(rs) != tt.want || total != tt.total {
			t.Errorf("%s: everything since = [%s] total %d, want [%s] total %d", tt.name, ids(rs), total, tt.want, tt.total)
		}
	}
	q, _, err := ParseQuery("Observation", url.Values{"_lastUpdated": {"gt" + FormatInstant(since.Add(-time.Microsecond))}}, false)
	if err != nil {
		t.Fatal(err)
	}
	rs, total, err := s.Search(ctx, "Observation", q)
	if err != nil || ids(rs) != "o2,o3" || total != 2 {
		t.Errorf("search _lastUpdated=gt: [%s] total %d, %v", ids(rs), total, err)
	}
	hs, total, err := s.History(ctx, HistoryQuery{Since: since})
	if err != nil || ids(hs) != "o3,far,doc,o2" || total != 4 {
		t.Errorf("history since: [%s] total %d, %v", ids(hs), total, err)
	}
}

// TestEverythingSharedPartOfFirstPage: the shared part of a full
// $everything is the one the record referred to when the first page ran
// (it makes the first page's total), found once per search: a practitioner
// first referred to by a record created after the first page comes with
// that record, in the next incremental sync, not in this search.
func TestEverythingSharedPartOfFirstPage(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	mustPut(t, s, "Patient", "pa", `{"resourceType":"Patient"}`)
	mustPut(t, s, "Practitioner", "dr", `{"resourceType":"Practitioner"}`)
	for i := range 5 {
		mustPut(t, s, "Observation", fmt.Sprintf("o%d", i), obsBody("final"))
	}
	rs, total, next := everythingPager(t, s, "")
	got := map[string]bool{}
	for _, r := range rs {
		got[r.Type+"/"+r.ID] = true
	}
	mustPut(t, s, "Practitioner", "dr2", `{"resourceType":"Practitioner"}`)
	mustPut(t, s, "Observation", "late", `{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/pa"},"performer":[{"reference":"Practitioner/dr2"}]}`)
	for next != "" {
		rs, _, next = everythingPager(t, s, next)
		for _, r := range rs {
			got[r.Type+"/"+r.ID] = true
		}
	}
	if len(got) != total || !got["Practitioner/dr"] || got["Practitioner/dr2"] || got["Observation/late"] {
		t.Fatalf("total %d, listed %v", total, got)
	}
	// The next incremental sync brings the late record and its practitioner.
	rs, _, _, err := s.Everything(ctx, EverythingQuery{Patient: "pa", Since: time.Now().Add(-time.Second), Count: 100})
	if err != nil {
		t.Fatal(err)
	}
	later := map[string]bool{}
	for _, r := range rs {
		later[r.Type+"/"+r.ID] = true
	}
	if !later["Observation/late"] || !later["Practitioner/dr2"] {
		t.Fatalf("incremental: %v", later)
	}
}

// TestSharedMemoBounded: the memo keeps the latest searches only.
func TestSharedMemoBounded(t *testing.T) {
	var m sharedMemo
	for i := range sharedMemoSize + 3 {
		m.put(sharedKey{patient: "p", snapshot: int64(i)}, [][2]string{{"Practitioner", fmt.Sprint(i)}})
	}
	if len(m.refs) != sharedMemoSize || len(m.keys) != sharedMemoSize {
		t.Fatalf("%d kept, want %d", len(m.refs), sharedMemoSize)
	}
	if _, ok := m.get(sharedKey{patient: "p", snapshot: 0}); ok {
		t.Error("the oldest search is still kept")
	}
	if refs, ok := m.get(sharedKey{patient: "p", snapshot: sharedMemoSize + 2}); !ok || refs[0][1] != fmt.Sprint(sharedMemoSize+2) {
		t.Errorf("the newest search: %v, %v", refs, ok)
	}
}

// TestFirstSeqSinceReadsOnlyTheWritesSince: the first write since a time
// is found in the time index, from that time on (a range of the index),
// not by walking every write in order: what an incremental sync costs the
// practice grows with what changed, not with the practice.
func TestFirstSeqSinceReadsOnlyTheWritesSince(t *testing.T) {
	s := openTest(t)
	for i := range 50 {
		mustPut(t, s, "Observation", fmt.Sprintf("o%d", i), obsBody("final"))
	}
	rows, err := s.db.Query("EXPLAIN QUERY PLAN "+firstSeqSinceSQL, time.Now().UnixMicro())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(plan) != 1 || !strings.Contains(plan[0], "INDEX fhir_version_time (last_updated>?)") {
		t.Fatalf("plan %q, want a range of fhir_version_time", plan)
	}
}
