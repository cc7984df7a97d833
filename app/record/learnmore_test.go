package record

import (
	"net/url"
	"testing"
)

func TestLearnMore(t *testing.T) {
	tests := []struct {
		name     string
		c        Concept
		lang     string
		cs, code string // "" when no link is wanted
	}{
		{"loinc", Concept{Codings: []Coding{{System: "http://loinc.org", Code: "4548-4"}}}, "en", "2.16.840.1.113883.6.1", "4548-4"},
		{"snomed after an unknown system", Concept{Codings: []Coding{{System: "urn:local", Code: "x"}, {System: "http://snomed.info/sct", Code: "38341003"}}}, "es", "2.16.840.1.113883.6.96", "38341003"},
		{"rxnorm", Concept{Codings: []Coding{{System: "http://www.nlm.nih.gov/research/umls/rxnorm", Code: "314076"}}}, "", "2.16.840.1.113883.6.88", "314076"},
		{"icd-10-cm", Concept{Codings: []Coding{{System: "http://hl7.org/fhir/sid/icd-10-cm", Code: "E11.9"}}}, "de", "2.16.840.1.113883.6.90", "E11.9"},
		{"cvx has no page", Concept{Codings: []Coding{{System: "http://hl7.org/fhir/sid/cvx", Code: "140"}}}, "en", "", ""},
		{"text only", Concept{Text: "Headache"}, "en", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := LearnMore(tt.c, tt.lang)
			if tt.code == "" {
				if got != "" {
					t.Fatalf("LearnMore = %q, want none", got)
				}
				return
			}
			u, err := url.Parse(got)
			if err != nil {
				t.Fatalf("parse %q: %v", got, err)
			}
			q := u.Query()
			wantLang := "en"
			if tt.lang == "es" {
				wantLang = "es"
			}
			if u.Scheme != "https" || u.Host != "connect.medlineplus.gov" || u.Path != "/application" ||
				q.Get("mainSearchCriteria.v.cs") != tt.cs || q.Get("mainSearchCriteria.v.c") != tt.code ||
				q.Get("informationRecipient.languageCode.c") != wantLang {
				t.Errorf("LearnMore = %q", got)
			}
		})
	}
}

func TestReviewed(t *testing.T) {
	prelim := Observation{Status: "preliminary"}
	final := Observation{Status: "final"}
	commented := Observation{Status: "preliminary", Notes: []string{"Looks fine."}}
	tests := []struct {
		name string
		g    LabGroup
		want bool
	}{
		{"final report, final results", LabGroup{Report: &DiagnosticReport{Status: "final"}, Results: []*Observation{&final}}, true},
		{"preliminary report", LabGroup{Report: &DiagnosticReport{Status: "preliminary"}, Results: []*Observation{&final}}, false},
		{"partial report", LabGroup{Report: &DiagnosticReport{Status: "partial"}}, false},
		{"preliminary report with the doctor's conclusion", LabGroup{Report: &DiagnosticReport{Status: "preliminary", Conclusion: "All normal."}, Results: []*Observation{&prelim}}, true},
		{"final report with a preliminary result", LabGroup{Report: &DiagnosticReport{Status: "final"}, Results: []*Observation{&final, &prelim}}, false},
		{"standalone preliminary result", LabGroup{Results: []*Observation{&prelim}}, false},
		{"standalone preliminary result with a note", LabGroup{Results: []*Observation{&commented}}, true},
		{"standalone final results", LabGroup{Results: []*Observation{&final, &Observation{Status: "amended"}}}, true},
	}
	for _, tt := range tests {
		if got := tt.g.Reviewed(); got != tt.want {
			t.Errorf("%s: Reviewed = %v, want %v", tt.name, got, tt.want)
		}
	}
}
