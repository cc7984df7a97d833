package ui

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/app/record/plainnames"
	"github.com/carebook/carebook/practice/synth"
)

// screenStrings collects every string a screen model holds (list rows and
// the details of every row), following pointers, slices and structs.
func screenStrings(v reflect.Value, out *[]string) {
	switch v.Kind() {
	case reflect.String:
		*out = append(*out, v.String())
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			screenStrings(v.Elem(), out)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			screenStrings(v.Index(i), out)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			screenStrings(v.Field(i), out)
		}
	}
}

// practiceCharts is every chart of the test data: each Synthea fixture and
// each demo patient of the practice's generated data.
func practiceCharts(t *testing.T) map[string]*record.Chart {
	t.Helper()
	charts := map[string]*record.Chart{}
	paths, _ := filepath.Glob(filepath.Join(repoFixtures(t), "synthea", "*.json"))
	for _, p := range paths {
		charts[filepath.Base(p)] = record.Load(syntheaResources(t, strings.TrimSuffix(filepath.Base(p), ".json")))
	}
	bundles, _, err := synth.Generate(synth.Options{Seed: 1, Now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatalf("generate the practice's data: %v", err)
	}
	for i, raw := range bundles {
		var b struct {
			Entry []struct {
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(raw, &b); err != nil {
			t.Fatalf("parse a practice bundle: %v", err)
		}
		var rs []record.Resource
		for _, e := range b.Entry {
			rs = append(rs, resourceOf(t, e.Resource))
		}
		charts["practice bundle "+string(rune('0'+i))] = record.Load(rs)
	}
	return charts
}

// TestNoSemanticTagOnAnyScreenModel builds every section of the record,
// and the details of every row, for every chart of the test data, and
// checks that no SNOMED CT semantic tag ("(procedure)", "(disorder)") is
// among the words they hold.
func TestNoSemanticTagOnAnyScreenModel(t *testing.T) {
	checked := 0
	for name, c := range practiceCharts(t) {
		for _, def := range recordSections {
			if def.build == nil {
				continue
			}
			m := def.build(c)
			var strs []string
			screenStrings(reflect.ValueOf(m.items), &strs)
			for i, it := range m.items {
				if it.header || !m.hasDetail() {
					continue
				}
				screenStrings(reflect.ValueOf(detailOf(t, m, c, i)), &strs)
			}
			for _, s := range strs {
				checked++
				if plainnames.ContainsTag(s) {
					t.Errorf("%s, section %s: %q carries a SNOMED CT semantic tag", name, def.name, s)
				}
			}
		}
	}
	if checked < 10000 {
		t.Errorf("checked %d strings, want the whole test data (at least 10000)", checked)
	}
}

// TestRecordScreenModelInSpanish: with the app speaking Spanish, the
// record's screen models name tests, vital signs and visits by their
// Spanish plain names ("Colesterol total", "Presión arterial"), with units
// for people in Spanish, and the English plain names are gone; the
// technical name is still in the details, one tap away.
func TestRecordScreenModelInSpanish(t *testing.T) {
	speakSpanish(t)
	c := record.Load(syntheaResources(t, "Arla_Lang"))
	var strs []string
	for _, def := range recordSections {
		if def.build == nil {
			continue
		}
		m := def.build(c)
		screenStrings(reflect.ValueOf(m.items), &strs)
		for i, it := range m.items {
			if it.header || !m.hasDetail() {
				continue
			}
			screenStrings(reflect.ValueOf(detailOf(t, m, c, i)), &strs)
		}
	}
	all := strings.Join(strs, "\n")
	for _, want := range []string{"Colesterol total", "Presión arterial", "Hemograma completo", "Hematocrito", "mil por µL", "LOINC 2093-3"} {
		if !strings.Contains(all, want) {
			t.Errorf("the Spanish record screens do not show %q", want)
		}
	}
	for _, english := range []string{"Complete blood count (CBC)", "Hematocrit", "Red cell size (MCV)", "thousand per µL"} {
		for _, s := range strs {
			if s == english || strings.HasSuffix(s, " "+english) {
				t.Errorf("the Spanish record screens still show the English plain name %q: %q", english, s)
				break
			}
		}
	}
}

// detailOf is the details of m's items[i], reading the entries they
// need from c.
func detailOf(t *testing.T, m sectionModel, c *record.Chart, i int) detailModel {
	t.Helper()
	d, err := m.detailAt(context.Background(), func(context.Context, ...string) (*record.Chart, error) { return c, nil }, i)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
