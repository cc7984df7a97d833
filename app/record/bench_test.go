package record

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

var benchLabs = []struct{ code, name, unit string }{
	{"2339-0", "Glucose", "mg/dL"}, {"4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%"},
	{"18262-6", "Low Density Lipoprotein Cholesterol", "mg/dL"}, {"2085-9", "High Density Lipoprotein Cholesterol", "mg/dL"},
	{"2093-3", "Total Cholesterol", "mg/dL"}, {"2571-8", "Triglycerides", "mg/dL"}, {"2951-2", "Sodium", "mmol/L"},
	{"2823-3", "Potassium", "mmol/L"}, {"2075-0", "Chloride", "mmol/L"}, {"2028-9", "Carbon Dioxide", "mmol/L"},
	{"38483-4", "Creatinine", "mg/dL"}, {"49765-1", "Calcium", "mg/dL"}, {"6299-2", "Urea Nitrogen", "mg/dL"},
	{"718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL"}, {"6690-2", "Leukocytes [#/volume] in Blood", "10*3/uL"},
	{"777-3", "Platelets [#/volume] in Blood", "10*3/uL"}, {"29463-7", "Body Weight", "kg"}, {"8302-2", "Body Height", "cm"},
	{"39156-5", "Body Mass Index", "kg/m2"}, {"8867-4", "Heart rate", "/min"}, {"9279-1", "Respiratory rate", "/min"},
	{"8310-5", "Body temperature", "Cel"}, {"72514-3", "Pain severity - 0-10 verbal numeric rating", "{score}"},
}

var benchWords = []string{"fasting", "sample", "repeat", "in", "three", "months", "discussed", "with", "patient", "diet",
	"exercise", "improving", "stable", "follow-up", "médecin", "contrôle", "call", "the", "office", "if", "symptoms", "worsen"}

// benchResources generates n realistic resources of one long-followed
// patient: mostly lab and vital Observations, plus reports, visits,
// conditions, medications and messages.
func benchResources(n int) []Resource {
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(1990, 1, 1, 8, 0, 0, 0, time.UTC)
	sentence := func(words int) string {
		s := ""
		for i := 0; i < words; i++ {
			if i > 0 {
				s += " "
			}
			s += benchWords[rng.IntN(len(benchWords))]
		}
		return s
	}
	out := make([]Resource, 0, n)
	for i := 0; len(out) < n; i++ {
		when := start.Add(time.Duration(i) * 13 * time.Hour).Format(time.RFC3339)
		id := fmt.Sprintf("r%06d", i)
		var r Resource
		switch k := i % 20; {
		case k < 14:
			lab := benchLabs[rng.IntN(len(benchLabs))]
			note := ""
			if rng.IntN(5) == 0 {
				note = `,"note":[{"text":"` + sentence(12) + `"}]`
			}
			r = res("Observation", id, fmt.Sprintf(`{"resourceType":"Observation","id":%q,"status":"final","category":[{"coding":[{"code":"laboratory"}]}],
				"code":{"coding":[{"system":"http://loinc.org","code":%q,"display":%q}],"text":%q},"effectiveDateTime":%q,
				"valueQuantity":{"value":%.2f,"unit":%q},"referenceRange":[{"low":{"value":10},"high":{"value":90}}]%s}`,
				id, lab.code, lab.name, lab.name, when, rng.Float64()*100, lab.unit, note))
		case k < 16:
			r = res("DiagnosticReport", id, fmt.Sprintf(`{"status":"final","code":{"text":"Basic metabolic panel"},"effectiveDateTime":%q,"conclusion":%q}`, when, sentence(8)))
		case k == 16:
			r = res("Encounter", id, fmt.Sprintf(`{"status":"finished","class":{"code":"AMB"},"type":[{"text":"General examination of patient"}],"period":{"start":%q},"reasonCode":[{"text":"Routine check"}]}`, when))
		case k == 17:
			r = res("Condition", id, fmt.Sprintf(`{"clinicalStatus":{"coding":[{"code":"active"}]},"code":{"text":"Condition %d (disorder)"},"onsetDateTime":%q}`, i%300, when))
		case k == 18:
			r = res("MedicationRequest", id, fmt.Sprintf(`{"status":"active","medicationCodeableConcept":{"text":"Medication %d 10 MG Oral Tablet"},"authoredOn":%q,"dosageInstruction":[{"text":"Take one daily"}]}`, i%200, when))
		default:
			r = res("Communication", id, fmt.Sprintf(`{"status":"completed","sent":%q,"sender":{"reference":"Practitioner/1"},"payload":[{"contentString":%q}]}`, when, sentence(40)))
		}
		out = append(out, r)
	}
	return out
}

func BenchmarkLoad20k(b *testing.B) {
	rs := benchResources(20000)
	b.ReportAllocs()
	for b.Loop() {
		Load(rs)
	}
}

func BenchmarkBuildIndex20k(b *testing.B) {
	c := Load(benchResources(20000))
	b.ReportAllocs()
	for b.Loop() {
		BuildChart(c)
	}
}

func BenchmarkSearch20k(b *testing.B) {
	x := BuildChart(Load(benchResources(20000)))
	queries := []string{"glucose", "gluc", "chol", "fasting sample", "médecin", "medication 12", "a", "nothing matches this"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		x.Search(queries[i%len(queries)], 50)
		i++
	}
}

func BenchmarkTrends20k(b *testing.B) {
	c := Load(benchResources(20000))
	b.ReportAllocs()
	for b.Loop() {
		ChartCandidates(Trends(c.Observations))
	}
}

// TestSearch20kAnswers makes sure the benchmark data really answers the
// benchmark's queries, so the benchmark measures real work.
func TestSearch20kAnswers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 20,000-record index")
	}
	x := BuildChart(Load(benchResources(20000)))
	if x.Len() != 20000 {
		t.Fatalf("Len = %d", x.Len())
	}
	for _, q := range []string{"glucose", "chol", "fasting sample", "medecin"} {
		if hits := x.Search(q, 50); len(hits) != 50 {
			t.Errorf("Search(%q) gave %d hits, want 50", q, len(hits))
		}
	}
}
