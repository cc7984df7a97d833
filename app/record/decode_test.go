package record

import (
	"encoding/base64"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDecodePatient(t *testing.T) {
	p := DecodePatient(res("Patient", "p1", `{"resourceType":"Patient","id":"p1",
		"identifier":[{"system":"urn:ssn","value":"999-1"},{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR","display":"Medical Record Number"}]},"system":"urn:mrn","value":"MRN-42"}],
		"name":[{"use":"maiden","family":"Keebler","given":["Zoë"]},{"use":"official","family":"Müller-Lüdenscheidt","given":["Zoë","Anaïs"],"prefix":["Mrs."]}],
		"telecom":[{"system":"phone","value":"555-0100","use":"home"},{"system":"email","value":""}],
		"gender":"Female","birthDate":"1970-03",
		"address":[{"use":"home","line":["1 Rue de l'Église"],"city":"Québec","state":"QC","postalCode":"G1R","country":"CA"}],
		"communication":[{"language":{"text":"English"}},{"language":{"coding":[{"code":"fr","display":"French"}]},"preferred":true}],
		"deceasedBoolean":false}`))
	if p.Name != "Zoë Anaïs Müller-Lüdenscheidt" {
		t.Errorf("Name = %q", p.Name)
	}
	if p.BirthDate.Precision != PrecisionMonth || p.BirthDate.String() != "Mar 1970" {
		t.Errorf("BirthDate = %q (%d)", p.BirthDate, p.BirthDate.Precision)
	}
	if p.Gender != "female" || p.MRN != "MRN-42" || p.Language != "French" || p.Deceased {
		t.Errorf("gender %q mrn %q language %q deceased %v", p.Gender, p.MRN, p.Language, p.Deceased)
	}
	if len(p.Telecom) != 1 || p.Telecom[0] != (ContactPoint{System: "phone", Value: "555-0100", Use: "home"}) {
		t.Errorf("Telecom = %+v", p.Telecom)
	}
	if len(p.Addresses) != 1 || p.Addresses[0].String() != "1 Rue de l'Église, Québec QC G1R, CA" {
		t.Errorf("Addresses = %+v", p.Addresses)
	}
	if len(p.Names) != 2 || p.Names[0].Use != "maiden" || p.Names[0].String() != "Zoë Keebler" {
		t.Errorf("Names = %+v", p.Names)
	}
	if p.Incomplete {
		t.Error("Incomplete")
	}

	dead := DecodePatient(res("Patient", "p2", `{"name":[{"text":"J. Doe"}],"deceasedDateTime":"2001-02-03T04:05:06Z","birthDate":1950}`))
	if dead.Name != "J. Doe" || !dead.Deceased || dead.DeceasedAt.String() != "3 Feb 2001, 04:05" || !dead.Incomplete || !dead.BirthDate.IsZero() {
		t.Errorf("deceased patient = %+v", dead)
	}
}

func TestDecodeMedicationRequest(t *testing.T) {
	tests := []struct {
		name       string
		json       string
		want       string
		status     string
		refills    int
		hasRefills bool
		dosage     []string
		prescriber string
		incomplete bool
	}{
		{
			name: "codeable concept",
			json: `{"status":"Active","medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"849574","display":"Naproxen sodium 220 MG Oral Tablet"}]},
				"authoredOn":"2019-07-26","requester":{"reference":"Practitioner/9","display":"Dr. Aubrey Corkery"},
				"dosageInstruction":[{"text":"1 tablet twice a day"}],"dispenseRequest":{"numberOfRepeatsAllowed":3}}`,
			want: "Naproxen (Aleve) 220 mg tablet", status: "active", refills: 3, hasRefills: true,
			dosage: []string{"1 tablet twice a day"}, prescriber: "Dr. Aubrey Corkery",
		},
		{
			name: "contained medication",
			json: `{"status":"stopped","contained":[{"resourceType":"Medication","id":"med1","code":{"text":"Amoxicillin 500 mg capsule"}},
				{"resourceType":"Practitioner","id":"pr","name":[{"family":"House","given":["Gregory"],"prefix":["Dr."]}]}],
				"medicationReference":{"reference":"#med1"},"requester":{"reference":"#pr"},
				"dosageInstruction":[{"patientInstruction":"Take with food"}],"dispenseRequest":{"numberOfRepeatsAllowed":"2"}}`,
			want: "Amoxicillin 500 mg capsule", status: "stopped", refills: 2, hasRefills: true,
			dosage: []string{"Take with food"}, prescriber: "Dr. Gregory House",
		},
		{
			name: "reference display",
			json: `{"status":"completed","medicationReference":{"reference":"Medication/5","display":"Metformin 500 mg"}}`,
			want: "Metformin 500 mg", status: "completed",
		},
		{
			name: "bad refills count",
			json: `{"status":"active","medicationCodeableConcept":{"text":"Lisinopril"},"dispenseRequest":{"numberOfRepeatsAllowed":"many"}}`,
			want: "Lisinopril", status: "active", incomplete: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := DecodeMedicationRequest(res("MedicationRequest", "m", tt.json))
			if m.Medication != tt.want || m.Status != tt.status || m.Refills != tt.refills || m.HasRefills != tt.hasRefills {
				t.Errorf("got %q %q refills %d/%v", m.Medication, m.Status, m.Refills, m.HasRefills)
			}
			if !reflect.DeepEqual(m.Dosage, tt.dosage) {
				t.Errorf("Dosage = %q, want %q", m.Dosage, tt.dosage)
			}
			if m.Requester.Display != tt.prescriber {
				t.Errorf("prescriber = %q, want %q", m.Requester.Display, tt.prescriber)
			}
			if m.Incomplete != tt.incomplete {
				t.Errorf("Incomplete = %v", m.Incomplete)
			}
		})
	}
}

func TestLoadResolvesReferencedMedication(t *testing.T) {
	c := Load([]Resource{
		res("Medication", "5", `{"resourceType":"Medication","id":"5","code":{"coding":[{"display":"Atorvastatin 20 mg"}]}}`),
		res("MedicationRequest", "a", `{"status":"active","medicationReference":{"reference":"Medication/5"}}`),
		res("MedicationRequest", "b", `{"status":"active","medicationReference":{"reference":"urn:uuid:5"}}`),
		res("MedicationRequest", "c", `{"status":"active","medicationReference":{"reference":"Medication/404"}}`),
	})
	got := []string{c.Medications[0].Medication, c.Medications[1].Medication, c.Medications[2].Medication}
	if !reflect.DeepEqual(got, []string{"Atorvastatin 20 mg", "Atorvastatin 20 mg", ""}) {
		t.Errorf("medications = %q", got)
	}
	if len(c.Others) != 1 || c.Others[0].Title != "Atorvastatin 20 mg" {
		t.Errorf("Others = %+v", c.Others)
	}
}

func TestDecodeClinical(t *testing.T) {
	al := DecodeAllergyIntolerance(res("AllergyIntolerance", "a", `{"clinicalStatus":{"coding":[{"code":"Active"}]},"type":"allergy","category":["Food"],"criticality":"HIGH",
		"code":{"text":"Peanut"},"recordedDate":"2010","reaction":[{"manifestation":[{"text":"Hives"},{"coding":[{"display":"Anaphylaxis"}]}],"severity":"severe"}]}`))
	if al.Substance != "Peanut" || al.Criticality != "high" || al.ClinicalStatus != "active" || al.Categories[0] != "food" ||
		len(al.Reactions) != 1 || al.Reactions[0].Severity != "severe" || !reflect.DeepEqual(al.Reactions[0].Manifestations, []string{"Hives", "Anaphylaxis"}) ||
		al.Recorded.String() != "2010" {
		t.Errorf("allergy = %+v", al)
	}

	cond := DecodeCondition(res("Condition", "c", `{"clinicalStatus":{"coding":[{"code":"resolved"}]},"code":{"coding":[{"display":"Acute bronchitis (disorder)"}]},
		"onsetString":"in childhood","abatementDateTime":"2012-05-06"}`))
	if cond.Name != "Acute bronchitis" || cond.OnsetText != "in childhood" || cond.Abatement.String() != "6 May 2012" || cond.Active() {
		t.Errorf("condition = %+v", cond)
	}
	if c := DecodeCondition(res("Condition", "c2", `{"code":{"text":"Asthma"},"onsetAge":{"value":5,"unit":"years"}}`)); !c.Active() || c.OnsetText != "age 5 years" {
		t.Errorf("condition without status = %+v", c)
	}

	im := DecodeImmunization(res("Immunization", "i", `{"status":"completed","vaccineCode":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"140","display":"Influenza, seasonal"}]},
		"occurrenceDateTime":"2018-10","lotNumber":"AB12","performer":[{"actor":{"display":"Nurse Joy"}}]}`))
	if im.Vaccine != "Flu shot" || im.Date.String() != "Oct 2018" || im.Lot != "AB12" || len(im.Performers) != 1 || !IsFluVaccine(im) {
		t.Errorf("immunization = %+v", im)
	}

	pr := DecodeProcedure(res("Procedure", "p", `{"status":"completed","code":{"text":"Appendectomy"},"performedPeriod":{"start":"2015-01-01T10:00:00Z","end":"2015-01-01T11:00:00Z"},
		"reasonReference":[{"display":"Appendicitis"}],"note":[{"text":"No complications"}]}`))
	if pr.Name != "Appendectomy" || pr.Performed.String() != "1 Jan 2015, 10:00" || pr.Ended.String() != "1 Jan 2015, 11:00" ||
		!reflect.DeepEqual(pr.Reasons, []string{"Appendicitis"}) || pr.Notes[0] != "No complications" {
		t.Errorf("procedure = %+v", pr)
	}

	rep := DecodeDiagnosticReport(res("DiagnosticReport", "r", `{"status":"final","category":[{"coding":[{"code":"LAB"}]}],"code":{"text":"Lipid panel"},
		"effectiveDateTime":"2019-02-01","issued":"2019-02-02T08:00:00Z","result":[{"reference":"Observation/1"},{"reference":"urn:uuid:2"}],
		"conclusion":"LDL a bit high; let's talk diet.","presentedForm":[{"contentType":"application/pdf","data":"`+base64.StdEncoding.EncodeToString([]byte("%PDF-1.4 x"))+`"}]}`))
	if rep.Name != "Lipid panel" || rep.Categories[0] != "lab" || len(rep.Results) != 2 || rep.Conclusion != "LDL a bit high; let's talk diet." ||
		len(rep.PresentedForm) != 1 || !rep.PresentedForm[0].IsPDF || rep.Date().String() != "1 Feb 2019" {
		t.Errorf("report = %+v", rep)
	}
}

func TestDecodeVisitsAndPlans(t *testing.T) {
	enc := DecodeEncounter(res("Encounter", "e", `{"status":"Finished","class":{"code":"AMB"},"type":[{"text":"Check-up"}],
		"reasonCode":[{"text":"Cough"}],"period":{"start":"2020-02-02T09:00:00Z","end":"2020-02-02T09:30:00Z"},
		"participant":[{"individual":{"reference":"Practitioner/7"}}],"location":[{"location":{"display":"Main clinic"}}],
		"serviceProvider":{"reference":"Organization/1"}}`))
	if enc.Status != "finished" || enc.Class != "Clinic visit" || enc.Type != "Check-up" || enc.Reasons[0] != "Cough" ||
		len(enc.Participants) != 1 || enc.Locations[0].Display != "Main clinic" || enc.Period.End.IsZero() || enc.Incomplete {
		t.Errorf("encounter = %+v", enc)
	}

	ap := DecodeAppointment(res("Appointment", "a", `{"status":"booked","serviceType":[{"text":"Annual physical"}],"description":"Bring your medications",
		"start":"2030-01-05T14:00:00Z","end":"2030-01-05T14:30:00Z",
		"participant":[{"actor":{"reference":"Patient/p1"}},{"actor":{"reference":"Practitioner/7","display":"Dr. Who"}},{"actor":{"reference":"Location/3","display":"Room 3"}}]}`))
	if ap.Status != "booked" || ap.ServiceTypes[0] != "Annual physical" || len(ap.Practitioners) != 1 || ap.Practitioners[0].Display != "Dr. Who" ||
		len(ap.Locations) != 1 || len(ap.Others) != 1 || ap.Start.String() != "5 Jan 2030, 14:00" {
		t.Errorf("appointment = %+v", ap)
	}

	cp := DecodeCarePlan(res("CarePlan", "cp", `{"status":"active","intent":"plan","category":[{"text":"Diabetes self management plan"}],"period":{"start":"1993-03-16"},
		"activity":[{"detail":{"code":{"text":"Diabetic diet"},"status":"in-progress"}},{"detail":{"description":"Walk 30 minutes","status":"Scheduled"}}]}`))
	if cp.Title != "Diabetes self management plan" || len(cp.Activities) != 2 || cp.Activities[1] != (Activity{Name: "Walk 30 minutes", Status: "scheduled"}) {
		t.Errorf("care plan = %+v", cp)
	}

	g := DecodeGoal(res("Goal", "g", `{"lifecycleStatus":"active","achievementStatus":{"coding":[{"code":"in-progress"}]},"description":{"text":"HbA1c below 7"},
		"target":[{"measure":{"text":"HbA1c"},"detailQuantity":{"value":7,"comparator":"<","unit":"%"},"dueDate":"2020-12-31"}]}`))
	if g.Description != "HbA1c below 7" || g.AchievementStatus != "in-progress" || len(g.Targets) != 1 || g.Targets[0].Detail != "< 7 %" || g.Targets[0].Due.String() != "31 Dec 2020" {
		t.Errorf("goal = %+v", g)
	}

	ct := DecodeCareTeam(res("CareTeam", "ct", `{"status":"active","category":[{"text":"Diabetes team"}],
		"participant":[{"role":[{"text":"Primary care"}],"member":{"reference":"Practitioner/7","display":"Dr. Who"}}]}`))
	if ct.Name != "Diabetes team" || len(ct.Members) != 1 || ct.Members[0].Role != "Primary care" {
		t.Errorf("care team = %+v", ct)
	}
}

func TestDecodeDocumentReference(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name       string
		json       string
		title      string
		text       string
		pdf        bool
		size       int64
		url        string
		incomplete bool
	}{
		{
			name:  "plain text inline",
			json:  `{"status":"current","type":{"text":"Visit summary"},"date":"2021-03-04T10:00:00Z","content":[{"attachment":{"contentType":"text/plain; charset=utf-8","data":"` + b64("Rest, fluids.\nCall if fever > 39°C.") + `"}}]}`,
			title: "Visit summary", text: "Rest, fluids.\nCall if fever > 39°C.", size: int64(len("Rest, fluids.\nCall if fever > 39°C.")),
		},
		{
			name:  "html inline, scripts dropped, entities decoded",
			json:  `{"description":"Discharge letter","content":[{"attachment":{"contentType":"text/html","data":"` + b64(`<html><head><title>x</title><style>p{}</style></head><body><h1>Discharge</h1><p>Take <b>ibuprofen</b>&nbsp;400&nbsp;mg &amp; rest.</p><script>alert(1)</script><p>Bye</p></body></html>`) + `"}}]}`,
			title: "Discharge letter", text: "Discharge\nTake ibuprofen 400 mg & rest.\nBye", size: 183,
		},
		{
			name:  "pdf identified by magic bytes",
			json:  `{"type":{"coding":[{"display":"Lab report"}]},"content":[{"attachment":{"data":"` + b64("%PDF-1.7\n...") + `"}}]}`,
			title: "Lab report", pdf: true, size: 12,
		},
		{
			name:  "url only with declared size",
			json:  `{"content":[{"attachment":{"contentType":"application/pdf","url":"Binary/77","size":1234,"title":"Scan.pdf"}}]}`,
			title: "Scan.pdf", pdf: true, size: 1234, url: "Binary/77",
		},
		{
			name:  "broken base64",
			json:  `{"description":"Note","content":[{"attachment":{"contentType":"text/plain","data":"!!!not base64!!!"}}]}`,
			title: "Note", incomplete: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := DecodeDocumentReference(res("DocumentReference", "d", tt.json))
			if d.Title != tt.title || len(d.Attachments) != 1 {
				t.Fatalf("title %q attachments %d", d.Title, len(d.Attachments))
			}
			a := d.Attachments[0]
			if a.Text != tt.text || a.IsPDF != tt.pdf || a.Size != tt.size || a.URL != tt.url || d.Incomplete != tt.incomplete {
				t.Errorf("attachment = text %q pdf %v size %d url %q incomplete %v", a.Text, a.IsPDF, a.Size, a.URL, d.Incomplete)
			}
		})
	}
}

func TestHTMLText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<p>a</p><p>b</p>", "a\nb"},
		{"H<b>ello</b> world", "Hello world"},
		{"<table><tr><td>Na</td><td>140</td></tr><tr><td>K</td><td>4.1</td></tr></table>", "Na 140\nK 4.1"},
		{"<script>var x = '<p>hi</p>';</script>ok", "ok"},
		{"<p>unclosed <i>tags", "unclosed tags"},
		{"&lt;script&gt; is text", "<script> is text"},
		{"<img src=x onerror=alert(1)>caption", "caption"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := HTMLText(tt.in); got != tt.want {
			t.Errorf("HTMLText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDecodeMessagesAndTasks(t *testing.T) {
	c := DecodeCommunication(res("Communication", "m2", `{"status":"completed","partOf":[{"reference":"Communication/thread1"}],"inResponseTo":[{"reference":"Communication/m1"}],
		"sent":"2024-05-01T10:00:00Z","sender":{"reference":"Practitioner/7","display":"Dr. Who"},"recipient":[{"reference":"Patient/p1"}],
		"about":[{"reference":"DiagnosticReport/r1","display":"Lipid panel"}],"identifier":[{"system":"urn:ietf:rfc:3986","value":"urn:uuid:1"},{"value":" "}],
		"payload":[{"contentString":"Your results look fine."},{"contentString":"See you in June."},{"contentAttachment":{"contentType":"text/plain","data":"`+base64.StdEncoding.EncodeToString([]byte("attached note"))+`","title":"note.txt"}}]}`))
	if c.Thread.Reference != "Communication/thread1" || c.InResponseTo.Reference != "Communication/m1" || c.Sender.Display != "Dr. Who" ||
		c.Text != "Your results look fine.\n\nSee you in June." || len(c.Attachments) != 1 || c.Attachments[0].Text != "attached note" || c.Date().String() != "1 May 2024, 10:00" {
		t.Errorf("communication = %+v", c)
	}
	if len(c.About) != 1 || c.About[0].Reference != "DiagnosticReport/r1" || len(c.Identifiers) != 1 ||
		!c.HasIdentifier("urn:ietf:rfc:3986", "urn:uuid:1") || c.HasIdentifier("", "urn:uuid:1") {
		t.Errorf("communication about %+v, identifiers %+v", c.About, c.Identifiers)
	}

	tk := DecodeTask(res("Task", "t", `{"status":"In-Progress","intent":"order","code":{"text":"Refill"},"focus":{"reference":"MedicationRequest/m"},
		"businessStatus":{"text":"Waiting for doctor"},"authoredOn":"2024-05-01","note":[{"text":"Please hurry"}]}`))
	if tk.Status != "in-progress" || tk.Code != "Refill" || tk.Focus.Reference != "MedicationRequest/m" || tk.BusinessStatus != "Waiting for doctor" || !tk.Open() {
		t.Errorf("task = %+v", tk)
	}
}

func TestDecodeBilling(t *testing.T) {
	acc := DecodeAccount(res("Account", "a", `{"status":"active","name":"Patient account","balance":[{"amount":{"value":"45.5","currency":"usd"}}]}`))
	if acc.Name != "Patient account" || len(acc.Balance) != 1 || acc.Balance[0] != (Money{Value: 45.5, Currency: "USD"}) {
		t.Errorf("account = %+v", acc)
	}
	inv := DecodeInvoice(res("Invoice", "i", `{"status":"issued","date":"2024-04-01","totalGross":{"value":120,"currency":"USD"},"totalNet":{"value":100,"currency":"USD"},
		"lineItem":[{"chargeItemCodeableConcept":{"text":"Office visit"}}]}`))
	if m, ok := inv.Amount(); !ok || m != (Money{Value: 100, Currency: "USD"}) || !inv.Open() || inv.Lines[0] != "Office visit" {
		t.Errorf("invoice = %+v", inv)
	}
	cov := DecodeCoverage(res("Coverage", "c", `{"status":"active","type":{"text":"PPO"},"subscriberId":"XY123","payor":[{"display":"Acme Health"}],
		"class":[{"type":{"text":"Group"},"value":"G-9"}]}`))
	if cov.Type != "PPO" || cov.SubscriberID != "XY123" || cov.Payors[0].Display != "Acme Health" || cov.Classes[0] != "Group: G-9" {
		t.Errorf("coverage = %+v", cov)
	}
	eob := DecodeExplanationOfBenefit(res("ExplanationOfBenefit", "e", `{"status":"active","type":{"coding":[{"code":"institutional"}]},"created":"2019-01-01",
		"total":[{"category":{"text":"Submitted"},"amount":{"value":125,"currency":"USD"}}],"payment":{"amount":{"value":100.5,"currency":"USD"}}}`))
	if eob.Summary() != "Institutional claim, paid US$100.50" || eob.Totals[0].Amount.Value != 125 {
		t.Errorf("eob summary %q totals %+v", eob.Summary(), eob.Totals)
	}
}

func TestDecodeParty(t *testing.T) {
	tests := []struct{ typ, json, name, addr, phone string }{
		{"Practitioner", `{"name":[{"family":"Corkery","given":["Aubrey"],"prefix":["Dr."]}],"address":[{"line":["51 Blossom St"],"city":"Boston","state":"MA"}]}`, "Dr. Aubrey Corkery", "51 Blossom St, Boston MA", ""},
		{"Organization", `{"name":"Shriners' Hospital","telecom":[{"system":"phone","value":"617"}]}`, "Shriners' Hospital", "", "617"},
		{"Location", `{"name":"Room 3","address":{"city":"Springfield"}}`, "Room 3", "Springfield", ""},
		{"Organization", `{"alias":["The Clinic"]}`, "The Clinic", "", ""},
	}
	for _, tt := range tests {
		p := DecodeParty(res(tt.typ, "x", tt.json))
		if p.Name != tt.name || p.Address != tt.addr || p.Phone != tt.phone {
			t.Errorf("%s: %+v", tt.typ, p)
		}
	}
}

func TestRefs(t *testing.T) {
	x := NewRefs([]Resource{
		res("Practitioner", "7", `{"name":[{"family":"Who","given":["John"],"prefix":["Dr."]}]}`),
		res("Organization", "abc-123", `{"name":"Good Health Clinic"}`),
		res("Observation", "o", `not json`),
	})
	tests := []struct {
		ref  Ref
		want string
	}{
		{Ref{Reference: "Practitioner/7"}, "Dr. John Who"},
		{Ref{Reference: "https://ehr.example/fhir/Practitioner/7/_history/3"}, "Dr. John Who"},
		{Ref{Reference: "urn:uuid:abc-123"}, "Good Health Clinic"},
		{Ref{Reference: "Practitioner/7", Display: "Dr. J. Who"}, "Dr. J. Who"},
		{Ref{Reference: "Practitioner/8"}, ""},
		{Ref{Reference: "Organization/7"}, ""},
		{Ref{Reference: "Practitioner?identifier=x|1"}, ""},
		{Ref{}, ""},
	}
	for _, tt := range tests {
		if got := x.Name(tt.ref); got != tt.want {
			t.Errorf("Name(%+v) = %q, want %q", tt.ref, got, tt.want)
		}
	}
	var none *Refs
	if none.Lookup("Practitioner/7") != "" {
		t.Error("nil Refs should know nothing")
	}
}

func mustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in      string
		prec    Precision
		display string
		wantErr bool
	}{
		{"2019", PrecisionYear, "2019", false},
		{"2019-03", PrecisionMonth, "Mar 2019", false},
		{"2019-03-04", PrecisionDay, "4 Mar 2019", false},
		{"2019-03-04T10:30:00Z", PrecisionTime, "4 Mar 2019, 10:30", false},
		{"2019-03-04T10:30:00.123456+02:00", PrecisionTime, "4 Mar 2019, 10:30", false},
		{"2019-03-04T10:30", PrecisionTime, "4 Mar 2019, 10:30", false},
		{"2019-03-04 10:30:00", PrecisionTime, "4 Mar 2019, 10:30", false},
		{" 2019-03-04 ", PrecisionDay, "4 Mar 2019", false},
		{"2019-13", 0, "", true},
		{"04/03/2019", 0, "", true},
		{"", 0, "", true},
		{"yesterday", 0, "", true},
	}
	for _, tt := range tests {
		d, err := ParseDate(tt.in)
		if (err != nil) != tt.wantErr || d.Precision != tt.prec || d.String() != tt.display {
			t.Errorf("ParseDate(%q) = %q (%d), %v", tt.in, d, d.Precision, err)
		}
		if err != nil && strings.Contains(err.Error(), tt.in) && tt.in != "" {
			t.Errorf("ParseDate error %q repeats its input", err)
		}
	}
	tm, _ := ParseDate("2019-03-04T23:30:00-05:00")
	if got := tm.In(time.UTC).String(); got != "5 Mar 2019, 04:30" {
		t.Errorf("In(UTC) = %q", got)
	}
	if got := mustDate("2019-03-04").In(time.FixedZone("x", -12*3600)).String(); got != "4 Mar 2019" {
		t.Errorf("a calendar date moved with the zone: %q", got)
	}
	y, _ := ParseDate("2019")
	m, _ := ParseDate("2019-06-15")
	if !y.Before(m) || y.End().Year() != 2019 || !m.After(y) || !(Date{}).Before(y) {
		t.Error("ordering of partial dates")
	}
}
