package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/carebook/carebook/practice/demo"
)

// TestSettingsAndShellInSpanish: with the system set to Spanish, the
// shell (tabs, status line), Settings, the connect screen and the lock
// screen speak Spanish at phone size, with nothing wider than the phone
// and no text beyond its edge.
func TestSettingsAndShellInSpanish(t *testing.T) {
	speakSpanish(t)
	q := useQueue(t)
	ctx := context.Background()
	fyneApp := test.NewTempApp(t)
	fyneApp.Preferences().SetString(prefLook, "light")
	practice, err := demo.Start(ctx, demo.Options{PasswordCost: 64, StaffDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { practice.Close() })
	core := openSetUpCore(t, "Spanish settings", practice)
	t.Cleanup(func() { core.Close() })
	if _, err := core.ConnectDemo(ctx); err != nil {
		t.Fatal(err)
	}
	u := NewMainWindow(fyneApp, core, Options{})
	w := u.Window()
	t.Cleanup(w.Close)
	w.Resize(fyne.NewSize(360, 740))
	q.waitShows(t, w, "Actualizado ahora mismo", "Bloquear")
	var tabs []string
	for _, it := range u.shell.tabs.Items {
		tabs = append(tabs, u.shell.nav.title(it))
	}
	if got, want := strings.Join(tabs, ", "), "Inicio, Historial médico, Mensajes, Solicitudes, Ajustes"; got != want {
		t.Errorf("tabs %q, want %q", got, want)
	}
	screenshot(t, w, "es-home-360x740")

	selectTab(t, w, "Ajustes")
	q.waitShows(t, w, "Sus datos", "Bloquear después de", "Apariencia", "Tamaño del texto", "100 % (normal)",
		"Aspecto", "Notificaciones", "Para el historial de", "Mensajes nuevos", "Resultados nuevos", "Mostrar detalles",
		"Frase de contraseña", "Cambiar la frase de contraseña", "Historiales", "Centros médicos y familiares",
		"Quitar de este dispositivo", "Revisar y descargar de nuevo", "Quién puede ver su historial", "Este dispositivo",
		"Carebook guarda sus datos cifrados en")
	assertMinFits(t, w, 360)
	assertFits(t, w)
	screenshot(t, w, "es-settings-360x740")

	u.showScreen(func() fyne.CanvasObject { return u.connectScreen(func() {}) })
	q.waitShows(t, w, "Añadir un familiar o un centro médico", "Conectar", "Tengo un código de activación",
		"Probar un centro médico de demostración", "Atrás")
	assertMinFits(t, w, 360)
	screenshot(t, w, "es-connect-360x740")

	core.Lock()
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
