package record

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/internal/i18n"
)

// speakSpanish makes the record's words Spanish for the rest of the test.
func speakSpanish(t *testing.T) {
	t.Helper()
	i18n.SetLanguage("es")
	t.Cleanup(func() { i18n.SetLanguage("en") })
}

// TestRecordWordsInSpanish: what the record names itself (measurements,
// preventive care, values) is Spanish when the app speaks Spanish, and the
// charts keep their order (by what they measure, not by name).
func TestRecordWordsInSpanish(t *testing.T) {
	speakSpanish(t)
	obs := func(id, code, date, value, unit string) Resource {
		return res("Observation", id, `{"status":"final","code":{"coding":[{"system":"http://loinc.org","code":"`+code+`"}]},
			"effectiveDateTime":"`+date+`","valueQuantity":{"value":`+value+`,"unit":"`+unit+`"}}`)
	}
	c := Load([]Resource{
		res("Patient", "p", `{"resourceType":"Patient","id":"p","birthDate":"1980-01-01"}`),
		obs("g1", "2339-0", "2019-01-01", "99", "mg/dL"), obs("g2", "2339-0", "2020-01-01", "101", "mg/dL"),
		obs("w1", "29463-7", "2019-01-01", "70", "kg"), obs("w2", "29463-7", "2020-01-01", "72", "kg"),
		obs("h1", "8867-4", "2019-01-01", "70", "/min"), obs("h2", "8867-4", "2020-01-01", "72", "/min"),
		res("Observation", "yes", `{"status":"final","code":{"text":"Smoker"},"effectiveDateTime":"2020-01-01","valueBoolean":true}`),
	})
	var names []string
	for _, s := range ChartCandidates(Trends(c.Observations)) {
		names = append(names, s.Name)
	}
	if want := []string{"Peso", "Azúcar en la sangre (glucosa)", "Frecuencia cardíaca"}; !reflect.DeepEqual(names, want) {
		t.Errorf("charts in Spanish = %q, want %q (weight, glucose, heart rate: the English order)", names, want)
	}
	if got := FriendlyName(LOINCSystolic); got != "Presión arterial sistólica (número de arriba)" {
		t.Errorf("FriendlyName(systolic) = %q in Spanish", got)
	}
	for _, o := range c.Observations {
		if o.ID == "yes" && o.Value.Text != "Sí" {
			t.Errorf("a true value reads %q in Spanish, want Sí", o.Value.Text)
		}
	}
	due := PreventiveCare(c, time.Date(2026, time.June, 15, 12, 0, 0, 0, time.UTC))
	var titles []string
	for _, d := range due {
		titles = append(titles, d.Title+": "+d.Detail)
	}
	got := strings.Join(titles, "\n")
	for _, want := range []string{"refuerzo del tétanos: Se aconseja un refuerzo", "su historial no muestra ninguno",
		"revisión anual: Se aconseja una revisión con su médico cada año"} {
		if !strings.Contains(got, want) {
			t.Errorf("preventive care in Spanish lacks %q:\n%s", want, got)
		}
	}
	if got := NotReviewedNote(); got != "Es posible que su médico aún no haya revisado este resultado." {
		t.Errorf("NotReviewedNote() = %q in Spanish", got)
	}
}
