package store

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func BenchmarkCreate(b *testing.B) {
	s, err := Open("")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	body := []byte(`{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/a"},
		"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],
		"code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"effectiveDateTime":"2024-03-10T09:30:00Z"}`)
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Create(ctx, "Observation", body); err != nil {
			b.Fatal(err)
		}
	}
}

// benchStore holds 20 patients × 250 observations, each observation by
// one of 10 practitioners, and 2,000 slots.
func benchStore(b *testing.B) *Store {
	s, err := Open("")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	ctx := context.Background()
	var sb strings.Builder
	sb.WriteString(`{"resourceType":"Bundle","type":"transaction","entry":[`)
	for i := 0; i < 2000; i++ {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"resource":{"resourceType":"Slot","status":"free","schedule":{"reference":"Schedule/s"},
			"start":"2030-01-01T10:00:00Z","end":"2030-01-01T10:15:00Z"},"request":{"method":"POST","url":"Slot"}}`)
	}
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&sb, `,{"resource":{"resourceType":"Practitioner","id":"dr%d"},"request":{"method":"PUT","url":"Practitioner/dr%d"}}`, i, i)
	}
	sb.WriteString(`]}`)
	if _, err := s.LoadBundle(ctx, strings.NewReader(sb.String())); err != nil {
		b.Fatal(err)
	}
	for p := 0; p < 20; p++ {
		sb.Reset()
		sb.WriteString(`{"resourceType":"Bundle","type":"transaction","entry":[`)
		fmt.Fprintf(&sb, `{"resource":{"resourceType":"Patient","id":"p%d"},"request":{"method":"PUT","url":"Patient/p%d"}}`, p, p)
		for i := 0; i < 250; i++ {
			code := []string{"8867-4", "2345-7", "8480-6"}[i%3]
			fmt.Fprintf(&sb, `,{"resource":{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/p%d"},
				"performer":[{"reference":"Practitioner/dr%d"}],
				"code":{"coding":[{"system":"http://loinc.org","code":"%s"}]},"effectiveDateTime":"20%02d-01-01"},
				"request":{"method":"POST","url":"Observation"}}`, p, i%10, code, i%25)
		}
		sb.WriteString(`]}`)
		if _, err := s.LoadBundle(ctx, strings.NewReader(sb.String())); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

func BenchmarkEverything(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		rs, total, _, err := s.Everything(ctx, EverythingQuery{Patient: "p3", Count: 100})
		if err != nil || len(rs) != 100 || total != 261 {
			b.Fatalf("%d results, total %d, %v", len(rs), total, err)
		}
	}
}

func BenchmarkSearch(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	q, _, err := ParseQuery("Observation", url.Values{"code": {"http://loinc.org|8867-4"}, "date": {"ge2010"}, "_sort": {"-date"}, "_count": {"50"}}, false)
	if err != nil {
		b.Fatal(err)
	}
	q.Patient = "p7"
	b.ResetTimer()
	for b.Loop() {
		rs, total, err := s.Search(ctx, "Observation", q)
		if err != nil || len(rs) != 50 || total != 50 {
			b.Fatalf("%d results, total %d, %v", len(rs), total, err)
		}
	}
}
