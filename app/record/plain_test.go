package record

import (
	"strings"
	"testing"

	"github.com/carebook/carebook/app/record/plainnames"
)

// decodedNames decodes r and returns, per name path of nameConcepts, the
// names its decoded value shows.
func decodedNames(r Resource) map[string][]string {
	out := map[string][]string{}
	switch r.Type {
	case "Observation":
		o := DecodeObservation(r)
		out["code"] = []string{o.Name}
		for _, c := range o.Components {
			out["component.code"] = append(out["component.code"], c.Name)
		}
		out["valueCodeableConcept"] = []string{o.Value.Text}
	case "Condition":
		out["code"] = []string{DecodeCondition(r).Name}
	case "Procedure":
		out["code"] = []string{DecodeProcedure(r).Name}
	case "Encounter":
		e := DecodeEncounter(r)
		out["type"] = []string{e.Type}
		out["reasonCode"] = e.Reasons
	case "DiagnosticReport":
		out["code"] = []string{DecodeDiagnosticReport(r).Name}
	case "Immunization":
		out["vaccineCode"] = []string{DecodeImmunization(r).Vaccine}
	case "MedicationRequest":
		out["medicationCodeableConcept"] = []string{DecodeMedicationRequest(r).Medication}
	case "AllergyIntolerance":
		out["code"] = []string{DecodeAllergyIntolerance(r).Substance}
	case "CarePlan":
		p := DecodeCarePlan(r)
		out["category"] = append([]string{p.Title}, p.Categories...)
		for _, a := range p.Activities {
			out["activity.detail.code"] = append(out["activity.detail.code"], a.Name)
		}
	case "Goal":
		out["description"] = []string{DecodeGoal(r).Description}
	}
	return out
}

// TestPlainNamesAppliedToFixtures checks that every code names.tsv covers
// is shown by its plain name wherever the test data (Synthea fixtures and
// the practice's demo data) carries it, unless the concept's text is the
// practice's own words rather than a repeat of a coding's display.
func TestPlainNamesAppliedToFixtures(t *testing.T) {
	applied, ownWords := 0, 0
	seen := map[plainnames.Code]bool{}
	for _, r := range testResources(t) {
		var names map[string][]string
		namedCodings(r, func(path string, c Coding) {
			plain, ok := plainnames.Name(c.System, c.Code)
			if !ok {
				return
			}
			if names == nil {
				names = decodedNames(r)
			}
			for _, n := range names[path] {
				if n == plain {
					applied++
					seen[plainnames.Code{System: c.System, Code: c.Code}] = true
					return
				}
			}
			// The concept's own text wins when it is not a repeat of a
			// display, and another coding of the concept may come first.
			for _, n := range names[path] {
				if n != "" && plainnames.Tag(n) == "" && !strings.EqualFold(n, plainnames.StripTag(c.Display)) {
					ownWords++
					return
				}
			}
			t.Errorf("%s/%s %s: %s %s (%q) is shown as %q, want %q", r.Type, r.ID, path, c.System, c.Code, c.Display, names[path], plain)
		})
	}
	if applied < 1000 {
		t.Errorf("plain names applied %d times over the test data, want at least 1000", applied)
	}
	t.Logf("plain names applied %d times (%d distinct codes); %d kept the practice's own words", applied, len(seen), ownWords)
}

// TestPlainNamesCoverTheMostFrequentCodes checks that names.tsv covers the
// 200 most frequent name codes of the test data (codeFrequency).
func TestPlainNamesCoverTheMostFrequentCodes(t *testing.T) {
	freq := codeFrequency(testResources(t))
	if len(freq) > 200 {
		freq = freq[:200]
	}
	for i, c := range freq {
		if _, ok := plainnames.Name(c.System, c.Code); !ok {
			t.Errorf("code #%d by frequency (%d uses) has no plain name: %s %s %q", i+1, c.N, c.System, c.Code, c.Display)
		}
	}
}

// TestNoSemanticTagsInDecodedNames decodes every resource of the test data
// and checks no name it shows ends with a SNOMED CT semantic tag.
func TestNoSemanticTagsInDecodedNames(t *testing.T) {
	for _, r := range testResources(t) {
		for path, ns := range decodedNames(r) {
			for _, n := range ns {
				if tag := plainnames.Tag(n); tag != "" {
					t.Errorf("%s/%s %s: %q carries the semantic tag %q", r.Type, r.ID, path, n, tag)
				}
			}
		}
	}
}

func TestConceptTechnical(t *testing.T) {
	c := Concept{Text: "Encounter for check up (procedure)", Codings: []Coding{{System: "http://snomed.info/sct", Code: "185349003", Display: "Encounter for check up (procedure)"}}}
	if got := c.String(); got != "Check-up" {
		t.Errorf("String = %q", got)
	}
	if got := c.Technical(); got != "Encounter for check up · SNOMED CT 185349003" {
		t.Errorf("Technical = %q", got)
	}
	own := Concept{Text: "Check-up before the marathon", Codings: c.Codings}
	if got := own.String(); got != "Check-up before the marathon" {
		t.Errorf("the practice's own words were replaced: %q", got)
	}
	if got := (Concept{Text: "Headache"}).Technical(); got != "" {
		t.Errorf("Technical of a plain text = %q, want empty", got)
	}
}
