package i18n

import (
	"encoding/json"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		preferred []string
		want      string
	}{
		{nil, "en"},
		{[]string{"C"}, "en"},
		{[]string{"POSIX"}, "en"},
		{[]string{""}, "en"},
		{[]string{"en_US.UTF-8"}, "en"},
		{[]string{"es_ES.UTF-8"}, "es"},
		{[]string{"es-MX"}, "es"},
		{[]string{"es_AR@euro"}, "es"},
		{[]string{"de_DE.UTF-8"}, "en"},
		{[]string{"de_DE", "es"}, "es"},
		{[]string{"not a locale"}, "en"},
	}
	for _, tt := range tests {
		if got := Match(tt.preferred...); got != tt.want {
			t.Errorf("Match(%q) = %q, want %q", tt.preferred, got, tt.want)
		}
	}
}

func TestSpeaksTheLanguageSet(t *testing.T) {
	t.Cleanup(func() { SetLanguage("en") })
	SetLanguage("es_ES.UTF-8")
	if Language() != "es" {
		t.Fatalf("Language() = %q after SetLanguage(es_ES), want es", Language())
	}
	SetLanguage("de")
	if Language() != "en" {
		t.Fatalf("Language() = %q after SetLanguage(de), want en", Language())
	}
	// A message no file has is shown in English, its template filled.
	if got := L("Hello {{.Name}}", map[string]any{"Name": "Ana"}); got != "Hello Ana" {
		t.Errorf("L(missing) = %q, want %q", got, "Hello Ana")
	}
}

// message is one entry of a go-i18n JSON file: a string, or plural forms.
type message map[string]string

// readFiles returns every translation file's messages by language and area.
func readFiles(t *testing.T) map[string]map[string]map[string]message {
	t.Helper()
	entries, err := Files.ReadDir(Dir)
	if err != nil {
		t.Fatal(err)
	}
	byLang := map[string]map[string]map[string]message{}
	for _, e := range entries {
		parts := strings.Split(e.Name(), ".")
		if len(parts) != 3 || parts[2] != "json" {
			t.Errorf("%s: name it <area>.<language>.json", e.Name())
			continue
		}
		area, lang := parts[0], parts[1]
		data, err := Files.ReadFile(path.Join(Dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(data, &raw); err != nil {
			t.Errorf("%s: %v", e.Name(), err)
			continue
		}
		msgs := map[string]message{}
		for id, v := range raw {
			var s string
			if json.Unmarshal(v, &s) == nil {
				msgs[id] = message{"other": s}
				continue
			}
			var forms map[string]string
			if err := json.Unmarshal(v, &forms); err != nil {
				t.Errorf("%s: %q: neither a string nor plural forms: %v", e.Name(), id, err)
				continue
			}
			msgs[id] = forms
		}
		if byLang[lang] == nil {
			byLang[lang] = map[string]map[string]message{}
		}
		byLang[lang][area] = msgs
	}
	return byLang
}

var fields = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

// fieldsOf returns the template fields a text uses, sorted, once each.
func fieldsOf(s string) []string {
	var out []string
	for _, m := range fields.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestEveryMessageInBothLanguages: every message the code translates is in
// the English and the Spanish files, with the same template fields and,
// for a plural, both the "one" and "other" forms; no file holds a message
// the code no longer uses; and two areas that hold the same message agree.
func TestEveryMessageInBothLanguages(t *testing.T) {
	files := readFiles(t)
	for _, lang := range []string{"en", "es"} {
		if len(files[lang]) == 0 {
			t.Fatalf("no translation files for %q", lang)
		}
	}
	for area := range files["en"] {
		if _, ok := files["es"][area]; !ok {
			t.Errorf("translations/%s.en.json has no Spanish file %s.es.json", area, area)
		}
	}
	for area := range files["es"] {
		if _, ok := files["en"][area]; !ok {
			t.Errorf("translations/%s.es.json has no English file %s.en.json", area, area)
		}
	}
	merged := map[string]map[string]message{}
	for lang, areas := range files {
		merged[lang] = map[string]message{}
		for _, area := range sortedKeys(areas) {
			for id, m := range areas[area] {
				if prev, ok := merged[lang][id]; ok && !maps.Equal(prev, m) {
					t.Errorf("%s: %q is translated differently in two areas: %q and %q", lang, id, prev, m)
				}
				merged[lang][id] = m
			}
		}
	}

	uses := collectUses(t)
	used := map[string]bool{}
	for _, u := range uses {
		used[u.key] = true
		want := fieldsOf(u.key)
		for _, lang := range []string{"en", "es"} {
			m, ok := merged[lang][u.key]
			if !ok {
				t.Errorf("%s: %q has no %s translation", u.where, u.key, lang)
				continue
			}
			forms := []string{"other"}
			if u.plural {
				forms = []string{"one", "other"}
			}
			for _, form := range forms {
				s, ok := m[form]
				if !ok || strings.TrimSpace(s) == "" {
					t.Errorf("%s: %q: the %s translation has no %q form", u.where, u.key, lang, form)
					continue
				}
				got := fieldsOf(s)
				if u.plural && !slices.Contains(want, "Count") {
					want = append(slices.Clone(want), "Count")
				}
				for _, f := range got {
					if !slices.Contains(want, f) && !(u.plural && f == "Count") {
						t.Errorf("%s: %q: the %s %s form uses {{.%s}}, which the code does not give", u.where, u.key, lang, form, f)
					}
				}
				if !u.plural && !slices.Equal(got, want) {
					t.Errorf("%s: %q: the %s translation has fields %v, the code gives %v", u.where, u.key, lang, got, want)
				}
			}
		}
	}
	for lang, msgs := range merged {
		for _, id := range sortedKeys(msgs) {
			if !used[id] {
				t.Errorf("%s: %q is in the files but no code translates it: remove it", lang, id)
			}
		}
	}
	t.Logf("%d translated messages, %d uses", len(used), len(uses))
}

// TestNoUntranslatedText: no screen and no use case hands a person a
// sentence or a capitalized word that does not go through translation.
func TestNoUntranslatedText(t *testing.T) {
	// app/locfmt is the formats themselves (month names per language).
	for _, dir := range []string{"ui", "app", "app/record"} {
		found := untranslatedText(t, dir)
		for _, f := range sortedKeys(found) {
			t.Errorf("%s: text not translated (wrap it in lang.L / i18n.L, or lang.N / i18n.N for counts):\n\t%s",
				f, strings.Join(found[f], "\n\t"))
		}
	}
}
