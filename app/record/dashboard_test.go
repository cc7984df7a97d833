package record

import (
	"reflect"
	"testing"
	"time"
)

var now = time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC)

func dashboardChart() *Chart {
	return Load([]Resource{
		res("Patient", "p1", `{"name":[{"given":["Ana"],"family":"Silva"}],"birthDate":"1980-01-01"}`),
		// Appointments: one past, two future booked (out of order), one
		// cancelled, one proposed (asked for, coming up unless refused).
		res("Appointment", "past", `{"status":"booked","start":"2025-06-01T09:00:00Z"}`),
		res("Appointment", "later", `{"status":"booked","start":"2025-08-01T09:00:00Z"}`),
		res("Appointment", "soon", `{"status":"Booked","start":"2025-06-16T09:00:00Z"}`),
		res("Appointment", "cancelled", `{"status":"cancelled","start":"2025-07-01T09:00:00Z"}`),
		res("Appointment", "proposed", `{"status":"proposed","start":"2025-07-01T09:00:00Z"}`),
		// Messages.
		res("Communication", "thread", `{"status":"completed","topic":{"text":"Results"}}`),
		res("Communication", "from-doc", `{"status":"completed","partOf":[{"reference":"Communication/thread"}],"sent":"2025-06-10T10:00:00Z","sender":{"reference":"Practitioner/7"},"payload":[{"contentString":"Your results are normal."}]}`),
		res("Communication", "from-doc-read", `{"status":"completed","sent":"2025-06-09T10:00:00Z","sender":{"reference":"Practitioner/7"},"payload":[{"contentString":"Hello"}]}`),
		res("Communication", "from-me", `{"status":"completed","sent":"2025-06-11T10:00:00Z","sender":{"reference":"Patient/p1"},"payload":[{"contentString":"Thanks"}]}`),
		res("Communication", "from-me-uuid", `{"status":"completed","sent":"2025-06-11T11:00:00Z","sender":{"reference":"urn:uuid:p1"},"payload":[{"contentString":"Thanks again"}]}`),
		res("Communication", "from-mum", `{"status":"completed","sent":"2025-06-11T12:00:00Z","sender":{"reference":"RelatedPerson/r1"},"payload":[{"contentString":"Question"}]}`),
		res("Communication", "from-org", `{"status":"completed","sent":"2025-06-12T10:00:00Z","sender":{"reference":"Organization/1"},"payload":[{"contentString":"Office closed Friday"}]}`),
		res("Communication", "error", `{"status":"entered-in-error","sent":"2025-06-12T10:00:00Z","sender":{"reference":"Practitioner/7"},"payload":[{"contentString":"oops"}]}`),
		// Results: an old normal one and a new abnormal one.
		res("Observation", "old", obsJSON("2339-0", "Glucose", "2024-01-01T08:00:00Z", `{"value":90,"unit":"mg/dL"},"referenceRange":[{"high":{"value":99,"unit":"mg/dL"}}]`)),
		res("Observation", "new", obsJSON("2339-0", "Glucose", "2025-06-14T08:00:00Z", `{"value":130,"unit":"mg/dL"},"referenceRange":[{"low":{"value":70,"unit":"mg/dL"},"high":{"value":99,"unit":"mg/dL"}}]`)),
		// Tasks.
		res("Task", "t-open", `{"status":"requested","code":{"text":"Refill"},"authoredOn":"2025-06-01"}`),
		res("Task", "t-busy", `{"status":"in-progress","code":{"text":"Copy of report"},"authoredOn":"2025-06-05"}`),
		res("Task", "t-done", `{"status":"completed","code":{"text":"Refill"}}`),
		res("Task", "t-rejected", `{"status":"rejected","code":{"text":"Refill"}}`),
		res("Task", "t-cancelled", `{"status":"cancelled","code":{"text":"Refill"}}`),
		// Billing.
		res("Invoice", "i1", `{"status":"issued","totalNet":{"value":40,"currency":"USD"}}`),
		res("Invoice", "i2", `{"status":"issued","totalGross":{"value":10.5,"currency":"USD"}}`),
		res("Invoice", "i3", `{"status":"balanced","totalNet":{"value":99,"currency":"USD"}}`),
		res("Invoice", "i4", `{"status":"issued","totalNet":{"value":5,"currency":"EUR"}}`),
		res("Account", "a1", `{"status":"active","balance":[{"amount":{"value":500,"currency":"USD"}}]}`),
		// Medications.
		res("MedicationRequest", "m1", `{"status":"active","medicationCodeableConcept":{"text":"metformin"}}`),
		res("MedicationRequest", "m2", `{"status":"stopped","medicationCodeableConcept":{"text":"Aspirin"}}`),
		res("MedicationRequest", "m3", `{"status":"active","medicationCodeableConcept":{"text":"Atorvastatin"}}`),
		// Flu shots: the last one 14 months ago.
		res("Immunization", "flu1", `{"status":"completed","vaccineCode":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"140"}]},"occurrenceDateTime":"2023-10-01"}`),
		res("Immunization", "flu2", `{"status":"completed","vaccineCode":{"text":"Flu vaccine"},"occurrenceDateTime":"2024-04-01"}`),
		res("Immunization", "tdap", `{"status":"completed","vaccineCode":{"text":"Tdap"},"occurrenceDateTime":"2025-01-01"}`),
	})
}

func keys[T interface{ Key() string }](xs []T) []string {
	var out []string
	for _, x := range xs {
		out = append(out, x.Key())
	}
	return out
}

func TestDashboard(t *testing.T) {
	c := dashboardChart()
	since := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	d := BuildDashboard(c, now, since, map[string]bool{"from-doc-read": true})

	if got, want := keys(d.Upcoming), []string{"Appointment/soon", "Appointment/proposed", "Appointment/later"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Upcoming = %q, want %q", got, want)
	}
	if got, want := keys(d.Unread), []string{"Communication/from-org", "Communication/from-doc"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Unread = %q, want %q", got, want)
	}
	if len(d.NewResults) != 1 || d.NewResults[0].Results[0].ID != "new" {
		t.Errorf("NewResults = %+v", d.NewResults)
	}
	if got, want := keys(d.OpenRequests), []string{"Task/t-busy", "Task/t-open"}; !reflect.DeepEqual(got, want) {
		t.Errorf("OpenRequests = %q, want %q", got, want)
	}
	if want := []Money{{Value: 5, Currency: "EUR"}, {Value: 50.5, Currency: "USD"}}; !reflect.DeepEqual(d.BalanceDue, want) {
		t.Errorf("BalanceDue = %+v, want %+v", d.BalanceDue, want)
	}
	var meds []string
	for _, m := range d.Medications {
		meds = append(meds, m.Medication)
	}
	if want := []string{"Atorvastatin", "metformin"}; !reflect.DeepEqual(meds, want) {
		t.Errorf("Medications = %q, want %q", meds, want)
	}
	var kinds []AttentionKind
	for _, a := range d.Attention {
		kinds = append(kinds, a.Kind)
	}
	if want := []AttentionKind{AttentionAbnormalResult, AttentionFluShotDue, AttentionBalanceDue, AttentionBalanceDue}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("Attention kinds = %v, want %v (%+v)", kinds, want, d.Attention)
	}
	if a := d.Attention[0]; a.Key != "Observation/new" || a.Detail != "130 mg/dL (H), normal 70–99 mg/dL" {
		t.Errorf("abnormal result item = %+v", a)
	}
	if a := d.Attention[1]; a.Key != "Immunization/flu2" || a.Detail != "Last flu shot: 1 Apr 2024" {
		t.Errorf("flu item = %+v", a)
	}
}

func TestBalanceDueFallsBackToAccounts(t *testing.T) {
	accounts := []Account{
		{Status: "active", Balance: []Money{{Value: 20, Currency: "USD"}, {Value: 5, Currency: "USD"}}},
		{Status: "inactive", Balance: []Money{{Value: 100, Currency: "USD"}}},
		{Status: "active", Balance: []Money{{Value: 0, Currency: "EUR"}}},
	}
	if got := BalanceDue(nil, accounts); !reflect.DeepEqual(got, []Money{{Value: 25, Currency: "USD"}}) {
		t.Errorf("BalanceDue = %+v", got)
	}
	if got := BalanceDue([]Invoice{{Status: "balanced", TotalNet: Money{Value: 9}, HasNet: true}}, nil); got != nil {
		t.Errorf("paid invoices owe nothing, got %+v", got)
	}
}

func TestFluReminder(t *testing.T) {
	recent := res("Immunization", "f", `{"status":"completed","vaccineCode":{"text":"Influenza vaccine"},"occurrenceDateTime":"2025-01-10"}`)
	old := res("Immunization", "f", `{"status":"completed","vaccineCode":{"text":"Influenza vaccine"},"occurrenceDateTime":"2020-01-10"}`)
	notDone := res("Immunization", "f", `{"status":"not-done","vaccineCode":{"text":"Influenza vaccine"},"occurrenceDateTime":"2020-01-10"}`)
	deceased := res("Patient", "p", `{"deceasedBoolean":true}`)
	tests := []struct {
		name string
		rs   []Resource
		due  bool
	}{
		{"recent shot", []Resource{recent}, false},
		{"old shot", []Resource{old}, true},
		{"old and recent", []Resource{old, recent}, false},
		{"never recorded", nil, false},
		{"not done is not a shot", []Resource{notDone}, false},
		{"deceased patient", []Resource{deceased, old}, false},
	}
	for _, tt := range tests {
		due := false
		for _, a := range NeedsAttention(Load(tt.rs), now, now) {
			due = due || a.Kind == AttentionFluShotDue
		}
		if due != tt.due {
			t.Errorf("%s: flu due = %v, want %v", tt.name, due, tt.due)
		}
	}
}
