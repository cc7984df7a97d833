package record

import (
	"reflect"
	"strings"
	"testing"
)

func searchFixture() *Index {
	return Build([]Resource{
		res("Condition", "c1", `{"code":{"text":"Diabète de type 2"},"onsetDateTime":"2015-01-01","note":[{"text":"Contrôlé par régime"}]}`),
		res("Observation", "o-old", `{"status":"final","code":{"text":"Glucose"},"effectiveDateTime":"2018-01-01","valueQuantity":{"value":130,"unit":"mg/dL"}}`),
		res("Observation", "o-new", `{"status":"final","code":{"text":"Glucose"},"effectiveDateTime":"2020-01-01","valueQuantity":{"value":101,"unit":"mg/dL"},"note":[{"text":"Fasting sample"}]}`),
		res("Observation", "o-body", `{"status":"final","code":{"text":"Hemoglobin A1c"},"effectiveDateTime":"2021-01-01","valueQuantity":{"value":7.1,"unit":"%"},"note":[{"text":"Glucose control is improving, keep going with the diet and exercise plan we discussed."}]}`),
		res("MedicationRequest", "m1", `{"status":"active","medicationCodeableConcept":{"text":"Metformin 500 mg"},"authoredOn":"2019-01-01","dosageInstruction":[{"text":"Twice daily with meals"}]}`),
		res("Communication", "msg", `{"status":"completed","topic":{"text":"Lab follow-up"},"sent":"2022-01-01T10:00:00Z","payload":[{"contentString":"Your glucose results came back."}]}`),
		res("Observation", "broken", `{"code":{"text":"Glucose"`),
	})
}

func TestSearch(t *testing.T) {
	x := searchFixture()
	ids := func(hits []Hit) []string {
		var out []string
		for _, h := range hits {
			out = append(out, h.ID)
		}
		return out
	}
	tests := []struct {
		query string
		limit int
		want  []string
	}{
		// Title hits (newest first) before body hits (newest first).
		{"glucose", 10, []string{"o-new", "o-old", "msg", "o-body"}},
		{"GLUC", 10, []string{"o-new", "o-old", "msg", "o-body"}},
		{"glucose", 2, []string{"o-new", "o-old"}},
		// All words must match.
		{"glucose fasting", 10, []string{"o-new"}},
		{"glucose nothing", 10, nil},
		// Accent-insensitive both ways, prefix on words.
		{"diabete", 10, []string{"c1"}},
		{"DIABÈTE regime", 10, []string{"c1"}},
		{"controle", 10, []string{"c1"}},
		{"metf twice", 10, []string{"m1"}},
		// Prefix matches only the start of words.
		{"ucose", 10, nil},
		{"", 10, nil},
		{"  ,;  ", 10, nil},
		{"glucose", 0, nil},
	}
	for _, tt := range tests {
		if got := ids(x.Search(tt.query, tt.limit)); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Search(%q, %d) = %q, want %q", tt.query, tt.limit, got, tt.want)
		}
	}
}

func TestSearchExactWordBeatsPrefix(t *testing.T) {
	x := Build([]Resource{
		res("Condition", "new", `{"code":{"text":"Anemia of pregnancy"},"onsetDateTime":"2020-01-01"}`),
		res("Condition", "old", `{"code":{"text":"Anemic episode"},"onsetDateTime":"2010-01-01"}`),
		res("Condition", "exact", `{"code":{"text":"Anemic"},"onsetDateTime":"2000-01-01"}`),
	})
	got := x.Search("anemic", 10)
	if len(got) != 2 || got[0].ID != "old" || got[1].ID != "exact" {
		// Both are whole-word title hits; the newer comes first.
		t.Errorf("Search(anemic) = %+v", got)
	}
	got = x.Search("anem", 10)
	if len(got) != 3 || got[0].ID != "new" {
		t.Errorf("Search(anem) = %+v", got)
	}
}

func TestSearchHitFields(t *testing.T) {
	x := searchFixture()
	hits := x.Search("improving", 5)
	if len(hits) != 1 {
		t.Fatalf("hits = %+v", hits)
	}
	h := hits[0]
	if h.Type != "Observation" || h.Title != "Hemoglobin A1c" || h.Date.String() != "1 Jan 2021" {
		t.Errorf("hit = %+v", h)
	}
	if !strings.Contains(h.Snippet, "improving") || len([]rune(h.Snippet)) > 140 {
		t.Errorf("snippet = %q", h.Snippet)
	}
	if x.Len() != 7 {
		t.Errorf("Len = %d", x.Len())
	}
	// The unreadable Observation is still findable by the word for its type.
	if hits := x.Search("result", 10); len(hits) != 2 || hits[0].ID != "broken" || hits[0].Title != "Result" || hits[1].ID != "msg" {
		t.Errorf("broken resource hits = %+v", hits)
	}
}

func TestSnippet(t *testing.T) {
	long := strings.Repeat("lorem ipsum ", 20) + "the Glucose value " + strings.Repeat("dolor sit ", 20)
	tests := []struct {
		body  string
		words []string
		want  string
	}{
		{"short body with glucose", []string{"gluc"}, "short body with glucose"},
		{"no match here", []string{"gluc"}, ""},
		{"Diabète contrôlé", []string{"controle"}, "Diabète contrôlé"},
	}
	for _, tt := range tests {
		if got := snippet(tt.body, tt.words); got != tt.want {
			t.Errorf("snippet(%q) = %q, want %q", tt.body, got, tt.want)
		}
	}
	s := snippet(long, []string{"glucose"})
	if !strings.HasPrefix(s, "…") || !strings.HasSuffix(s, "…") || !strings.Contains(s, "the Glucose value") {
		t.Errorf("long snippet = %q", s)
	}
}

func TestTokens(t *testing.T) {
	got := tokens("Échographie: rein-droit, 5.4 mmol/L; ÆØÅ straße")
	want := []string{"echographie", "rein", "droit", "5", "4", "mmol", "l", "æøa", "straße"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tokens = %q, want %q", got, want)
	}
}
