package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/carebook/carebook"

// deps lists every package that the packages matching pattern import,
// directly or not, including from their tests.
func deps(t *testing.T, pattern string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-test", "-f", "{{.ImportPath}}", pattern)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list %s: %v\n%s", pattern, err, stderr)
	}
	return strings.Fields(string(out))
}

func TestLayering(t *testing.T) {
	tests := []struct {
		pattern   string
		forbidden []string // import path prefixes
	}{
		{"./storage/...", []string{"fyne.io/", module + "/sync/", module + "/app", module + "/ui", module + "/practice"}},
		{"./sync/...", []string{"fyne.io/", module + "/app", module + "/ui"}},
		{"./app/...", []string{"fyne.io/", module + "/ui"}},
		{"./practice/...", []string{"fyne.io/", module + "/storage", module + "/sync/", module + "/app", module + "/ui"}},
		{"./cmd/carebook-cli/...", []string{"fyne.io/", module + "/ui"}},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			for _, dep := range deps(t, tt.pattern) {
				for _, bad := range tt.forbidden {
					if strings.HasPrefix(dep, bad) {
						t.Errorf("%s imports %s (directly or through its dependencies); the layering forbids %s*", tt.pattern, dep, bad)
					}
				}
			}
		})
	}
}

// TestLayeringCatchesFyne makes sure the check above can fail: the ui
// package does import Fyne, and deps must see it.
func TestLayeringCatchesFyne(t *testing.T) {
	for _, dep := range deps(t, "./ui") {
		if strings.HasPrefix(dep, "fyne.io/") {
			return
		}
	}
	t.Fatal("go list did not report fyne.io imports for ./ui: the layering test would not notice a violation")
}
