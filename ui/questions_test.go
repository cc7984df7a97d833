package ui

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/practice/demo"
	"github.com/carebook/carebook/practice/store"
	"github.com/carebook/carebook/sync/outbox"
)

// answersAt lists the practice's QuestionnaireResponses for an appointment.
func answersAt(t *testing.T, practice *demo.Practice, apptID string) []store.Resource {
	t.Helper()
	q, _, err := store.ParseQuery("QuestionnaireResponse", url.Values{}, false)
	if err != nil {
		t.Fatal(err)
	}
	rs, _, err := practice.Server().Store().Search(context.Background(), "QuestionnaireResponse", q)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Resource
	for _, r := range rs {
		if strings.Contains(string(r.JSON), `"Appointment/`+apptID+`"`) {
			out = append(out, r)
		}
	}
	return out
}

func radioGroups(o fyne.CanvasObject) []*widget.RadioGroup {
	var out []*widget.RadioGroup
	walkVisible(o, func(o fyne.CanvasObject) {
		if r, ok := o.(*widget.RadioGroup); ok {
			out = append(out, r)
		}
	})
	return out
}

// TestQuestionsBeforeVisitInTheWindow: a new patient's appointment shows
// what to bring and "Answer 6 questions"; the form refuses to send without
// the needed answers (saying which), shows the medicines question only
// after "Yes", explains a badly written date, and sends; the appointment
// then says the answers were sent and the practice (over HTTP) holds them
// once, with the client identifier. At phone and desktop size, with the
// once, with the client identifier. At phone and desktop size, with the
// loads on their own goroutines; then at phone size in Spanish
// (visitsInSpanish).
func TestQuestionsBeforeVisitInTheWindow(t *testing.T) {
	test.NewTempApp(t)
	lightTheme(t)
	q := useQueue(t)
	practice := startPractice(t)
	core := connectCore(t, practice, "maya")
	providers := map[string]string{"phone": "Practitioner/dr-park", "desktop": "Practitioner/dr-olsen"}
	for _, sz := range screenSizes {
		t.Run(sz.name, func(t *testing.T) {
			ctx := context.Background()
			ft, err := core.FreeSlots(ctx, core.profile, app.SlotQuery{VisitType: "new-patient", Provider: providers[sz.name]})
			if err != nil || len(ft.Slots()) == 0 {
				t.Fatalf("free new-patient times: %v", err)
			}
			var slot app.FreeSlot
			for _, s := range ft.Slots() {
				if s.Start.After(time.Now().Add(48 * time.Hour)) {
					slot = s
					break
				}
			}
			sub, err := core.Book(ctx, core.profile, app.BookRequest{Slot: slot, Reason: "First visit"})
			if err != nil {
				t.Fatal(err)
			}
			apptID := strings.TrimPrefix(sub.Ref, "Appointment/")

			v := buildRecordView(core.App, core.profile, nil, false)
			w := test.NewWindow(v.CanvasObject())
			v.win = w
			t.Cleanup(w.Close)
			w.Resize(sz.size)
			v.ShowSection("visits")
			q.waitShows(t, w, "New patient visit", "Questions")
			screenshot(t, w, "booking-9-questions-flag-"+sz.name)
			openAppointment(t, v, "New patient visit with "+slot.Provider.Name)
			q.waitShows(t, w, "Before your visit", "Please bring your insurance card",
				"The practice asks you to answer 6 questions before this visit: Before your first visit.")
			assertFits(t, w)
			assertMinFits(t, w, sz.size.Width)
			assertTouchTargets(t, w)
			screenshot(t, w, "booking-9-questions-asked-"+sz.name)

			test.Tap(findButton(t, w.Content(), "Answer 6 questions"))
			q.waitShows(t, w, "Before your first visit", "What would you like to talk about at your first visit? *",
				"Do you take any medicines, vitamins or supplements? *", "Do you smoke? *", "Never smoked")
			if strings.Contains(shownText(w.Content()), "Which ones, and how often") {
				t.Fatal("the medicines question shows before the answer yes")
			}
			assertTouchTargets(t, w)
			screenshot(t, w, "booking-10-questions-form-"+sz.name)

			// Nothing answered: the needed answers are marked.
			test.Tap(findButton(t, w.Content(), "Send answers"))
			q.waitShows(t, w, "Please answer this question.", "Please check the answers marked above.")
			if n := len(answersAt(t, practice, apptID)); n != 0 {
				t.Fatalf("%d answers at the practice after an incomplete form", n)
			}

			radios := radioGroups(w.Content())
			if len(radios) != 2 {
				t.Fatalf("%d choices on the form", len(radios))
			}
			radios[0].SetSelected("Yes")
			q.waitShows(t, w, "Which ones, and how often do you take them? *")
			entries := findEntries(w.Content())
			if len(entries) != 4 || !entries[0].MultiLine || !entries[1].MultiLine {
				t.Fatalf("%d entries on the form", len(entries))
			}
			test.Type(entries[0], "Knee pain when climbing stairs")
			test.Type(entries[1], "Ibuprofen 200 mg when needed")
			test.Type(entries[2], "Penicillin")
			test.Type(entries[3], "15/03/2024")
			radios[1].SetSelected("Used to smoke")
			test.Tap(findButton(t, w.Content(), "Send answers"))
			// The date is typed as the device writes dates (en-US here).
			q.waitShows(t, w, "Write the date as MM/DD/YYYY, for example ")
			assertFits(t, w)
			assertMinFits(t, w, sz.size.Width)
			screenshot(t, w, "booking-11-questions-problem-"+sz.name)
			entries[3].SetText("03/15/2024")
			test.Tap(findButton(t, w.Content(), "Send answers"))

			// Back on the appointment: sent.
			q.waitShows(t, w, "Answers sent: Before your first visit (the practice has them")
			if strings.Contains(shownText(w.Content()), "Answer 6 questions") {
				t.Error("the answer button still shows after sending")
			}
			assertFits(t, w)
			screenshot(t, w, "booking-12-questions-sent-"+sz.name)
			at := answersAt(t, practice, apptID)
			var items []app.OutboxEntry
			entriesOut, _ := core.Outbox(ctx, core.profile)
			for _, e := range entriesOut {
				if e.Kind == outbox.KindQuestionnaireResponse && strings.Contains(string(e.Resource), "Appointment/"+apptID) {
					items = append(items, e)
				}
			}
			if len(at) != 1 || len(items) != 1 || !outbox.CarriesIdentifier(at[0].JSON, "QuestionnaireResponse", items[0].Identifier) {
				t.Fatalf("%d answers at the practice, %d outbox items", len(at), len(items))
			}
			for _, want := range []string{`"valueString":"Knee pain when climbing stairs"`, `"valueBoolean":true`, `"code":"former"`, `"valueDate":"2024-03-15"`} {
				if !strings.Contains(string(at[0].JSON), want) {
					t.Errorf("the practice's answers lack %s: %s", want, at[0].JSON)
				}
			}
		})
	}
	t.Run("spanish", func(t *testing.T) { visitsInSpanish(t, q, practice, core) })
}

// TestVisitFlagColours: a visit's flag in the list is in the error colour
// for what went wrong or has not gone (refused, not sent), and in the
// primary colour for questions to answer before it, where nothing is
// wrong (it was red, read as a problem). The rows are reused, as the list
// reuses them.
func TestVisitFlagColours(t *testing.T) {
	test.NewTempApp(t)
	lightTheme(t)
	soon := time.Now().Add(72 * time.Hour)
	r := newRecordRow()
	for _, tc := range []struct {
		name string
		ap   app.Appointment
		flag string
		want widget.Importance
	}{
		{"refused", app.Appointment{State: app.StateFailed, Start: soon}, "Refused", widget.DangerImportance},
		{"questions", app.Appointment{State: app.StateBooked, Start: soon, QuestionsToAnswer: 6}, "Questions", widget.HighImportance},
		{"not sent", app.Appointment{State: app.StateWaiting, Start: soon, QuestionsToAnswer: 6}, "Not sent", widget.DangerImportance},
		{"questions again", app.Appointment{State: app.StateBooked, Start: soon, QuestionsToAnswer: 1}, "Questions", widget.HighImportance},
		{"change refused", app.Appointment{State: app.StateBooked, Start: soon, Problem: "Too late to move"}, "Change refused", widget.DangerImportance},
	} {
		r.set(appointmentItem(tc.ap, false))
		if r.flag.Text != tc.flag || r.flag.Importance != tc.want {
			t.Errorf("%s: flag %q of importance %v, want %q of %v", tc.name, r.flag.Text, r.flag.Importance, tc.flag, tc.want)
		}
	}
}
