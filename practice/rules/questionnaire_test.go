package rules

import (
	"context"
	"errors"
	"testing"
	"time"
)

const intakeURL = "http://carebook.app/fhir/Questionnaire/new-patient-intake"

func intakeWorld() *fakeTx {
	f := world()
	f.res["Questionnaire/new-patient-intake"] = mustJSON(obj{"resourceType": "Questionnaire", "id": "new-patient-intake",
		"url": intakeURL, "title": "Before your first visit", "status": "active",
		"item": []any{
			obj{"linkId": "reason", "type": "text", "required": true},
			obj{"linkId": "takes-medicines", "type": "boolean", "required": true},
			obj{"linkId": "medicines", "type": "text", "required": true,
				"enableWhen": []any{obj{"question": "takes-medicines", "operator": "=", "answerBoolean": true}}},
			obj{"linkId": "allergies", "type": "string"},
		}})
	f.res["Slot/newp"] = typedSlot("newp", "new-patient", 72*time.Hour)
	a := appointment("newp", 72*time.Hour, "booked", "p1")
	a["id"] = "a1"
	f.res["Appointment/a1"] = mustJSON(a)
	b := appointment("newp", 72*time.Hour, "booked", "other")
	b["id"] = "a2"
	f.res["Appointment/a2"] = mustJSON(b)
	return f
}

// TestAdjustNamesQuestionnaire: a new-patient booking names the intake
// questionnaire in supportingInformation, once; other visits do not.
func TestAdjustNamesQuestionnaire(t *testing.T) {
	f := intakeWorld()
	f.res["Slot/sick"] = typedSlot("sick", "sick-visit", 72*time.Hour)
	p := Policy{Now: func() time.Time { return now }}
	adjust := func(appt obj) obj {
		t.Helper()
		out, err := p.Adjust(context.Background(), f, Request{Method: "POST", Type: "Appointment", New: mustJSON(appt), Grant: patientGrant})
		if err != nil {
			t.Fatal(err)
		}
		if out == nil {
			return appt
		}
		m, err := decode(out)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	got := adjust(appointment("newp", 72*time.Hour, "booked", "p1"))
	if si := refs(got, "supportingInformation"); len(si) != 1 || si[0] != "Questionnaire/new-patient-intake" {
		t.Fatalf("supportingInformation %v", got["supportingInformation"])
	}
	if again := adjust(got); len(refs(again, "supportingInformation")) != 1 {
		t.Fatalf("named twice: %v", again["supportingInformation"])
	}
	if sick := adjust(appointment("sick", 72*time.Hour, "booked", "p1")); len(refs(sick, "supportingInformation")) != 0 {
		t.Fatalf("a sick visit asks questions: %v", sick["supportingInformation"])
	}
}

func TestQuestionnaireResponseRules(t *testing.T) {
	answers := func(mod func(obj)) obj {
		qr := obj{"resourceType": "QuestionnaireResponse", "status": "completed", "questionnaire": intakeURL + "|1",
			"subject": obj{"reference": "Patient/p1"}, "author": obj{"reference": "Patient/p1"},
			"extension": []any{obj{"url": BasedOnExtension, "valueReference": obj{"reference": "Appointment/a1"}}},
			"item": []any{
				obj{"linkId": "reason", "answer": []any{obj{"valueString": "Knee pain"}}},
				obj{"linkId": "takes-medicines", "answer": []any{obj{"valueBoolean": false}}},
			}}
		if mod != nil {
			mod(qr)
		}
		return qr
	}
	tests := []struct {
		name   string
		qr     obj
		update bool
		status int // 0: accepted
	}{
		{"accepted", answers(nil), false, 0},
		{"relative canonical", answers(func(q obj) { q["questionnaire"] = "Questionnaire/new-patient-intake" }), false, 0},
		{"in progress", answers(func(q obj) { q["status"] = "in-progress" }), false, 422},
		{"someone else", answers(func(q obj) { q["subject"] = obj{"reference": "Patient/other"} }), false, 422},
		{"unknown questionnaire", answers(func(q obj) { q["questionnaire"] = "http://elsewhere.example/Questionnaire/x" }), false, 422},
		{"url mismatch", answers(func(q obj) { q["questionnaire"] = "http://elsewhere.example/Questionnaire/new-patient-intake" }), false, 422},
		{"required missing", answers(func(q obj) { q["item"] = q["item"].([]any)[1:] }), false, 422},
		{"question not asked", answers(func(q obj) {
			q["item"] = append(q["item"].([]any), obj{"linkId": "shoe-size", "answer": []any{obj{"valueString": "9"}}})
		}), false, 422},
		{"another patient's appointment", answers(func(q obj) {
			q["extension"] = []any{obj{"url": BasedOnExtension, "valueReference": obj{"reference": "Appointment/a2"}}}
		}), false, 422},
		{"no changes afterwards", answers(nil), true, 422},
	}
	p := Policy{Now: func() time.Time { return now }}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Request{Method: "POST", Type: "QuestionnaireResponse", New: mustJSON(tc.qr), Grant: patientGrant}
			if tc.update {
				r.Method, r.ID, r.Old = "PUT", "qr1", mustJSON(tc.qr)
			}
			err := p.Check(context.Background(), intakeWorld(), r)
			var ref *Refusal
			switch {
			case tc.status == 0 && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.status != 0 && (!errors.As(err, &ref) || ref.Status != tc.status):
				t.Fatalf("got %v, want a %d refusal", err, tc.status)
			}
		})
	}
}
