package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustCreate(t *testing.T, s *Store, typ, body string) Resource {
	t.Helper()
	r, err := s.Create(context.Background(), typ, []byte(body))
	if err != nil {
		t.Fatalf("create %s: %v", typ, err)
	}
	return r
}

func mustPut(t *testing.T, s *Store, typ, id, body string) Resource {
	t.Helper()
	r, err := s.Put(context.Background(), typ, id, []byte(body))
	if err != nil {
		t.Fatalf("put %s/%s: %v", typ, id, err)
	}
	return r
}

func TestCreateReadUpdateDelete(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	r := mustCreate(t, s, "Patient", `{"resourceType":"Patient","id":"ignored","name":[{"family":"Rivera"}]}`)
	if r.ID == "ignored" || !ValidID(r.ID) || r.VersionID != "1" {
		t.Fatalf("create gave id %q version %q", r.ID, r.VersionID)
	}
	got, err := s.Read(ctx, "Patient", r.ID)
	if err != nil {
		t.Fatal(err)
	}
	m, err := DecodeResource(got.JSON, "Patient")
	if err != nil {
		t.Fatal(err)
	}
	meta := m["meta"].(map[string]any)
	if m["id"] != r.ID || meta["versionId"] != "1" || meta["lastUpdated"] != FormatInstant(r.LastUpdated) {
		t.Fatalf("stored resource not stamped: %s", got.JSON)
	}
	if !strings.HasPrefix(string(got.JSON), `{"resourceType":"Patient",`) {
		t.Errorf("resourceType not first: %s", got.JSON)
	}

	r2, err := s.Update(ctx, "Patient", r.ID, []byte(`{"resourceType":"Patient","id":"`+r.ID+`","gender":"female"}`), "1")
	if err != nil {
		t.Fatal(err)
	}
	if r2.VersionID != "2" || !r2.LastUpdated.After(r.LastUpdated) {
		t.Fatalf("update: version %s at %v after %v", r2.VersionID, r2.LastUpdated, r.LastUpdated)
	}
	if _, err := s.Update(ctx, "Patient", r.ID, []byte(`{"resourceType":"Patient"}`), "1"); !errors.Is(err, ErrVersionConflict) {
		t.Fatalf("stale update: got %v, want ErrVersionConflict", err)
	}
	if _, err := s.Update(ctx, "Patient", "nope", []byte(`{"resourceType":"Patient"}`), ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update of missing: got %v, want ErrNotFound", err)
	}
	v1, err := s.VRead(ctx, "Patient", r.ID, "1")
	if err != nil || !strings.Contains(string(v1.JSON), "Rivera") {
		t.Fatalf("vread 1: %v %s", err, v1.JSON)
	}
	if err := s.Delete(ctx, "Patient", r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read(ctx, "Patient", r.ID); !errors.Is(err, ErrGone) {
		t.Fatalf("read deleted: got %v, want ErrGone", err)
	}
	if err := s.Delete(ctx, "Patient", r.ID); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	if err := s.Delete(ctx, "Patient", "never"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete missing: got %v", err)
	}
	if _, err := s.Read(ctx, "Patient", "never"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("read missing: got %v", err)
	}
	// Put brings it back as version 4.
	r4 := mustPut(t, s, "Patient", r.ID, `{"resourceType":"Patient"}`)
	if r4.VersionID != "4" {
		t.Fatalf("put after delete: version %s", r4.VersionID)
	}
}

func TestInvalidResources(t *testing.T) {
	s := openTest(t)
	tests := []struct {
		name, typ, id, body string
	}{
		{"malformed", "Patient", "", `{"resourceType":`},
		{"not an object", "Patient", "", `[1,2]`},
		{"no resourceType", "Patient", "", `{"id":"x"}`},
		{"wrong type", "Patient", "", `{"resourceType":"Observation"}`},
		{"unknown type", "Foo", "", `{"resourceType":"Foo"}`},
		{"bad id", "Patient", "a/b", `{"resourceType":"Patient"}`},
		{"id mismatch", "Patient", "a", `{"resourceType":"Patient","id":"b"}`},
		{"trailing data", "Patient", "", `{"resourceType":"Patient"} {}`},
		{"meta not object", "Patient", "", `{"resourceType":"Patient","meta":3}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.id == "" {
				_, err = s.Create(context.Background(), tt.typ, []byte(tt.body))
			} else {
				_, err = s.Put(context.Background(), tt.typ, tt.id, []byte(tt.body))
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
		})
	}
}

func TestTimestampsIncrease(t *testing.T) {
	s := openTest(t)
	var last time.Time
	for i := 0; i < 50; i++ {
		r := mustCreate(t, s, "Basic", `{"resourceType":"Basic"}`)
		if !r.LastUpdated.After(last) {
			t.Fatalf("write %d: %v not after %v", i, r.LastUpdated, last)
		}
		last = r.LastUpdated
		if safe := s.SafeTime(); safe.Before(last) {
			t.Fatalf("SafeTime %v before committed write %v", safe, last)
		}
	}
}

func TestTransactionRollback(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	err := s.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.Create(ctx, "Patient", []byte(`{"resourceType":"Patient"}`)); err != nil {
			return err
		}
		return errors.New("refused")
	})
	if err == nil {
		t.Fatal("InTx returned nil")
	}
	_, total, err := s.Search(ctx, "Patient", Query{})
	if err != nil || total != 0 {
		t.Fatalf("after rollback: total %d, err %v", total, err)
	}
}

// seedSearch stores two patients and some of their records.
func seedSearch(t *testing.T, s *Store) {
	mustPut(t, s, "Patient", "a", `{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"111"}],"birthDate":"1990-05-01"}`)
	mustPut(t, s, "Patient", "b", `{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"222"}],"birthDate":"2015-01-01"}`)
	mustPut(t, s, "Practitioner", "doc", `{"resourceType":"Practitioner"}`)
	mustPut(t, s, "Observation", "o1", `{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/a"},
		"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],
		"code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"effectiveDateTime":"2024-03-10T09:30:00Z"}`)
	mustPut(t, s, "Observation", "o2", `{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/a"},
		"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],
		"code":{"coding":[{"system":"http://loinc.org","code":"2345-7"}]},"effectiveDateTime":"2024-06-01"}`)
	mustPut(t, s, "Observation", "o3", `{"resourceType":"Observation","status":"preliminary","subject":{"reference":"Patient/b"},
		"code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"effectivePeriod":{"start":"2023-01-01T00:00:00Z","end":"2023-01-02T00:00:00Z"}}`)
	mustPut(t, s, "Appointment", "ap1", `{"resourceType":"Appointment","status":"booked","start":"2025-01-02T10:00:00Z",
		"participant":[{"actor":{"reference":"Patient/a"}},{"actor":{"reference":"Practitioner/doc"}}]}`)
}

func ids(rs []Resource) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return strings.Join(out, ",")
}

func TestSearch(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	seedSearch(t, s)
	tests := []struct {
		typ, query, patient string
		want                string
	}{
		{"Observation", "", "", "o1,o2,o3"},
		{"Observation", "", "a", "o1,o2"},
		{"Observation", "", "b", "o3"},
		{"Observation", "patient=a", "", "o1,o2"},
		{"Observation", "patient=Patient/b", "", "o3"},
		{"Observation", "subject=Patient/a", "", "o1,o2"},
		{"Observation", "subject:Patient=a", "", "o1,o2"},
		{"Observation", "code=http://loinc.org|8867-4", "", "o1,o3"},
		{"Observation", "code=2345-7", "", "o2"},
		{"Observation", "code=|2345-7", "", ""},
		{"Observation", "code=8867-4,2345-7", "", "o1,o2,o3"},
		{"Observation", "category=vital-signs", "", "o1"},
		{"Observation", "status=final", "", "o1,o2"},
		{"Observation", "date=2024", "", "o1,o2"},
		{"Observation", "date=2024-03", "", "o1"},
		{"Observation", "date=ge2024-04-01", "", "o2"},
		{"Observation", "date=lt2024-01-01", "", "o3"},
		{"Observation", "date=gt2023-01-01", "", "o1,o2,o3"},
		{"Observation", "date=le2023-01-01T12:00:00Z", "", "o3"},
		{"Observation", "date=ge2024-01-01&date=lt2024-05-01", "", "o1"},
		{"Observation", "date=eq2024-03-10T09:30:00Z", "", "o1"},
		{"Observation", "date=ne2024-06-01", "", "o1,o3"},
		{"Observation", "_id=o2,o3", "", "o2,o3"},
		{"Observation", "_sort=-date", "", "o2,o1,o3"},
		{"Observation", "_sort=date", "", "o3,o1,o2"},
		{"Observation", "_sort=-_lastUpdated", "", "o3,o2,o1"},
		{"Patient", "identifier=urn:mrn|222", "", "b"},
		{"Patient", "identifier=111", "", "a"},
		{"Patient", "birthdate=lt2000", "", "a"},
		{"Patient", "", "a", "a"},
		{"Appointment", "actor=Practitioner/doc", "", "ap1"},
		{"Appointment", "patient=a", "", "ap1"},
		{"Appointment", "date=2025-01-02", "b", ""},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"?"+tt.query+"@"+tt.patient, func(t *testing.T) {
			v, _ := url.ParseQuery(tt.query)
			q, _, err := ParseQuery(tt.typ, v, false)
			if err != nil {
				t.Fatal(err)
			}
			q.Patient = tt.patient
			rs, total, err := s.Search(ctx, tt.typ, q)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(rs); got != tt.want {
				t.Errorf("got [%s], want [%s]", got, tt.want)
			}
			if total != len(rs) {
				t.Errorf("total %d, %d results", total, len(rs))
			}
		})
	}
}

func TestSearchLastUpdatedAndPaging(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	var rs []Resource
	for i := 0; i < 7; i++ {
		rs = append(rs, mustPut(t, s, "Basic", fmt.Sprintf("b%d", i), `{"resourceType":"Basic"}`))
	}
	v := url.Values{"_lastUpdated": {"gt" + FormatInstant(rs[3].LastUpdated)}}
	q, _, err := ParseQuery("Basic", v, false)
	if err != nil {
		t.Fatal(err)
	}
	got, total, err := s.Search(ctx, "Basic", q)
	if err != nil || ids(got) != "b4,b5,b6" || total != 3 {
		t.Fatalf("_lastUpdated=gt: got [%s] total %d err %v", ids(got), total, err)
	}
	q, _, _ = ParseQuery("Basic", url.Values{"_lastUpdated": {"ge" + FormatInstant(rs[3].LastUpdated)}}, false)
	if got, _, _ := s.Search(ctx, "Basic", q); ids(got) != "b3,b4,b5,b6" {
		t.Fatalf("_lastUpdated=ge: got [%s]", ids(got))
	}
	at := func(i int) string { return FormatInstant(rs[i].LastUpdated) }
	for _, tt := range []struct {
		values []string
		want   string
	}{
		{[]string{"lt" + at(3)}, "b0,b1,b2"},
		{[]string{"le" + at(3)}, "b0,b1,b2,b3"},
		{[]string{"gt" + at(1), "lt" + at(4)}, "b2,b3"},
	} {
		q, _, err := ParseQuery("Basic", url.Values{"_lastUpdated": tt.values}, false)
		if err != nil {
			t.Fatal(err)
		}
		if got, _, _ := s.Search(ctx, "Basic", q); ids(got) != tt.want {
			t.Errorf("_lastUpdated=%v: got [%s], want [%s]", tt.values, ids(got), tt.want)
		}
	}
	var pages []string
	for off := 0; off < 7; off += 3 {
		got, total, err := s.Search(ctx, "Basic", Query{Count: 3, Offset: off})
		if err != nil || total != 7 {
			t.Fatalf("page at %d: total %d err %v", off, total, err)
		}
		pages = append(pages, ids(got))
	}
	if strings.Join(pages, "|") != "b0,b1,b2|b3,b4,b5|b6" {
		t.Fatalf("pages %q", pages)
	}
	_, total, err = s.Search(ctx, "Basic", Query{CountOnly: true})
	if err != nil || total != 7 {
		t.Fatalf("count only: %d %v", total, err)
	}
}

func TestInclude(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	seedSearch(t, s)
	mustPut(t, s, "Medication", "med", `{"resourceType":"Medication"}`)
	mustPut(t, s, "MedicationRequest", "mr", `{"resourceType":"MedicationRequest","status":"active","intent":"order",
		"subject":{"reference":"Patient/a"},"medicationReference":{"reference":"Medication/med"}}`)
	q, _, err := ParseQuery("MedicationRequest", url.Values{"_include": {"MedicationRequest:medication"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	q.Patient = "a"
	rs, _, err := s.Search(ctx, "MedicationRequest", q)
	if err != nil {
		t.Fatal(err)
	}
	inc, err := s.Included(ctx, rs, q.Include, "a")
	if err != nil || ids(inc) != "med" {
		t.Fatalf("included [%s] %v", ids(inc), err)
	}
	q, _, _ = ParseQuery("Appointment", url.Values{"_include": {"Appointment:actor"}}, false)
	rs, _, _ = s.Search(ctx, "Appointment", q)
	inc, _ = s.Included(ctx, rs, q.Include, "b") // Patient/a is not b's
	if ids(inc) != "doc" {
		t.Fatalf("include across compartments: [%s]", ids(inc))
	}
	inc, _ = s.Included(ctx, rs, q.Include, "a")
	if ids(inc) != "a,doc" {
		t.Fatalf("include actor: [%s]", ids(inc))
	}
}

func TestHistoryShowsDeletes(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	seedSearch(t, s)
	since := s.SafeTime()
	mustPut(t, s, "Observation", "o1", `{"resourceType":"Observation","status":"amended","subject":{"reference":"Patient/a"}}`)
	if err := s.Delete(ctx, "Observation", "o2"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "Observation", "o3"); err != nil {
		t.Fatal(err)
	}
	rs, total, err := s.History(ctx, HistoryQuery{Type: "Observation", Since: since.Add(time.Microsecond), Patient: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if total != 2 || ids(rs) != "o2,o1" || !rs[0].Deleted || rs[0].JSON != nil || rs[1].Deleted {
		t.Fatalf("history: total %d [%s] %+v", total, ids(rs), rs)
	}
	all, total, _ := s.History(ctx, HistoryQuery{})
	if total != 10 || len(all) != 10 {
		t.Fatalf("system history: %d", total)
	}
	one, _, _ := s.History(ctx, HistoryQuery{Type: "Observation", ID: "o1"})
	if len(one) != 2 || one[0].VersionID != "2" {
		t.Fatalf("instance history: %+v", one)
	}
	// A deleted resource leaves search.
	q, _, _ := ParseQuery("Observation", url.Values{"code": {"2345-7"}}, false)
	if rs, _, _ := s.Search(ctx, "Observation", q); len(rs) != 0 {
		t.Fatalf("deleted resource still found: [%s]", ids(rs))
	}
}

func TestEverything(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	seedSearch(t, s)
	rs, total, _, err := s.Everything(ctx, EverythingQuery{Patient: "a"})
	// One record per page: the Patient alone first, then a cursor.
	var one []string
	for page, i := "", 0; i < 20; i++ {
		rs, _, next, err := s.Everything(ctx, EverythingQuery{Patient: "a", Count: 1, Page: page})
		if err != nil {
			t.Fatal(err)
		}
		one = append(one, ids(rs))
		if page = next; page == "" {
			break
		}
	}
	if got := strings.Join(one, "|"); got != "a|o1|o2|ap1|doc" {
		t.Fatalf("one per page: %s", got)
	}
	if err != nil || total != 5 || ids(rs) != "a,o1,o2,ap1,doc" {
		t.Fatalf("everything: %d [%s] %v", total, ids(rs), err)
	}
	since := s.SafeTime().Add(time.Microsecond)
	mustPut(t, s, "Observation", "o2", `{"resourceType":"Observation","status":"amended","subject":{"reference":"Patient/a"}}`)
	rs, _, _, _ = s.Everything(ctx, EverythingQuery{Patient: "a", Since: since})
	if ids(rs) != "o2" {
		t.Fatalf("everything since: [%s]", ids(rs))
	}
	rs, _, _, _ = s.Everything(ctx, EverythingQuery{Patient: "a", Types: []string{"Appointment", "Patient"}})
	if ids(rs) != "a,ap1" {
		t.Fatalf("everything _type: [%s]", ids(rs))
	}
	rs, _, _, _ = s.Everything(ctx, EverythingQuery{Patient: "b"})
	if ids(rs) != "b,o3" {
		t.Fatalf("everything _type: [%s]", ids(rs))
	}
	// Pages follow a cursor over the record as it was on the first page:
	// a record updated between two pages neither shifts the pages (which
	// would skip one) nor comes twice.
	var pages []string
	page := ""
	for i := 0; ; i++ {
		rs, total, next, err := s.Everything(ctx, EverythingQuery{Patient: "a", Count: 2, Page: page})
		if err != nil || total != 5 {
			t.Fatalf("page %d: total %d %v", i, total, err)
		}
		pages = append(pages, ids(rs))
		if i == 0 {
			mustPut(t, s, "Observation", "o1", `{"resourceType":"Observation","status":"amended","subject":{"reference":"Patient/a"}}`)
		}
		if next == "" || i > 20 {
			break
		}
		page = next
	}
	// a, o1, ap1, o2 (o2 changed above), then doc; o1 changed after page 1
	// and was sent on page 1 already.
	if got := strings.Join(pages, "|"); got != "a,o1|ap1,o2|doc" {
		t.Fatalf("everything pages: %s", got)
	}
	if _, _, _, err := s.Everything(ctx, EverythingQuery{Patient: "a", Page: "x1"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad page token: %v", err)
	}
}

func TestSearchCursorSurvivesUpdates(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	for i := 0; i < 6; i++ {
		mustPut(t, s, "Basic", fmt.Sprintf("b%d", i), `{"resourceType":"Basic"}`)
	}
	var got []string
	q := Query{Count: 2}
	for i := 0; ; i++ {
		rs, _, err := s.Search(ctx, "Basic", q)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ids(rs))
		if i == 0 {
			// b1 changes after the first page: with offsets b2 would be skipped.
			mustPut(t, s, "Basic", "b1", `{"resourceType":"Basic","text":{"status":"empty","div":"<div/>"}}`)
		}
		if len(rs) < q.Count {
			break
		}
		q.After = rs[len(rs)-1].Seq
	}
	if strings.Join(got, "|") != "b0,b1|b2,b3|b4,b5|b1" {
		t.Fatalf("pages %v", got)
	}
}

func TestConcurrentWritesAndReads(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	errs := make(chan error, 8)
	for w := 0; w < 4; w++ {
		go func() {
			for i := 0; i < 20; i++ {
				if _, err := s.Create(ctx, "Basic", []byte(`{"resourceType":"Basic"}`)); err != nil {
					errs <- err
					return
				}
				if _, _, err := s.Search(ctx, "Basic", Query{Count: 5}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for w := 0; w < 4; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if _, total, _ := s.Search(ctx, "Basic", Query{}); total != 80 {
		t.Fatalf("total %d, want 80", total)
	}
}

// TestCheckpointsMissNothing plays a client syncing incrementally while
// others write: each pass asks for what changed after the previous pass's
// SafeTime. Every write must be seen.
func TestCheckpointsMissNothing(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	const writers, each = 4, 40
	created := make(chan string, writers*each)
	done := make(chan struct{})
	for w := 0; w < writers; w++ {
		go func() {
			for i := 0; i < each; i++ {
				r, err := s.Create(ctx, "Basic", []byte(`{"resourceType":"Basic"}`))
				if err != nil {
					t.Error(err)
					break
				}
				created <- r.ID
			}
			done <- struct{}{}
		}()
	}
	seen := map[string]bool{}
	var checkpoint time.Time
	pass := func() {
		next := s.SafeTime()
		q := Query{Count: MaxCount}
		if !checkpoint.IsZero() {
			q.Params = []Param{{Name: "_lastUpdated", Kind: KindDate, Values: []Value{{
				Prefix: "gt", Lo: checkpoint.UnixMicro(), Hi: checkpoint.UnixMicro() + 1}}}}
		}
		rs, _, err := s.Search(ctx, "Basic", q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			seen[r.ID] = true
		}
		checkpoint = next
	}
	for finished := 0; finished < writers; {
		select {
		case <-done:
			finished++
		default:
			pass()
		}
	}
	pass()
	close(created)
	for id := range created {
		if !seen[id] {
			t.Fatalf("write %s was never seen by the incremental passes", id)
		}
	}
}
