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

func BenchmarkSearch(b *testing.B) {
	s, err := Open("")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	// 20 patients × 250 observations, one transaction per patient.
	for p := 0; p < 20; p++ {
		var sb strings.Builder
		sb.WriteString(`{"resourceType":"Bundle","type":"transaction","entry":[`)
		fmt.Fprintf(&sb, `{"resource":{"resourceType":"Patient","id":"p%d"},"request":{"method":"PUT","url":"Patient/p%d"}}`, p, p)
		for i := 0; i < 250; i++ {
			code := []string{"8867-4", "2345-7", "8480-6"}[i%3]
			fmt.Fprintf(&sb, `,{"resource":{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/p%d"},
				"code":{"coding":[{"system":"http://loinc.org","code":"%s"}]},"effectiveDateTime":"20%02d-01-01"},
				"request":{"method":"POST","url":"Observation"}}`, p, code, i%25)
		}
		sb.WriteString(`]}`)
		if _, err := s.LoadBundle(ctx, strings.NewReader(sb.String())); err != nil {
			b.Fatal(err)
		}
	}
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
