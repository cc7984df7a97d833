package rules

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/practice/access"
)

var now = time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC)

// fakeTx is an in-memory Tx.
type fakeTx struct {
	res    map[string][]byte
	writes []string
}

func (f *fakeTx) Read(_ context.Context, typ, id string) ([]byte, error) {
	b, ok := f.res[typ+"/"+id]
	if !ok {
		return nil, fmt.Errorf("read %s: %w", typ, ErrNotFound)
	}
	return b, nil
}

func (f *fakeTx) Put(_ context.Context, typ, id string, body []byte) error {
	f.res[typ+"/"+id] = body
	f.writes = append(f.writes, typ+"/"+id)
	return nil
}

func (f *fakeTx) status(t *testing.T, key string) string {
	t.Helper()
	m, err := decode(f.res[key])
	if err != nil {
		t.Fatal(err)
	}
	return str(m, "status")
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

type obj = map[string]any

func at(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }

func slotJSON(id, status string, start time.Duration) []byte {
	return mustJSON(obj{"resourceType": "Slot", "id": id, "status": status, "schedule": obj{"reference": "Schedule/s1"},
		"start": at(start), "end": at(start + 20*time.Minute)})
}

// world is the store content every test starts from.
func world() *fakeTx {
	f := &fakeTx{res: map[string][]byte{}}
	add := func(key string, body []byte) { f.res[key] = body }
	add("Organization/riverside", mustJSON(obj{"resourceType": "Organization", "id": "riverside"}))
	add("Practitioner/dr-park", mustJSON(obj{"resourceType": "Practitioner", "id": "dr-park"}))
	add("Patient/p1", mustJSON(obj{"resourceType": "Patient", "id": "p1"}))
	add("Slot/free", slotJSON("free", "free", 72*time.Hour))
	add("Slot/free2", slotJSON("free2", "free", 96*time.Hour))
	add("Slot/busy", slotJSON("busy", "busy", 72*time.Hour))
	add("Slot/past", slotJSON("past", "free", -2*time.Hour))
	add("Slot/booked-soon", slotJSON("booked-soon", "busy", 10*time.Hour))
	add("Slot/booked-later", slotJSON("booked-later", "busy", 50*time.Hour))
	add("Communication/thread1", mustJSON(obj{"resourceType": "Communication", "id": "thread1", "status": "completed",
		"subject": obj{"reference": "Patient/p1"}, "topic": obj{"text": "Question"}}))
	add("Communication/thread2", mustJSON(obj{"resourceType": "Communication", "id": "thread2", "status": "completed",
		"subject": obj{"reference": "Patient/p2"}}))
	add("MedicationRequest/m1", mustJSON(obj{"resourceType": "MedicationRequest", "id": "m1", "status": "active",
		"subject": obj{"reference": "Patient/p1"}}))
	add("MedicationRequest/m2", mustJSON(obj{"resourceType": "MedicationRequest", "id": "m2", "status": "active",
		"subject": obj{"reference": "Patient/p2"}}))
	return f
}

var patientGrant = access.Grant{PatientID: "p1", FHIRUser: "Patient/p1"}
var proxyGrant = access.Grant{PatientID: "p1", FHIRUser: "RelatedPerson/rp1"}

func appointment(slot string, start time.Duration, status string, patient string) obj {
	return obj{"resourceType": "Appointment", "status": status,
		"slot":  []any{obj{"reference": "Slot/" + slot}},
		"start": at(start), "end": at(start + 20*time.Minute),
		"participant": []any{
			obj{"actor": obj{"reference": "Patient/" + patient}, "status": "accepted"},
			obj{"actor": obj{"reference": "Practitioner/dr-park"}, "status": "accepted"},
		}}
}

func with(m obj, kv ...any) obj {
	out := maps.Clone(m)
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// wantStatus checks err: 0 means allowed, otherwise a *Refusal with that status.
func wantStatus(t *testing.T, err error, status int) {
	t.Helper()
	var r *Refusal
	switch {
	case status == 0 && err != nil:
		t.Fatalf("refused: %v", err)
	case status != 0 && !errors.As(err, &r):
		t.Fatalf("err = %v, want a refusal %d", err, status)
	case status != 0 && r.Status != status:
		t.Fatalf("refused with %d (%s), want %d", r.Status, r.Message, status)
	}
}

func TestAppointmentCreate(t *testing.T) {
	tests := []struct {
		name     string
		appt     obj
		grant    access.Grant
		status   int
		slotBusy string // slot that must be busy afterwards
	}{
		{"books a free slot", appointment("free", 72*time.Hour, "booked", "p1"), patientGrant, 0, "Slot/free"},
		{"proxy books", appointment("free", 72*time.Hour, "proposed", "p1"), proxyGrant, 0, "Slot/free"},
		{"slot taken", appointment("busy", 72*time.Hour, "booked", "p1"), patientGrant, http.StatusConflict, ""},
		{"slot in the past", appointment("past", -2*time.Hour, "booked", "p1"), patientGrant, 422, ""},
		{"unknown slot", appointment("nope", 72*time.Hour, "booked", "p1"), patientGrant, 422, ""},
		{"no slot", with(appointment("free", 72*time.Hour, "booked", "p1"), "slot", nil), patientGrant, 422, ""},
		{"two slots", with(appointment("free", 72*time.Hour, "booked", "p1"), "slot",
			[]any{obj{"reference": "Slot/free"}, obj{"reference": "Slot/free2"}}), patientGrant, 422, ""},
		{"wrong status", appointment("free", 72*time.Hour, "fulfilled", "p1"), patientGrant, 422, ""},
		{"someone else's", appointment("free", 72*time.Hour, "booked", "p2"), patientGrant, 422, ""},
		{"times differ from slot", appointment("free", 73*time.Hour, "booked", "p1"), patientGrant, 422, ""},
		{"token without patient", appointment("free", 72*time.Hour, "booked", "p1"), access.Grant{}, 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx := world()
			err := Policy{Now: func() time.Time { return now }}.Check(context.Background(), tx,
				Request{Method: "POST", Type: "Appointment", New: mustJSON(tt.appt), Grant: tt.grant})
			wantStatus(t, err, tt.status)
			if tt.slotBusy != "" && tx.status(t, tt.slotBusy) != "busy" {
				t.Errorf("%s is not busy after booking", tt.slotBusy)
			}
			if tt.status != 0 && len(tx.writes) != 0 {
				t.Errorf("a refused write changed %v", tx.writes)
			}
		})
	}
}

func TestSecondBookingOfASlotConflicts(t *testing.T) {
	tx := world()
	p := Policy{Now: func() time.Time { return now }}
	req := Request{Method: "POST", Type: "Appointment", New: mustJSON(appointment("free", 72*time.Hour, "booked", "p1")), Grant: patientGrant}
	wantStatus(t, p.Check(context.Background(), tx, req), 0)
	err := p.Check(context.Background(), tx, req)
	wantStatus(t, err, http.StatusConflict)
	var r *Refusal
	errors.As(err, &r)
	if !strings.Contains(r.Message, "just taken") || r.Code != "conflict" {
		t.Errorf("refusal %+v", r)
	}
}

func TestAppointmentUpdate(t *testing.T) {
	soon := appointment("booked-soon", 10*time.Hour, "booked", "p1")
	later := appointment("booked-later", 50*time.Hour, "booked", "p1")
	tests := []struct {
		name      string
		old, new  obj
		status    int
		wantSlots map[string]string
	}{
		{"cancel two days ahead", later, with(later, "status", "cancelled"), 0,
			map[string]string{"Slot/booked-later": "free"}},
		{"cancel ten hours ahead", soon, with(soon, "status", "cancelled"), 422,
			map[string]string{"Slot/booked-soon": "busy"}},
		{"move two days ahead", later, appointment("free", 72*time.Hour, "booked", "p1"), 0,
			map[string]string{"Slot/booked-later": "free", "Slot/free": "busy"}},
		{"move ten hours ahead", soon, appointment("free", 72*time.Hour, "booked", "p1"), 422,
			map[string]string{"Slot/booked-soon": "busy", "Slot/free": "free"}},
		{"move to a taken slot", later, appointment("busy", 72*time.Hour, "booked", "p1"), http.StatusConflict,
			map[string]string{"Slot/booked-later": "busy"}},
		{"cancel and move at once", later, with(appointment("free", 72*time.Hour, "booked", "p1"), "status", "cancelled"), 422, nil},
		{"mark fulfilled", later, with(later, "status", "fulfilled"), 422, nil},
		{"change a cancelled one", with(later, "status", "cancelled"), with(later, "status", "booked"), 422, nil},
		{"add a comment", later, with(later, "comment", "I may be 5 minutes late"), 0, nil},
		{"drop the patient", later, appointment("booked-later", 50*time.Hour, "booked", "p2"), 422, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx := world()
			err := Policy{Now: func() time.Time { return now }}.Check(context.Background(), tx,
				Request{Method: "PUT", Type: "Appointment", ID: "a1", Old: mustJSON(tt.old), New: mustJSON(tt.new), Grant: patientGrant})
			wantStatus(t, err, tt.status)
			for slot, want := range tt.wantSlots {
				if got := tx.status(t, slot); got != want {
					t.Errorf("%s is %s, want %s", slot, got, want)
				}
			}
		})
	}
}

func TestCancelTooLateMessage(t *testing.T) {
	soon := appointment("booked-soon", 10*time.Hour, "booked", "p1")
	err := Policy{Now: func() time.Time { return now }}.Check(context.Background(), world(),
		Request{Method: "PUT", Type: "Appointment", ID: "a1", Old: mustJSON(soon), New: mustJSON(with(soon, "status", "cancelled")), Grant: patientGrant})
	var r *Refusal
	if !errors.As(err, &r) || !strings.Contains(r.Message, "less than 24 hours") || !strings.Contains(r.Message, "call the office") {
		t.Fatalf("err = %v", err)
	}
}

func message(sender string, extra ...any) obj {
	m := obj{"resourceType": "Communication", "status": "completed",
		"subject":   obj{"reference": "Patient/p1"},
		"sender":    obj{"reference": sender},
		"recipient": []any{obj{"reference": "Practitioner/dr-park"}},
		"partOf":    []any{obj{"reference": "Communication/thread1"}},
		"payload":   []any{obj{"contentString": "Hello, a question about my medicine."}},
	}
	return with(m, extra...)
}

func TestCommunicationCreate(t *testing.T) {
	tests := []struct {
		name   string
		msg    obj
		grant  access.Grant
		status int
	}{
		{"patient writes in a thread", message("Patient/p1"), patientGrant, 0},
		{"proxy writes", message("RelatedPerson/rp1"), proxyGrant, 0},
		{"proxy writes as the patient", message("Patient/p1"), proxyGrant, 0},
		{"new thread header", message("Patient/p1", "partOf", nil, "payload", nil, "topic", obj{"text": "Refill question"}), patientGrant, 0},
		{"reply to a message", message("Patient/p1", "inResponseTo", []any{obj{"reference": "Communication/thread1"}}), patientGrant, 0},
		{"to the practice", message("Patient/p1", "recipient", []any{obj{"reference": "Organization/riverside"}}), patientGrant, 0},
		{"with attachment", message("Patient/p1", "payload", []any{obj{"contentAttachment": obj{"contentType": "image/png", "data": "iVBORw0KGgo="}}}), patientGrant, 0},
		{"header without topic", message("Patient/p1", "partOf", nil, "payload", nil), patientGrant, 422},
		{"empty payload", message("Patient/p1", "payload", []any{obj{"contentString": "   "}}), patientGrant, 422},
		{"no payload in thread", message("Patient/p1", "payload", nil), patientGrant, 422},
		{"too long", message("Patient/p1", "payload", []any{obj{"contentString": strings.Repeat("a", MaxMessageText+1)}}), patientGrant, 422},
		{"bad attachment", message("Patient/p1", "payload", []any{obj{"contentAttachment": obj{"data": "%%%"}}}), patientGrant, 422},
		{"sender is someone else", message("Patient/p2"), patientGrant, 422},
		{"proxy sends as another proxy", message("RelatedPerson/rp9"), proxyGrant, 422},
		{"subject is someone else", message("Patient/p1", "subject", obj{"reference": "Patient/p2"}), patientGrant, 422},
		{"thread of someone else", message("Patient/p1", "partOf", []any{obj{"reference": "Communication/thread2"}}), patientGrant, 422},
		{"unknown thread", message("Patient/p1", "partOf", []any{obj{"reference": "Communication/nope"}}), patientGrant, 422},
		{"recipient is a patient", message("Patient/p1", "recipient", []any{obj{"reference": "Patient/p2"}}), patientGrant, 422},
		{"unknown practitioner", message("Patient/p1", "recipient", []any{obj{"reference": "Practitioner/nobody"}}), patientGrant, 422},
		{"no recipient", message("Patient/p1", "recipient", nil), patientGrant, 422},
		{"sets received", message("Patient/p1", "received", at(0)), patientGrant, 422},
		{"draft status", message("Patient/p1", "status", "preparation"), patientGrant, 422},
		{"points at another's record", message("Patient/p1", "payload", []any{obj{"contentReference": obj{"reference": "MedicationRequest/m2"}}}), patientGrant, 422},
		{"about own record", message("Patient/p1", "about", []any{obj{"reference": "MedicationRequest/m1"}}), patientGrant, 0},
		{"about another's record", message("Patient/p1", "about", []any{obj{"reference": "MedicationRequest/m2"}}), patientGrant, 422},
		{"file type not accepted", message("Patient/p1", "payload", []any{obj{"contentAttachment": obj{"contentType": "application/x-msdownload", "data": "TVo="}}}), patientGrant, 422},
		{"too many parts", message("Patient/p1", "payload", func() []any {
			var ps []any
			for range MaxPayloads + 1 {
				ps = append(ps, obj{"contentString": "part"})
			}
			return ps
		}()), patientGrant, 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Policy{Now: func() time.Time { return now }}.Check(context.Background(), world(),
				Request{Method: "POST", Type: "Communication", New: mustJSON(tt.msg), Grant: tt.grant})
			wantStatus(t, err, tt.status)
		})
	}
}

// TestMessagePolicyLimits checks that the limits in force are those of
// Policy.Messages, and that a refusal says the limit in the patient's words.
func TestMessagePolicyLimits(t *testing.T) {
	small := DefaultMessagePolicy()
	small.MaxAttachmentBytes = 1 << 10
	small.MaxText = 20
	policy := Policy{Now: func() time.Time { return now }, Messages: func() MessagePolicy { return small }}
	file := func(n int) obj {
		return obj{"contentAttachment": obj{"contentType": "application/pdf", "data": base64.StdEncoding.EncodeToString(make([]byte, n))}}
	}
	tests := []struct {
		name    string
		payload []any
		want    string // "" accepted
	}{
		{"small file", []any{file(1000)}, ""},
		{"file over the limit", []any{file(2000)}, "An attachment can be at most 1 KB."},
		{"short text", []any{obj{"contentString": "Thank you"}}, ""},
		{"text over the limit", []any{obj{"contentString": strings.Repeat("a", 21)}}, "A message can be at most 20 characters long."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := policy.Check(context.Background(), world(),
				Request{Method: "POST", Type: "Communication", New: mustJSON(message("Patient/p1", "payload", tt.payload)), Grant: patientGrant})
			var r *Refusal
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (!errors.As(err, &r) || r.Message != tt.want):
				t.Fatalf("got %v, want the refusal %q", err, tt.want)
			}
		})
	}
}

func task(kind string, extra ...any) obj {
	m := obj{"resourceType": "Task", "status": "requested", "intent": "order",
		"code":      obj{"coding": []any{obj{"system": RequestTypeSystem, "code": kind}}},
		"for":       obj{"reference": "Patient/p1"},
		"requester": obj{"reference": "Patient/p1"},
	}
	if kind == RequestRefill {
		m["focus"] = obj{"reference": "MedicationRequest/m1"}
	}
	return with(m, extra...)
}

func TestTaskCreate(t *testing.T) {
	tests := []struct {
		name   string
		task   obj
		grant  access.Grant
		status int
	}{
		{"refill", task(RequestRefill), patientGrant, 0},
		{"refill by proxy", task(RequestRefill, "requester", obj{"reference": "RelatedPerson/rp1"}), proxyGrant, 0},
		{"lab report copy", task(RequestLabReportCopy), patientGrant, 0},
		{"referral", task(RequestReferral, "description", "Dermatology, please"), patientGrant, 0},
		{"record correction", task(RequestRecordCorrection, "note", []any{obj{"text": "My allergy list misses latex."}}), patientGrant, 0},
		{"record correction without text", task(RequestRecordCorrection), patientGrant, 422},
		{"unknown request type", task("pizza"), patientGrant, 422},
		{"other code system", with(task(RequestRefill), "code", obj{"coding": []any{obj{"system": "http://x", "code": "refill"}}}), patientGrant, 422},
		{"refill without focus", task(RequestRefill, "focus", nil), patientGrant, 422},
		{"refill of another's prescription", task(RequestRefill, "focus", obj{"reference": "MedicationRequest/m2"}), patientGrant, 422},
		{"refill of a missing prescription", task(RequestRefill, "focus", obj{"reference": "MedicationRequest/zz"}), patientGrant, 422},
		{"refill focus not a prescription", task(RequestRefill, "focus", obj{"reference": "Communication/thread1"}), patientGrant, 422},
		{"status accepted", task(RequestRefill, "status", "accepted"), patientGrant, 422},
		{"for someone else", task(RequestRefill, "for", obj{"reference": "Patient/p2"}), patientGrant, 422},
		{"requester someone else", task(RequestRefill, "requester", obj{"reference": "Practitioner/dr-park"}), patientGrant, 422},
		{"sets output", task(RequestLabReportCopy, "output", []any{obj{}}), patientGrant, 422},
		{"refill to a pharmacy", task(RequestRefill, "input", pharmacyInput("Organization/riverside")), patientGrant, 0},
		{"refill to an unknown pharmacy", task(RequestRefill, "input", pharmacyInput("Organization/nowhere")), patientGrant, 422},
		{"refill to a pharmacy that is not an Organization", task(RequestRefill, "input", pharmacyInput("Practitioner/dr-park")), patientGrant, 422},
		{"pharmacy on a referral", task(RequestReferral, "description", "x", "input", pharmacyInput("Organization/riverside")), patientGrant, 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Policy{Now: func() time.Time { return now }}.Check(context.Background(), world(),
				Request{Method: "POST", Type: "Task", New: mustJSON(tt.task), Grant: tt.grant})
			wantStatus(t, err, tt.status)
		})
	}
}

func pharmacyInput(ref string) []any {
	return []any{obj{
		"type":           obj{"coding": []any{obj{"system": RequestInputSystem, "code": InputPharmacy}}, "text": "Pharmacy"},
		"valueReference": obj{"reference": ref},
	}}
}

func TestTaskUpdate(t *testing.T) {
	requested := with(task(RequestRefill), "id", "t1")
	tests := []struct {
		name     string
		old, new obj
		status   int
	}{
		{"cancel a waiting request", requested, with(requested, "status", "cancelled"), 0},
		{"cancel one in progress", with(requested, "status", "in-progress"), with(requested, "status", "cancelled"), 422},
		{"complete it", requested, with(requested, "status", "completed"), 422},
		{"cancel and change focus", requested, with(requested, "status", "cancelled", "focus", obj{"reference": "MedicationRequest/m2"}), 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Policy{}.Check(context.Background(), world(),
				Request{Method: "PUT", Type: "Task", ID: "t1", Old: mustJSON(tt.old), New: mustJSON(tt.new), Grant: patientGrant})
			wantStatus(t, err, tt.status)
		})
	}
}

func TestPatientUpdate(t *testing.T) {
	old := obj{"resourceType": "Patient", "id": "p1", "meta": obj{"versionId": "3"},
		"name":      []any{obj{"family": "Rivera", "given": []any{"Maya"}}},
		"birthDate": "1984-07-11", "gender": "female",
		"identifier":           []any{obj{"system": "urn:mrn", "value": "123"}},
		"telecom":              []any{obj{"system": "phone", "value": "555-0100"}},
		"generalPractitioner":  []any{obj{"reference": "Practitioner/dr-park"}},
		"multipleBirthInteger": json.Number("1"),
	}
	tests := []struct {
		name   string
		id     string
		new    obj
		status int
	}{
		{"new phone", "p1", with(old, "telecom", []any{obj{"system": "phone", "value": "555-0199"}}), 0},
		{"new address and language", "p1", with(old, "address", []any{obj{"city": "Riverside"}},
			"communication", []any{obj{"language": obj{"text": "Spanish"}}}), 0},
		{"emergency contact", "p1", with(old, "contact", []any{obj{"name": obj{"text": "Sam"}}}), 0},
		{"meta and narrative differ", "p1", with(old, "meta", obj{"versionId": "4"}, "text", obj{"status": "generated"}), 0},
		{"same number written differently", "p1", with(old, "multipleBirthInteger", 1.0), 0},
		{"preferred pharmacy", "p1", with(old, "extension", []any{obj{"url": PreferredPharmacyURL,
			"extension": []any{obj{"url": "pharmacy", "valueReference": obj{"reference": "Organization/riverside"}}}}}), 0},
		{"unknown pharmacy", "p1", with(old, "extension", []any{obj{"url": PreferredPharmacyURL,
			"extension": []any{obj{"url": "pharmacy", "valueReference": obj{"reference": "Organization/nowhere"}}}}}), 422},
		{"another extension", "p1", with(old, "extension", []any{obj{"url": "http://example.org/vip", "valueBoolean": true}}), 422},
		{"rename", "p1", with(old, "name", []any{obj{"family": "Smith"}}), 422},
		{"new birth date", "p1", with(old, "birthDate", "1990-01-01"), 422},
		{"gender", "p1", with(old, "gender", "male"), 422},
		{"identifier", "p1", with(old, "identifier", nil), 422},
		{"change doctor", "p1", with(old, "generalPractitioner", nil), 422},
		{"another patient", "p2", with(old, "id", "p2"), 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Policy{}.Check(context.Background(), world(),
				Request{Method: "PUT", Type: "Patient", ID: tt.id, Old: mustJSON(with(old, "id", tt.id)), New: mustJSON(tt.new), Grant: patientGrant})
			wantStatus(t, err, tt.status)
		})
	}
	err := Policy{}.Check(context.Background(), world(),
		Request{Method: "PUT", Type: "Patient", ID: "p1", Old: mustJSON(old), New: mustJSON(with(old, "birthDate", "1990-01-01")), Grant: patientGrant})
	var r *Refusal
	if !errors.As(err, &r) || !strings.Contains(r.Message, "please ask the front desk") {
		t.Fatalf("err = %v", err)
	}
}

func TestOtherWritesAreRefused(t *testing.T) {
	tests := []struct {
		name   string
		req    Request
		status int
	}{
		{"delete", Request{Method: "DELETE", Type: "Appointment", ID: "a1", Grant: patientGrant}, 403},
		{"observation", Request{Method: "POST", Type: "Observation", New: mustJSON(obj{"resourceType": "Observation"}), Grant: patientGrant}, 403},
		{"slot", Request{Method: "PUT", Type: "Slot", ID: "free", Old: slotJSON("free", "free", time.Hour), New: slotJSON("free", "busy", time.Hour), Grant: patientGrant}, 403},
		{"edit a message", Request{Method: "PUT", Type: "Communication", ID: "thread1", Old: mustJSON(obj{"resourceType": "Communication"}), New: mustJSON(obj{"resourceType": "Communication"}), Grant: patientGrant}, 422},
		{"create a patient", Request{Method: "POST", Type: "Patient", New: mustJSON(obj{"resourceType": "Patient"}), Grant: patientGrant}, 403},
		{"not JSON", Request{Method: "POST", Type: "Task", New: []byte("{"), Grant: patientGrant}, 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantStatus(t, Policy{}.Check(context.Background(), world(), tt.req), tt.status)
		})
	}
}

// FuzzCheck feeds arbitrary bodies to every rule: they must answer with a
// refusal or nil, never panic.
func FuzzCheck(f *testing.F) {
	f.Add("Appointment", []byte(`{"resourceType":"Appointment","status":"booked","slot":[{"reference":"Slot/free"}]}`))
	f.Add("Communication", mustJSON(message("Patient/p1")))
	f.Add("Task", mustJSON(task(RequestRefill)))
	f.Add("Patient", []byte(`{"resourceType":"Patient","id":"p1","name":[1,2]}`))
	f.Add("Communication", []byte(`{"payload":[null,{"contentAttachment":"x"}],"partOf":"x","recipient":[{"reference":7}]}`))
	f.Fuzz(func(t *testing.T, typ string, body []byte) {
		for _, old := range [][]byte{nil, body} {
			err := Policy{Now: func() time.Time { return now }}.Check(context.Background(), world(),
				Request{Method: "PUT", Type: typ, ID: "p1", Old: old, New: body, Grant: patientGrant})
			var r *Refusal
			if err != nil && !errors.As(err, &r) && old == nil {
				t.Fatalf("unexpected error kind: %v", err)
			}
		}
	})
}
