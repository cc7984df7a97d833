package record

import (
	"reflect"
	"testing"
	"time"
)

func TestMayBeNewSince(t *testing.T) {
	since := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		raw  string
		want bool
	}{
		{"old effective", `{"resourceType":"Observation","effectiveDateTime":"2024-01-01T08:00:00Z"}`, false},
		{"old effective and issued", `{"effectiveDateTime":"2024-01-01","issued" : "2024-01-02T10:00:00Z"}`, false},
		{"new effective", `{"effectiveDateTime":"2025-06-02T08:00:00Z"}`, true},
		{"old effective, issued later", `{"effectiveDateTime":"2025-04-01","issued":"2025-06-03T10:00:00Z"}`, true},
		{"the day since falls on", `{"effectiveDateTime":"2025-06-01"}`, true},
		{"old year only", `{"effectiveDateTime":"2024"}`, false},
		{"this year only", `{"effectiveDateTime":"2025"}`, true},
		{"no date", `{"resourceType":"Observation","status":"final"}`, true},
		{"a period", `{"effectivePeriod":{"start":"2020-01-01","end":"2020-01-02"}}`, true},
		{"contained resources", `{"contained":[{"effectiveDateTime":"2020-01-01"}],"effectiveDateTime":"2020-01-01"}`, true},
		{"named twice", `{"effectiveDateTime":"2020-01-01","extension":[{"effectiveDateTime":"2026-01-01"}]}`, true},
		{"not a string", `{"effectiveDateTime":20200101}`, true},
		{"not a date", `{"effectiveDateTime":"yesterday"}`, true},
		{"escaped", `{"effectiveDateTime":"2020-01-01\u0054"}`, true},
		{"truncated", `{"effectiveDateTime":`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := MayBeNewSince([]byte(tc.raw), since); got != tc.want {
				t.Errorf("MayBeNewSince(%s) = %v, want %v", tc.raw, got, tc.want)
			}
		})
	}
}

func TestResultsOfReportsSince(t *testing.T) {
	since := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	rs := []Resource{
		res("DiagnosticReport", "new", `{"status":"final","issued":"2025-06-02T10:00:00Z","effectiveDateTime":"2025-03-01","result":[{"reference":"Observation/a"},{"reference":"urn:uuid:b"}]}`),
		res("DiagnosticReport", "old", `{"status":"final","issued":"2025-05-01T10:00:00Z","result":[{"reference":"Observation/c"}]}`),
		res("DiagnosticReport", "taken-new", `{"status":"final","effectiveDateTime":"2025-06-03","result":[{"reference":"Observation/d"}]}`),
		res("DiagnosticReport", "undated", `{"status":"final","result":[{"reference":"Observation/e"}]}`),
		res("Observation", "f", `{"status":"final","issued":"2025-06-02T10:00:00Z"}`),
	}
	got := ResultsOfReportsSince(rs, since)
	want := map[string]bool{"a": true, "b": true, "d": true, "e": true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ResultsOfReportsSince = %v, want %v", got, want)
	}
}

func TestLatestOwnDate(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want string // RFC 3339 of the latest end, "" for none
	}{
		{"issued after effective", `{"effectiveDateTime":"2024-01-05T10:00:00Z","issued":"2024-02-01T09:00:00Z"}`, "2024-02-01T09:00:00Z"},
		{"a day ends at its end", `{"effectiveDateTime":"2024-01-05"}`, "2024-01-05T23:59:59.999999999Z"},
		{"a period says nothing simple", `{"effectivePeriod":{"start":"2024-01-05"}}`, ""},
		{"no date", `{"status":"final"}`, ""},
		{"bad date", `{"issued":"soon"}`, ""},
		{"named twice", `{"issued":"2024-01-05","component":[{"issued":"2020-01-01"}]}`, ""},
		{"an instant", `{"effectiveInstant":"2024-03-01T10:00:00.5Z","issued":"2024-02-01"}`, "2024-03-01T10:00:00.5Z"},
		{"a name quoted in a text", `{"issued":"2024-01-05","note":[{"text":"see \"issued\" and \"contained\""}]}`, "2024-01-05T23:59:59.999999999Z"},
		{"a name last", `{"status":"final","issued"`, ""},
		{"a quote last", `{"issued":"2024-01-05","x":"`, "2024-01-05T23:59:59.999999999Z"},
	}
	for _, tt := range tests {
		got, ok := LatestOwnDate([]byte(tt.raw))
		if ok != (tt.want != "") {
			t.Errorf("%s: ok = %v", tt.name, ok)
			continue
		}
		if ok && got.UTC().Format(time.RFC3339Nano) != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got.UTC().Format(time.RFC3339Nano), tt.want)
		}
	}
}
