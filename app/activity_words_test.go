package app

import (
	"testing"

	"github.com/carebook/carebook/internal/i18n"
)

// TestActivityDetailWords: the few words recorded with an event, stored
// as keys (or as older English words), are listed in the current
// language; words it does not know are listed as recorded.
func TestActivityDetailWords(t *testing.T) {
	t.Cleanup(func() { i18n.SetLanguage("en") })
	tests := []struct {
		stored, en, es string
	}{
		{auditDocumentFile, "document to a file", "documento a un archivo"},
		{"document to a file", "document to a file", "documento a un archivo"},
		{"pdf to " + ExportToAppFile, "pdf to a file (saved from the app)", "pdf a un archivo (guardado desde la aplicación)"},
		{"pdf to a file (saved from the app)", "pdf to a file (saved from the app)", "pdf a un archivo (guardado desde la aplicación)"},
		{"ips to " + auditViewer, "ips to the system viewer, to print", "ips al visor del sistema, para imprimir"},
		{"bundle to standard output", "bundle to standard output", "bundle a la salida estándar"},
		{"bundle to a file", "bundle to a file", "bundle a un archivo"},
		{auditPracticeEnded, "the practice ended access to this record", "el centro médico terminó el acceso a este historial"},
		{"zip to a file", "zip to a file", "zip to a file"},
		{"something new", "something new", "something new"},
	}
	for _, lang := range []string{"en", "es"} {
		i18n.SetLanguage(lang)
		for _, tt := range tests {
			want := tt.en
			if lang == "es" {
				want = tt.es
			}
			if got := activityDetail(tt.stored); got != want {
				t.Errorf("%s: activityDetail(%q) = %q, want %q", lang, tt.stored, got, want)
			}
		}
	}
}
