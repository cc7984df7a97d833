package ui

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/app/record"
)

// spanishKeep is a record with one document kept at the practice and an
// emergency card made from two practices' records, for the Documents and
// "Take it with you" sections.
type spanishKeep struct{ *fakeRecord }

func (spanishKeep) Documents(ctx context.Context, profileID, query string) ([]app.Document, error) {
	return []app.Document{{Ref: "DocumentReference/d1", Title: "After-visit summary", Kind: app.DocVisitSummary,
		Date: record.Date{Time: time.Date(2024, time.March, 12, 0, 0, 0, 0, time.UTC), Precision: record.PrecisionDay}}}, nil
}

func (spanishKeep) DocumentFile(ctx context.Context, profileID, ref string, attachment int) ([]byte, string, error) {
	return []byte("%PDF"), "summary.pdf", nil
}

func (spanishKeep) ExportBytes(ctx context.Context, e app.Export) ([]byte, string, error) {
	return []byte("%PDF"), "summary.pdf", nil
}

func (spanishKeep) PrintSummary(ctx context.Context, profileIDs ...string) error { return nil }

func (spanishKeep) SamePerson(ctx context.Context, profileID string) ([]string, error) {
	return []string{profileID, "profile-2", "profile-3"}, nil
}

func (spanishKeep) EmergencyCard(ctx context.Context, profileID string) (app.EmergencyCard, error) {
	return app.EmergencyCard{Name: "Wendell Lesch", Allergies: []string{"Penicillin"},
		Sources: []string{"Riverside Family Medicine", "Lakeside Clinic"}}, nil
}

func (spanishKeep) LockScreenCardOn(ctx context.Context, profileID string) (bool, error) {
	return false, nil
}

func (spanishKeep) SetLockScreenCard(ctx context.Context, profileID string, on bool) error {
	return nil
}

// TestRecordInSpanish opens the record's sections at phone size with the
// system set to Spanish: the section picker, headings, counts, fields,
// statuses and notes are Spanish (the practice's own words stay as it
// wrote them), nothing asks for more width than the phone has, no row on
// show is cut off (TestNothingCutOffAtPhoneSize scrolls through the demo
// record in Spanish), and each page is captured (es-<section>-<row>.png).
func TestRecordInSpanish(t *testing.T) {
	layoutCheck(t)
	test.NewTempApp(t)
	lightTheme(t)
	speakSpanish(t)
	// Decoded in Spanish (plain names are), not the English tests' shared
	// copy (wendell).
	src := newFakeRecord(append(syntheaResources(t, "Wendell_Lesch"), extraResources(t)...))
	steps := []struct {
		section string
		label   string   // the section's name in the picker
		list    []string // shown in the list
		row     string   // a row of the list to open ("" = none)
		detail  []string // shown once row is open
	}{
		{"results", "Resultados", []string{"Cholesterol check", "1 fuera de rango"}, "Cholesterol check",
			[]string{"1 resultado está fuera del rango normal.", "Informado:", "Comentario de su médico", "Alto", "Por encima del rango normal.",
				"Rango normal: hasta 100 mg/dL", "Nombre técnico", "Más información", "No se pudo leer parte de esta entrada.", "Abrir PDF"}},
		{"vitals", "Tendencias", []string{"Peso", "IMC", "Presión arterial", "11 mediciones · última"}, "Presión arterial",
			[]string{"Sistólica", "Diastólica", "11 mediciones del", ". La última: 125,8/82,3 mmHg el", "Valores en mmHg"}},
		{"medications", "Medicamentos", []string{"Medicamentos activos", "Medicamentos anteriores", "recetado el"}, "Alendronato",
			[]string{"Activo", "Recetado por:", "Recetado el:"}},
		{"allergies", "Alergias", []string{"Riesgo alto", "Alimento"}, "Alergia a la caspa",
			[]string{"Alergia · Alimento", "Riesgo: Bajo", "Estado: Activo", "Registrado:"}},
		{"conditions", "Problemas de salud", []string{"Problemas de salud actuales", "desde "}, "Prediabetes",
			[]string{"Actual", "Comenzó:", "Registrado:"}},
		{"immunizations", "Vacunas", []string{"Vacuna contra la gripe"}, "", nil},
		{"visits", "Visitas", []string{"Follow-up visit", "1 documento"}, "Follow-up visit",
			[]string{"Motivo: Blood pressure check", "Abrir PDF"}},
		{"visits", "Visitas", []string{"Próximamente", "Visitas pasadas", "Annual checkup con Dr. Lee"}, "Revisión médica",
			[]string{"Medido en esta visita", "125,8/82,3 mmHg", "El centro médico no ha compartido un resumen de esta visita."}},
		{"care", "Planes de cuidados", []string{"Planes de cuidados", "Activo ·", "Completado ·"}, "Plan de autocuidado de la diabetes",
			[]string{"Estado: Activo", "Paso:"}},
		{"documents", "Documentos", []string{"After-visit summary", "se descarga al abrirlo"}, "After-visit summary",
			[]string{"Qué es:", "Se guarda en su centro médico: Carebook lo descarga cuando lo abre o lo guarda.", "Abrir", "Guardar en un archivo…"}},
		{"keep", "Lléveselo", []string{"Tarjeta de emergencia", "Alergias, medicamentos, problemas de salud, contactos",
			"Resumen de salud (PDF)", "Resumen Internacional del Paciente", "Todo su historial"}, "Resumen de salud",
			[]string{"Unas pocas páginas para leer e imprimir", "Incluir sus datos de otros 2 centros médicos",
				"El archivo que guarde no está cifrado", "Guardar…", "Imprimir…"}},
		{"keep", "Lléveselo", nil, "Tarjeta de emergencia",
			[]string{"Grupo sanguíneo: no registrado", "Del historial que guarda Riverside Family Medicine y Lakeside Clinic.",
				"Mostrarla en la pantalla de bloqueo", "Desactivado: solo usted, tras desbloquear Carebook, puede leerla."}},
	}
	v, w := openRecord(t, spanishKeep{src}, fyne.NewSize(360, 740))
	assertShows(t, w, "Mostrar")
	for _, st := range steps {
		v.ShowSection(st.section)
		v.current.md.clearDetail()
		if v.picker.Selected != st.label {
			t.Errorf("%s: the picker says %q, want %q", st.section, v.picker.Selected, st.label)
		}
		assertShows(t, w, st.list...)
		assertFits(t, w)
		walkVisible(w.Content(), func(o fyne.CanvasObject) {
			if r, ok := o.(*recordRow); ok && r.title.Text != "" {
				if cut := cutOff(r); cut != "" {
					t.Errorf("%s: %q is cut off as %q", st.section, r.title.Text+" / "+r.detail.Text, cut)
				}
			}
		})
		if st.row == "" {
			screenshot(t, w, "es-"+st.section)
			continue
		}
		selectRow(t, v, st.row)
		assertShows(t, w, st.detail...)
		assertFits(t, w)
		screenshot(t, w, "es-"+st.section+"-"+strings.ReplaceAll(strings.ToLower(st.row), " ", "-"))
		test.Tap(findButton(t, w.Content(), "Atrás"))
	}
}

// TestConditionHeadings: the conditions' two groups are headed as groups
// of conditions in both languages ("Problemas de salud resueltos", where
// Spanish said "Resuelto", a single condition's status, over the list).
func TestConditionHeadings(t *testing.T) {
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{"en", []string{"Current conditions", "Resolved conditions"}},
		{"es", []string{"Problemas de salud actuales", "Problemas de salud resueltos"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			if tc.lang == "es" {
				speakSpanish(t)
			}
			c := &record.Chart{Conditions: []record.Condition{
				{Name: "Hay fever", ClinicalStatus: "active"},
				{Name: "Sore throat", ClinicalStatus: "resolved"},
			}}
			var headings []string
			for _, it := range conditionsSection(c).items {
				if it.header {
					headings = append(headings, it.title)
				}
			}
			if !slices.Equal(headings, tc.want) {
				t.Errorf("headings %q, want %q", headings, tc.want)
			}
		})
	}
}
