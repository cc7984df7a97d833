package fhirapi

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestDecodeBundle(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantIDs []string
		wantErr error
		total   int
		next    string
	}{
		{"searchset", `{"resourceType":"Bundle","type":"searchset","total":2,"meta":{"lastUpdated":"2025-01-02T03:04:05.678Z"},
			"link":[{"relation":"self","url":"s"},{"relation":"next","url":"n"}],
			"entry":[{"fullUrl":"x","resource":{"resourceType":"Observation","id":"a"},"search":{"mode":"match"}},
			{"resource":{"resourceType":"Patient","id":"b"},"search":{"mode":"include"}}],"extra":{"deep":[1,2,3]}}`,
			[]string{"a", "b"}, nil, 2, "n"},
		{"entries before type", `{"entry":[{"resource":{"resourceType":"Observation","id":"a"}}],"resourceType":"Bundle"}`, []string{"a"}, nil, -1, ""},
		{"history delete", `{"resourceType":"Bundle","type":"history","entry":[{"request":{"method":"DELETE","url":"Observation/z"}}]}`, []string{""}, nil, -1, ""},
		{"null entry", `{"resourceType":"Bundle","entry":null}`, nil, nil, -1, ""},
		{"empty", `{"resourceType":"Bundle"}`, nil, nil, -1, ""},
		{"not a bundle", `{"resourceType":"OperationOutcome"}`, nil, ErrBadResponse, -1, ""},
		{"no type", `{"entry":[]}`, nil, ErrBadResponse, -1, ""},
		{"array", `[]`, nil, ErrBadResponse, -1, ""},
		{"truncated", `{"resourceType":"Bundle","entry":[{"resource":{}`, nil, ErrBadResponse, -1, ""},
		{"entry not array", `{"resourceType":"Bundle","entry":{}}`, nil, ErrBadResponse, -1, ""},
		{"bad meta", `{"resourceType":"Bundle","meta":{"lastUpdated":"yesterday"}}`, nil, ErrBadResponse, -1, ""},
		{"garbage", `not json`, nil, ErrBadResponse, -1, ""},
		// An entry's names are matched without regard to case, the last
		// of a name twice wins, and a null entry is an empty one, as
		// encoding/json decodes them.
		{"names in any case", `{"resourceType":"Bundle","entry":[{"RESOURCE":{"resourceType":"Observation","id":"a"}},null,
			{"resource":{"resourceType":"Observation","id":"b"},"Resource":{"resourceType":"Observation","id":"c"}},
			{"resource":{"id":"d"},"resource":null}]}`, []string{"a", "", "c", ""}, nil, -1, ""},
		{"fullUrl not a string", `{"resourceType":"Bundle","entry":[{"fullUrl":5,"resource":{"id":"a"}}]}`, nil, ErrBadResponse, -1, ""},
		{"entry a number", `{"resourceType":"Bundle","entry":[1]}`, nil, ErrBadResponse, -1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ids []string
			info, err := DecodeBundle(strings.NewReader(tt.in), func(e Entry) error {
				h, _ := ParseHeader(e.Resource)
				if e.Resource == nil {
					h.ID = ""
				}
				ids = append(ids, h.ID)
				return nil
			})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(ids, ",") != strings.Join(tt.wantIDs, ",") || info.Total != tt.total || info.Next() != tt.next {
				t.Fatalf("ids = %v, info = %+v", ids, info)
			}
		})
	}
}

func TestDecodeBundleStopsOnCallbackError(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	_, err := DecodeBundle(strings.NewReader(`{"resourceType":"Bundle","entry":[{},{},{}]}`), func(Entry) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("err = %v, n = %d", err, n)
	}
}

func TestParseHeaderTolerant(t *testing.T) {
	h, err := ParseHeader([]byte(`{"resourceType":"Encounter","id":"e1","status":5,"meta":{"lastUpdated":"2025-01-01T00:00:00Z"}}`))
	if err != nil || h.ResourceType != "Encounter" || h.ID != "e1" || h.Status != "" || h.Meta.LastUpdated == "" {
		t.Fatalf("h = %+v, err = %v", h, err)
	}
	if _, err := ParseHeader([]byte(`[1]`)); !errors.Is(err, ErrBadResponse) {
		t.Fatalf("err = %v", err)
	}
}

func FuzzDecodeBundle(f *testing.F) {
	f.Add(`{"resourceType":"Bundle","type":"searchset","total":1,"link":[{"relation":"next","url":"x"}],"entry":[{"resource":{"resourceType":"Observation","id":"a"}}]}`)
	f.Add(`{"resourceType":"Bundle","entry":[{"request":{"method":"DELETE","url":"Observation/1"}}]}`)
	f.Add(`{"entry":null,"resourceType":"Bundle","meta":{"lastUpdated":"2025-01-01T00:00:00Z"}}`)
	f.Add(`{"resourceType":"Bundle","entry":[1,2]}`)
	f.Add(`[`)
	f.Fuzz(func(t *testing.T, in string) {
		n := 0
		info, err := DecodeBundle(strings.NewReader(in), func(e Entry) error {
			n++
			_, _ = ParseHeader(e.Resource)
			return nil
		})
		if err != nil && !errors.Is(err, ErrBadResponse) {
			t.Fatalf("error not classified: %v", err)
		}
		if info.Entries != n {
			t.Fatalf("Entries = %d, callbacks = %d", info.Entries, n)
		}
	})
}

func FuzzParseCapabilities(f *testing.F) {
	f.Add(`{"resourceType":"CapabilityStatement","rest":[{"mode":"server","resource":[{"type":"Patient"}]}]}`)
	f.Add(`{}`)
	f.Fuzz(func(t *testing.T, in string) {
		c, err := ParseCapabilities([]byte(in))
		if err != nil && !errors.Is(err, ErrBadResponse) {
			t.Fatalf("error not classified: %v", err)
		}
		if err == nil {
			_ = c.SupportsEverything()
		}
	})
}

func FuzzParseRetryAfter(f *testing.F) {
	f.Add("3")
	f.Add("Wed, 21 Oct 2015 07:28:00 GMT")
	f.Add("-5")
	f.Add("99999999999999999999")
	f.Fuzz(func(t *testing.T, in string) {
		if d := parseRetryAfter(in, time.Now()); d < 0 {
			t.Fatalf("parseRetryAfter(%q) = %v", in, d)
		}
	})
}

// BenchmarkDecodeBundle: a page of 1,000 Observations, as a sync reads
// each page.
func BenchmarkDecodeBundle(b *testing.B) {
	var page strings.Builder
	page.WriteString(`{"resourceType":"Bundle","type":"searchset","total":1000,"link":[{"relation":"next","url":"https://x/fhir?page=2"}],"entry":[`)
	for i := range 1000 {
		if i > 0 {
			page.WriteString(",")
		}
		fmt.Fprintf(&page, `{"fullUrl":"https://x/fhir/Observation/o%d","resource":{"resourceType":"Observation","id":"o%d","meta":{"lastUpdated":"2024-01-02T03:04:05Z"},"status":"final","code":{"coding":[{"system":"http://loinc.org","code":"2339-0","display":"Glucose [Mass/volume] in Blood"}],"text":"Glucose"},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2024-01-02T03:04:05Z","valueQuantity":{"value":%d.5,"unit":"mg/dL"}},"search":{"mode":"match"}}`, i, i, 80+i%40)
	}
	page.WriteString(`]}`)
	in := page.String()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := DecodeBundle(strings.NewReader(in), func(Entry) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
