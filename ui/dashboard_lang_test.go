package ui

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/app/record"
)

// mergedHomeSource is a person with records at two practices, in memory: the
// merged home screen's view model, without a practice or a cache.
type mergedHomeSource struct {
	merged app.MergedDashboard
	offers []app.LinkSuggestion
}

func (m mergedHomeSource) Dashboard(context.Context, string) (app.Dashboard, error) {
	return m.merged.Dashboards[0], nil
}
func (m mergedHomeSource) MergedDashboard(context.Context, string) (app.MergedDashboard, error) {
	return m.merged, nil
}
func (m mergedHomeSource) LinkSuggestions(context.Context) ([]app.LinkSuggestion, error) {
	return m.offers, nil
}
func (mergedHomeSource) LinkProfiles(context.Context, string, string) error { return nil }
func (mergedHomeSource) DeclineLink(context.Context, string, string) error  { return nil }
func (mergedHomeSource) UnlinkProfiles(context.Context, string) error       { return nil }

// TestMergedHomeInSpanish: the home screen of a person linked at two
// practices, and the offer to link a third record, speak Spanish (counts
// in the plural, each item with its practice) and fit at phone size.
func TestMergedHomeInSpanish(t *testing.T) {
	test.NewTempApp(t)
	lightTheme(t)
	speakSpanish(t)
	now := time.Now()
	day := func(days int) record.Date {
		return record.Date{Time: now.AddDate(0, 0, days), Precision: record.PrecisionTime}
	}
	river := app.ProfileInfo{ID: "p1", Label: "Maya Rivera", Practice: "Riverside Family Medicine", Self: true, UserName: "Maya"}
	lake := app.ProfileInfo{ID: "p2", Label: "Maya Rivera", Practice: "Lakeside Health Center", Self: true, UserName: "Maya"}
	both := []record.Source{{ProfileID: "p1", Practice: river.Practice}, {ProfileID: "p2", Practice: lake.Practice}}
	src := mergedHomeSource{
		merged: app.MergedDashboard{
			Profiles:   []app.ProfileInfo{river, lake},
			Dashboards: []app.Dashboard{{Profile: river, PatientName: "Maya Rivera"}, {Profile: lake, PatientName: "Maya Rivera"}},
			Upcoming: []record.Sourced[record.Appointment]{{Item: record.Appointment{Description: "Annual checkup", Start: day(3), Status: "booked"},
				Sources: both[:1]}},
			NewResults: []record.Sourced[record.LabGroup]{{Item: record.LabGroup{Title: "Lipid panel", Date: day(-1), Abnormal: 2},
				Sources: both[1:]}},
			Medications: []record.Sourced[record.MedicationRequest]{{Item: record.MedicationRequest{Medication: "Lisinopril 10 MG Oral Tablet"},
				Sources: both}},
		},
		offers: []app.LinkSuggestion{{A: river, B: app.ProfileInfo{ID: "p3", Label: "Maya Rivera", Practice: "Hillside Clinic", Self: true},
			Name: "Maya Rivera", BirthDate: record.Date{Time: time.Date(1985, 3, 14, 0, 0, 0, 0, time.UTC), Precision: record.PrecisionDay}}},
	}
	d := newDashboardView(context.Background(), src, "p1", func(string) {})
	w := test.NewWindow(d.CanvasObject())
	t.Cleanup(w.Close)
	w.Resize(fyne.NewSize(360, 740))
	vm, err := d.loadAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	d.applyAll(vm)
	assertShows(t, w, "Hola, Maya", "¿La misma persona?", "Sí, es la misma persona", "No, mantenerlos separados",
		"tiene un historial en Riverside Family Medicine y otro en Hillside Clinic",
		"Sus historiales de Riverside Family Medicine y Lakeside Health Center, juntos.", "Centro médico",
		"No es la misma persona: mostrar por separado", "Próximamente", "en Riverside Family Medicine",
		"Resultados nuevos", "2 valores fuera del rango normal", "Sus medicamentos",
		"de Riverside Family Medicine · Lakeside Health Center", "Ver medicamentos")
	for _, english := range []string{"Coming up", "New results", "outside the normal range", "The same person?"} {
		assertNotShown(t, w, english)
	}
	assertFits(t, w)
	screenshot(t, w, "es-home-merged-360x740")
}

// TestDashboardNotSentAgreesWithCount: on a record whose access the
// practice ended, the dashboard's "N items not sent" card says what
// became of them in words that agree with the count, in English and
// Spanish (it said "cannot send it … It stays" under "3 items not
// sent").
func TestDashboardNotSentAgreesWithCount(t *testing.T) {
	for _, tc := range []struct {
		name    string
		spanish bool
		count   int
		wants   []string
		absent  []string
	}{
		{"one", false, 1,
			[]string{"1 item not sent", "Saved on this device, but not sent", "cannot send it unless", "It stays with what was not sent, where you can copy it;"},
			[]string{"send them", "They stay"}},
		{"three", false, 3,
			[]string{"3 items not sent", "Saved on this device, but not sent", "cannot send them unless", "They stay with what was not sent, where you can copy them;"},
			[]string{"send it ", "It stays", "copy it;"}},
		{"uno", true, 1,
			[]string{"1 elemento no enviado", "Guardado en este dispositivo, pero no enviado:", "no puede enviarlo a menos", "Queda con lo que no se envió, donde puede copiarlo;"},
			[]string{"enviarlos", "Quedan"}},
		{"tres", true, 3,
			[]string{"3 elementos no enviados", "Guardados en este dispositivo, pero no enviados:", "no puede enviarlos a menos", "Quedan con lo que no se envió, donde puede copiarlos;"},
			[]string{"enviarlo ", "Queda con", "copiarlo;"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			test.NewTempApp(t)
			lightTheme(t)
			if tc.spanish {
				speakSpanish(t)
			}
			vm := app.Dashboard{Profile: app.ProfileInfo{ID: "p1", Label: "Leo Okafor", Ended: true},
				PatientName: "Leo Okafor", PendingSends: tc.count}
			d := newDashboardView(context.Background(), nil, "p1", func(string) {})
			w := test.NewWindow(d.CanvasObject())
			t.Cleanup(w.Close)
			w.Resize(fyne.NewSize(360, 740))
			d.apply(vm)
			assertShows(t, w, tc.wants...)
			for _, a := range tc.absent {
				assertNotShown(t, w, a)
			}
			screenshotBothSizes(t, w, "dashboard-not-sent-"+tc.name)
		})
	}
}
