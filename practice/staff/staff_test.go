package staff

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carebook/carebook/practice/rules"
	"github.com/carebook/carebook/practice/store"
	"github.com/carebook/carebook/practice/synth"
)

const delay = time.Hour

// clock is a test clock that only moves when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// demo opens a store holding the generated demo practice and a Worker on it.
func demo(t *testing.T) (*store.Store, *Worker, *clock) {
	t.Helper()
	st, err := store.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now().UTC()
	bundles, _, err := synth.Generate(synth.Options{Seed: 1, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	// The practice without its slots and Maya's chart are enough here.
	for i, b := range bundles {
		if i != 0 && !bytes.Contains(b, []byte(`"url":"Patient/`+synth.MayaID+`"`)) {
			continue
		}
		if i == 0 {
			b = withoutSlots(t, b)
		}
		if _, err := st.LoadBundle(context.Background(), bytes.NewReader(b)); err != nil {
			t.Fatalf("load demo bundle: %v", err)
		}
	}
	c := &clock{t: time.Now().UTC()}
	return st, New(st, Config{Delay: delay, Now: c.Now, Seed: 1}), c
}

type obj = map[string]any

// withoutSlots drops the Slot entries of a bundle, to keep tests quick.
func withoutSlots(t *testing.T, bundle []byte) []byte {
	t.Helper()
	var b obj
	if err := json.Unmarshal(bundle, &b); err != nil {
		t.Fatal(err)
	}
	var kept []any
	for _, e := range b["entry"].([]any) {
		if e.(obj)["resource"].(obj)["resourceType"] != "Slot" {
			kept = append(kept, e)
		}
	}
	b["entry"] = kept
	out, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func create(t *testing.T, st *store.Store, typ string, m obj) string {
	t.Helper()
	m["resourceType"] = typ
	body, _ := json.Marshal(m)
	r, err := st.Create(context.Background(), typ, body)
	if err != nil {
		t.Fatalf("create %s: %v", typ, err)
	}
	return r.ID
}

func read(t *testing.T, st *store.Store, typ, id string) obj {
	t.Helper()
	r, err := st.Read(context.Background(), typ, id)
	if err != nil {
		t.Fatalf("read %s/%s: %v", typ, id, err)
	}
	m, err := decode(r.JSON)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func step(t *testing.T, w *Worker) {
	t.Helper()
	if err := w.Step(context.Background()); err != nil {
		t.Fatalf("Step: %v", err)
	}
}

// search returns the current resources of typ matching params.
func search(t *testing.T, st *store.Store, typ string, params url.Values) []obj {
	t.Helper()
	q, _, err := store.ParseQuery(typ, params, false)
	if err != nil {
		t.Fatal(err)
	}
	q.Count = store.MaxCount
	rs, _, err := st.Search(context.Background(), typ, q)
	if err != nil {
		t.Fatal(err)
	}
	var out []obj
	for _, r := range rs {
		m, _ := decode(r.JSON)
		out = append(out, m)
	}
	return out
}

func TestDemoDataNeedsNoAction(t *testing.T) {
	st, w, c := demo(t)
	before := st.SafeTime()
	c.Advance(10 * delay)
	step(t, w)
	for _, typ := range []string{"Communication", "Task", "MedicationRequest"} {
		if changed := search(t, st, typ, url.Values{"_lastUpdated": {"gt" + before.Format(time.RFC3339Nano)}}); len(changed) != 0 {
			t.Errorf("Step changed %d %s resources of the demo data", len(changed), typ)
		}
	}
}

func TestMessageIsReadThenAnswered(t *testing.T) {
	st, w, c := demo(t)
	threads := search(t, st, "Communication", url.Values{"subject": {"Patient/" + synth.MayaID}})
	var thread string
	for _, m := range threads {
		if m["partOf"] == nil {
			thread = "Communication/" + str(m, "id")
			break
		}
	}
	msgID := create(t, st, "Communication", obj{
		"status": "completed", "subject": ref("Patient/" + synth.MayaID), "partOf": []any{ref(thread)},
		"sender": ref("Patient/" + synth.MayaID), "recipient": []any{ref("Practitioner/dr-park")},
		"sent":    instant(c.Now()),
		"payload": []any{obj{"contentString": "Could I get a refill of my simvastatin?"}},
	})

	step(t, w)
	msg := read(t, st, "Communication", msgID)
	if str(msg, "received") != instant(c.Now()) {
		t.Fatalf("received = %q, want the staff's clock %s", str(msg, "received"), instant(c.Now()))
	}
	replies := func() []obj {
		var out []obj
		for _, m := range search(t, st, "Communication", url.Values{"part-of": {thread}}) {
			for _, r := range refs(m, "inResponseTo") {
				if r == "Communication/"+msgID {
					out = append(out, m)
				}
			}
		}
		return out
	}
	c.Advance(delay / 2)
	step(t, w)
	if n := len(replies()); n != 0 {
		t.Fatalf("%d replies before the delay", n)
	}
	c.Advance(delay / 2)
	step(t, w)
	got := replies()
	if len(got) != 1 {
		t.Fatalf("%d replies after the delay, want 1", len(got))
	}
	reply := got[0]
	if refOf(reply["sender"]) != "Practitioner/dr-park" || refs(reply, "recipient")[0] != "Patient/"+synth.MayaID ||
		refs(reply, "partOf")[0] != thread || refOf(reply["subject"]) != "Patient/"+synth.MayaID {
		t.Errorf("reply is not addressed right: %v", reply)
	}
	text := str(reply["payload"].([]any)[0].(obj), "contentString")
	if !strings.Contains(text, "refill") && !strings.Contains(text, "medicine") {
		t.Errorf("reply to a refill question: %q", text)
	}
	c.Advance(delay)
	step(t, w)
	if n := len(replies()); n != 1 {
		t.Fatalf("%d replies after another pass, want still 1", n)
	}
}

func TestReplyTextIsDeterministic(t *testing.T) {
	tests := []struct{ text, want string }{
		{"I need to reschedule my appointment", "call"},
		{"Question about my lab results", "results"},
		{"I have chest pain", "911"},
		{"Hello!", ""},
	}
	for _, tt := range tests {
		msg := message{res: store.Resource{ID: "m1"}, m: obj{"payload": []any{obj{"contentString": tt.text}}}}
		a := (&Worker{cfg: Config{Seed: 3}}).replyText(msg)
		b := (&Worker{cfg: Config{Seed: 3}}).replyText(msg)
		if a != b || a == "" {
			t.Errorf("%q: replies %q and %q", tt.text, a, b)
		}
		if !strings.Contains(a, tt.want) {
			t.Errorf("%q: reply %q does not mention %q", tt.text, a, tt.want)
		}
	}
}

// medID finds Maya's MedicationRequest of the medicine named like name.
func medID(t *testing.T, st *store.Store, name string) string {
	t.Helper()
	for _, m := range search(t, st, "MedicationRequest", url.Values{"subject": {"Patient/" + synth.MayaID}}) {
		if strings.Contains(conceptText(m["medicationCodeableConcept"]), name) {
			return str(m, "id")
		}
	}
	t.Fatalf("no MedicationRequest %q", name)
	return ""
}

func request(kind, focus string, extra ...any) obj {
	m := obj{"status": "requested", "intent": "order",
		"code":       obj{"coding": []any{obj{"system": rules.RequestTypeSystem, "code": kind}}},
		"for":        ref("Patient/" + synth.MayaID),
		"requester":  ref("Patient/" + synth.MayaID),
		"authoredOn": instant(time.Now()),
	}
	if focus != "" {
		m["focus"] = ref(focus)
	}
	for i := 0; i < len(extra); i += 2 {
		m[extra[i].(string)] = extra[i+1]
	}
	return m
}

func TestRequests(t *testing.T) {
	st, w, c := demo(t)
	controlled := create(t, st, "MedicationRequest", obj{"status": "active", "intent": "order",
		"subject":                   ref("Patient/" + synth.MayaID),
		"medicationCodeableConcept": obj{"text": "Hydrocodone Bitartrate 5 MG / Acetaminophen 325 MG Oral Tablet"}})
	lisinopril := medID(t, st, "Lisinopril")
	reports := search(t, st, "DiagnosticReport", url.Values{"subject": {"Patient/" + synth.MayaID}})

	tests := []struct {
		name       string
		task       obj
		wantStatus string
		check      func(t *testing.T, task obj)
	}{
		{"refill of an active medicine", request(rules.RequestRefill, "MedicationRequest/"+lisinopril), "completed",
			func(t *testing.T, task obj) {
				out := refOf(task["output"].([]any)[0].(obj)["valueReference"])
				renewed := read(t, st, "MedicationRequest", strings.TrimPrefix(out, "MedicationRequest/"))
				if str(renewed, "status") != "active" || refOf(renewed["priorPrescription"]) != "MedicationRequest/"+lisinopril {
					t.Errorf("renewal: %v", renewed)
				}
				if n := renewed["dispenseRequest"].(obj)["numberOfRepeatsAllowed"]; n != json.Number("3") {
					t.Errorf("renewal has %v refills", n)
				}
				if str(read(t, st, "MedicationRequest", lisinopril), "status") != "completed" {
					t.Error("the old prescription is not completed")
				}
			}},
		{"refill to a chosen pharmacy", request(rules.RequestRefill, "MedicationRequest/"+medID(t, st, "cetirizine"), "input", []any{obj{
			"type":           obj{"coding": []any{obj{"system": rules.RequestInputSystem, "code": rules.InputPharmacy}}},
			"valueReference": ref("Organization/pharmacy-eastgate"),
		}}), "completed",
			func(t *testing.T, task obj) {
				out := refOf(task["output"].([]any)[0].(obj)["valueReference"])
				renewed := read(t, st, "MedicationRequest", strings.TrimPrefix(out, "MedicationRequest/"))
				if got := refOf(renewed["dispenseRequest"].(obj)["performer"]); got != "Organization/pharmacy-eastgate" {
					t.Errorf("renewal goes to %q, want the pharmacy the patient chose", got)
				}
			}},
		{"refill of a stopped medicine", request(rules.RequestRefill, "MedicationRequest/"+medID(t, st, "Hydrochlorothiazide")), "rejected",
			func(t *testing.T, task obj) {
				if !strings.Contains(str(task["statusReason"].(obj), "text"), "no longer active") {
					t.Errorf("reason %v", task["statusReason"])
				}
			}},
		{"refill of a controlled medicine", request(rules.RequestRefill, "MedicationRequest/"+controlled), "rejected",
			func(t *testing.T, task obj) {
				if !strings.Contains(str(task["statusReason"].(obj), "text"), "Controlled") {
					t.Errorf("reason %v", task["statusReason"])
				}
			}},
		{"refill of a missing prescription", request(rules.RequestRefill, "MedicationRequest/nope"), "rejected", nil},
		{"lab report copy", request(rules.RequestLabReportCopy, "DiagnosticReport/"+str(reports[0], "id")), "completed",
			func(t *testing.T, task obj) {
				out := refOf(task["output"].([]any)[0].(obj)["valueReference"])
				doc := read(t, st, "DocumentReference", strings.TrimPrefix(out, "DocumentReference/"))
				att := doc["content"].([]any)[0].(obj)["attachment"].(obj)
				data, _ := base64.StdEncoding.DecodeString(str(att, "data"))
				if !strings.Contains(string(data), "Comment: ") || !strings.Contains(string(data), "(normal ") {
					t.Errorf("copy of the report:\n%s", data)
				}
				if refOf(doc["subject"]) != "Patient/"+synth.MayaID {
					t.Errorf("copy filed under %v", doc["subject"])
				}
			}},
		{"latest lab reports", request(rules.RequestLabReportCopy, ""), "completed", nil},
		{"referral", request(rules.RequestReferral, "", "description", "Dermatology for a mole check"), "completed",
			func(t *testing.T, task obj) {
				out := refOf(task["output"].([]any)[0].(obj)["valueReference"])
				sr := read(t, st, "ServiceRequest", strings.TrimPrefix(out, "ServiceRequest/"))
				if str(sr["code"].(obj), "text") != "Dermatology for a mole check" || refOf(sr["requester"]) != "Practitioner/dr-park" {
					t.Errorf("referral: %v", sr)
				}
			}},
		{"record correction", request(rules.RequestRecordCorrection, "", "description", "Latex allergy missing"), "completed",
			func(t *testing.T, task obj) {
				if str(task["output"].([]any)[0].(obj), "valueString") == "" {
					t.Error("no outcome note")
				}
			}},
		{"unknown request type", request("pizza", ""), "rejected", nil},
	}
	ids := make([]string, len(tests))
	for i, tt := range tests {
		ids[i] = create(t, st, "Task", tt.task)
	}
	foreign := create(t, st, "Task", obj{"status": "requested", "intent": "order", "code": obj{"text": "internal"}})

	step(t, w)
	for i := range tests {
		if s := str(read(t, st, "Task", ids[i]), "status"); s != "requested" {
			t.Fatalf("%s: %s before the delay", tests[i].name, s)
		}
	}
	c.Advance(delay + time.Minute)
	step(t, w)
	for i, tt := range tests {
		want := "accepted"
		if tt.wantStatus == "rejected" {
			want = "rejected"
		}
		if s := str(read(t, st, "Task", ids[i]), "status"); s != want {
			t.Errorf("%s: %s after one delay, want %s", tt.name, s, want)
		}
	}
	c.Advance(delay + time.Minute)
	step(t, w)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task := read(t, st, "Task", ids[i])
			if s := str(task, "status"); s != tt.wantStatus {
				t.Fatalf("status %s, want %s", s, tt.wantStatus)
			}
			if str(task, "lastModified") == "" {
				t.Error("lastModified not set")
			}
			if tt.check != nil {
				tt.check(t, task)
			}
		})
	}
	if s := str(read(t, st, "Task", foreign), "status"); s != "requested" {
		t.Errorf("a Task that is not a patient request became %s", s)
	}
}

func TestRunAnswersUntilCancelled(t *testing.T) {
	st, err := store.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	create(t, st, "Patient", obj{"id": "x"})
	for _, typ := range []string{"Patient", "Practitioner"} {
		body, _ := json.Marshal(obj{"resourceType": typ, "id": "p"})
		if _, err := st.Put(context.Background(), typ, "p", body); err != nil {
			t.Fatal(err)
		}
	}
	msgID := create(t, st, "Communication", obj{"status": "completed", "subject": ref("Patient/p"),
		"sender": ref("Patient/p"), "recipient": []any{ref("Practitioner/p")},
		"payload": []any{obj{"contentString": "Thank you!"}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		New(st, Config{Delay: time.Millisecond, Seed: 1}).Run(ctx)
		close(done)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		found := false
		for _, m := range search(t, st, "Communication", url.Values{"part-of": {"Communication/" + msgID}}) {
			found = found || refOf(m["sender"]) == "Practitioner/p"
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run did not answer the message")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
}

// TestRunIdlesWithoutWrites: Run makes no pass while nothing is written
// and nothing written is still waiting for its delay, and a write (here
// a patient's message, answered Delay after it was read on the staff's
// own clock, which jumps ahead) wakes it.
func TestRunIdlesWithoutWrites(t *testing.T) {
	st, err := store.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, typ := range []string{"Patient", "Practitioner"} {
		body, _ := json.Marshal(obj{"resourceType": typ, "id": "p"})
		if _, err := st.Put(context.Background(), typ, "p", body); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	w := New(st, Config{Delay: time.Hour, Now: now, Poll: 2 * time.Millisecond, Seed: 1})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	// Passes go on until one runs Delay after the last write (what was in
	// the store at the start may fall due until then), and stop there.
	waitFor(t, func() bool { return w.passes.Load() >= 1 })
	mu.Lock()
	clock = clock.Add(2 * time.Hour)
	mu.Unlock()
	// A pass in flight when the clock jumped may be followed by one more
	// (a pass under -race takes tens of milliseconds): wait until they stop.
	idle := w.passes.Load()
	waitFor(t, func() bool {
		time.Sleep(200 * time.Millisecond)
		n := w.passes.Load()
		stable := n == idle
		idle = n
		return stable
	})
	time.Sleep(300 * time.Millisecond) // 150 polls
	if n := w.passes.Load(); n != idle {
		t.Fatalf("%d passes in 150 polls with nothing written, want none", n-idle)
	}

	msgID := create(t, st, "Communication", obj{"status": "completed", "subject": ref("Patient/p"),
		"sender": ref("Patient/p"), "recipient": []any{ref("Practitioner/p")},
		"payload": []any{obj{"contentString": "Thank you!"}}})
	waitFor(t, func() bool { return w.passes.Load() > idle })
	// The message is read on a pass and answered an hour (of the staff's
	// clock) later: the clock jumps until it is.
	waitFor(t, func() bool {
		mu.Lock()
		clock = clock.Add(2 * time.Hour)
		mu.Unlock()
		for _, m := range search(t, st, "Communication", url.Values{"part-of": {"Communication/" + msgID}}) {
			if refOf(m["sender"]) == "Practitioner/p" {
				return true
			}
		}
		return false
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 20 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
