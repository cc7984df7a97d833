package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/carebook/carebook/app"
)

// spanishInbox is a messageSource with one conversation holding a message
// of the patient in each state, and the practice's answer; nothing is sent.
type spanishInbox struct{ inbox app.Inbox }

var errNotInThisTest = errors.New("not in this test")

func (s spanishInbox) Messages(context.Context, string) (app.Inbox, error) { return s.inbox, nil }
func (spanishInbox) MessageOptions(context.Context, string) (app.MessageOptions, error) {
	return app.MessageOptions{Topics: app.MessageTopics(), Policy: app.DefaultMessagePolicy()}, nil
}
func (spanishInbox) Draft(context.Context, string, string) (app.Draft, bool, error) {
	return app.Draft{}, false, nil
}
func (spanishInbox) SaveDraft(context.Context, string, string, app.Draft) error { return nil }
func (spanishInbox) DiscardDraft(context.Context, string, string) error         { return nil }
func (spanishInbox) SendMessage(context.Context, string, app.Draft) (app.Submitted, error) {
	return app.Submitted{}, errNotInThisTest
}
func (spanishInbox) ReplyDraft(context.Context, string, string) (app.Draft, error) {
	return app.Draft{}, nil
}
func (spanishInbox) AskAboutResult(context.Context, string, string) (app.Draft, error) {
	return app.Draft{}, errNotInThisTest
}
func (spanishInbox) AskAboutBill(context.Context, string, string) (app.Draft, error) {
	return app.Draft{}, errNotInThisTest
}
func (spanishInbox) EditFailedMessage(context.Context, string, int64) (app.Draft, string, error) {
	return app.Draft{}, "", errNotInThisTest
}
func (spanishInbox) RetryOutboxItem(context.Context, string, int64) (app.Submitted, error) {
	return app.Submitted{}, errNotInThisTest
}
func (spanishInbox) DiscardOutboxItem(context.Context, string, int64) error { return errNotInThisTest }
func (spanishInbox) MarkMessagesRead(context.Context, string, ...string) error {
	return nil
}
func (spanishInbox) OpenDocument(context.Context, string, string, int) error { return errNotInThisTest }
func (spanishInbox) Touch()                                                  {}

// TestMessagesInSpanish: the Messages screen at phone size with the system
// in Spanish: the list's flags, each state of the patient's messages (the
// practice's own words as it wrote them), the buttons and the composer's
// notice and limits in Spanish, nothing in the list cut off.
func TestMessagesInSpanish(t *testing.T) {
	speakSpanish(t)
	q := useQueue(t)
	test.NewTempApp(t)
	lightTheme(t)
	sent := time.Date(2026, 3, 2, 9, 30, 0, 0, time.Local)
	practiceWords := "Attachment type not accepted by Riverside Family Medicine"
	thread := app.MessageThread{
		Key: "Communication/t1", Subject: "Dolor de rodilla", Topic: "Consulta médica", With: "Dr. Anna Park",
		CanReply: true, Latest: sent.Add(48 * time.Hour),
		Messages: []app.Message{
			{ID: "m1", FromPatient: true, From: "Usted", To: "Dr. Anna Park", Text: "Me duele la rodilla.",
				State: app.MessageAnswered, Sent: sent, ReadAt: sent.Add(time.Hour), AnsweredAt: sent.Add(2 * time.Hour)},
			{ID: "m2", From: "Dr. Anna Park", Text: "Venga a verme el lunes.", State: app.MessageReceived, Sent: sent.Add(2 * time.Hour)},
			{ID: "m3", FromPatient: true, From: "Usted", Text: "Gracias.", State: app.MessageSent, Sent: sent.Add(3 * time.Hour)},
			{LocalID: "local-4", Seq: 4, FromPatient: true, From: "Usted", Text: "Adjunto la foto.",
				State: app.MessageFailed, Error: practiceWords, Sent: sent.Add(24 * time.Hour), Attempts: 1},
			{LocalID: "local-5", Seq: 5, FromPatient: true, From: "Usted", Text: "¿Y el martes?",
				State: app.MessageWaiting, Sent: sent.Add(48 * time.Hour)},
		},
	}
	other := app.MessageThread{Key: "Communication/t2", Subject: "Resultados", With: "Recepción", CanReply: true,
		Latest: sent.Add(-24 * time.Hour), Unread: []string{"a", "b"},
		Messages: []app.Message{{ID: "a", From: "Recepción", Text: "Sus resultados están listos.", State: app.MessageUnread, Sent: sent.Add(-24 * time.Hour)}}}
	src := spanishInbox{inbox: app.Inbox{Threads: []app.MessageThread{thread, other}, Unread: 2, Waiting: 1, Failed: 1}}

	v := newMessagesView(context.Background(), src, "p1", nil)
	w := test.NewWindow(v.CanvasObject())
	defer w.Close()
	w.Resize(fyne.NewSize(360, 740))
	v.Refresh()
	q.waitShows(t, w, "Mensaje nuevo", "No enviado", "2 nuevos")
	noRowCutOff(t, w)
	screenshot(t, w, "messages-es-list-360x740")

	v.selectThread(0)
	q.waitShows(t, w,
		"Con Dr. Anna Park · Consulta médica",
		"Usted a Dr. Anna Park",
		"✓ Leído por el centro médico el",
		"Respondido el",
		"El centro médico aún no lo ha leído.",
		"No enviado. El centro médico dijo: "+practiceWords,
		"Pendiente de envío: se enviará cuando tenga conexión.",
		"Editar", "Reintentar", "Descartar", "Enviar ahora",
		"Responder", "Los mensajes no son para emergencias",
		"Puede añadir hasta 5 archivos de hasta 5 MB cada uno: archivos PDF, JPEG, PNG, HEIC o texto.",
	)
	shown := shownText(w.Content())
	for _, english := range []string{"Not sent", "Waiting to be sent", "Read by the practice", "Reply", "Send now"} {
		if strings.Contains(shown, english) {
			t.Errorf("the conversation still says %q in Spanish: %s", english, shown)
		}
	}
	screenshot(t, w, "messages-es-thread-360x740")
}

// noRowCutOff fails when a list row on show draws its title or detail line
// cut off with an ellipsis.
func noRowCutOff(t *testing.T, w fyne.Window) {
	t.Helper()
	walkVisible(w.Content(), func(o fyne.CanvasObject) {
		if r, ok := o.(*recordRow); ok {
			if cut := cutOff(r); cut != "" {
				t.Errorf("a row is cut off at %s in Spanish: %q", fmtSize(w.Canvas().Size()), cut)
			}
		}
	})
}
