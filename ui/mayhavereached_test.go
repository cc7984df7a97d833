package ui

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/practice/faults"
)

// TestMayHaveReachedSaysSo: a message whose send went out and got no
// answer (the practice took it, the reply was lost) may already be at
// the practice. It does not read as waiting for the device to be online,
// nor offer Discard; Send now finds it at the practice instead of
// sending it twice.
func TestMayHaveReachedSaysSo(t *testing.T) {
	ctx := context.Background()
	q, p, core, u, w := openMessagesAt(t, fyne.NewSize(1280, 800))

	p.Faults().Set(faults.Config{DropReplyAfterCommitRate: 1, OnlyPaths: "/fhir/Communication", OnlyWrites: true})
	c := compose(t, q, u, w)
	c.write("Blood pressure at home", "It was 150/95 this morning.")
	test.Tap(findButton(t, w.Content(), "Send"))
	q.waitShows(t, w, "It was 150/95 this morning.", "Send now") // the conversation
	shown := shownText(w.Content())
	if want := "It may already have reached the practice; Carebook checks before sending it again, so it will not arrive twice."; !strings.Contains(shown, want) {
		t.Errorf("a message that may have reached the practice does not say %q: %s", want, shown)
	}
	for _, never := range []string{"when you are online", "nothing of it reached", "Discard"} {
		if strings.Contains(shown, never) {
			t.Errorf("a message that may have reached the practice shows %q: %s", never, shown)
		}
	}
	q.drain()
	screenshotBothSizes(t, w, "messages-may-have-reached")

	p.Faults().Set(faults.Config{})
	test.Tap(findButton(t, w.Content(), "Send now"))
	q.waitShows(t, w, "Not read by the practice yet")
	ps, err := core.Profiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := core.Outbox(ctx, ps[0].ID)
	if err != nil || len(entries) != 1 {
		t.Fatalf("outbox %+v, %v: want the one message", entries, err)
	}
	if n := serverCopies(t, p, entries[0].Identifier); n != 1 {
		t.Errorf("the practice holds %d copies of the message, want 1", n)
	}
}

// TestMayHaveReachedWords: a request and a booking that may already be at
// the practice say so, as a message does, instead of "waiting to be sent"
// or "not sent yet"; on a record whose access ended they say what became
// of them.
func TestMayHaveReachedWords(t *testing.T) {
	test.NewTempApp(t)
	for _, tc := range []struct {
		name  string
		got   func(ended bool) string
		ended string
	}{
		{"message", func(ended bool) string {
			return messageStateText(app.Message{State: app.MessageWaiting, MayHaveReached: true}, ended)
		}, storedAsAccessEndedText()},
		{"request", func(ended bool) string {
			return stateLabel(app.Request{State: app.RequestWaiting, MayHaveReached: true}, ended).Text
		}, storedAsAccessEndedText()},
		{"booking", func(ended bool) string {
			return stateText(app.Appointment{State: app.StateWaiting, MayHaveReached: true}, ended)
		}, storedAsAccessEndedText()},
	} {
		if got, want := tc.got(false), mayHaveReachedText(); got != want {
			t.Errorf("%s that may have reached the practice: %q, want %q", tc.name, got, want)
		}
		if got := tc.got(true); got != tc.ended {
			t.Errorf("%s on a record whose access ended: %q, want %q", tc.name, got, tc.ended)
		}
	}
}

// TestMayHaveReachedBookingFlag: in the visits list a booking that may
// already be at the practice is flagged "Waiting", not "Not sent".
func TestMayHaveReachedBookingFlag(t *testing.T) {
	test.NewTempApp(t)
	for _, tc := range []struct {
		ap    app.Appointment
		ended bool
		want  string
	}{
		{app.Appointment{State: app.StateWaiting, MayHaveReached: true}, false, "Waiting"},
		{app.Appointment{State: app.StateWaiting}, false, "Not sent"},
		{app.Appointment{State: app.StateWaiting, MayHaveReached: true}, true, accessEndedFlag()},
	} {
		if got, _ := stateFlag(tc.ap, tc.ended); got != tc.want {
			t.Errorf("stateFlag(may have reached %v, ended %v) = %q, want %q", tc.ap.MayHaveReached, tc.ended, got, tc.want)
		}
	}
}
