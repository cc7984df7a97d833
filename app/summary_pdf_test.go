package app

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/app/record"
)

// FuzzSummaryPDF: whatever text a practice sends (any script, emoji,
// invalid UTF-8, words longer than a line, many lines), the summary PDF is
// made without a panic or an error.
func FuzzSummaryPDF(f *testing.F) {
	for _, s := range []string{"Penicillin", "Núñez 李小龙 Ωμέγα Пётр", "😀🩺 \u202e\u0000", "\xff\xfe bad", strings.Repeat("x", 500), strings.Repeat("word ", 400)} {
		f.Add(s, 3.5)
	}
	f.Fuzz(func(t *testing.T, text string, v float64) {
		day := record.Date{Time: time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC), Precision: record.PrecisionDay}
		it := SummaryItem{Text: text, Detail: text, Date: day, Source: text}
		pts := []record.Point{{Date: day, Value: v}, {Date: day, Value: v * 2}, {Date: record.Date{Time: day.Time.AddDate(0, 1, 0), Precision: record.PrecisionDay}, Value: -v}}
		s := HealthSummary{
			Name: text, BirthDate: day, Gender: "female", Address: text, Phone: text,
			Sources: []SummarySource{{Practice: text}}, Made: day.Time,
			Allergies: []SummaryItem{it}, Medications: []SummaryItem{it, it}, Problems: []SummaryItem{it},
			Immunizations: []SummaryItem{it, it}, Appointments: []SummaryItem{it},
			Results: []SummaryResult{{Name: text, Value: text, Range: text, Flag: "High", Date: day, Source: text, Points: pts}},
		}
		s.Card = s.card()
		s.Card.Contacts = []Contact{{Name: text, Relationship: text, Phone: text}}
		var buf bytes.Buffer
		if err := WriteSummaryPDF(&buf, s); err != nil {
			t.Fatalf("WriteSummaryPDF: %v", err)
		}
		if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
			t.Fatal("not a PDF")
		}
	})
}
