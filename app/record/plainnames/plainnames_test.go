package plainnames

import (
	"testing"

	"github.com/carebook/carebook/internal/i18n"
)

func TestName(t *testing.T) {
	tests := []struct {
		system, code, want string
		ok                 bool
	}{
		{"http://loinc.org", "4548-4", "Hemoglobin A1c (average blood sugar)", true},
		{"https://loinc.org/", "4548-4", "Hemoglobin A1c (average blood sugar)", true},
		{"http://snomed.info/sct", "185349003", "Check-up", true},
		{"http://hl7.org/fhir/sid/cvx", "140", "Flu shot", true},
		{"http://loinc.org", "0000-0", "", false},
		{"http://example.org/other", "4548-4", "", false},
	}
	for _, tt := range tests {
		got, ok := Name(tt.system, tt.code)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Name(%q, %q) = %q, %v; want %q, %v", tt.system, tt.code, got, ok, tt.want, tt.ok)
		}
	}
}

func TestUnit(t *testing.T) {
	tests := []struct{ in, want string }{
		{"10*3/uL", "thousand per µL"},
		{"mm[Hg]", "mmHg"},
		{"{score}", ""},
		{"{anything}", ""},
		{"mg/dL", "mg/dL"},
		{"furlongs", "furlongs"},
	}
	for _, tt := range tests {
		if got, _ := Unit(tt.in); got != tt.want {
			t.Errorf("Unit(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestStripTag(t *testing.T) {
	tests := []struct{ in, want, tag string }{
		{"Encounter for check up (procedure)", "Encounter for check up", "procedure"},
		{"Appendectomy (Procedure)", "Appendectomy", "procedure"},
		{"Cardiac care (regime/therapy)", "Cardiac care", "regime/therapy"},
		{"Hemoglobin (blood)", "Hemoglobin (blood)", ""},
		{"Never smoker", "Never smoker", ""},
		{"(finding)", "", "finding"},
	}
	for _, tt := range tests {
		if got := StripTag(tt.in); got != tt.want {
			t.Errorf("StripTag(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := Tag(tt.in); got != tt.tag {
			t.Errorf("Tag(%q) = %q, want %q", tt.in, got, tt.tag)
		}
	}
}

// TestDataFiles checks the embedded files parse and every name is
// written for people: no semantic tag, no code system jargon.
func TestDataFiles(t *testing.T) {
	if len(Covered()) < 200 {
		t.Fatalf("names.tsv covers %d codes, want at least 200", len(Covered()))
	}
	for _, c := range Covered() {
		n, ok := Name(c.System, c.Code)
		if !ok || n == "" {
			t.Errorf("%s %s: no name after loading", c.System, c.Code)
		}
		if Tag(n) != "" {
			t.Errorf("%s %s: plain name %q ends with a semantic tag", c.System, c.Code, n)
		}
	}
	if _, err := parseTable([]byte("loinc\t1-1\n"), nil); err == nil {
		t.Error("a line with two columns was accepted")
	}
	if _, err := parseTable([]byte("loinc\t4548-4\tOnce\nloinc\t4548-4\tAgain\n"), nil); err == nil {
		t.Error("a code given twice was accepted")
	}
}

func TestContainsTag(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"Reason: Sinusitis (disorder), fever", true},
		{"Colonoscopy (Procedure)", true},
		{"Hemoglobin (blood) (x", false},
		{"LDL cholesterol (\"bad\" cholesterol)", false},
		{"", false},
	} {
		if got := ContainsTag(tt.in); got != tt.want {
			t.Errorf("ContainsTag(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestSpanish: every code and unit has a Spanish name (names.es.tsv and
// units.es.tsv cover names.tsv and units.tsv, and nothing else), written
// for people too; Name and Unit speak the language internal/i18n speaks.
func TestSpanish(t *testing.T) {
	en, es := tables["en"], tables["es"]
	for _, c := range Covered() {
		k := key(c.System, c.Code)
		n, ok := es.names[k]
		switch {
		case !ok || n == "":
			t.Errorf("%s %s (%q): no Spanish name", c.System, c.Code, en.names[k])
		case Tag(n) != "":
			t.Errorf("%s %s: Spanish name %q ends with a semantic tag", c.System, c.Code, n)
		}
	}
	if len(es.names) != len(en.names) {
		t.Errorf("names.es.tsv has %d codes, names.tsv %d: a Spanish name for a code without an English one", len(es.names), len(en.names))
	}
	for u := range en.units {
		if _, ok := es.units[u]; !ok {
			t.Errorf("unit %q has no Spanish form", u)
		}
	}
	if len(es.units) != len(en.units) {
		t.Errorf("units.es.tsv has %d units, units.tsv %d", len(es.units), len(en.units))
	}

	t.Cleanup(func() { i18n.SetLanguage("en") })
	for _, tt := range []struct {
		lang, name, unit string
	}{
		{"en", "Total cholesterol", "thousand per µL"},
		{"es", "Colesterol total", "mil por µL"},
	} {
		i18n.SetLanguage(tt.lang)
		if got, ok := Name("http://loinc.org", "2093-3"); !ok || got != tt.name {
			t.Errorf("%s: Name(LOINC 2093-3) = %q, %v; want %q", tt.lang, got, ok, tt.name)
		}
		if got, ok := Unit("10*3/uL"); !ok || got != tt.unit {
			t.Errorf("%s: Unit(10*3/uL) = %q, %v; want %q", tt.lang, got, ok, tt.unit)
		}
	}
}
