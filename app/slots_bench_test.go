package app

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/carebook/carebook/practice/demo"
)

// tenProviderPractice adds to the demo practice ten clinicians, each with
// a Schedule for each of three visit types and 20-minute slots over the
// next 60 days (business days, 8:30 to 16:30) of one type or another,
// about a quarter of them busy: a 10-provider practice publishing two
// months ahead.
func tenProviderPractice(tb testing.TB, practice *demo.Practice) {
	tb.Helper()
	ctx := context.Background()
	st := practice.Server().Store()
	put := func(typ, id string, m map[string]any) {
		m["resourceType"] = typ
		body, err := json.Marshal(m)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := st.Put(ctx, typ, id, body); err != nil {
			tb.Fatalf("put %s/%s: %v", typ, id, err)
		}
	}
	visits := []map[string]any{}
	for _, v := range [][2]string{{"follow-up", "Follow-up visit"}, {"sick-visit", "Sick visit"}, {"annual-physical", "Annual physical"}} {
		visits = append(visits, map[string]any{"coding": []any{map[string]any{
			"system": "http://carebook.app/fhir/CodeSystem/visit-type", "code": v[0], "display": v[1]}}})
	}
	today := localDay(time.Now())
	for p := range 10 {
		pid := fmt.Sprintf("bench-dr-%d", p)
		put("Practitioner", pid, map[string]any{"name": []any{map[string]any{"text": fmt.Sprintf("Dr. Bench %d", p)}}})
		for v, visit := range visits {
			put("Schedule", fmt.Sprintf("bench-sched-%s-%d", pid, v), map[string]any{"active": true, "serviceType": []any{visit},
				"actor": []any{map[string]any{"reference": "Practitioner/" + pid, "display": fmt.Sprintf("Dr. Bench %d", p)},
					map[string]any{"reference": "Location/riverside-main"}}})
		}
		for day := 1; day <= 60; day++ {
			date := today.AddDate(0, 0, day)
			if wd := date.Weekday(); wd == time.Saturday || wd == time.Sunday {
				continue
			}
			start := time.Date(date.Year(), date.Month(), date.Day(), 8, 30, 0, 0, time.Local)
			for i := 0; start.Hour() < 16 || start.Hour() == 16 && start.Minute() < 30; i++ {
				status := "free"
				if (p+day+i)%4 == 0 {
					status = "busy"
				}
				v := (p + day + i) % len(visits)
				put("Slot", fmt.Sprintf("bench-%s-%d-%d", pid, day, i), map[string]any{
					"schedule":    map[string]any{"reference": fmt.Sprintf("Schedule/bench-sched-%s-%d", pid, v)},
					"serviceType": []any{visits[v]},
					"status":      status, "start": start.UTC().Format(time.RFC3339),
					"end": start.Add(20 * time.Minute).UTC().Format(time.RFC3339)})
				start = start.Add(20 * time.Minute)
			}
		}
	}
}

// BenchmarkFreeSlots60Days is the booking screen's search: the free times
// of one visit type with anyone over the next 60 days at a 10-provider
// practice, asked live over HTTP on loopback and grouped by day (target
// < 300 ms).
func BenchmarkFreeSlots60Days(b *testing.B) {
	practice, err := demo.Start(context.Background(), demo.Options{PasswordCost: 64, StaffDelay: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	defer practice.Close()
	tenProviderPractice(b, practice)
	core, id := connectAs(b, practice, "maya")
	ctx := context.Background()
	q := SlotQuery{To: localDay(time.Now()).AddDate(0, 0, 60), VisitType: "follow-up"}
	var n int
	b.ResetTimer()
	for b.Loop() {
		ft, err := core.FreeSlots(ctx, id, q)
		if err != nil {
			b.Fatal(err)
		}
		n = len(ft.Slots())
	}
	b.ReportMetric(float64(n), "slots")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/search")
}
