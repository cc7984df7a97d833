package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/practice/demo"
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
func (spanishInbox) SaveBeforeLock(func()) func()                            { return func() {} }

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
				State: app.MessageWaiting, Sent: sent.Add(48 * time.Hour), CanDiscard: true},
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
	noButtonCutOff(t, w)
	screenshot(t, w, "messages-es-thread-360x740")

	v.NewMessage(app.DraftNew, nil)
	q.waitShows(t, w, "Mensaje nuevo", "Para", "Elija para quién es", "Tema", "Elija un tema", "Asunto",
		"Mensaje", "0 / 10000 caracteres", "Añadir archivo o foto", "Enviar", "Descartar borrador",
		"Su historial aún no indica a nadie del centro médico a quien escribir.")
	noButtonCutOff(t, w)
	screenshot(t, w, "messages-es-new-360x740")
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

// spanishRequests is a requestSource with a request in each state; the
// forms offer what RequestForm gives; nothing is sent.
type spanishRequests struct {
	requests app.Requests
	form     app.RequestForm
}

func (s spanishRequests) Requests(context.Context, string) (app.Requests, error) {
	return s.requests, nil
}
func (s spanishRequests) RequestForm(context.Context, string, app.RequestKind, string) (app.RequestForm, error) {
	return s.form, nil
}
func (spanishRequests) SendRequest(context.Context, string, app.RequestInput) (app.Submitted, error) {
	return app.Submitted{}, errNotInThisTest
}
func (spanishRequests) RetryOutboxItem(context.Context, string, int64) (app.Submitted, error) {
	return app.Submitted{}, errNotInThisTest
}
func (spanishRequests) DiscardOutboxItem(context.Context, string, int64) error {
	return errNotInThisTest
}
func (spanishRequests) AskAboutRequest(context.Context, string, string) (app.Draft, error) {
	return app.Draft{}, errNotInThisTest
}
func (spanishRequests) MessageOptions(context.Context, string) (app.MessageOptions, error) {
	return app.MessageOptions{}, errNotInThisTest
}
func (spanishRequests) SendMessage(context.Context, string, app.Draft) (app.Submitted, error) {
	return app.Submitted{}, errNotInThisTest
}
func (spanishRequests) Touch() {}

// TestRequestsInSpanish: the Requests screen and a refill's form at phone
// size in Spanish: each state in words (the practice's words as it wrote
// them), what the practice did, the buttons, the refills left (one: the
// singular), the pharmacy.
func TestRequestsInSpanish(t *testing.T) {
	speakSpanish(t)
	q := useQueue(t)
	test.NewTempApp(t)
	lightTheme(t)
	asked := time.Date(2026, 3, 2, 9, 30, 0, 0, time.Local)
	declined := "Please book a visit first: this medicine needs a check-up"
	refused := "Task.focus: MedicationRequest/9 is not active"
	src := spanishRequests{
		requests: app.Requests{Items: []app.Request{
			{LocalID: "local-3", Seq: 3, Kind: app.RequestReferral, Title: "Derivación: dermatología", State: app.RequestWaiting, Created: asked},
			{ID: "t1", Kind: app.RequestLabReportCopy, Title: "Copia de los informes de laboratorio (los más recientes)", State: app.RequestSent, Created: asked},
			{ID: "t2", Kind: app.RequestRefill, Title: "Renovación de receta: Lisinopril 10 mg", State: app.RequestDeclined, Words: declined,
				Pharmacy: "CareMail Pharmacy", Note: "Me quedan dos pastillas.", Created: asked},
			{LocalID: "local-4", Seq: 4, Kind: app.RequestRefill, Title: "Renovación de receta: Metformina", State: app.RequestFailed, Words: refused, Created: asked},
			{ID: "t5", Kind: app.RequestRefill, Title: "Renovación de receta: Atorvastatina", State: app.RequestDone,
				Outcomes: []app.RequestOutcome{{Label: "Renewed prescription", Ref: "MedicationRequest/7", Name: "Atorvastatina 20 mg, 3 dispensaciones"}}, Created: asked},
		}},
		form: app.RequestForm{CanSend: true, AboutName: "Lisinopril 10 mg", HasRefills: true, Refills: 1,
			Pharmacies: []app.Pharmacy{{Ref: "Organization/ph1", Name: "CareMail Pharmacy", Address: "1 Main St", Preferred: true}}},
	}
	v := newRequestsView(context.Background(), src, "p1")
	w := test.NewWindow(v.CanvasObject())
	defer w.Close()
	w.Resize(fyne.NewSize(360, 740))
	v.Refresh()
	q.waitShows(t, w,
		"Sus solicitudes", "Pedir una derivación", "Copia de mis informes", "Solicitudes abiertas",
		"Pendiente de envío: se enviará cuando Carebook conecte con su centro médico",
		"Enviada al centro médico: la consulta aún no la ha revisado",
		"Rechazada", "El centro médico dice", declined, "Farmacia", "Usted escribió",
		"No se pudo hacer", "Respuesta del centro médico", refused, "Reintentar", "Descartar", "Escribir a la consulta",
		"Completada", "Pedido", "Solicitudes terminadas",
	)
	noButtonCutOff(t, w)
	screenshot(t, w, "requests-es-360x740")

	v.showForm(app.RequestRefill, "MedicationRequest/1")
	q.waitShows(t, w, "Pedir una renovación de receta", "Medicamento", "Lisinopril 10 mg",
		"Esta receta aún permite 1 dispensación:", "Enviarla a", "CareMail Pharmacy (preferida)",
		"Nota para la consulta", "Enviar solicitud", "Volver a las solicitudes")
	noButtonCutOff(t, w)
	screenshot(t, w, "requests-es-refill-360x740")

	// The practice ended this access: the request waiting says, in
	// Spanish, that it cannot go, and the refused one cannot be tried
	// again (it can still be discarded).
	src.requests.AccessEnded = true
	ended := newRequestsView(context.Background(), src, "p1")
	w.SetContent(ended.CanvasObject())
	ended.Refresh()
	q.waitShows(t, w, "Guardado en este dispositivo, pero no enviado: su centro médico ha terminado su acceso", "Descartar")
	if shown := shownText(w.Content()); strings.Contains(shown, "se enviará") || strings.Contains(shown, "Reintentar") {
		t.Errorf("the requests of an ended record promise sending: %s", shown)
	}
}

// noButtonCutOff fails when a button on show is narrower than its text
// and icon need (its words would be drawn over its edge).
func noButtonCutOff(t *testing.T, w fyne.Window) {
	t.Helper()
	walkVisible(w.Content(), func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.MinSize().Width > b.Size().Width+0.5 {
			t.Errorf("the button %q is %.0f px wide at %s in Spanish, it needs %.0f", b.Text, b.Size().Width,
				fmtSize(w.Canvas().Size()), b.MinSize().Width)
		}
	})
}

// visitsInSpanish is TestQuestionsBeforeVisitInTheWindow's Spanish part
// (it reuses its practice and synced record): a booked visit, its
// questions and the booking page at phone size in Spanish, against the
// practice over HTTP: the state and fields of the appointment, the
// questions block with its plural, the form's yes/no and its date typed as
// Spain writes dates (DD/MM/AAAA, read as 2024-03-15 by the practice), and
// the booking page's first day in the same form, with its ranges in
// Spanish.
func visitsInSpanish(t *testing.T, q uiQueue, practice *demo.Practice, core *bookingCore) {
	speakSpanish(t)
	ctx := context.Background()
	ft, err := core.FreeSlots(ctx, core.profile, app.SlotQuery{VisitType: "new-patient", Provider: "Practitioner/dr-park"})
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
	sub, err := core.Book(ctx, core.profile, app.BookRequest{Slot: slot, Reason: "Primera visita"})
	if err != nil {
		t.Fatal(err)
	}
	apptID := strings.TrimPrefix(sub.Ref, "Appointment/")

	v := buildRecordView(core.App, core.profile, nil, false)
	w := test.NewWindow(v.CanvasObject())
	v.win = w
	defer w.Close()
	w.Resize(fyne.NewSize(360, 740))
	v.ShowSection("visits")
	q.waitShows(t, w, "Próximamente", "Preguntas")
	noRowCutOff(t, w)
	// The earlier runs booked the same kind of visit: this one by its key.
	md := v.section("visits").md
	opened := false
	for i, it := range md.items {
		if it.key == "Appointment/"+apptID && strings.HasPrefix(it.title, "New patient visit con ") {
			md.list.Select(i)
			opened = true
		}
	}
	if !opened {
		t.Fatalf("no row for Appointment/%s titled in Spanish", apptID)
	}
	q.waitShows(t, w, "Estado", "Con", "Motivo", "Primera visita", "Antes de su visita",
		"El centro médico le pide que responda 6 preguntas antes de esta visita: Before your first visit.",
		"Añadir al calendario", "Cambiar de hora", "Cancelar la cita")
	noButtonCutOff(t, w)
	screenshot(t, w, "visits-es-appointment-360x740")

	test.Tap(findButton(t, w.Content(), "Responder 6 preguntas"))
	q.waitShows(t, w, "Las preguntas marcadas con * necesitan respuesta.", "Enviar respuestas", "DD/MM/AAAA, por ejemplo")
	radios := radioGroups(w.Content())
	if len(radios) != 2 || radios[0].Options[0] != "Sí" || radios[0].Options[1] != "No" {
		t.Fatalf("the form's choices in Spanish: %d groups", len(radios))
	}
	radios[0].SetSelected("Sí")
	q.waitShows(t, w, "Which ones, and how often do you take them? *")
	entries := findEntries(w.Content())
	if len(entries) != 4 {
		t.Fatalf("%d entries on the form", len(entries))
	}
	test.Type(entries[0], "Dolor de rodilla al subir escaleras")
	test.Type(entries[1], "Ibuprofeno 200 mg si lo necesito")
	test.Type(entries[2], "Penicilina")
	test.Type(entries[3], "2024/15/03")
	radios[1].SetSelected("Used to smoke")
	test.Tap(findButton(t, w.Content(), "Enviar respuestas"))
	q.waitShows(t, w, "Escriba la fecha como DD/MM/AAAA, por ejemplo", "Revise las respuestas marcadas arriba, por favor.")
	noButtonCutOff(t, w)
	screenshot(t, w, "visits-es-questions-360x740")
	entries[3].SetText("15/03/2024")
	test.Tap(findButton(t, w.Content(), "Enviar respuestas"))
	q.waitShows(t, w, "Respuestas enviadas: Before your first visit (el centro médico las tiene")
	at := answersAt(t, practice, apptID)
	if len(at) != 1 {
		t.Fatalf("%d answers at the practice", len(at))
	}
	for _, want := range []string{`"valueBoolean":true`, `"valueDate":"2024-03-15"`, `"code":"former"`} {
		if !strings.Contains(string(at[0].JSON), want) {
			t.Errorf("the practice's answers lack %s: %s", want, at[0].JSON)
		}
	}

	md.showDetail(v.bookingPage(md, nil))
	today := appLocale().DateEntry(sectionClock().Local())
	q.waitShows(t, w, "Pedir una cita", "¿Para qué es la visita?", "Buscar desde", "1 mes", "Buscar horas libres",
		"horas libres del", "Las horas están en la zona horaria de este dispositivo.")
	var from *widget.Entry
	for _, e := range findEntries(w.Content()) {
		if !e.MultiLine && from == nil {
			from = e
		}
	}
	if from == nil || from.Text != today || !strings.Contains(today, "/") || from.PlaceHolder != "DD/MM/AAAA" {
		t.Fatalf("the first day's field in Spanish: %+v, want %q", from, today)
	}
	// (The free times' buttons are as wide as their words in every
	// language: not checked here.)
	screenshot(t, w, "visits-es-booking-360x740")
	from.SetText("2026-99-01")
	test.Tap(findButton(t, w.Content(), "Buscar horas libres"))
	q.waitShows(t, w, "Escriba el primer día como DD/MM/AAAA, por ejemplo "+today+".")
}
