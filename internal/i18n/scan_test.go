package i18n

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// repoRoot is the repository, two levels above this package.
const repoRoot = "../.."

// translatedDirs are the packages whose text people read: the screens and
// the use cases below them. The command-line tool speaks English only.
var translatedDirs = []string{"ui", "app", "app/record", "app/locfmt"}

// use is one call that translates: lang.L / lang.N (Fyne) or i18n.L / i18n.N.
type use struct {
	key    string
	plural bool
	where  string
}

// sourceFiles parses the non-test Go files of dir (relative to repoRoot).
func sourceFiles(t *testing.T, fset *token.FileSet, dir string) map[string]*ast.File {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(repoRoot, dir))
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	files := map[string]*ast.File{}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		rel := filepath.Join(dir, name)
		f, err := parser.ParseFile(fset, filepath.Join(repoRoot, rel), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse %s: %v", rel, err)
		}
		files[rel] = f
	}
	return files
}

// translateCall says whether call is lang.L, lang.N, i18n.L or i18n.N, and
// whether it has plural forms.
func translateCall(call *ast.CallExpr) (ok, plural bool) {
	sel, isSel := call.Fun.(*ast.SelectorExpr)
	if !isSel {
		return false, false
	}
	pkg, isIdent := sel.X.(*ast.Ident)
	if !isIdent || (pkg.Name != "lang" && pkg.Name != "i18n") {
		return false, false
	}
	switch sel.Sel.Name {
	case "L", "Localize":
		return true, false
	case "N", "LocalizePlural":
		return true, true
	case "X", "XN", "LocalizeKey", "LocalizePluralKey":
		return true, false
	}
	return false, false
}

// collectUses returns every translating call of the translated packages.
// A call whose message ID is not a string literal is reported as an error:
// the ID must never be data (a missing translation logs it).
func collectUses(t *testing.T) []use {
	t.Helper()
	fset := token.NewFileSet()
	var uses []use
	for _, dir := range translatedDirs {
		for rel, f := range sourceFiles(t, fset, dir) {
			ast.Inspect(f, func(n ast.Node) bool {
				call, isCall := n.(*ast.CallExpr)
				if !isCall {
					return true
				}
				ok, plural := translateCall(call)
				if !ok {
					return true
				}
				where := rel + ":" + strconv.Itoa(fset.Position(call.Pos()).Line)
				if sel := call.Fun.(*ast.SelectorExpr).Sel.Name; sel != "L" && sel != "N" {
					t.Errorf("%s: use L or N (the English text is the message ID), not %s", where, sel)
					return true
				}
				if len(call.Args) == 0 {
					return true
				}
				lit, isLit := call.Args[0].(*ast.BasicLit)
				if !isLit || lit.Kind != token.STRING {
					t.Errorf("%s: the message ID must be a string literal", where)
					return true
				}
				key, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Errorf("%s: %v", where, err)
					return true
				}
				uses = append(uses, use{key: key, plural: plural, where: where})
				return true
			})
		}
	}
	return uses
}

var (
	verbs  = regexp.MustCompile(`%[-+# 0-9.*]*[a-zA-Z%]|\{\{[^}]*\}\}`)
	spaced = regexp.MustCompile(`\p{L}{2,}\s+\p{L}`)
)

// looksLikeText says whether a string literal's value is something a person
// reads: words separated by spaces, or one capitalized word ("Messages").
// Identifiers, keys, units, URLs and format strings without words are not.
func looksLikeText(s string) bool {
	s = verbs.ReplaceAllString(s, " ")
	if strings.Contains(s, "://") || strings.HasPrefix(strings.TrimSpace(s), "urn:") {
		return false
	}
	if spaced.MatchString(s) {
		return true
	}
	w := strings.TrimFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
	rs := []rune(w)
	if len(rs) < 2 || !unicode.IsUpper(rs[0]) || !unicode.IsLower(rs[1]) {
		return false
	}
	return !strings.ContainsFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' && r != '’' }) &&
		!notWords[w]
}

// notWords are capitalized single words that are names, not text: FHIR
// resource types and the product's name.
var notWords = map[string]bool{
	"Carebook": true, "Patient": true, "Observation": true, "Condition": true, "Encounter": true,
	"Immunization": true, "ImmunizationRecommendation": true, "MedicationRequest": true,
	"MedicationStatement": true, "Medication": true, "AllergyIntolerance": true, "Procedure": true,
	"DiagnosticReport": true, "DocumentReference": true, "Appointment": true, "Communication": true,
	"Task": true, "Invoice": true, "Account": true, "Practitioner": true, "PractitionerRole": true,
	"Organization": true, "Location": true, "RelatedPerson": true, "HealthcareService": true,
	"Slot": true, "Schedule": true, "Coverage": true, "Claim": true, "ExplanationOfBenefit": true,
	"CarePlan": true, "CareTeam": true, "Goal": true, "Device": true, "Questionnaire": true,
	"QuestionnaireResponse": true, "Consent": true, "Provenance": true, "AuditEvent": true,
	"Binary": true, "Bundle": true, "Composition": true, "OperationOutcome": true,
	"CommunicationRequest": true, "ServiceRequest": true, "ImagingStudy": true, "Person": true,
	"SupplyDelivery": true, "MedicationAdministration": true, "MedicationDispense": true,
	"PaymentNotice": true, "PaymentReconciliation": true, "Basic": true, "List": true,
	"Specimen": true, "FamilyMemberHistory": true, "RiskAssessment": true, "Media": true,
	"ChargeItem": true, "Group": true, "Endpoint": true, "Subscription": true, "Parameters": true,
}

// untranslatedText returns, for each file of dir, the literals that look
// like text a person reads and do not go through translation (outside
// errors, logs, comparisons and switch cases, which are not shown as such).
func untranslatedText(t *testing.T, dir string) map[string][]string {
	t.Helper()
	fset := token.NewFileSet()
	found := map[string][]string{}
	for rel, f := range sourceFiles(t, fset, dir) {
		skip := map[ast.Node]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ImportSpec, *ast.Field:
				return false // import paths, struct tags
			case *ast.CallExpr:
				if ok, _ := translateCall(n); ok || notShown(n) {
					return false
				}
			case *ast.BinaryExpr:
				if n.Op == token.EQL || n.Op == token.NEQ {
					skip[n.X], skip[n.Y] = true, true
				}
			case *ast.CaseClause:
				for _, e := range n.List {
					skip[e] = true
				}
			case *ast.IndexExpr:
				skip[n.Index] = true
			case *ast.KeyValueExpr:
				if key, isLit := n.Key.(*ast.BasicLit); isLit {
					skip[n.Key] = true // a map's keys are looked up, not shown
					if key.Value == `"display"` {
						// A FHIR coding's display is the code system's
						// own name for the code (LOINC's, SNOMED's),
						// which stays as the code system writes it.
						skip[n.Value] = true
					}
				}
			case *ast.BasicLit:
				if n.Kind != token.STRING || skip[n] {
					return false
				}
				s, err := strconv.Unquote(n.Value)
				if err == nil && looksLikeText(s) {
					found[rel] = append(found[rel], strconv.Itoa(fset.Position(n.Pos()).Line)+": "+n.Value)
				}
			}
			return true
		})
	}
	return found
}

// notShown says whether a call's string arguments are for developers, not
// people: errors (wrapped with context, shown after the screen's own
// words), logs, panics and string processing.
func notShown(call *ast.CallExpr) bool {
	switch fn := call.Fun.(type) {
	case *ast.Ident:
		return fn.Name == "panic"
	case *ast.SelectorExpr:
		pkg, ok := fn.X.(*ast.Ident)
		if !ok {
			return false
		}
		switch pkg.Name {
		case "errors", "log", "slog", "strings", "regexp", "strconv", "time", "filepath", "path", "url", "os", "exec":
			return true
		case "fmt":
			return fn.Sel.Name == "Errorf"
		case "fyne":
			return fn.Sel.Name == "LogError"
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestScannerCases: the scanner flags text a person reads and leaves a
// FHIR coding's display (the code system's own words) alone.
func TestScannerCases(t *testing.T) {
	found := untranslatedText(t, "internal/i18n/testdata/scan")
	got := strings.Join(found["internal/i18n/testdata/scan/scan.go"], "\n")
	for _, want := range []string{`"Flagged because a person reads it"`, `"Flagged as well"`} {
		if !strings.Contains(got, want) {
			t.Errorf("the scanner missed %s; it found:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Allergies and adverse reactions") {
		t.Errorf("the scanner flagged a coding's display:\n%s", got)
	}
}
