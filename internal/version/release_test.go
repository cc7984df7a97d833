package version

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fyneApp reads one key of FyneApp.toml's [Details].
func fyneApp(t *testing.T, key string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "FyneApp.toml"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^` + key + `\s*=\s*"?([^"\n]+)"?`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("FyneApp.toml has no %s", key)
	}
	return strings.TrimSpace(string(m[1]))
}

// TestAndroidManifest: the manifest the Android package is built with keeps
// health data on the phone and says the same as FyneApp.toml.
func TestAndroidManifest(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "AndroidManifest.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Package     string `xml:"package,attr"`
		VersionCode string `xml:"versionCode,attr"`
		VersionName string `xml:"versionName,attr"`
		Application struct {
			AllowBackup        string `xml:"allowBackup,attr"`
			FullBackupContent  string `xml:"fullBackupContent,attr"`
			Debuggable         string `xml:"debuggable,attr"`
			Label              string `xml:"label,attr"`
			UsesCleartext      string `xml:"usesCleartextTraffic,attr"`
			RequestLegacyStore string `xml:"requestLegacyExternalStorage,attr"`
		} `xml:"application"`
		Permissions []struct {
			Name string `xml:"name,attr"`
		} `xml:"uses-permission"`
	}
	if err := xml.Unmarshal(b, &m); err != nil {
		t.Fatalf("AndroidManifest.xml: %v", err)
	}
	checks := []struct{ what, got, want string }{
		{"package", m.Package, fyneApp(t, "ID")},
		{"versionName", m.VersionName, fyneApp(t, "Version")},
		{"versionCode", m.VersionCode, fyneApp(t, "Build")},
		{"label", m.Application.Label, fyneApp(t, "Name")},
		{"allowBackup", m.Application.AllowBackup, "false"},
		{"fullBackupContent", m.Application.FullBackupContent, "false"},
		{"debuggable", m.Application.Debuggable, "false"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("AndroidManifest.xml %s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if m.Application.UsesCleartext == "true" || m.Application.RequestLegacyStore == "true" {
		t.Error("AndroidManifest.xml allows clear-text traffic or legacy external storage")
	}
	for _, p := range m.Permissions {
		if p.Name != "android.permission.INTERNET" {
			t.Errorf("AndroidManifest.xml asks for %s; Carebook needs only INTERNET", p.Name)
		}
	}
}
