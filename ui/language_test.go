package ui

import (
	"os"
	"testing"

	"fyne.io/fyne/v2/lang"

	"github.com/carebook/carebook/app/locfmt"
	"github.com/carebook/carebook/internal/i18n"
)

// speakSpanish makes the screens, the use cases and the formats Spanish
// (Spain) for the rest of the test, as a system set to es_ES would, and
// English (en-US) again afterwards.
func speakSpanish(t *testing.T) {
	t.Helper()
	// Clean-ups run last first: this one after the environment's.
	t.Cleanup(func() {
		locfmt.SetCurrent(locfmt.EnUS)
		useSystemLanguage() // the environment is English again by now
	})
	useLanguageEnv(t, "es_ES.UTF-8")
	locfmt.SetCurrent(locfmt.Parse("es-ES"))
	useSystemLanguage()
}

// useLanguageEnv sets LC_ALL (which Fyne's lang and internal/i18n read
// first) until the test's clean-up, which restores it.
func useLanguageEnv(t *testing.T, value string) {
	t.Helper()
	old, had := os.LookupEnv("LC_ALL")
	if err := os.Setenv("LC_ALL", value); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if had {
			os.Setenv("LC_ALL", old)
		} else {
			os.Unsetenv("LC_ALL")
		}
	})
}

// TestScreensSpeakTheSystemLanguage: with the system set to Spanish, both
// Fyne's words and Carebook's (through Fyne's lang and internal/i18n)
// come out in Spanish, and in English again afterwards.
func TestScreensSpeakTheSystemLanguage(t *testing.T) {
	t.Run("Spanish", func(t *testing.T) {
		speakSpanish(t)
		if got := lang.L("Cancel"); got != "Cancelar" {
			t.Errorf("lang.L(Cancel) = %q in Spanish, want Cancelar", got)
		}
		if i18n.Language() != "es" {
			t.Errorf("internal/i18n speaks %q, want es", i18n.Language())
		}
		if got := appLocale().String(); got != "es-ES" {
			t.Errorf("formats follow %q, want es-ES", got)
		}
	})
	if got := lang.L("Cancel"); got != "Cancel" {
		t.Errorf("lang.L(Cancel) = %q after the Spanish test, want Cancel", got)
	}
	if i18n.Language() != "en" {
		t.Errorf("internal/i18n speaks %q after the Spanish test, want en", i18n.Language())
	}
}
