package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"sync/atomic"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Files holds the translation files, in the directory Dir.
//
//go:embed translations
var Files embed.FS

// Dir is the directory of Files that holds the translation files.
const Dir = "translations"

// Languages are the languages Carebook speaks, the fallback first.
var Languages = []language.Tag{language.English, language.Spanish}

var (
	bundle    = loadBundle()
	localizer atomic.Pointer[goi18n.Localizer]
	current   atomic.Value // string: "en" or "es"
)

func init() { SetLanguage("en") }

// loadBundle reads every file of Files. A file that does not parse is a
// programming error caught by this package's tests, so it panics.
func loadBundle() *goi18n.Bundle {
	b := goi18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	entries, err := Files.ReadDir(Dir)
	if err != nil {
		panic(fmt.Sprintf("i18n: read translations: %v", err))
	}
	for _, e := range entries {
		name := path.Join(Dir, e.Name())
		data, err := Files.ReadFile(name)
		if err != nil {
			panic(fmt.Sprintf("i18n: read %s: %v", name, err))
		}
		if _, err := b.ParseMessageFileBytes(data, name); err != nil {
			panic(fmt.Sprintf("i18n: parse %s: %v", name, err))
		}
	}
	return b
}

// SetLanguage makes L and N speak the language closest to tag (a BCP 47
// tag or a POSIX locale name such as "es_MX.UTF-8"); English when none of
// Carebook's languages is close.
func SetLanguage(tag string) {
	lang := Match(tag)
	localizer.Store(goi18n.NewLocalizer(bundle, lang))
	current.Store(lang)
}

// UsePreferred makes L and N speak the language that suits the system's
// preferred languages, most preferred first (see Match), and returns it.
// The screens read those from the platform (this package does not: it is
// built for phones without cgo, where the platform is read through Fyne).
func UsePreferred(preferred ...string) string {
	SetLanguage(Match(preferred...))
	return Language()
}

// Language is the language L and N speak now: "en" or "es".
func Language() string { return current.Load().(string) }

// Match returns which of Carebook's languages ("en" or "es") suits the
// preferred languages given, most preferred first. The C and POSIX
// locales, empty and unreadable names count as no preference: English.
func Match(preferred ...string) string {
	var tags []language.Tag
	for _, p := range preferred {
		p = strings.TrimSpace(p)
		if i := strings.IndexAny(p, ".@"); i >= 0 {
			p = p[:i]
		}
		if p == "" || p == "C" || p == "POSIX" {
			continue
		}
		t, err := language.Parse(strings.ReplaceAll(p, "_", "-"))
		if err != nil {
			continue
		}
		tags = append(tags, t)
	}
	if len(tags) == 0 {
		return "en"
	}
	_, i, conf := language.NewMatcher(Languages).Match(tags...)
	if conf == language.No {
		return "en"
	}
	base, _ := Languages[i].Base()
	return base.String()
}

// L translates text, an English message ID, into the current language,
// filling its template fields ({{.Name}}) from data (a map or a struct).
// A message missing from the files is shown in English.
func L(text string, data ...any) string {
	return localize(text, nil, data)
}

// N is L for a message with plural forms, chosen by count.
func N(text string, count int, data ...any) string {
	return localize(text, count, data)
}

func localize(text string, count any, data []any) string {
	var d any
	if len(data) > 0 {
		d = data[0]
	}
	out, err := localizer.Load().Localize(&goi18n.LocalizeConfig{
		DefaultMessage: &goi18n.Message{ID: text, Other: text},
		PluralCount:    count,
		TemplateData:   d,
	})
	if err != nil && out == "" {
		// Only a broken template gets here; the tests keep them out.
		return text
	}
	return out
}
