package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"
)

// TestHomeAndSettingsInSpanish: on a device set to Spanish the home screen
// of the demo patient (synced over HTTP), Settings' activity list and "Who
// looked at my record" (asked of the practice) speak Spanish, and nothing
// is cut off at phone size. With CAREBOOK_SHOTS set, each is written
// there.
func TestHomeAndSettingsInSpanish(t *testing.T) {
	q := useQueue(t)
	fyneApp := test.NewTempApp(t)
	lightTheme(t)
	core, _, _ := openDemoCore(t)
	speakSpanish(t)

	u := NewMainWindow(fyneApp, core, Options{})
	w := u.Window()
	defer w.Close()
	w.Resize(fyne.NewSize(360, 740))
	q.waitShows(t, w, "Hola, Maya", "Próximamente", "Mensajes", "Ver resultados")
	for _, english := range []string{"Coming up", "See results", "Your medications", "No new messages"} {
		assertNotShown(t, w, english)
	}
	screenshot(t, w, "es-home-360x740")
	assertFits(t, w)

	selectTab(t, w, lang.L("Settings"))
	if sc, ok := u.shell.settingsTab.Content.(*fyne.Container).Objects[0].(*container.Scroll); ok {
		sc.ScrollToBottom()
	}
	q.waitShows(t, w, "Actividad en este dispositivo", "Sesión iniciada en el centro médico", "Cambiar las claves de cifrado",
		"Quién consultó mi historial")
	screenshot(t, w, "es-settings-360x740")
	assertFits(t, w)
	assertShellAndSettingsInSpanish(t, q, u, w)

	test.Tap(findButton(t, w.Content(), "Quién consultó mi historial"))
	q.waitShows(t, w, "Lo más reciente primero", "Usted (Carebook) consultó su historial · ")
	assertNotShown(t, w, "looked at your record")
	screenshot(t, w, "es-who-360x740")
	assertFits(t, w)

	assertConnectAndLockInSpanish(t, q, u, w)
}

// assertNotShown fails when the window shows text.
func assertNotShown(t *testing.T, w fyne.Window, text string) {
	t.Helper()
	if got := shownText(w.Content()); strings.Contains(got, text) {
		t.Errorf("window shows %q: %s", text, got)
	}
}
