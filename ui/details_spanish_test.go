package ui

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"github.com/carebook/carebook/app"
)

// spanishDetails is a detailsSource whose answers are fixed: the details
// of a patient whose identity only the practice changes, and a last change
// the practice refused.
type spanishDetails struct{}

func (spanishDetails) PatientDetails(ctx context.Context, profileID string) (app.Details, error) {
	d := app.Details{Version: "3", CanChange: true, Ask: "la recepción",
		Update:     app.DetailsUpdate{State: app.DetailsFailed, Words: "Número no válido"},
		Pharmacies: []app.Pharmacy{{Ref: "Organization/ph", Name: "Farmacia Central", Address: "Calle Mayor 1", Preferred: true}}}
	values := map[app.DetailKey]string{app.DetailName: "María Elena Rivera", app.DetailBirthDate: "24 jul 1984",
		app.DetailGender: "female", app.DetailPhone: "(555) 010-9999", app.DetailLanguage: "es", app.DetailPharmacy: "Organization/ph"}
	for _, k := range app.DetailKeys() {
		f := app.DetailField{Key: k, Label: app.DetailLabel(k), Value: values[k], Display: values[k],
			Editable: k != app.DetailName && k != app.DetailBirthDate && k != app.DetailGender}
		switch k {
		case app.DetailGender:
			f.Display = "Mujer"
		case app.DetailLanguage:
			f.Display = app.LanguageName("es")
		}
		d.Fields = append(d.Fields, f)
	}
	return d, nil
}

func (spanishDetails) UpdateDetails(ctx context.Context, profileID string, changes map[app.DetailKey]string, baseVersion string) (app.Submitted, error) {
	return app.Submitted{}, app.ErrQueued
}

func (spanishDetails) DetailsConflictOf(ctx context.Context, profileID string) (app.DetailsConflict, error) {
	return app.DetailsConflict{}, nil
}

func (spanishDetails) ResolveDetailsConflict(ctx context.Context, profileID string, c app.DetailsConflict, keepYours map[app.DetailKey]bool) (app.Submitted, error) {
	return app.Submitted{}, app.ErrQueued
}

func (spanishDetails) Touch() {}

// TestDetailsInSpanish: "Your details" at phone size with the system set
// to Spanish: headings, labels (from the use case), the practice's refusal,
// a bad phone number's problem (from the use case), a change saved to be
// sent, and both versions of a conflict, each fitting the phone.
func TestDetailsInSpanish(t *testing.T) {
	test.NewTempApp(t)
	lightTheme(t)
	speakSpanish(t)
	q := useQueue(t)
	v := newDetailsView(context.Background(), spanishDetails{}, "profile-1", "", func() {})
	w := test.NewWindow(v.CanvasObject())
	t.Cleanup(w.Close)
	w.Resize(fyne.NewSize(360, 740))
	v.Refresh()
	q.waitShows(t, w, "Sus datos", "Atrás", "Sobre usted", "Nombre: María Elena Rivera", "Sexo: Mujer",
		"Para cambiarlos, pregunte a la recepción", "Cómo contactarle", "Teléfono", "Dirección", "Código postal",
		"Idioma preferido", "Contacto de emergencia", "Su nombre", "Farmacia preferida", "Enviar cambios",
		"Su centro médico no aceptó su último cambio: Número no válido")
	if got := v.lang.Selected; got != "Español" {
		t.Errorf("the preferred language shows %q, want Español", got)
	}
	assertFits(t, w)
	screenshot(t, w, "es-details-360x740")

	v.entries[app.DetailPhone].SetText("abc")
	test.Tap(v.save)
	q.waitShows(t, w, `"abc" no es un número de teléfono`)
	v.entries[app.DetailPhone].SetText("(555) 010-1234")
	test.Tap(v.save)
	q.waitShows(t, w, "Guardado en este dispositivo. Se enviará cuando Carebook conecte con su centro médico.")

	v.showConflict(app.DetailsConflict{Rows: []app.ConflictRow{
		{Key: app.DetailPhone, Label: app.DetailLabel(app.DetailPhone), YoursDisplay: "(555) 010-1234", PracticeDisplay: "(555) 010-7777", PracticeChanged: true},
		{Key: app.DetailCity, Label: app.DetailLabel(app.DetailCity), PracticeDisplay: "Riverside"},
	}})
	q.waitShows(t, w, "Para cada dato, elija cuál conservar", "El suyo", "Cambiado en su centro médico",
		"Ahora en su centro médico", "(ninguno)", "Enviar mi elección")
	assertFits(t, w)
	screenshot(t, w, "es-details-conflict-360x740")
}

// TestDetailsNameThePatient: a parent's view of a child's details names
// the child ("Datos de Leo", "Sobre Leo") where the patient's own view
// says "Sus datos", "Sobre usted".
func TestDetailsNameThePatient(t *testing.T) {
	test.NewTempApp(t)
	speakSpanish(t)
	q := useQueue(t)
	for _, tc := range []struct {
		whose      string
		want, none []string
	}{
		{"", []string{"Sus datos", "Sobre usted", "Cómo contactarle"}, []string{"Leo"}},
		{"Leo", []string{"Datos de Leo", "Sobre Leo", "Cómo contactar a Leo"}, []string{"Sus datos", "Sobre usted", "Cómo contactarle"}},
	} {
		t.Run("whose="+tc.whose, func(t *testing.T) {
			v := newDetailsView(context.Background(), spanishDetails{}, "profile-1", tc.whose, func() {})
			w := test.NewWindow(v.CanvasObject())
			defer w.Close()
			w.Resize(fyne.NewSize(360, 740))
			v.Refresh()
			q.waitShows(t, w, tc.want...)
			// The screen's heading is no smaller than its cards' titles.
			if head, card := textSizeOf(t, w, tc.want[0]), textSizeOf(t, w, tc.want[1]); head < card {
				t.Errorf("heading %q is drawn at %.0f, smaller than the card title %q at %.0f", tc.want[0], head, tc.want[1], card)
			}
			shown := shownText(w.Content())
			for _, s := range tc.none {
				if strings.Contains(shown, s) {
					t.Errorf("shows %q: %s", s, shown)
				}
			}
		})
	}
}

// textSizeOf is the size of the first text shown that reads text.
func textSizeOf(t *testing.T, w fyne.Window, text string) float32 {
	t.Helper()
	size := float32(0)
	walkVisible(w.Content(), func(o fyne.CanvasObject) {
		if txt, ok := o.(*canvas.Text); ok && txt.Text == text && size == 0 {
			size = txt.TextSize
		}
	})
	if size == 0 {
		t.Fatalf("no text %q; screen shows: %s", text, shownText(w.Content()))
	}
	return size
}

// payingRecord is a record source whose practice publishes a payment page.
type payingRecord struct{ *fakeRecord }

func (payingRecord) PaymentPage(ctx context.Context, profileID string) (app.PaymentLink, bool, error) {
	return app.PaymentLink{URL: "https://pay.example/riverside"}, true, nil
}

// TestStatementActionsFitAPhoneInSpanish: a statement's two actions,
// "Preguntar por esta factura" and "Pagar en línea", go one under the
// other on a phone instead of running off its right edge together with
// the statement's text (es-phone-record-billing-detail.png).
func TestStatementActionsFitAPhoneInSpanish(t *testing.T) {
	test.NewTempApp(t)
	lightTheme(t)
	speakSpanish(t)
	q := useQueue(t)
	v, w := openRecord(t, payingRecord{newFakeRecord(extraResources(t))}, fyne.NewSize(360, 740))
	v.askBill = func(string) {}
	v.ShowSection("billing")
	selectRow(t, v, "Factura del 15 mar 2024")
	q.waitShows(t, w, "Preguntar por esta factura", "Pagar en línea")
	assertFits(t, w)
	assertMinFits(t, w, 360)
	screenshot(t, w, "es-statement-360x740")
}

// TestRefillFormFitsAPhoneInSpanish: a refill's form in Spanish on a
// phone, its text at 125 % (Settings › Appearance): "Enviar solicitud"
// and "Descartar borrador" go one under the other instead of running off
// the screen side by side (at 100 % they take 352 of its 352 points). The
// other rows of buttons that grow with their words (a message's Editar,
// Reintentar, Descartar; the composer's Enviar mensaje and Descartar
// borrador; a request's actions; a record's own lock) flow the same way.
func TestRefillFormFitsAPhoneInSpanish(t *testing.T) {
	test.NewTempApp(t)
	fyne.CurrentApp().Preferences().SetInt(prefTextPercent, 125)
	lightTheme(t)
	speakSpanish(t)
	q := useQueue(t)
	core := connectCore(t, startPractice(t), "maya")
	v, w := openVisits(t, core, fyne.NewSize(360, 740))
	v.ShowSection("medications")
	q.waitShows(t, w, "Lisinopril")
	selectRow(t, v, "Lisinopril")
	test.Tap(findButton(t, w.Content(), "Pedir una renovación de receta"))
	q.waitShows(t, w, "Nota para la consulta", "Enviar solicitud", "Descartar borrador")
	assertFits(t, w)
	assertMinFits(t, w, 360)
	screenshot(t, w, "es-refill-form-125-360x740")
}
