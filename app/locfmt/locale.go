package locfmt

import (
	"strings"
	"sync/atomic"

	"golang.org/x/text/language"
)

// Locale is a language and region whose conventions formatting follows.
// The zero Locale formats as en-US.
type Locale struct {
	lang   string // "en", "es" or "de"
	region string // upper-case ISO 3166 region, "" when not given
}

// EnUS is the locale formatting falls back to.
var EnUS = Locale{lang: "en", region: "US"}

// Parse reads a POSIX locale name ("de_DE.UTF-8", "es_ES@euro") or a BCP 47
// tag ("en-GB"). "", "C", "POSIX", a language Carebook does not format and
// anything unreadable give en-US.
func Parse(s string) Locale {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, ".@"); i >= 0 {
		s = s[:i] // the codeset and modifier say nothing about formats
	}
	if s == "" || s == "C" || s == "POSIX" {
		return EnUS
	}
	tag, err := language.Parse(strings.ReplaceAll(s, "_", "-"))
	if err != nil {
		return EnUS
	}
	base, _ := tag.Base()
	l := Locale{lang: base.String()}
	if r, conf := tag.Region(); conf == language.Exact {
		l.region = r.String()
	}
	switch l.lang {
	case "en", "es", "de":
	default:
		return EnUS
	}
	return l
}

// FromEnv picks the locale for formats from the environment as POSIX
// does: LC_ALL, then LC_TIME, then LANG. ok is false when none of them
// names a locale (unset, empty, "C" or "POSIX"), so the caller may ask the
// platform instead.
func FromEnv(getenv func(string) string) (l Locale, ok bool) {
	for _, k := range []string{"LC_ALL", "LC_TIME", "LANG"} {
		v := strings.TrimSpace(getenv(k))
		if i := strings.IndexAny(v, ".@"); i >= 0 {
			v = v[:i]
		}
		if v == "" || v == "C" || v == "POSIX" {
			continue
		}
		return Parse(v), true
	}
	return EnUS, false
}

// String is the locale as a BCP 47 tag: "en-US", "de-DE", "es".
func (l Locale) String() string {
	l = l.norm()
	if l.region == "" {
		return l.lang
	}
	return l.lang + "-" + l.region
}

// Language is the locale's language: "en", "es" or "de".
func (l Locale) Language() string { return l.norm().lang }

func (l Locale) norm() Locale {
	if l.lang == "" {
		return EnUS
	}
	return l
}

// usStyle reports whether dates follow the United States' month-first
// order and 12-hour clock.
func (l Locale) usStyle() bool {
	l = l.norm()
	return l.lang == "en" && (l.region == "" || l.region == "US" || l.region == "PH" || l.region == "UM" || l.region == "PR")
}

// Imperial reports whether people in the locale's region weigh themselves
// in pounds, measure height in feet and inches and body temperature in °F:
// the United States (and Liberia and Myanmar).
func (l Locale) Imperial() bool {
	l = l.norm()
	switch l.region {
	case "US", "LR", "MM", "PR", "UM":
		return true
	case "":
		return l.lang == "en"
	}
	return false
}

func (l Locale) tag() language.Tag {
	t, err := language.Parse(l.String())
	if err != nil {
		return language.AmericanEnglish
	}
	return t
}

var current atomic.Pointer[Locale]

// Current is the locale set with SetCurrent, en-US until then.
func Current() Locale {
	if l := current.Load(); l != nil {
		return *l
	}
	return EnUS
}

// SetCurrent makes l the locale Current returns; any goroutine.
func SetCurrent(l Locale) { current.Store(&l) }
