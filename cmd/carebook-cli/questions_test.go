package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/practice"
	"github.com/carebook/carebook/practice/faults"
	"github.com/carebook/carebook/practice/store"
)

type beforeVisitJSON struct {
	Appointment    string              `json:"appointment"`
	ToBring        string              `json:"to_bring"`
	Questionnaires []questionnaireJSON `json:"questionnaires"`
}

func showQuestions(t *testing.T, dir, appt string) beforeVisitJSON {
	t.Helper()
	code, out, errOut := cli(t, testPassphrase, "questionnaire", "--data", dir, "--appointment", appt, "--json")
	if code != exitOK {
		t.Fatalf("questionnaire: %d %s", code, errOut)
	}
	var bv beforeVisitJSON
	if err := json.Unmarshal([]byte(out), &bv); err != nil {
		t.Fatalf("questionnaire --json: %v\n%s", err, out)
	}
	return bv
}

func answersOnServer(t *testing.T, srv *practice.Server, appt string) []store.Resource {
	t.Helper()
	q, _, err := store.ParseQuery("QuestionnaireResponse", url.Values{}, false)
	if err != nil {
		t.Fatal(err)
	}
	rs, _, err := srv.Store().Search(context.Background(), "QuestionnaireResponse", q)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Resource
	for _, r := range rs {
		if strings.Contains(string(r.JSON), `"Appointment/`+appt+`"`) {
			out = append(out, r)
		}
	}
	return out
}

// TestQuestionnaireCommands books a new-patient visit with the CLI against
// the practice, shows its questions (text and JSON), refuses answers
// missing a needed one (2, nothing stored), stores them while the practice
// fails (4, local id, "waiting"), sends them with the next sync (the
// practice holds them once), and refuses to answer again (2).
func TestQuestionnaireCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end against the practice server: skipped with -short")
	}
	srv, dir := connectPractice(t)
	from := time.Now().AddDate(0, 0, 3).Format(time.DateOnly)
	to := time.Now().AddDate(0, 0, 20).Format(time.DateOnly)
	slots := listSlots(t, dir, "--from", from, "--to", to, "--type", "new-patient")
	if len(slots) == 0 {
		t.Fatal("no free new-patient time")
	}
	code, out, errOut := cli(t, testPassphrase, "book", "--data", dir, "--slot", slots[0].ID)
	if code != exitOK || !strings.HasPrefix(out, "Appointment/") {
		t.Fatalf("book: %d %q %s", code, out, errOut)
	}
	appt := strings.TrimPrefix(strings.TrimSpace(out), "Appointment/")

	if a, n := appointmentAt(listAppointments(t, dir), slots[0].ID); n != 1 || a.Questions != 1 {
		t.Errorf("appointments --json: %+v", a)
	}
	if code, out, _ := cli(t, testPassphrase, "appointments", "--data", dir); code != exitOK ||
		!strings.Contains(out, "questions to answer before the visit: carebook-cli questionnaire --appointment "+appt) {
		t.Errorf("appointments (text): %d\n%s", code, out)
	}
	bv := showQuestions(t, dir, appt)
	if bv.Appointment != appt || !strings.Contains(bv.ToBring, "insurance card") || len(bv.Questionnaires) != 1 {
		t.Fatalf("questionnaire --json: %+v", bv)
	}
	qj := bv.Questionnaires[0]
	links := map[string]questionJSON{}
	for _, q := range qj.Questions {
		links[q.LinkID] = q
	}
	if qj.State != "not-answered" || qj.Ref != "Questionnaire/new-patient-intake" || len(qj.Questions) != 6 ||
		!links["reason"].Required || links["smoking"].Type != "choice" || len(links["smoking"].Options) != 3 ||
		len(links["medicines"].When) != 1 || links["medicines"].When[0].Answer != "yes" {
		t.Fatalf("questions: %+v", qj)
	}
	if code, out, _ := cli(t, testPassphrase, "questionnaire", "--data", dir, "--appointment", appt); code != exitOK ||
		!strings.Contains(out, "Before your first visit (Questionnaire/new-patient-intake): not answered yet") ||
		!strings.Contains(out, "choose: never = Never smoked") {
		t.Errorf("questionnaire (text): %d\n%s", code, out)
	}

	// A needed answer missing: exit 2, nothing stored.
	code, _, errOut = cli(t, testPassphrase, "answer", "--data", dir, "--appointment", appt,
		"--answer", "takes-medicines=yes", "--answer", "smoking=never", "--answer", "reason=Checkup")
	if code != exitUsage || !strings.Contains(errOut, "Which ones, and how often") {
		t.Fatalf("answer without the medicines: %d %s", code, errOut)
	}
	if code, _, _ := cli(t, testPassphrase, "answer", "--data", dir, "--appointment", "no-such"); code != exitUsage {
		t.Errorf("answer without answers: %d", code)
	}

	// The practice fails: stored, exit 4, waiting.
	file := filepath.Join(t.TempDir(), "answers.json")
	if err := os.WriteFile(file, []byte(`{"reason":"New in town, general check-up","takes-medicines":false,"smoking":"former","last-checkup":"2023-11-02"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	srv.Faults().Set(faults.Config{ErrorRate: 1, ErrorStatus: http.StatusServiceUnavailable, OnlyPaths: "/fhir/QuestionnaireResponse"})
	code, out, errOut = cli(t, testPassphrase, "answer", "--data", dir, "--appointment", appt, "--answers", file)
	if code != exitNetwork || !strings.HasPrefix(out, "local-") {
		t.Fatalf("answer with the practice failing: %d %q %s", code, out, errOut)
	}
	if st := showQuestions(t, dir, appt).Questionnaires[0]; st.State != "waiting" || st.LocalID == nil {
		t.Fatalf("stored answers show %+v", st)
	}
	if n := len(answersOnServer(t, srv, appt)); n != 0 {
		t.Fatalf("%d answers at the practice while it failed", n)
	}
	srv.Faults().Set(faults.Config{})
	if code, _, errOut := cli(t, testPassphrase, "sync", "--data", dir); code != exitOK {
		t.Fatalf("sync: %d %s", code, errOut)
	}
	if st := showQuestions(t, dir, appt).Questionnaires[0]; st.State != "sent" {
		t.Fatalf("after the sync: %+v", st)
	}
	if a, _ := appointmentAt(listAppointments(t, dir), slots[0].ID); a.Questions != 0 {
		t.Errorf("after answering, appointments --json: %+v", a)
	}
	at := answersOnServer(t, srv, appt)
	if len(at) != 1 || !strings.Contains(string(at[0].JSON), `"valueDate":"2023-11-02"`) || !strings.Contains(string(at[0].JSON), `"urn:ietf:rfc:3986"`) {
		t.Fatalf("%d answers at the practice", len(at))
	}
	// Answering again is refused; nothing more reaches the practice.
	if code, _, errOut := cli(t, testPassphrase, "answer", "--data", dir, "--appointment", appt, "--answers", file); code != exitUsage ||
		!strings.Contains(errOut, "answered already") {
		t.Errorf("answer again: %d %s", code, errOut)
	}
	if n := len(answersOnServer(t, srv, appt)); n != 1 {
		t.Errorf("%d answers at the practice in the end", n)
	}
}
