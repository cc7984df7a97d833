package plainnames

import "testing"

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
	if err := parseNames([]byte("loinc\t1-1\n")); err == nil {
		t.Error("a line with two columns was accepted")
	}
	if err := parseNames([]byte("loinc\t4548-4\tAgain\n")); err == nil {
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
