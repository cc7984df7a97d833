package store

import (
	"errors"
	"net/url"
	"testing"
	"time"
)

func TestParseQuery(t *testing.T) {
	tests := []struct {
		typ, query string
		wantErr    bool
		check      func(t *testing.T, q Query)
	}{
		{"Observation", "code=http://loinc.org|1234-5,abc", false, func(t *testing.T, q Query) {
			v := q.Params[0].Values
			if len(v) != 2 || v[0].System != "http://loinc.org" || v[0].Code != "1234-5" || !v[0].HasSystem || v[1].HasSystem {
				t.Errorf("token values %+v", v)
			}
		}},
		{"Observation", `code=a\,b`, false, func(t *testing.T, q Query) {
			if v := q.Params[0].Values; len(v) != 1 || v[0].Code != "a,b" {
				t.Errorf("escaped comma: %+v", v)
			}
		}},
		{"Observation", "patient=123", false, func(t *testing.T, q Query) {
			if v := q.Params[0].Values[0]; v.Type != "Patient" || v.ID != "123" {
				t.Errorf("patient value %+v", v)
			}
		}},
		{"Observation", "subject=http://x.org/fhir/Patient/9", false, func(t *testing.T, q Query) {
			if v := q.Params[0].Values[0]; v.Type != "Patient" || v.ID != "9" {
				t.Errorf("absolute ref %+v", v)
			}
		}},
		{"Observation", "date=ge2024-01-01T10:00:00%2B02:00", false, func(t *testing.T, q Query) {
			v := q.Params[0].Values[0]
			want := time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC).UnixMicro()
			if v.Prefix != "ge" || v.Lo != want || v.Hi != want+1e6 {
				t.Errorf("date %+v", v)
			}
		}},
		{"Observation", "_count=5000", false, func(t *testing.T, q Query) {
			if q.Count != MaxCount {
				t.Errorf("count %d", q.Count)
			}
		}},
		{"Observation", "_count=0", false, func(t *testing.T, q Query) {
			if !q.CountOnly {
				t.Error("_count=0 not count only")
			}
		}},
		{"Observation", "_sort=-date,_lastUpdated", false, func(t *testing.T, q Query) {
			if len(q.Sort) != 2 || !q.Sort[0].Desc || q.Sort[1].Param != "_lastUpdated" {
				t.Errorf("sort %+v", q.Sort)
			}
		}},
		{"Appointment", "_include=Appointment:actor", false, nil},
		{"Slot", "schedule=Schedule/1&start=ge2025-01-01&status=free", false, nil},
		{"Schedule", "actor=Practitioner/1&service-type=57", false, nil},
		{"Observation", "_format=json&_pretty=true", false, nil},
		{"Observation", "foo=bar", true, nil},
		{"Observation", "code:text=x", true, nil},
		{"Observation", "date=tomorrow", true, nil},
		{"Observation", "date=", true, nil},
		{"Observation", "patient=Observation/1", true, nil},
		{"Observation", "subject:Patient=Group/1", true, nil},
		{"Observation", "patient=a/b/c", true, nil},
		{"Observation", "_count=-1", true, nil},
		{"Observation", "_sort=status", true, nil},
		{"Observation", "_include=Appointment:actor", true, nil},
		{"Observation", "_include=Observation:code", true, nil},
		{"Foo", "", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"?"+tt.query, func(t *testing.T) {
			v, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			q, _, err := ParseQuery(tt.typ, v, false)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("got %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, q)
			}
			// Encoding and parsing again gives the same query.
			q2, _, err := ParseQuery(tt.typ, q.Encode(), false)
			if err != nil {
				t.Fatalf("re-parse %s: %v", q.Encode().Encode(), err)
			}
			if q.Encode().Encode() != q2.Encode().Encode() {
				t.Errorf("round trip: %s != %s", q.Encode().Encode(), q2.Encode().Encode())
			}
		})
	}
}

func TestParseQueryLenient(t *testing.T) {
	q, ignored, err := ParseQuery("Observation", url.Values{"foo": {"1"}, "status": {"final"}}, true)
	if err != nil || len(ignored) != 1 || ignored[0] != "foo" || len(q.Params) != 1 {
		t.Fatalf("lenient: %+v %v %v", q, ignored, err)
	}
}

func TestParseDateRange(t *testing.T) {
	day := func(y int, m time.Month, d int) int64 { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).UnixMicro() }
	tests := []struct {
		in     string
		lo, hi int64
		ok     bool
	}{
		{"2024", day(2024, 1, 1), day(2025, 1, 1), true},
		{"2024-02", day(2024, 2, 1), day(2024, 3, 1), true},
		{"2024-02-28", day(2024, 2, 28), day(2024, 2, 29), true},
		{"2024-02-28T10:00Z", day(2024, 2, 28) + 10*3600e6, day(2024, 2, 28) + 10*3600e6 + 60e6, true},
		{"2024-02-28T10:00:01.5Z", day(2024, 2, 28) + 36001.5e6, day(2024, 2, 28) + 36001.6e6, true},
		{"2024-02-28T10:00:01.123456Z", day(2024, 2, 28) + 36001123456, day(2024, 2, 28) + 36001123457, true},
		{"2024-02-28T10:00:00-05:00", day(2024, 2, 28) + 15*3600e6, day(2024, 2, 28) + 15*3600e6 + 1e6, true},
		{"2024-02-28T10:00:00", day(2024, 2, 28) + 10*3600e6, day(2024, 2, 28) + 10*3600e6 + 1e6, true},
		{"24", 0, 0, false},
		{"2024-13", 0, 0, false},
		{"2024-02-30", 0, 0, false},
		{"2024-02-28T25:00:00Z", 0, 0, false},
		{"2024-02-28X10:00", 0, 0, false},
		{"yesterday", 0, 0, false},
	}
	for _, tt := range tests {
		lo, hi, ok := ParseDateRange(tt.in)
		if ok != tt.ok || lo != tt.lo || hi != tt.hi {
			t.Errorf("%s: got %d %d %v, want %d %d %v", tt.in, lo, hi, ok, tt.lo, tt.hi, tt.ok)
		}
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{
		"code=http://loinc.org|1234-5", "date=ge2024-01-01&date=lt2025", "_sort=-date&_count=10",
		"patient=Patient/1&_include=Observation:patient", `code=a\,b,c`, "_lastUpdated=gt2024-01-01T00:00:00.123Z",
		"subject:Patient=1", "_id=a,b", "foo=bar",
	} {
		f.Add("Observation", s)
	}
	f.Fuzz(func(t *testing.T, typ, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, _, err := ParseQuery(typ, v, false)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error not ErrInvalid: %v", err)
			}
			return
		}
		if q.Count < 0 || q.Count > MaxCount {
			t.Fatalf("count %d out of range", q.Count)
		}
		// What the server writes in its links must parse again.
		if _, _, err := ParseQuery(typ, q.Encode(), false); err != nil {
			t.Fatalf("encoded query %q does not parse: %v", q.Encode().Encode(), err)
		}
	})
}
