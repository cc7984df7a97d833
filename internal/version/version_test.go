package version

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestMatchesFyneApp: the version the binaries print is the one the
// packages carry.
func TestMatchesFyneApp(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "FyneApp.toml"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^Version\s*=\s*"([^"]+)"`).FindSubmatch(b)
	if m == nil {
		t.Fatal("FyneApp.toml has no Version")
	}
	if string(m[1]) != Version {
		t.Fatalf("FyneApp.toml says version %s, the binaries %s", m[1], Version)
	}
}

func TestString(t *testing.T) {
	defer func(c string) { Commit = c }(Commit)
	Commit = "0123456789abcdef0123"
	got := String("carebook-cli")
	if !strings.HasPrefix(got, "carebook-cli "+Version+" (commit 0123456789ab") {
		t.Fatalf("String = %q", got)
	}
}
