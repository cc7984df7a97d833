package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
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
