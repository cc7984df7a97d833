package ui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// layoutTests are the tests that check only how screens are laid out
// (nothing cut off, nothing too wide, at phone size, in large text and in
// Spanish). Drawing under the race detector is about ten times slower and
// they exercise no concurrency the other tests do not, so scripts/test.sh
// runs them without it, beside the package's race run.
const layoutTests = "TestNothingCutOffAtPhoneSize|TestLargeTextFitsAPhone|TestRecordInSpanish|TestScreensFitAPhone"

// layoutCheck skips a layout test under the race detector (see
// layoutTests), unless CAREBOOK_LAYOUT_UNDER_RACE=1 asks for it.
func layoutCheck(t *testing.T) {
	t.Helper()
	if raceEnabled && os.Getenv("CAREBOOK_LAYOUT_UNDER_RACE") != "1" {
		t.Skip("a layout check: scripts/test.sh runs it without the race detector")
	}
}

// TestLayoutTestsAreListed: scripts/test.sh runs layoutTests without the
// race detector, and every test that calls layoutCheck is in that list (a
// test left out would run nowhere).
func TestLayoutTestsAreListed(t *testing.T) {
	script, err := os.ReadFile("../scripts/test.sh")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(script), layoutTests) {
		t.Errorf("scripts/test.sh does not run the layout tests %q without the race detector", layoutTests)
	}
	listed := map[string]bool{}
	for _, name := range strings.Split(layoutTests, "|") {
		listed[name] = true
	}
	paths, _ := filepath.Glob("*_test.go")
	fset := token.NewFileSet()
	for _, path := range paths {
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil || fn.Name.Name == "layoutCheck" {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if call, ok := n.(*ast.CallExpr); ok {
					if id, ok := call.Fun.(*ast.Ident); ok && id.Name == "layoutCheck" && !listed[fn.Name.Name] {
						t.Errorf("%s calls layoutCheck but is not in layoutTests", fn.Name.Name)
					}
				}
				return true
			})
		}
	}
}
