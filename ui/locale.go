package ui

import (
	"os"
	"runtime"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"github.com/jeandeaual/go-locale"

	"github.com/carebook/carebook/app/locfmt"
	"github.com/carebook/carebook/internal/i18n"
)

// deviceLocale is the locale dates, times, numbers, money and units
// follow: on Linux and the BSDs the POSIX variables (LC_ALL, LC_TIME,
// LANG), elsewhere what Fyne reads from the platform (Windows, macOS,
// Android, iOS). The C/POSIX locale, or none, gives en-US without a word
// in the log.
func deviceLocale() locfmt.Locale {
	if l, ok := locfmt.FromEnv(os.Getenv); ok {
		return l
	}
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly", "solaris", "illumos":
		// Fyne would read the same variables and log an error for C.
		return locfmt.EnUS
	}
	return locfmt.Parse(string(lang.SystemLocale()))
}

// appLocale is the locale the screens format with (set at start-up by
// NewMainWindow; en-US until then). Any goroutine.
func appLocale() locfmt.Locale { return locfmt.Current() }

// Fyne's lang knows Carebook's messages from the start, with their plural
// forms, in the language it reads from the system, until useSystemLanguage
// (called by NewMainWindow) chooses: a screen built on its own (as the
// tests build them) then says "1 result", not "1 results".
func init() {
	if err := lang.AddTranslationsFS(i18n.Files, i18n.Dir); err != nil {
		fyne.LogError("Carebook's translations", err)
	}
}

// useSystemLanguage makes the screens (through Fyne's lang) and the use
// cases below them (through internal/i18n) speak the system's preferred
// language, from the same translation files: Spanish or English. Fyne's
// own words (dialog buttons, the text entry's menu) follow the same choice.
func useSystemLanguage() {
	// The same list, read the same way, as Fyne's lang reads (go-locale):
	// both sides choose alike.
	preferred, err := locale.GetLocales()
	if err != nil {
		preferred = nil // English
	}
	i18n.UsePreferred(preferred...)
	if err := lang.AddTranslationsFS(i18n.Files, i18n.Dir); err != nil {
		fyne.LogError("Carebook's translations", err)
	}
}
