package ui

import (
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/storage"
)

// assertShellAndSettingsInSpanish checks, on Settings of a shell opened
// with the system set to Spanish (TestHomeAndSettingsInSpanish), that the
// tabs, the status line and Settings' cards speak Spanish at phone size,
// with nothing wider than the phone and no text beyond its edge.
func assertShellAndSettingsInSpanish(t *testing.T, q uiQueue, u *UI, w fyne.Window) {
	t.Helper()
	var tabs []string
	for _, it := range u.shell.tabs.Items {
		tabs = append(tabs, u.shell.nav.title(it))
	}
	if got, want := strings.Join(tabs, ", "), "Inicio, Historial médico, Mensajes, Solicitudes, Ajustes"; got != want {
		t.Errorf("tabs %q, want %q", got, want)
	}
	q.waitShows(t, w, "Actualizado ahora mismo", "Bloquear", "Sus datos", "Bloquear después de", "(Elija una opción)",
		"Apariencia", "Tamaño del texto", "100 % (normal)", "Aspecto", "Notificaciones", "Para el historial de",
		"Mensajes nuevos", "Resultados nuevos", "Mostrar detalles", "Frase de contraseña", "Cambiar la frase de contraseña",
		"Un bloqueo propio para Maya", "Historiales", "Centros médicos y familiares", "Quitar de este dispositivo",
		"Revisar y descargar de nuevo", "Quién puede ver su historial", "Este dispositivo", "Carebook guarda sus datos cifrados en")
	assertMinFits(t, w, 360)
	assertFits(t, w)
}

// assertConnectAndLockInSpanish shows the screen that adds a family
// member or practice, then locks, and checks both speak Spanish at phone
// size (TestHomeAndSettingsInSpanish).
func assertConnectAndLockInSpanish(t *testing.T, q uiQueue, u *UI, w fyne.Window) {
	t.Helper()
	u.showScreen(func() fyne.CanvasObject { return u.connectScreen(func() {}) })
	q.waitShows(t, w, "Añadir un familiar o un centro médico", "Conectar", "Tengo un código de activación",
		"Probar un centro médico de demostración", "Atrás")
	assertMinFits(t, w, 360)
	screenshot(t, w, "es-connect-360x740")

	u.core.Lock()
	q.waitShows(t, w, "Carebook está bloqueado", "Escriba su frase de contraseña para leer su historial.", "Desbloquear")
	assertMinFits(t, w, 360)
	screenshot(t, w, "es-lock-360x740")
}

// TestWelcomeInSpanish: the first screen a new user sees, in Spanish.
func TestWelcomeInSpanish(t *testing.T) {
	speakSpanish(t)
	test.NewTempApp(t)
	w := test.NewWindow(welcomeScreen())
	t.Cleanup(w.Close)
	w.Resize(fyne.NewSize(360, 740))
	assertShows(t, w, "Bienvenido a Carebook", "Su historial médico de todos los centros médicos",
		"Todo lo que Carebook guarda está cifrado en este dispositivo")
	assertFits(t, w)
	screenshot(t, w, "es-welcome-360x740")
}

// TestSettingsWordsInSpanish: the sentences Settings, the shell and the
// record's access notes build (plurals, names, his/her/their, times ago,
// storage problems, a moved practice, leaving for the browser) read as
// whole Spanish sentences.
func TestSettingsWordsInSpanish(t *testing.T) {
	speakSpanish(t)
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.Local)
	leo := app.ProfileInfo{Label: "Leo Okafor", Relationship: "your son"}
	tests := []struct{ got, want string }{
		{repairSummary("Maya", storage.RepairReport{Records: 1, Outbox: 2}, errors.New("offline")),
			"1 parte del historial de Maya no se pudo leer y se quitó. 2 elementos que no se habían enviado no se pudieron leer y se han perdido. " +
				"No se pudo descargar el historial ahora; Carebook lo vuelve a intentar en la próxima actualización."},
		{repairSummary("Maya", storage.RepairReport{}, nil),
			"Todas las partes del historial de Maya se pudieron leer. El historial se volvió a descargar del centro médico."},
		{sharedText(leo, app.Access{Limited: true, Shared: []string{"appointments", "test-results", "billing"}}),
			"El centro médico de Leo comparte con usted sus citas, resultados de pruebas y facturación."},
		{hiddenText(leo, "care-plans", "Solo en persona."),
			"El centro médico de Leo no comparte con usted sus planes de cuidados. El centro médico dice: Solo en persona."},
		{lastSyncText(now.Add(-5*time.Minute), now), "Actualizado hace 5 minutos"},
		{lastSyncText(now.Add(-time.Hour), now), "Actualizado hace 1 hora"},
		{lastSyncText(now.Add(-20*time.Second), now), "Actualizado ahora mismo"},
		{lastSyncText(time.Time{}, now), "Aún sin actualizar"},
		{humanStorageError(storage.ErrDiskFull), "Su dispositivo no tiene espacio, así que Carebook no pudo guardar esto. " +
			"No se envió nada y lo que guardó antes está a salvo. Libere algo de espacio y vuelva a intentarlo."},
		{movedText("", "https://new.example/fhir"), "Su centro médico dice que se ha trasladado a https://new.example/fhir. " +
			"Carebook no ha enviado allí su inicio de sesión. Inicie sesión en la nueva dirección para mantener este historial al día: " +
			"lo guardado aquí y lo pendiente de envío se conservan."},
		{personLine(app.ProfileInfo{Label: "Maya Rivera", Self: true}), "Maya (usted)"},
		{idleLabel(1) + ", " + idleLabel(15) + ", " + idleLabel(60), "1 minuto, 15 minutos, 1 hora"},
		{backgroundLabel(-1) + ", " + backgroundLabel(60) + ", " + backgroundLabel(300), "De inmediato, Después de 1 minuto, Después de 5 minutos"},
		{typeLabel("Observation") + ", " + typeLabel("everything"), "resultados, su historial"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got  %q\nwant %q", tt.got, tt.want)
		}
	}

	// Leaving for the browser asks in Spanish, naming the site.
	test.NewTempApp(t)
	w := test.NewWindow(nil)
	defer w.Close()
	w.Resize(fyne.NewSize(360, 740))
	confirmLeaving(w, lang.L("Terms of use"), lang.L("your practice's terms of use"), "https://portal.riverside.example/terms", func() {})
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no question before leaving")
	}
	for _, want := range []string{"Condiciones de uso",
		"Esto abre las condiciones de uso de su centro médico en su navegador, en portal.riverside.example. Allí sale de Carebook.",
		"Abrir", "Cancelar"} {
		if !strings.Contains(shownText(top), want) {
			t.Errorf("the question before leaving does not say %q: %s", want, shownText(top))
		}
	}
}
