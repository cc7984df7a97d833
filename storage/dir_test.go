package storage

import (
	"errors"
	"path/filepath"
	"testing"
)

func TestDefaultDir(t *testing.T) {
	home := func() (string, error) { return "/home/ada", nil }
	noHome := func() (string, error) { return "", errors.New("no home") }
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		goos    string
		env     map[string]string
		home    func() (string, error)
		want    string
		wantErr bool
	}{
		{"linux", map[string]string{"XDG_DATA_HOME": "/xdg"}, home, filepath.Join("/xdg", "carebook"), false},
		{"linux", nil, home, filepath.Join("/home/ada", ".local", "share", "carebook"), false},
		{"linux", map[string]string{"XDG_DATA_HOME": "relative"}, home, filepath.Join("/home/ada", ".local", "share", "carebook"), false},
		{"freebsd", nil, home, filepath.Join("/home/ada", ".local", "share", "carebook"), false},
		{"linux", nil, noHome, "", true},
		{"darwin", nil, home, filepath.Join("/home/ada", "Library", "Application Support", "Carebook"), false},
		{"windows", map[string]string{"AppData": `C:\Users\ada\AppData\Roaming`}, home, filepath.Join(`C:\Users\ada\AppData\Roaming`, "Carebook"), false},
		{"windows", nil, home, "", true},
		{"android", nil, home, "", true},
		{"ios", nil, home, "", true},
	}
	for _, tt := range tests {
		got, err := defaultDir(tt.goos, env(tt.env), tt.home)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("defaultDir(%s, %v) = %q, %v; want %q, error %v", tt.goos, tt.env, got, err, tt.want, tt.wantErr)
		}
	}
	t.Setenv("XDG_DATA_HOME", "/tmp/xdg-test")
	if d, err := DefaultDir(); err != nil || d != filepath.Join("/tmp/xdg-test", "carebook") {
		t.Errorf("DefaultDir() = %q, %v", d, err)
	}
	for _, tt := range []struct{ dir, want string }{
		{"", filepath.Join("/tmp/xdg-test", "carebook")},
		{"/srv/given", "/srv/given"},
	} {
		if d, err := DirOrDefault(tt.dir); err != nil || d != tt.want {
			t.Errorf("DirOrDefault(%q) = %q, %v; want %q", tt.dir, d, err, tt.want)
		}
	}
}
