package record

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

// termsOf is what Terms gave before it cut words itself: tokens of the
// title, then of the body, each word once, marked when in the title.
func termsOf(d SearchDoc) []SearchTerm {
	seen := map[string]int{}
	var out []SearchTerm
	for _, part := range []struct {
		text  string
		title bool
	}{{d.Title, true}, {d.Body, false}} {
		for _, w := range tokens(part.text) {
			if i, ok := seen[w]; ok {
				out[i].Title = out[i].Title || part.title
				continue
			}
			seen[w] = len(out)
			out = append(out, SearchTerm{Word: w, Title: part.title})
		}
	}
	return out
}

// tokenTexts are texts whose words are easy to get wrong: capitals,
// accents composed and not, marks after a separator, other scripts,
// letters whose lower case is longer, digits of other scripts, text that
// is not UTF-8.
var tokenTexts = []string{
	"", " ", "a", "A", "Hemoglobin A1c 7.1 %", "LDL-Cholesterol: 130 mg/dL (High)",
	"Diabète type-2", "Diabe\u0300te", "x \u0301y", "\u0301", "a\u0301", "3.5–5.0 mmol/L", "kg/m²", "10*3/uL · µmol",
	"İstanbul ıI", "Straße STRASSE", "ǅemal Ǆ", "Ωμέγα ΣΊΣΥΦΟΣ", "한국어 텍스트", "日本語のテキスト", "١٢٣ ٤٥",
	"emoji 😀 here", "tab\tnew\nline\r\n", "a\xffb", "\xc3", "ok\xe2\x82", "Ünïcödé UPPER lower 123abc ABC123",
	"A-B_C.D,E;F:G!H?I(J)K[L]M{N}O<P>Q/R\\S|T'U\"V`W~X@Y#Z$1%2^3&4*5+6=7",
}

// TestSearchWordsSameAsTokens: eachToken, which cuts ASCII text without
// folding a copy, gives the words tokens gives, in order, and Terms the
// terms it gave with them (same words, order and title marks), for every
// search document of the fixtures, for texts made to be hard and for
// documents with more words than Terms looks through without a map.
func TestSearchWordsSameAsTokens(t *testing.T) {
	bundles := loadBundles(t)
	if os.Getenv("CAREBOOK_LONG") == "" {
		bundles = bundles[:min(4, len(bundles))] // all of them with CAREBOOK_LONG=1
	}
	var docs []SearchDoc
	for _, bf := range bundles {
		docs = append(docs, SearchDocs(bf.resources, nil)...)
	}
	var long []string
	for i := range 3 * termsScanned {
		long = append(long, fmt.Sprintf("Word%d", i%(2*termsScanned)))
	}
	docs = append(docs,
		SearchDoc{Title: strings.Join(long[:termsScanned+3], " "), Body: strings.Join(long, " ") + " " + strings.Join(tokenTexts, " ")},
		SearchDoc{Title: strings.Join(tokenTexts, " "), Body: strings.ToUpper(strings.Join(long, " "))},
		SearchDoc{})
	texts := append([]string(nil), tokenTexts...)
	for _, d := range docs {
		texts = append(texts, d.Title, d.Body)
		if got, want := d.Terms(), termsOf(d); !reflect.DeepEqual(got, want) {
			t.Errorf("Terms of %q / %.80q = %v, want %v", d.Title, d.Body, got, want)
		}
	}
	for _, s := range texts {
		var got []string
		eachToken(s, func(w string) { got = append(got, w) })
		if want := tokens(s); !slicesEqual(got, want) {
			t.Errorf("eachToken(%q) = %q, tokens gives %q", s, got, want)
		}
	}
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FuzzEachToken: for any text, eachToken gives the words of tokens.
func FuzzEachToken(f *testing.F) {
	for _, s := range tokenTexts {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var got []string
		eachToken(s, func(w string) { got = append(got, w) })
		if want := tokens(s); !slicesEqual(got, want) {
			t.Errorf("eachToken(%q) = %q, tokens gives %q", s, got, want)
		}
	})
}
