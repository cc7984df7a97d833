package autostart

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSetAndRemove(t *testing.T) {
	if !Supported() {
		t.Skip("no XDG autostart on this system")
	}
	cfgHome := t.TempDir()
	c := Config{Getenv: func(k string) string {
		if k == "XDG_CONFIG_HOME" {
			return cfgHome
		}
		return ""
	}, Executable: `/opt/Care book/carebook$1`}
	if on, err := Enabled(c); err != nil || on {
		t.Fatalf("enabled before = %v, %v", on, err)
	}
	if err := Set(c, true); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(cfgHome, "autostart", "carebook.desktop"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "[Desktop Entry]\nType=Application\n") || !strings.Contains(string(b), "Exec=\"/opt/Care book/carebook\\$1\"\n") {
		t.Errorf("entry:\n%s", b)
	}
	if on, err := Enabled(c); err != nil || !on {
		t.Fatalf("enabled after = %v, %v", on, err)
	}
	entries, _ := os.ReadDir(filepath.Join(cfgHome, "autostart"))
	if len(entries) != 1 {
		t.Errorf("autostart folder holds %d files, want just the entry", len(entries))
	}
	if err := Set(c, false); err != nil {
		t.Fatal(err)
	}
	if err := Set(c, false); err != nil {
		t.Fatalf("removing twice: %v", err)
	}
	if on, _ := Enabled(c); on {
		t.Fatal("still enabled after removal")
	}
}

func TestDirFallsBackToHome(t *testing.T) {
	got := dir(func(k string) string {
		if k == "HOME" {
			return "/home/sam"
		}
		if k == "XDG_CONFIG_HOME" {
			return "relative/not/allowed"
		}
		return ""
	})
	if got != "/home/sam/.config/autostart" {
		t.Errorf("dir = %q", got)
	}
}
