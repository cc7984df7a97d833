package record

import (
	"strings"
	"testing"
)

func part(id, practice string, rs ...Resource) Part {
	return Part{Source: Source{ProfileID: id, Practice: practice}, Chart: Load(rs)}
}

const (
	metformin = `{"status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"860975"}],"text":"Metformin 500 mg"},"authoredOn":"2023-03-01"}`
	flu2024   = `{"status":"completed","vaccineCode":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"158"}],"text":"Influenza"},"occurrenceDateTime":"2024-10-02T09:00:00Z"}`
)

// TestMergeFoldsTheSameItem: the same medication, vaccine, allergy or
// condition (same code and dates) from two practices is one item with both
// sources; other dates, other codes or two copies at one practice stay
// apart.
func TestMergeFoldsTheSameItem(t *testing.T) {
	a := part("pa", "Riverside",
		res("MedicationRequest", "m1", metformin),
		res("MedicationRequest", "m2", `{"status":"active","medicationCodeableConcept":{"text":"Lisinopril 10 mg"},"authoredOn":"2022-01-01"}`),
		res("Immunization", "i1", flu2024),
		res("AllergyIntolerance", "a1", `{"code":{"coding":[{"system":"http://snomed.info/sct","code":"91936005"}],"text":"Penicillin"},"onsetDateTime":"2001-05-05"}`),
		res("Condition", "c1", `{"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]},"onsetDateTime":"2019-02-02"}`),
		res("Condition", "c2", `{"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]},"onsetDateTime":"2019-02-02"}`),
	)
	b := part("pb", "Lakeside",
		res("MedicationRequest", "x1", strings.Replace(metformin, "Metformin 500 mg", "metformin", 1)),
		res("MedicationRequest", "x2", strings.Replace(metformin, "2023-03-01", "2024-03-01", 1)),
		res("Immunization", "y1", strings.Replace(flu2024, "09:00:00Z", "15:30:00Z", 1)),
		res("AllergyIntolerance", "z1", `{"code":{"coding":[{"system":"http://snomed.info/sct","code":"91936005"}],"text":"PCN"},"onsetDateTime":"2001-05-05"}`),
		res("Condition", "w1", `{"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]},"onsetDateTime":"2020-02-02"}`),
	)
	parts := []Part{a, b}
	tests := []struct {
		name string
		got  [][]string // per merged item: its keys
		want [][]string
	}{
		{"medications", keysOf(MergeMedications(parts)), [][]string{{"MedicationRequest/m1", "MedicationRequest/x1"}, {"MedicationRequest/m2"}, {"MedicationRequest/x2"}}},
		{"immunizations", keysOf(MergeImmunizations(parts)), [][]string{{"Immunization/i1", "Immunization/y1"}}},
		{"allergies", keysOf(MergeAllergies(parts)), [][]string{{"AllergyIntolerance/a1", "AllergyIntolerance/z1"}}},
		{"conditions", keysOf(MergeConditions(parts)), [][]string{{"Condition/c1"}, {"Condition/c2"}, {"Condition/w1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.Join(flat(tt.got), ";") != strings.Join(flat(tt.want), ";") {
				t.Errorf("items = %v, want %v", tt.got, tt.want)
			}
		})
	}
	m := MergeMedications(parts)[0]
	if m.Practices() != "Riverside · Lakeside" || m.Item.Medication != "Metformin 500 mg" || m.Chart != a.Chart {
		t.Errorf("folded medication = %q from %q", m.Item.Medication, m.Practices())
	}
}

func keysOf[T any](items []Sourced[T]) [][]string {
	out := make([][]string, len(items))
	for i, it := range items {
		out[i] = it.Keys
		if len(it.Keys) != len(it.Sources) {
			panic("keys and sources differ in length")
		}
	}
	return out
}

func flat(items [][]string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = strings.Join(it, ",")
	}
	return out
}

func weightJSON(code, date, value, unit string) string {
	return `{"status":"final","code":{"coding":[{"system":"http://loinc.org","code":"` + code + `"}],"text":"Weight"},"effectiveDateTime":"` + date +
		`","valueQuantity":{"value":` + value + `,"unit":"` + unit + `"}}`
}

// TestMergeTrends: the same LOINC in compatible units charts as one series
// (converted to the first practice's unit), oldest first, each point with
// its source; an incompatible unit stays a series of its own.
func TestMergeTrends(t *testing.T) {
	a := part("pa", "Riverside",
		res("Observation", "o1", weightJSON("29463-7", "2024-01-01", "70", "kg")),
		res("Observation", "o2", weightJSON("29463-7", "2024-06-01", "71", "kg")))
	b := part("pb", "Lakeside",
		res("Observation", "p1", weightJSON("29463-7", "2024-03-01", "154.324", "lb")),
		res("Observation", "p2", weightJSON("29463-7", "2024-09-01", "72", "KG")),
		res("Observation", "p3", weightJSON("29463-7", "2024-10-01", "3", "stone")))
	series := MergeTrends([]Part{a, b})
	if len(series) != 2 {
		t.Fatalf("series = %d, want 2 (kg, stone)", len(series))
	}
	s := series[0]
	if s.Unit != "kg" {
		s = series[1]
	}
	var got []string
	for i, p := range s.Points {
		got = append(got, p.Date.String()+" "+formatNumber(p.Value)+" "+p.Unit+" "+s.From[i].Practice)
	}
	want := []string{"1 Jan 2024 70 kg Riverside", "1 Mar 2024 70 kg Lakeside", "1 Jun 2024 71 kg Riverside", "1 Sep 2024 72 kg Lakeside"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("points = %v\nwant %v", got, want)
	}
	if s.Practices() != "Riverside · Lakeside" {
		t.Errorf("practices = %q", s.Practices())
	}
}
