package app

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/practice/demo"
	"github.com/carebook/carebook/practice/faults"
	"github.com/carebook/carebook/practice/store"
	"github.com/carebook/carebook/sync/outbox"
)

// answersAtPractice lists the practice's QuestionnaireResponses of a patient.
func answersAtPractice(t *testing.T, practice *demo.Practice, patientID string) []store.Resource {
	t.Helper()
	q, _, err := store.ParseQuery("QuestionnaireResponse", url.Values{"subject": {"Patient/" + patientID}}, false)
	if err != nil {
		t.Fatal(err)
	}
	rs, _, err := practice.Server().Store().Search(context.Background(), "QuestionnaireResponse", q)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func questionnaireItems(t *testing.T, core *App, id string) []OutboxEntry {
	t.Helper()
	entries, err := core.Outbox(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []OutboxEntry
	for _, e := range entries {
		if e.Kind == outbox.KindQuestionnaireResponse {
			out = append(out, e)
		}
	}
	return out
}

// TestAnswerQuestionsBeforeVisit books a new-patient visit with the real
// practice over HTTP: the appointment asks the intake questionnaire (found
// from the cache), wrong answers are refused with nothing stored, the
// answers go out exactly once although the practice's reply is lost, the
// practice holds one QuestionnaireResponse carrying the client identifier,
// and the appointment then shows them sent, here and on another device.
func TestAnswerQuestionsBeforeVisit(t *testing.T) {
	ctx := context.Background()
	practice := startDemo(t)
	core, id := connectAs(t, practice, "maya")
	p, err := core.store.Profile(ctx, id)
	if err != nil {
		t.Fatal(err)
	}

	slot := freeSlot(t, core, id, "new-patient", 48*time.Hour)
	sub, err := core.Book(ctx, id, BookRequest{Slot: slot, Reason: "First visit"})
	if err != nil {
		t.Fatalf("Book: %v", err)
	}
	apptID := strings.TrimPrefix(sub.Ref, "Appointment/")
	bv, err := core.BeforeVisit(ctx, id, apptID)
	if err != nil {
		t.Fatal(err)
	}
	if len(bv.Forms) != 1 || bv.Forms[0].Questionnaire == nil || bv.Pending() != 1 || !strings.Contains(bv.ToBring, "insurance card") {
		t.Fatalf("before the visit: %+v", bv)
	}
	if ap, _ := core.Appointment(ctx, id, apptID); ap.QuestionsToAnswer != 1 {
		t.Errorf("the appointment counts %d questionnaires to answer", ap.QuestionsToAnswer)
	}
	form := bv.Forms[0]
	if form.State != FormNotAnswered || form.Title != "Before your first visit" || len(form.Questionnaire.Questions) < 5 {
		t.Fatalf("form %+v", form)
	}
	// A sick visit asks nothing.
	sick := freeSlot(t, core, id, "sick-visit", 48*time.Hour)
	sickSub, err := core.Book(ctx, id, BookRequest{Slot: sick})
	if err != nil {
		t.Fatal(err)
	}
	if bv, err := core.BeforeVisit(ctx, id, strings.TrimPrefix(sickSub.Ref, "Appointment/")); err != nil || len(bv.Forms) != 0 {
		t.Fatalf("a sick visit asks %+v (%v)", bv.Forms, err)
	}

	good := map[string]string{
		"reason": "Knee pain when climbing stairs", "takes-medicines": "yes", "medicines": "Ibuprofen 200 mg when needed",
		"allergies": "Penicillin", "smoking": "Never smoked", "last-checkup": "2024-03-15",
	}
	with := func(change map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range good {
			out[k] = v
		}
		for k, v := range change {
			out[k] = v
		}
		return out
	}
	for name, answers := range map[string]map[string]string{
		"reason missing":             with(map[string]string{"reason": "  "}),
		"medicines missing when yes": with(map[string]string{"medicines": ""}),
		"not yes or no":              with(map[string]string{"takes-medicines": "sometimes"}),
		"unknown choice":             with(map[string]string{"smoking": "pipe"}),
		"bad date":                   with(map[string]string{"last-checkup": "15/03/2024"}),
		"unknown question":           with(map[string]string{"shoe-size": "9"}),
		"one line only":              with(map[string]string{"allergies": "a\nb"}),
	} {
		_, err := core.AnswerQuestions(ctx, id, AnswerInput{Appointment: apptID, Answers: answers})
		if !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%s: %v, want ErrInvalidInput", name, err)
		}
	}
	if n := len(questionnaireItems(t, core, id)); n != 0 {
		t.Fatalf("%d answers stored after invalid input", n)
	}
	// A sign-in from before Carebook asked to send answers: said plainly,
	// nothing stored.
	if !strings.Contains(p.Settings[settingScope], "patient/QuestionnaireResponse.c") {
		t.Fatalf("the practice granted %q", p.Settings[settingScope])
	}
	if err := core.updateSettings(ctx, id, func(s map[string]string) { s[settingScope] = "openid fhirUser patient/*.rs patient/Task.c" }); err != nil {
		t.Fatal(err)
	}
	if _, err := core.AnswerQuestions(ctx, id, AnswerInput{Appointment: apptID, Answers: good}); !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), "sign in to the practice again") {
		t.Errorf("answers with an old sign-in: %v", err)
	}
	if err := core.updateSettings(ctx, id, func(s map[string]string) { s[settingScope] = p.Settings[settingScope] }); err != nil {
		t.Fatal(err)
	}
	if n := len(questionnaireItems(t, core, id)); n != 0 {
		t.Fatalf("%d answers stored after invalid input", n)
	}
	// Medicines are not asked when the answer is no.
	if probs := form.Questionnaire.Problems(with(map[string]string{"takes-medicines": "no", "medicines": ""})); len(probs) != 0 {
		t.Errorf("problems with no medicines: %v", probs)
	}

	// The practice commits the answers and the reply is lost.
	practice.Server().Faults().Set(faults.Config{DropReplyAfterCommitRate: 1, OnlyPaths: "/fhir/QuestionnaireResponse"})
	sub, err = core.AnswerQuestions(ctx, id, AnswerInput{Appointment: apptID, Answers: good})
	if !errors.Is(err, ErrQueued) {
		t.Fatalf("answers with the reply lost = %+v %v, want ErrQueued", sub, err)
	}
	if bv, _ := core.BeforeVisit(ctx, id, apptID); bv.Forms[0].State != FormWaiting || bv.Forms[0].LocalID != sub.LocalID {
		t.Fatalf("waiting answers show %+v", bv.Forms[0])
	}
	if _, err := core.AnswerQuestions(ctx, id, AnswerInput{Appointment: apptID, Answers: good}); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("answering twice = %v, want ErrInvalidInput", err)
	}
	practice.Server().Faults().Set(faults.Config{})
	sub, err = core.RetryOutboxItem(ctx, id, sub.Seq)
	if err != nil || !strings.HasPrefix(sub.Ref, "QuestionnaireResponse/") {
		t.Fatalf("retry = %+v %v", sub, err)
	}
	items := questionnaireItems(t, core, id)
	if len(items) != 1 {
		t.Fatalf("%d outbox items", len(items))
	}
	at := answersAtPractice(t, practice, p.PatientID)
	if len(at) != 1 || !outbox.CarriesIdentifier(at[0].JSON, "QuestionnaireResponse", items[0].Identifier) {
		t.Fatalf("%d answers at the practice (want one carrying %s)", len(at), items[0].Identifier)
	}
	var got struct {
		Status, Questionnaire string
		Item                  []struct {
			LinkID string `json:"linkId"`
			Answer []map[string]any
		}
	}
	if err := json.Unmarshal(at[0].JSON, &got); err != nil {
		t.Fatal(err)
	}
	answered := map[string]any{}
	for _, it := range got.Item {
		for _, v := range it.Answer[0] {
			answered[it.LinkID] = v
		}
	}
	if got.Status != "completed" || !strings.HasSuffix(got.Questionnaire, "/Questionnaire/new-patient-intake|1") ||
		answered["takes-medicines"] != true || answered["last-checkup"] != "2024-03-15" ||
		answered["smoking"].(map[string]any)["code"] != "never" {
		t.Errorf("the practice holds %s", at[0].JSON)
	}
	bv, _ = core.BeforeVisit(ctx, id, apptID)
	if bv.Forms[0].State != FormSent || bv.Pending() != 0 {
		t.Fatalf("after sending: %+v", bv.Forms[0])
	}
	if ap, _ := core.Appointment(ctx, id, apptID); ap.QuestionsToAnswer != 0 {
		t.Errorf("after sending, the appointment counts %d questionnaires to answer", ap.QuestionsToAnswer)
	}
	if _, err := core.AnswerQuestions(ctx, id, AnswerInput{Appointment: apptID, Answers: good}); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("answering again = %v, want ErrInvalidInput", err)
	}

	// After a sync, the practice's copy is in the record; another device
	// of the same patient sees the answers sent too.
	if err := core.Sync(ctx, id); err != nil {
		t.Fatal(err)
	}
	if bv, _ := core.BeforeVisit(ctx, id, apptID); bv.Forms[0].State != FormSent {
		t.Fatalf("after a sync: %+v", bv.Forms[0])
	}
	other, otherID := connectAs(t, practice, "maya")
	obv, err := other.BeforeVisit(ctx, otherID, apptID)
	if err != nil || len(obv.Forms) != 1 || obv.Forms[0].State != FormSent || obv.Forms[0].Questionnaire == nil {
		t.Fatalf("the other device: %+v %v", obv, err)
	}
	if n := len(answersAtPractice(t, practice, p.PatientID)); n != 1 {
		t.Fatalf("%d answers at the practice in the end", n)
	}
}

// TestQuestionnaireOffline: questions not cached cannot be shown while the
// practice is unreachable (said plainly); once cached they show offline
// and the answers wait in the outbox until the practice can be reached.
func TestQuestionnaireOffline(t *testing.T) {
	ctx := context.Background()
	practice := startDemo(t)
	core, id := connectAs(t, practice, "maya")
	slot := freeSlot(t, core, id, "new-patient", 48*time.Hour)
	sub, err := core.Book(ctx, id, BookRequest{Slot: slot})
	if err != nil {
		t.Fatal(err)
	}
	apptID := strings.TrimPrefix(sub.Ref, "Appointment/")
	// The questionnaire was not cached (the booking came after the sync)
	// and the practice cannot be reached: the form says so.
	practice.Server().Faults().Set(faults.Config{ErrorRate: 1, ErrorStatus: http.StatusServiceUnavailable})
	bv, err := core.BeforeVisit(ctx, id, apptID)
	if err != nil || len(bv.Forms) != 1 || bv.Forms[0].Questionnaire != nil || bv.Forms[0].Unavailable == "" {
		t.Fatalf("offline, not cached: %+v %v", bv, err)
	}
	if _, err := core.AnswerQuestions(ctx, id, AnswerInput{Appointment: apptID, Answers: map[string]string{"reason": "x"}}); !errors.Is(err, ErrOffline) {
		t.Fatalf("answering unreadable questions = %v, want ErrOffline", err)
	}
	practice.Server().Faults().Set(faults.Config{})
	if bv, _ := core.BeforeVisit(ctx, id, apptID); bv.Forms[0].Questionnaire == nil {
		t.Fatalf("online again: %+v", bv.Forms[0])
	}
	// Now cached: offline, it still shows, and answers wait in the outbox.
	practice.Server().Faults().Set(faults.Config{ErrorRate: 1, ErrorStatus: http.StatusServiceUnavailable})
	bv, _ = core.BeforeVisit(ctx, id, apptID)
	if bv.Forms[0].Questionnaire == nil {
		t.Fatalf("offline, cached: %+v", bv.Forms[0])
	}
	answers := map[string]string{"reason": "New here", "takes-medicines": "no", "smoking": "former"}
	sub, err = core.AnswerQuestions(ctx, id, AnswerInput{Appointment: apptID, Answers: answers})
	if !errors.Is(err, ErrQueued) {
		t.Fatalf("answers offline = %v, want ErrQueued", err)
	}
	practice.Server().Faults().Set(faults.Config{})
	if _, err := core.RetryOutboxItem(ctx, id, sub.Seq); err != nil {
		t.Fatal(err)
	}
	if bv, _ := core.BeforeVisit(ctx, id, apptID); bv.Forms[0].State != FormSent {
		t.Fatalf("sent later: %+v", bv.Forms[0])
	}
}
