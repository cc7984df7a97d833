package fhirapi

import (
	"errors"
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
