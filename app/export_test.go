package app

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/carebook/carebook/app/locfmt"
	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/internal/i18n"
	"github.com/carebook/carebook/storage"
)

// syncedDemo opens a core, connects the demo practice over HTTP and syncs
// it: the record a patient really has.
func syncedDemo(t *testing.T) (*App, ProfileInfo) {
	t.Helper()
	ctx := context.Background()
	practice := startDemo(t)
	core, err := Open(Config{
		DataDir:     t.TempDir(),
		Storage:     storage.Options{KDF: cheapKDF, NoKeyring: true},
		IdleTimeout: -1,
		Demo:        func(context.Context) (DemoPractice, error) { return practice, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { core.Close() })
	if err := core.Setup(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	p, err := core.ConnectDemo(ctx)
	if err != nil {
		t.Fatalf("ConnectDemo: %v", err)
	}
	if err := core.Sync(ctx, p.ID); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	return core, p
}

// pdfText extracts a PDF's text with poppler's pdftotext, with runs of
// white space made one space (a long line wraps in the PDF). It skips the
// test where pdftotext is not installed (scripts/deps.sh installs it).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext is not installed (Debian package poppler-utils; scripts/deps.sh installs it): cannot read the PDF back")
	}
	name := filepath.Join(t.TempDir(), "summary.pdf")
	if err := os.WriteFile(name, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", name, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

// TestExportFormats: the demo patient's record, synced over HTTP, exported
// in each format: the PDF read back holds the patient, every allergy and
// every active medication; the IPS meets the IPS Composition's required
// sections with every reference resolved inside the Bundle; the whole
// record holds every cached resource; each export is in the activity trail.
// With CAREBOOK_SHOTS set the PDF is written there (make screenshots).
func TestExportFormats(t *testing.T) {
	ctx := context.Background()
	core, p := syncedDemo(t)
	c, err := core.Chart(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	patient, _ := c.Patient()

	t.Run("pdf", func(t *testing.T) {
		data, name, err := core.ExportBytes(ctx, Export{Format: ExportPDF, ProfileIDs: []string{p.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(data, []byte("%PDF-")) || !strings.HasSuffix(name, ".pdf") {
			t.Fatalf("not a PDF: %q… named %q", data[:min(len(data), 8)], name)
		}
		// make screenshots turns it into PNG pages to look at.
		if dir := os.Getenv("CAREBOOK_SHOTS"); dir != "" {
			if err := os.WriteFile(filepath.Join(dir, "health-summary.pdf"), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		text := pdfText(t, data)
		want := []string{patient.Name, "Allergies and intolerances", "Medications you take now", "Health problems",
			"Immunizations", "Recent results", "Upcoming appointments", "EMERGENCY CARD"}
		for _, al := range c.Allergies {
			want = append(want, al.Substance)
		}
		meds := record.ActiveMedications(c.Medications)
		if len(meds) == 0 || len(c.Allergies) == 0 {
			t.Fatalf("the demo patient has %d allergies and %d active medications: the test needs some", len(c.Allergies), len(meds))
		}
		for _, m := range meds {
			want = append(want, m.Medication)
		}
		for _, w := range want {
			if !strings.Contains(text, strings.Join(strings.Fields(w), " ")) {
				t.Errorf("the PDF's text lacks %q", w)
			}
		}
	})

	t.Run("ips", func(t *testing.T) {
		var buf bytes.Buffer
		if err := core.WriteExport(ctx, Export{Format: ExportIPS, ProfileIDs: []string{p.ID}}, &buf); err != nil {
			t.Fatal(err)
		}
		checkIPS(t, buf.Bytes())
		if !strings.Contains(buf.String(), c.Allergies[0].Substance) {
			t.Errorf("the IPS lacks the allergy %q", c.Allergies[0].Substance)
		}
	})

	t.Run("bundle", func(t *testing.T) {
		var buf bytes.Buffer
		if err := core.WriteExport(ctx, Export{Format: ExportBundle, ProfileIDs: []string{p.ID}}, &buf); err != nil {
			t.Fatal(err)
		}
		var b struct {
			ResourceType, Type string
			Entry              []struct{ FullURL string }
		}
		if err := json.Unmarshal(buf.Bytes(), &b); err != nil {
			t.Fatal(err)
		}
		counts, err := core.store.Counts(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, n := range counts {
			total += n
		}
		if b.ResourceType != "Bundle" || b.Type != "collection" || len(b.Entry) != total {
			t.Errorf("bundle: %s %s with %d entries, want a collection of all %d cached resources", b.ResourceType, b.Type, len(b.Entry), total)
		}
	})

	// In the patient's language: a Spanish device gets the PDF's words, the
	// IPS's titles and narrative, and the activity list in Spanish; the IPS
	// sections keep their LOINC codes and displays.
	t.Run("spanish", func(t *testing.T) {
		t.Cleanup(func() {
			i18n.SetLanguage("en")
			locfmt.SetCurrent(locfmt.EnUS)
		})
		i18n.SetLanguage("es")
		locfmt.SetCurrent(locfmt.Parse("es-ES"))
		// The app chooses its language at start-up; this test changes it
		// midway, so what was decoded in English (names in plain words)
		// is dropped, as a restart would.
		core.forget(p.ID)
		r, err := core.store.Get(ctx, p.ID, "AllergyIntolerance", c.Allergies[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		allergy := record.DecodeAllergyIntolerance(record.Resource(r)).Substance // in Spanish
		data, _, err := core.ExportBytes(ctx, Export{Format: ExportPDF, ProfileIDs: []string{p.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if dir := os.Getenv("CAREBOOK_SHOTS"); dir != "" {
			if err := os.WriteFile(filepath.Join(dir, "health-summary-es.pdf"), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		text := pdfText(t, data)
		for _, w := range []string{"Resumen de salud", "Alergias e intolerancias", "Medicamentos que toma ahora", "Problemas de salud",
			"Vacunas", "Resultados recientes", "Próximas citas", "TARJETA DE EMERGENCIA", "Recorte por la línea discontinua",
			"Alergias: ", "Medicamentos: ", allergy} {
			if !strings.Contains(text, w) {
				t.Errorf("the Spanish PDF's text lacks %q", w)
			}
		}
		for _, w := range []string{"Allergies and intolerances", "EMERGENCY CARD", "Health summary"} {
			if strings.Contains(text, w) {
				t.Errorf("the Spanish PDF's text still says %q", w)
			}
		}

		var buf bytes.Buffer
		if err := core.WriteExport(ctx, Export{Format: ExportIPS, ProfileIDs: []string{p.ID}}, &buf); err != nil {
			t.Fatal(err)
		}
		checkIPS(t, buf.Bytes())
		for _, w := range []string{`"title": "Alergias e intolerancias"`, `"title": "Lista de medicamentos"`, `"title": "Lista de problemas de salud"`,
			`"code": "48765-2"`, `"display": "Allergies and adverse reactions Document"`, `"title": "Resumen del paciente de ` + patient.Name} {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("the Spanish IPS lacks %s", w)
			}
		}

		rep, err := core.ActivityLog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Items) == 0 || rep.Items[0].What != "Historial exportado: ips a un archivo" {
			t.Errorf("the latest activity in Spanish: %+v, want Historial exportado: ips a un archivo", rep.Items[:min(len(rep.Items), 1)])
		}
	})

	trail, err := core.store.AuditTrail(ctx)
	if err != nil {
		t.Fatal(err)
	}
	exports := 0
	for _, e := range trail.Entries {
		if e.Kind == storage.AuditExport {
			exports++
		}
	}
	if exports < 3 {
		t.Errorf("the activity trail has %d exports, want one per export (3)", exports)
	}
}

// ipsRequiredSections are the sections the IPS Composition profile
// (http://hl7.org/fhir/uv/ips/StructureDefinition/Composition-uv-ips)
// requires (slices with min 1), with the resource types their entries may
// point to.
var ipsRequiredSections = []struct {
	slice, code string
	targets     []string
}{
	{"sectionMedications", LOINCMedications, []string{"MedicationStatement", "MedicationRequest", "MedicationAdministration", "MedicationDispense", "DocumentReference"}},
	{"sectionAllergies", LOINCAllergies, []string{"AllergyIntolerance", "DocumentReference"}},
	{"sectionProblems", LOINCProblems, []string{"Condition", "DocumentReference"}},
}

// checkIPS checks a Bundle against the IPS Bundle and Composition
// profiles' required elements and that every reference resolves to an
// entry's fullUrl (or a contained resource).
func checkIPS(t *testing.T, data []byte) {
	t.Helper()
	var b struct {
		ResourceType string
		Type         string
		Timestamp    string
		Identifier   struct{ System, Value string }
		Entry        []struct {
			FullURL  string
			Resource json.RawMessage
		}
	}
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatalf("IPS is not JSON: %v", err)
	}
	if b.ResourceType != "Bundle" || b.Type != "document" || b.Timestamp == "" || b.Identifier.System == "" || b.Identifier.Value == "" {
		t.Fatalf("IPS Bundle: %s %s timestamp %q identifier %+v; want a document Bundle with identifier and timestamp (bdl-9, bdl-10)", b.ResourceType, b.Type, b.Timestamp, b.Identifier)
	}
	if len(b.Entry) == 0 {
		t.Fatal("IPS Bundle has no entries")
	}
	types := map[string]string{} // fullUrl -> resourceType
	for _, e := range b.Entry {
		var r struct{ ResourceType, ID string }
		json.Unmarshal(e.Resource, &r)
		if e.FullURL == "" || types[e.FullURL] != "" {
			t.Errorf("entry fullUrl %q empty or repeated", e.FullURL)
		}
		types[e.FullURL] = r.ResourceType
	}
	var comp struct {
		ResourceType string
		Status       string
		Type         struct {
			Coding []struct{ System, Code string }
		}
		Subject struct{ Reference string }
		Date    string
		Author  []struct{ Reference string }
		Title   string
		Section []struct {
			Title string
			Code  struct {
				Coding []struct{ System, Code string }
			}
			Text        struct{ Status, Div string }
			Entry       []struct{ Reference string }
			EmptyReason *struct {
				Coding []struct{ Code string }
			}
		}
	}
	if err := json.Unmarshal(b.Entry[0].Resource, &comp); err != nil {
		t.Fatal(err)
	}
	if comp.ResourceType != "Composition" {
		t.Fatalf("first entry is a %s, want the Composition", comp.ResourceType)
	}
	if len(comp.Type.Coding) == 0 || comp.Type.Coding[0].System != record.LOINC || comp.Type.Coding[0].Code != LOINCPatientSummary {
		t.Errorf("Composition.type = %+v, want LOINC %s", comp.Type, LOINCPatientSummary)
	}
	if comp.Status == "" || comp.Date == "" || comp.Title == "" || len(comp.Author) == 0 {
		t.Errorf("Composition lacks status, date, title or author: %+v", comp)
	}
	if types[comp.Subject.Reference] != "Patient" {
		t.Errorf("Composition.subject %q is not a Patient of the Bundle", comp.Subject.Reference)
	}
	for _, req := range ipsRequiredSections {
		n := 0
		for _, s := range comp.Section {
			if len(s.Code.Coding) == 0 || s.Code.Coding[0].System != record.LOINC || s.Code.Coding[0].Code != req.code {
				continue
			}
			n++
			if s.Title == "" || s.Text.Div == "" || !strings.Contains(s.Text.Div, `xmlns="http://www.w3.org/1999/xhtml"`) {
				t.Errorf("%s: title %q, narrative %q; both are required", req.slice, s.Title, s.Text.Div)
			}
			switch {
			case len(s.Entry) == 0 && s.EmptyReason == nil:
				t.Errorf("%s is empty without an emptyReason", req.slice)
			case len(s.Entry) > 0 && s.EmptyReason != nil:
				t.Errorf("%s has entries and an emptyReason", req.slice)
			}
			for _, e := range s.Entry {
				if typ := types[e.Reference]; !contains(req.targets, typ) {
					t.Errorf("%s entry %q is a %q, want one of %v", req.slice, e.Reference, typ, req.targets)
				}
			}
		}
		if n != 1 {
			t.Errorf("the Composition has %d %s (LOINC %s), want exactly 1", n, req.slice, req.code)
		}
	}
	// Every reference anywhere resolves inside the Bundle.
	var walk func(v any)
	refs := 0
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["reference"].(string); ok {
				refs++
				if !strings.HasPrefix(ref, "#") && types[ref] == "" {
					t.Errorf("reference %q does not resolve inside the Bundle", ref)
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	var all any
	json.Unmarshal(data, &all)
	walk(all)
	if refs == 0 {
		t.Error("the IPS holds no reference at all")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestIPSEmptySections: a record with nothing but the patient still has
// the three sections the IPS requires, each saying it is empty (narrative
// and emptyReason), and the PDF says so too.
func TestIPSEmptySections(t *testing.T) {
	ctx := context.Background()
	core, err := Open(Config{DataDir: t.TempDir(), Storage: storage.Options{KDF: cheapKDF, NoKeyring: true}, IdleTimeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Close()
	if err := core.Setup(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	p, err := core.store.CreateProfile(ctx, storage.Profile{PracticeURL: "http://127.0.0.1:1/fhir", PatientID: "p1", Label: "Sam Lee"})
	if err != nil {
		t.Fatal(err)
	}
	if err := core.store.Put(ctx, p.ID, storage.Resource{Type: "Patient", ID: "p1",
		JSON: []byte(`{"resourceType":"Patient","id":"p1","name":[{"text":"Sam Lee"}],"managingOrganization":{"reference":"Organization/o1","display":"Hill Clinic"}}`)}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := core.WriteExport(ctx, Export{Format: ExportIPS, ProfileIDs: []string{p.ID}}, &buf); err != nil {
		t.Fatal(err)
	}
	checkIPS(t, buf.Bytes())
	for _, want := range []string{"No allergies or intolerances are recorded.", "No active medications are recorded.",
		"No current health problems are recorded.", `"code": "unavailable"`, `"display": "Hill Clinic"`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("the IPS of an empty record lacks %q", want)
		}
	}
	if strings.Contains(buf.String(), "Organization/o1") {
		t.Error("the IPS points to an organization it does not carry")
	}
	data, _, err := core.ExportBytes(ctx, Export{Format: ExportPDF, ProfileIDs: []string{p.ID}})
	if err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, data)
	for _, want := range []string{"Sam Lee", "No allergies are recorded.", "No active medications are recorded.", "No current health problems are recorded."} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF of an empty record lacks %q", want)
		}
	}
}

// TestMergedExportTwoPractices: the demo patient at both demo practices
// (two servers over HTTP), linked: the merged summary has what each
// practice alone records, and what both record once, naming both; the
// merged IPS passes the IPS checks and lists each merged item once.
func TestMergedExportTwoPractices(t *testing.T) {
	ctx := context.Background()
	tp := connectTwoPractices(t)
	core := tp.core
	if err := core.LinkProfiles(ctx, tp.mayaR.ID, tp.mayaL.ID); err != nil {
		t.Fatal(err)
	}
	ids, err := core.SamePerson(ctx, tp.mayaR.ID)
	if err != nil || len(ids) != 2 {
		t.Fatalf("SamePerson = %v, %v; want both practices' records", ids, err)
	}
	one, err := core.HealthSummary(ctx, tp.mayaR.ID)
	if err != nil {
		t.Fatal(err)
	}
	both, err := core.HealthSummary(ctx, ids...)
	if err != nil {
		t.Fatal(err)
	}
	shared, lakeOnly := 0, 0
	for _, list := range [][]SummaryItem{both.Allergies, both.Medications, both.Problems} {
		for _, it := range list {
			switch {
			case strings.Contains(it.Source, tp.mayaR.Practice) && strings.Contains(it.Source, tp.mayaL.Practice):
				shared++
			case it.Source == tp.mayaL.Practice:
				lakeOnly++
			}
		}
	}
	if shared == 0 || lakeOnly == 0 {
		t.Errorf("merged: %d items from both practices, %d from the second alone; want some of each", shared, lakeOnly)
	}
	if n, m := len(both.Allergies)+len(both.Medications)+len(both.Problems), len(one.Allergies)+len(one.Medications)+len(one.Problems); n != m+lakeOnly {
		t.Errorf("merged has %d items, the first practice %d and the second alone %d: the same item twice?", n, m, lakeOnly)
	}
	var buf bytes.Buffer
	if err := core.WriteExport(ctx, Export{Format: ExportIPS, ProfileIDs: ids}, &buf); err != nil {
		t.Fatal(err)
	}
	checkIPS(t, buf.Bytes())
	var b struct {
		Entry []struct {
			Resource struct {
				Section []struct {
					Code  struct{ Coding []struct{ Code string } }
					Entry []json.RawMessage
				}
			}
		}
	}
	json.Unmarshal(buf.Bytes(), &b)
	for _, s := range b.Entry[0].Resource.Section {
		want := map[string]int{LOINCAllergies: len(both.Allergies), LOINCMedications: len(both.Medications), LOINCProblems: len(both.Problems)}[s.Code.Coding[0].Code]
		if want > 0 && len(s.Entry) != want {
			t.Errorf("IPS section %s has %d entries, want the %d merged items", s.Code.Coding[0].Code, len(s.Entry), want)
		}
	}
	data, _, err := core.ExportBytes(ctx, Export{Format: ExportPDF, ProfileIDs: ids})
	if err != nil {
		t.Fatal(err)
	}
	if text := pdfText(t, data); !strings.Contains(text, tp.mayaL.Practice) || !strings.Contains(text, tp.mayaR.Practice) {
		t.Errorf("the merged PDF does not name both practices")
	}
}
