package app

import (
	"testing"
	"time"

	"github.com/carebook/carebook/internal/i18n"
)

// TestNotificationsInSpanish: a patient whose system speaks Spanish gets
// the notifications in Spanish, still without a name, subject or result.
func TestNotificationsInSpanish(t *testing.T) {
	i18n.SetLanguage("es")
	t.Cleanup(func() { i18n.SetLanguage("en") })
	p := startMsgPractice(t)
	a, id := openMsgApp(t, p, t.TempDir())
	patient := practicePatient(t, a, id)
	fake := &fakeNotifier{}
	a.SetNotifier(fake)

	syncNow(t, a, id)
	first := fake.take()
	due := ofKind(first, NotifyCareDue)
	if len(due) != 1 || due[0].Title != "Tiene un recordatorio de salud pendiente" || due[0].Body != "Abra Carebook para ver qué." {
		t.Fatalf("care due = %+v, want one private reminder in Spanish", due)
	}

	now := p.staffNow()
	addStaffMessage(t, p, patient, "note-ferritin", "Your ferritin result", now.Add(-time.Minute))
	addResult(t, p, patient, "rep-ferritin", now.Add(-time.Hour))
	syncNow(t, a, id)
	got := fake.take()
	msgs, results := ofKind(got, NotifyMessages), ofKind(got, NotifyResults)
	if len(msgs) != 1 || msgs[0].Title != "Nuevo mensaje de su centro médico" || msgs[0].Body != "Abra Carebook para leerlo." {
		t.Errorf("messages = %+v, want one in Spanish", msgs)
	}
	if len(results) != 1 || results[0].Title != "Nuevo resultado" || results[0].Body != "Abra Carebook para verlo." {
		t.Errorf("results = %+v, want one in Spanish", results)
	}
	noPHI(t, append(got, first...), "ferritin", newResultName, newResultValue, newMessageText)

	for k, want := range map[NotificationKind]string{
		NotifyMessages: "Mensajes nuevos", NotifyResults: "Resultados nuevos", NotifyRequests: "Novedades de solicitudes",
		NotifyAppointments: "Recordatorios de citas", NotifyCareDue: "Atención preventiva pendiente",
	} {
		if got := k.Label(); got != want {
			t.Errorf("%s.Label() = %q in Spanish, want %q", k, got, want)
		}
	}
}
