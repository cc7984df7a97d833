package app

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestDetailsFollowWhatThePracticePublishes: a practice that lets patients
// change only their phone and e-mail (as its CapabilityStatement says) gets
// the address shown read-only with its own words on who to ask, and a
// change of it is refused before anything is stored.
func TestDetailsFollowWhatThePracticePublishes(t *testing.T) {
	ctx := context.Background()
	p := startMsgPractice(t)
	a, id := openMsgApp(t, p, t.TempDir())
	if err := a.updateSettings(ctx, id, func(s map[string]string) {
		s[settingPracticeOffers] = `{"editable":["telecom"],"ask":"the records office on the first floor"}`
	}); err != nil {
		t.Fatal(err)
	}
	d, err := a.PatientDetails(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []DetailKey{DetailCity, DetailLanguage, DetailEmergencyName, DetailPharmacy, DetailName} {
		if f := d.Field(k); f.Editable || f.AskWho != "the records office on the first floor" {
			t.Errorf("%s = %+v, want read-only with the practice's words", k, f)
		}
	}
	if !d.Field(DetailPhone).Editable || !d.Field(DetailEmail).Editable {
		t.Errorf("phone/e-mail not editable: %+v", d.Fields)
	}
	before, _ := a.Outbox(ctx, id)
	_, err = a.UpdateDetails(ctx, id, map[DetailKey]string{DetailCity: "Ames"}, d.Version)
	if !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), "the records office on the first floor") {
		t.Fatalf("city change: %v", err)
	}
	if after, _ := a.Outbox(ctx, id); len(after) != len(before) {
		t.Errorf("a refused change was stored: %d items, were %d", len(after), len(before))
	}
}

// FuzzDetailValues: any Patient the practice sends is read, and changing
// its details never panics and keeps the identifiers as they were.
func FuzzDetailValues(f *testing.F) {
	f.Add([]byte(`{"resourceType":"Patient","id":"p","identifier":[{"value":"1"}],"telecom":[{"system":"phone","value":"555"}],"contact":[{"relationship":[{"coding":[{"code":"C"}]}]}]}`))
	f.Add([]byte(`{"resourceType":"Patient","address":"not a list","extension":[{"url":"` + "http://hl7.org/fhir/StructureDefinition/patient-preferredPharmacy" + `","extension":[1]}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := decodeObject(raw)
		if err != nil {
			return
		}
		ids := string(mustJSON(map[string]any{"i": m["identifier"]}))
		_ = detailValues(m)
		applyDetails(m, map[DetailKey]string{DetailPhone: "555 010 2222", DetailCity: "Ames", DetailLanguage: "es",
			DetailEmergencyName: "Sam", DetailPharmacy: "Organization/x"}, func(string) string { return "" })
		if got := string(mustJSON(map[string]any{"i": m["identifier"]})); got != ids {
			t.Fatalf("identifiers changed: %s -> %s", ids, got)
		}
		v := detailValues(m)
		if v[DetailPhone] != "555 010 2222" || v[DetailCity] != "Ames" || v[DetailPharmacy] != "Organization/x" {
			t.Fatalf("after the change: %v", v)
		}
	})
}
