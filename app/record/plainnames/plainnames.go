package plainnames

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"strings"

	"github.com/carebook/carebook/internal/i18n"
)

//go:embed names.tsv
var namesTSV []byte

//go:embed units.tsv
var unitsTSV []byte

//go:embed names.es.tsv
var namesEsTSV []byte

//go:embed units.es.tsv
var unitsEsTSV []byte

// Code is one code of a code system, with its canonical system URI.
type Code struct {
	System string // e.g. "http://loinc.org"
	Code   string
}

// Systems are the code systems names.tsv may name by a short name, with
// their FHIR URIs.
var Systems = map[string]string{
	"loinc":   "http://loinc.org",
	"snomed":  "http://snomed.info/sct",
	"cvx":     "http://hl7.org/fhir/sid/cvx",
	"rxnorm":  "http://www.nlm.nih.gov/research/umls/rxnorm",
	"icd10cm": "http://hl7.org/fhir/sid/icd-10-cm",
	"hcpcs":   "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets/Alpha-Numeric-HCPCS.html",
}

// table is the plain names and units of one language.
type table struct {
	names map[Code]string
	order []Code // the codes in file order
	units map[string]string
}

// tables holds each language's table: "en" (names.tsv, units.tsv) and
// "es" (names.es.tsv, units.es.tsv).
var tables = map[string]*table{}

func init() {
	for lang, files := range map[string][2][]byte{"en": {namesTSV, unitsTSV}, "es": {namesEsTSV, unitsEsTSV}} {
		t, err := parseTable(files[0], files[1])
		if err != nil {
			// The embedded files are part of the build: a test catches this first.
			panic(fmt.Sprintf("plainnames (%s): %v", lang, err))
		}
		tables[lang] = t
	}
}

// current is the table of the language the app speaks (internal/i18n),
// English when there is none for it.
func current() *table {
	if t, ok := tables[i18n.Language()]; ok {
		return t
	}
	return tables["en"]
}

func parseTable(namesData, unitsData []byte) (*table, error) {
	t := &table{names: map[Code]string{}, units: map[string]string{}}
	if err := t.parseNames(namesData); err != nil {
		return nil, err
	}
	if err := t.parseUnits(unitsData); err != nil {
		return nil, err
	}
	return t, nil
}

// key is how a code is looked up: the system canonicalised (an https URI and
// a trailing slash ignored, letters lower-cased) and the code as given,
// trimmed (codes are case-sensitive in most systems, but never differ by
// case alone in the ones we map).
func key(system, code string) Code {
	s := strings.ToLower(strings.TrimSpace(system))
	s = strings.TrimSuffix(strings.Replace(s, "https://", "http://", 1), "/")
	return Code{System: s, Code: strings.ToLower(strings.TrimSpace(code))}
}

func lines(data []byte, fn func(n int, cols []string) error) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := fn(n, strings.Split(line, "\t")); err != nil {
			return err
		}
	}
	return sc.Err()
}

func (t *table) parseNames(data []byte) error {
	return lines(data, func(n int, cols []string) error {
		if len(cols) != 3 || cols[0] == "" || cols[1] == "" || strings.TrimSpace(cols[2]) == "" {
			return fmt.Errorf("plainnames: names.tsv line %d: want system, code and name separated by tabs", n)
		}
		system := cols[0]
		if uri, ok := Systems[system]; ok {
			system = uri
		}
		k := key(system, cols[1])
		if _, dup := t.names[k]; dup {
			return fmt.Errorf("plainnames: names.tsv line %d: code given twice", n)
		}
		t.names[k] = strings.TrimSpace(cols[2])
		t.order = append(t.order, Code{System: system, Code: cols[1]})
		return nil
	})
}

func (t *table) parseUnits(data []byte) error {
	return lines(data, func(n int, cols []string) error {
		if len(cols) != 2 || cols[0] == "" {
			return fmt.Errorf("plainnames: units.tsv line %d: want a unit and its plain form separated by a tab", n)
		}
		if _, dup := t.units[cols[0]]; dup {
			return fmt.Errorf("plainnames: units.tsv line %d: unit given twice", n)
		}
		t.units[cols[0]] = strings.TrimSpace(cols[1])
		return nil
	})
}

// Name returns the plain name of code in system, in the language the app
// speaks (internal/i18n.Language: Spanish from names.es.tsv, else English),
// and whether there is one.
func Name(system, code string) (string, bool) {
	n, ok := current().names[key(system, code)]
	return n, ok
}

// Covered lists every code names.tsv gives a plain name, in file order.
func Covered() []Code { return append([]Code(nil), tables["en"].order...) }

// Unit returns a unit as people read it, in the language the app speaks
// ("10*3/uL" → "thousand per µL", "mil por µL" in Spanish; "{score}" →
// ""), and whether the unit is known. An unknown unit comes back as given;
// any other annotation in braces is not a unit and comes back as "".
func Unit(u string) (string, bool) {
	u = strings.TrimSpace(u)
	if p, ok := current().units[u]; ok {
		return p, true
	}
	if strings.HasPrefix(u, "{") && strings.HasSuffix(u, "}") {
		return "", true
	}
	return u, false
}

// semanticTags are the SNOMED CT semantic tags, lower-cased.
var semanticTags = []string{
	"procedure", "finding", "disorder", "situation", "regime/therapy",
	"record artifact", "substance", "observable entity", "qualifier value",
	"body structure", "event", "morphologic abnormality", "product",
	"physical object", "environment", "person", "specimen", "organism",
	"social concept", "occupation", "attribute", "assessment scale",
	"navigational concept", "medicinal product", "medicinal product form",
	"clinical drug", "staging scale", "tumor staging", "cell", "cell structure",
	"physical force", "life style", "ethnic group", "racial group",
	"religion/philosophy", "environment / location", "geographic location",
	"special concept", "administrative concept", "dose form",
	"basic dose form", "unit of presentation", "state of matter", "role",
	"supplier", "intended site", "release characteristic", "transformation",
	"disposition", "number", "product name", "administration method",
	"namespace concept", "inactive concept", "linkage concept",
	"link assertion", "core metadata concept", "foundation metadata concept",
	"owl metadata concept", "context-dependent category", "trade name",
	"containered trade product", "virtual clinical drug",
}

// Tag returns the SNOMED CT semantic tag s ends with ("procedure" for
// "Colonoscopy (procedure)", compared case-insensitively), or "".
func Tag(s string) string {
	s = strings.TrimSpace(s)
	if !strings.HasSuffix(s, ")") {
		return ""
	}
	open := strings.LastIndexByte(s, '(')
	if open < 0 {
		return ""
	}
	inner := strings.ToLower(strings.TrimSpace(s[open+1 : len(s)-1]))
	for _, t := range semanticTags {
		if inner == t {
			return inner
		}
	}
	return ""
}

// ContainsTag reports whether a SNOMED CT semantic tag in parentheses
// appears anywhere in s ("Reason: Sinusitis (disorder), fever").
func ContainsTag(s string) bool {
	for {
		open := strings.IndexByte(s, '(')
		if open < 0 {
			return false
		}
		end := strings.IndexByte(s[open:], ')')
		if end < 0 {
			return false
		}
		if Tag(s[open:open+end+1]) != "" {
			return true
		}
		s = s[open+1:]
	}
}

// StripTag removes a trailing SNOMED CT semantic tag from a name:
// "Encounter for check up (procedure)" → "Encounter for check up". Other
// parentheses stay ("Hemoglobin (blood)").
func StripTag(s string) string {
	s = strings.TrimSpace(s)
	if Tag(s) == "" {
		return s
	}
	return strings.TrimSpace(s[:strings.LastIndexByte(s, '(')])
}

// SystemName is a code system's name as people know it ("LOINC",
// "SNOMED CT"), or "" for a system without a known name.
func SystemName(system string) string {
	switch key(system, "").System {
	case "http://loinc.org":
		return "LOINC"
	case "http://snomed.info/sct":
		return "SNOMED CT"
	case "http://hl7.org/fhir/sid/cvx":
		return "CVX"
	case "http://www.nlm.nih.gov/research/umls/rxnorm":
		return "RxNorm"
	case "http://hl7.org/fhir/sid/icd-10-cm", "http://hl7.org/fhir/sid/icd-10":
		return "ICD-10"
	case "http://unitsofmeasure.org":
		return "UCUM"
	}
	return ""
}
