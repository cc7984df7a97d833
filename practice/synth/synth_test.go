package synth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2026, 11, 22, 14, 30, 0, 0, time.UTC)

// generated is the decoded output of one Generate call.
type generated struct {
	bundles   [][]byte
	accounts  []Account
	resources map[string]map[string]any // "Type/id" → resource
	order     []string                  // "Type/id" in bundle order
}

func generate(t testing.TB, opts Options) generated {
	t.Helper()
	bundles, accounts, err := Generate(opts)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	g := generated{bundles: bundles, accounts: accounts, resources: map[string]map[string]any{}}
	for i, raw := range bundles {
		var b struct {
			ResourceType string `json:"resourceType"`
			Type         string `json:"type"`
			Entry        []struct {
				Resource map[string]any `json:"resource"`
				Request  struct{ Method, URL string }
			} `json:"entry"`
		}
		if err := json.Unmarshal(raw, &b); err != nil {
			t.Fatalf("bundle %d is not valid JSON: %v", i, err)
		}
		if b.ResourceType != "Bundle" || b.Type != "transaction" {
			t.Fatalf("bundle %d: resourceType %q type %q, want a transaction Bundle", i, b.ResourceType, b.Type)
		}
		if len(b.Entry) == 0 || len(b.Entry) > maxBundleEntries {
			t.Fatalf("bundle %d has %d entries", i, len(b.Entry))
		}
		for _, e := range b.Entry {
			key := fmt.Sprintf("%v/%v", e.Resource["resourceType"], e.Resource["id"])
			if e.Request.Method != "PUT" || e.Request.URL != key {
				t.Fatalf("entry %s: request %s %s, want PUT %s", key, e.Request.Method, e.Request.URL, key)
			}
			if _, dup := g.resources[key]; dup {
				t.Fatalf("%s appears twice", key)
			}
			g.resources[key] = e.Resource
			g.order = append(g.order, key)
		}
	}
	return g
}

func (g generated) ofType(typ string) []map[string]any {
	var out []map[string]any
	for _, key := range g.order {
		if strings.HasPrefix(key, typ+"/") {
			out = append(out, g.resources[key])
		}
	}
	return out
}

// forPatient returns the resources of type typ whose subject/patient/for/
// beneficiary is Patient/id.
func (g generated) forPatient(typ, id string) []map[string]any {
	var out []map[string]any
	want := "Patient/" + id
	for _, r := range g.ofType(typ) {
		for _, field := range []string{"subject", "patient", "for", "beneficiary"} {
			switch v := r[field].(type) {
			case map[string]any:
				if v["reference"] == want {
					out = append(out, r)
				}
			case []any:
				if len(v) > 0 && v[0].(map[string]any)["reference"] == want {
					out = append(out, r)
				}
			}
		}
		if parts, ok := r["participant"].([]any); ok && typ == "Appointment" {
			if parts[0].(map[string]any)["actor"].(map[string]any)["reference"] == want {
				out = append(out, r)
			}
		}
		if typ == "Patient" && r["id"] == id {
			out = append(out, r)
		}
	}
	return out
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, accA, err := Generate(Options{Seed: 7, Now: testNow, Scale: 2})
	if err != nil {
		t.Fatal(err)
	}
	b, accB, err := Generate(Options{Seed: 7, Now: testNow, Scale: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) {
		t.Fatalf("bundle counts differ: %d and %d", len(a), len(b))
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Fatalf("bundle %d differs between two runs with the same seed", i)
		}
	}
	ja, _ := json.Marshal(accA)
	jb, _ := json.Marshal(accB)
	if !bytes.Equal(ja, jb) {
		t.Fatal("accounts differ between two runs with the same seed")
	}
	c, _, err := Generate(Options{Seed: 8, Now: testNow, Scale: 2})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a[0], c[0]) {
		t.Fatal("a different seed gave the same practice bundle")
	}
}

func TestGenerateRejectsNegativeScale(t *testing.T) {
	if _, _, err := Generate(Options{Scale: -1, Now: testNow}); !errors.Is(err, ErrBadOptions) {
		t.Fatalf("err = %v, want ErrBadOptions", err)
	}
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9\-.]{1,64}$`)

// collectReferences walks v and calls fn for every "reference" string.
func collectReferences(v any, fn func(string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "reference" {
				fn(s)
				continue
			}
			collectReferences(x, fn)
		}
	case []any:
		for _, x := range v {
			collectReferences(x, fn)
		}
	}
}

func TestEveryReferenceResolves(t *testing.T) {
	g := generate(t, Options{Seed: 1, Now: testNow, Scale: 2})
	refs := 0
	for key, r := range g.resources {
		if id, _ := r["id"].(string); !idPattern.MatchString(id) {
			t.Errorf("%s: id %q is not a valid FHIR id", key, id)
		}
		collectReferences(r, func(ref string) {
			refs++
			if _, ok := g.resources[ref]; !ok {
				t.Errorf("%s references %q, which is not generated", key, ref)
			}
		})
	}
	if refs < 1000 {
		t.Fatalf("only %d references checked", refs)
	}
}

func TestDemoPatientsHaveTheirRecords(t *testing.T) {
	g := generate(t, Options{Seed: 1, Now: testNow})
	rich := map[string]int{
		"Patient": 1, "Encounter": 10, "Observation": 100, "DiagnosticReport": 15, "DocumentReference": 10,
		"MedicationRequest": 4, "AllergyIntolerance": 2, "Condition": 4, "Immunization": 5, "Procedure": 1,
		"CarePlan": 1, "Goal": 1, "CareTeam": 1, "Coverage": 1, "Account": 1, "Invoice": 3,
		"ExplanationOfBenefit": 3, "Communication": 5, "Appointment": 2, "Task": 1,
	}
	tests := []struct {
		patient string
		min     map[string]int
	}{
		{MayaID, rich},
		{LeoID, map[string]int{"Patient": 1, "Encounter": 5, "Immunization": 20, "AllergyIntolerance": 1,
			"MedicationRequest": 2, "Appointment": 2, "Communication": 2, "Invoice": 3}},
		{NiaID, map[string]int{"Patient": 1, "Encounter": 5, "Immunization": 20, "DiagnosticReport": 2,
			"Appointment": 1, "Communication": 2, "Invoice": 3}},
		{JoseID, map[string]int{"Patient": 1, "Encounter": 10, "DiagnosticReport": 20, "MedicationRequest": 5,
			"Procedure": 2, "Appointment": 2, "Communication": 2, "Invoice": 3}},
	}
	for _, tt := range tests {
		t.Run(tt.patient, func(t *testing.T) {
			for typ, want := range tt.min {
				if got := len(g.forPatient(typ, tt.patient)); got < want {
					t.Errorf("%s: %d, want at least %d", typ, got, want)
				}
			}
		})
	}
	if got := len(g.ofType("Practitioner")); got < 3 || got > 4 {
		t.Errorf("%d practitioners, want 3 or 4", got)
	}
	if got := len(g.ofType("PractitionerRole")); got != len(g.ofType("Practitioner")) {
		t.Errorf("%d roles for %d practitioners", got, len(g.ofType("Practitioner")))
	}
	if _, ok := g.resources["Patient/"+ScalePatientID]; ok {
		t.Error("the scale patient exists without Options.Scale")
	}
}

func ageAt(birth, now time.Time) int {
	now = now.In(practiceZone)
	age := now.Year() - birth.Year()
	if now.Month() < birth.Month() || (now.Month() == birth.Month() && now.Day() < birth.Day()) {
		age--
	}
	return age
}

func TestAgesAreRelativeToNow(t *testing.T) {
	nows := []time.Time{
		testNow,
		time.Date(2028, 2, 29, 12, 0, 0, 0, time.UTC),
		time.Date(2027, 1, 1, 3, 0, 0, 0, time.UTC),
		time.Date(2030, 12, 31, 23, 59, 0, 0, time.UTC),
	}
	want := map[string]int{MayaID: 42, LeoID: 8, NiaID: 14, JoseID: 79}
	for _, now := range nows {
		t.Run(now.Format("2006-01-02"), func(t *testing.T) {
			g := generate(t, Options{Seed: 3, Now: now})
			for id, age := range want {
				p := g.resources["Patient/"+id]
				birth, err := time.Parse("2006-01-02", p["birthDate"].(string))
				if err != nil {
					t.Fatalf("%s birthDate: %v", id, err)
				}
				if got := ageAt(birth, now); got != age {
					t.Errorf("%s is %d at %s, want %d", id, got, now, age)
				}
			}
		})
	}
}

func TestAccounts(t *testing.T) {
	g := generate(t, Options{Seed: 1, Now: testNow, Scale: 2})
	seen := map[string]bool{}
	relations := map[string]int{}
	for _, a := range g.accounts {
		if seen[a.Username] {
			t.Errorf("username %q twice", a.Username)
		}
		seen[a.Username] = true
		if a.Password != DemoPassword || a.Description == "" {
			t.Errorf("%s: password or description missing", a.Username)
		}
		if _, ok := g.resources[a.FHIRUser]; !ok {
			t.Errorf("%s: FHIRUser %s is not generated", a.Username, a.FHIRUser)
		}
		if len(a.PatientIDs) != len(a.Relations) {
			t.Errorf("%s: %d patients, %d relations", a.Username, len(a.PatientIDs), len(a.Relations))
		}
		for _, pid := range a.PatientIDs {
			if _, ok := g.resources["Patient/"+pid]; !ok {
				t.Errorf("%s: patient %s is not generated", a.Username, pid)
			}
			rel := a.Relations[pid]
			relations[rel]++
			switch rel {
			case "self":
				if a.FHIRUser != "Patient/"+pid {
					t.Errorf("%s: self access to %s but FHIRUser %s", a.Username, pid, a.FHIRUser)
				}
			case "parent", "caregiver":
				rp, ok := g.resources[a.RelatedPersons[pid]]
				if !ok {
					t.Errorf("%s: no RelatedPerson for %s", a.Username, pid)
					continue
				}
				if got := rp["patient"].(map[string]any)["reference"]; got != "Patient/"+pid {
					t.Errorf("%s: RelatedPerson of %s belongs to %v", a.Username, pid, got)
				}
			default:
				t.Errorf("%s: relation %q", a.Username, rel)
			}
		}
	}
	for _, rel := range []string{"self", "parent", "caregiver"} {
		if relations[rel] == 0 {
			t.Errorf("no account with a %q relation", rel)
		}
	}
	if !seen["scale"] {
		t.Error("no account for the scale patient")
	}
}

func TestSlotsAndBookings(t *testing.T) {
	g := generate(t, Options{Seed: 1, Now: testNow})
	status := map[string]int{}
	for _, s := range g.ofType("Slot") {
		start, err1 := time.Parse(time.RFC3339, s["start"].(string))
		end, err2 := time.Parse(time.RFC3339, s["end"].(string))
		if err1 != nil || err2 != nil {
			t.Fatalf("slot %v: bad times", s["id"])
		}
		if !start.After(testNow) || start.After(testNow.AddDate(0, 0, slotDays+1)) {
			t.Errorf("slot %v starts %v, outside the coming four weeks", s["id"], start)
		}
		if wd := start.In(practiceZone).Weekday(); wd == time.Saturday || wd == time.Sunday {
			t.Errorf("slot %v on a %v", s["id"], wd)
		}
		if d := end.Sub(start); d < 20*time.Minute || d > 30*time.Minute {
			t.Errorf("slot %v lasts %v", s["id"], d)
		}
		status[s["status"].(string)]++
	}
	if status["free"] < 100 || status["busy"] < 10 {
		t.Errorf("slot statuses %v: want many free and some busy", status)
	}
	booked := 0
	for _, a := range g.ofType("Appointment") {
		if a["status"] != "booked" {
			continue
		}
		booked++
		slotRef := a["slot"].([]any)[0].(map[string]any)["reference"].(string)
		slot := g.resources[slotRef]
		if slot["status"] != "busy" || slot["start"] != a["start"] {
			t.Errorf("appointment %v: slot %s is %v at %v", a["id"], slotRef, slot["status"], slot["start"])
		}
	}
	if booked < 2 {
		t.Errorf("%d booked appointments, want upcoming ones", booked)
	}
	// Several practitioners, each with schedules for several visit types,
	// all of which have free slots spread over the coming weeks.
	actors, services := map[string]bool{}, map[string]bool{}
	for _, sc := range g.ofType("Schedule") {
		actors[sc["actor"].([]any)[0].(map[string]any)["reference"].(string)] = true
		services[sc["serviceType"].([]any)[0].(map[string]any)["coding"].([]any)[0].(map[string]any)["code"].(string)] = true
		weeks := map[int]bool{}
		for _, sl := range g.ofType("Slot") {
			if sl["status"] == "free" && sl["schedule"].(map[string]any)["reference"] == "Schedule/"+sc["id"].(string) {
				start, _ := time.Parse(time.RFC3339, sl["start"].(string))
				weeks[int(start.Sub(testNow)/(7*24*time.Hour))] = true
			}
		}
		if len(weeks) < 3 {
			t.Errorf("schedule %v has free slots in %d of the coming weeks", sc["id"], len(weeks))
		}
	}
	if len(actors) < 3 || len(services) < 3 {
		t.Errorf("schedules of %d practitioners for %d visit types", len(actors), len(services))
	}
}

func TestLabInterpretationMatchesRange(t *testing.T) {
	g := generate(t, Options{Seed: 5, Now: testNow})
	flags := map[string]int{}
	for _, o := range g.ofType("Observation") {
		cat := o["category"].([]any)[0].(map[string]any)["coding"].([]any)[0].(map[string]any)["code"]
		if cat != "laboratory" {
			continue
		}
		value := o["valueQuantity"].(map[string]any)["value"].(float64)
		rr := o["referenceRange"].([]any)[0].(map[string]any)
		want := "N"
		if hi, ok := rr["high"].(map[string]any); ok && value > hi["value"].(float64) {
			want = "H"
		}
		if lo, ok := rr["low"].(map[string]any); ok && value < lo["value"].(float64) {
			want = "L"
		}
		got := o["interpretation"].([]any)[0].(map[string]any)["coding"].([]any)[0].(map[string]any)["code"]
		if got != want {
			t.Errorf("%v: value %v flagged %v, want %v", o["id"], value, got, want)
		}
		flags[want]++
	}
	if flags["N"] == 0 || flags["H"] == 0 {
		t.Errorf("flags %v: want normal and high results", flags)
	}
	// Reviewed (final) reports carry the clinician's comment; the latest
	// labs of a patient were released before review: preliminary, with no
	// comment yet. The practice has both kinds.
	kinds := map[string]int{}
	for _, r := range g.ofType("DiagnosticReport") {
		c, _ := r["conclusion"].(string)
		switch r["status"] {
		case "final":
			if c == "" {
				t.Errorf("%v is final but has no provider comment", r["id"])
			}
		case "preliminary":
			if c != "" {
				t.Errorf("%v is preliminary but has a provider comment", r["id"])
			}
		default:
			t.Errorf("%v has status %v", r["id"], r["status"])
		}
		kinds[r["status"].(string)]++
	}
	if kinds["final"] == 0 || kinds["preliminary"] == 0 {
		t.Errorf("reports by status %v: want reviewed and not yet reviewed ones", kinds)
	}
}

func TestDocumentsAreReadable(t *testing.T) {
	g := generate(t, Options{Seed: 1, Now: testNow})
	types := map[string]int{}
	for _, d := range g.ofType("DocumentReference") {
		att := d["content"].([]any)[0].(map[string]any)["attachment"].(map[string]any)
		data, err := base64.StdEncoding.DecodeString(att["data"].(string))
		if err != nil {
			t.Fatalf("%v: %v", d["id"], err)
		}
		if int(att["size"].(float64)) != len(data) {
			t.Errorf("%v: size %v, data %d bytes", d["id"], att["size"], len(data))
		}
		ct := strings.Split(att["contentType"].(string), ";")[0]
		types[ct]++
		switch ct {
		case "text/plain", "text/html":
			if !bytes.Contains(data, []byte("Riverside Family Medicine")) {
				t.Errorf("%v: summary without the practice name", d["id"])
			}
		case "application/pdf":
			checkPDF(t, data)
		default:
			t.Errorf("%v: content type %s", d["id"], ct)
		}
	}
	if types["text/plain"] == 0 || types["text/html"] == 0 || types["application/pdf"] != 1 {
		t.Errorf("document types %v: want plain text, HTML and one PDF", types)
	}
}

// checkPDF verifies the PDF header, trailer and that every cross-reference
// offset points at the start of its object.
func checkPDF(t *testing.T, pdf []byte) {
	t.Helper()
	if !bytes.HasPrefix(pdf, []byte("%PDF-1.")) || !bytes.HasSuffix(pdf, []byte("%%EOF\n")) {
		t.Fatal("PDF header or trailer missing")
	}
	i := bytes.LastIndex(pdf, []byte("startxref\n"))
	xref, err := strconv.Atoi(strings.Fields(string(pdf[i+len("startxref\n"):]))[0])
	if err != nil || !bytes.HasPrefix(pdf[xref:], []byte("xref\n")) {
		t.Fatalf("startxref does not point at the xref table")
	}
	lines := strings.Split(string(pdf[xref:]), "\n")
	n, _ := strconv.Atoi(strings.Fields(lines[1])[1])
	for obj := 1; obj < n; obj++ {
		off, _ := strconv.Atoi(strings.Fields(lines[2+obj])[0])
		if want := fmt.Sprintf("%d 0 obj", obj); !bytes.HasPrefix(pdf[off:], []byte(want)) {
			t.Errorf("xref entry %d points at %q", obj, pdf[off:off+10])
		}
	}
}

func TestMessagingThreads(t *testing.T) {
	g := generate(t, Options{Seed: 1, Now: testNow})
	messages := 0
	for _, c := range g.ofType("Communication") {
		partOf, ok := c["partOf"].([]any)
		if !ok {
			continue // a thread header
		}
		messages++
		thread := g.resources[partOf[0].(map[string]any)["reference"].(string)]
		if thread["subject"].(map[string]any)["reference"] != c["subject"].(map[string]any)["reference"] {
			t.Errorf("%v is in a thread of another patient", c["id"])
		}
		if c["payload"] == nil || c["sent"] == nil || c["received"] == nil || c["sender"] == nil {
			t.Errorf("%v lacks payload, sent, received or sender", c["id"])
		}
	}
	if messages < 8 {
		t.Errorf("%d messages", messages)
	}
}

func TestScale(t *testing.T) {
	tests := []struct{ scale, min int }{{2, 2000}, {5, 5000}}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.scale), func(t *testing.T) {
			g := generate(t, Options{Seed: 1, Now: testNow, Scale: tt.scale})
			n := 0
			for _, key := range g.order {
				r := g.resources[key]
				if key == "Patient/"+ScalePatientID || strings.HasPrefix(r["id"].(string), "scale-") {
					n++
				}
			}
			if n < tt.min || n > tt.min+100 {
				t.Errorf("scale patient has %d resources, want about %d", n, tt.min)
			}
		})
	}
}

func BenchmarkGenerateScale20(b *testing.B) {
	for b.Loop() {
		if _, _, err := Generate(Options{Seed: 1, Now: testNow, Scale: 20}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestStatementsHaveBalances: each demo patient has an active Account and
// statements whose amounts add up: the two older paid (balanced), the
// newest due (issued), its balance the charge less the insurance payment.
func TestStatementsHaveBalances(t *testing.T) {
	g := generate(t, Options{Seed: 1, Now: testNow})
	amount := func(m any) float64 {
		v, _ := m.(map[string]any)["value"].(float64)
		if cur := m.(map[string]any)["currency"]; cur != "USD" {
			t.Errorf("currency %v", cur)
		}
		return v
	}
	for _, id := range []string{MayaID, LeoID, NiaID, JoseID} {
		accounts := g.forPatient("Account", id)
		if len(accounts) != 1 || accounts[0]["status"] != "active" {
			t.Fatalf("%s: accounts %v", id, accounts)
		}
		statuses := map[string]int{}
		for _, inv := range g.forPatient("Invoice", id) {
			if inv["account"].(map[string]any)["reference"] != "Account/"+accounts[0]["id"].(string) {
				t.Errorf("%s: invoice %v on account %v", id, inv["id"], inv["account"])
			}
			status := inv["status"].(string)
			statuses[status]++
			gross, net := amount(inv["totalGross"]), amount(inv["totalNet"])
			var base, deduction float64
			for _, pc := range inv["lineItem"].([]any)[0].(map[string]any)["priceComponent"].([]any) {
				pcm := pc.(map[string]any)
				switch pcm["type"] {
				case "base":
					base += amount(pcm["amount"])
				case "deduction":
					deduction += amount(pcm["amount"])
				}
			}
			if gross <= 0 || net <= 0 || base != gross || fmt.Sprintf("%.2f", gross-deduction) != fmt.Sprintf("%.2f", net) {
				t.Errorf("%s: invoice %v: gross %v, deduction %v, net %v", id, inv["id"], gross, deduction, net)
			}
			note := inv["note"].([]any)[0].(map[string]any)["text"].(string)
			if status == "issued" && !strings.Contains(note, fmt.Sprintf("Balance due: $%.2f", net)) {
				t.Errorf("%s: the due invoice says %q", id, note)
			}
		}
		if statuses["issued"] != 1 || statuses["balanced"] != 2 {
			t.Errorf("%s: invoice statuses %v, want one issued and two balanced", id, statuses)
		}
	}
}

// TestVitalsOverYears: Maya's vital signs span her five years of history,
// several kinds measured at every visit.
func TestVitalsOverYears(t *testing.T) {
	g := generate(t, Options{Seed: 1, Now: testNow})
	years := map[int]bool{}
	kinds := map[string]int{}
	for _, o := range g.forPatient("Observation", MayaID) {
		if !strings.Contains(fmt.Sprint(o["category"]), "vital-signs") {
			continue
		}
		at, err := time.Parse(time.RFC3339, o["effectiveDateTime"].(string))
		if err != nil {
			t.Fatalf("%v: %v", o["id"], err)
		}
		if at.After(testNow) {
			t.Errorf("%v is in the future: %v", o["id"], at)
		}
		years[at.Year()] = true
		kinds[o["code"].(map[string]any)["coding"].([]any)[0].(map[string]any)["code"].(string)]++
	}
	if len(years) < 5 {
		t.Errorf("vital signs in %d years, want at least 5", len(years))
	}
	measured := 0
	for _, n := range kinds {
		if n >= 5 {
			measured++
		}
	}
	if measured < 4 {
		t.Errorf("vital signs %v: want at least four kinds measured five times or more", kinds)
	}
}
