package ui

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/internal/practicetest"
	"github.com/carebook/carebook/practice/demo"
)

// TestPracticeMovedInTheWindow: the practice's old address answers with a
// permanent redirect; the record's screen says plainly that the practice
// moved and where, nothing reaches the new address, and "Sign in at the
// new address" (a real SMART sign-in there) brings the record back up to
// date, kept. With CAREBOOK_SHOTS set, the screens are written there.
func TestPracticeMovedInTheWindow(t *testing.T) {
	for _, size := range []fyne.Size{{Width: 360, Height: 740}, {Width: 1280, Height: 800}} {
		t.Run(fmtSize(size), func(t *testing.T) { practiceMovedInTheWindow(t, size) })
	}
}

func practiceMovedInTheWindow(t *testing.T, size fyne.Size) {
	ctx := context.Background()
	q := useQueue(t)
	fyneApp := test.NewTempApp(t)
	lightTheme(t)
	dataFile := filepath.Join(t.TempDir(), "practice.db")
	old, err := demo.Start(ctx, demo.Options{DataFile: dataFile, PasswordCost: 64, StaffDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	current := old
	browser := func(authorize string) error { // the patient signs in, as in a browser
		mu.Lock()
		d := current
		mu.Unlock()
		return practicetest.DeliverRedirect(d.SignIn(ctx, authorize))
	}
	core := openSetUpCoreWith(t, "a moving passphrase", app.Config{OpenBrowser: browser})
	defer core.Close()
	p, err := core.Connect(ctx, old.FHIRBase(), app.ConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := core.Sync(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	oldHost := strings.TrimSuffix(strings.TrimPrefix(old.FHIRBase(), "http://"), "/fhir")
	old.Close()

	var reached atomic.Int64
	standIn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	standInSrv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		http.Error(w, "not yet", http.StatusServiceUnavailable)
	})}
	go standInSrv.Serve(standIn)
	newHost := standIn.Addr().String()
	oldLn, err := net.Listen("tcp", oldHost)
	if err != nil {
		t.Fatalf("listen at the old address: %v", err)
	}
	redirector := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+newHost+r.URL.RequestURI(), http.StatusPermanentRedirect)
	})}
	go redirector.Serve(oldLn)
	defer redirector.Close()

	u := NewMainWindow(fyneApp, core, Options{})
	w := u.Window()
	defer w.Close()
	w.Resize(size)
	u.showUnlockedHomeAt(p.ID)
	q.waitShows(t, w, "says it has moved to http://"+newHost+"/fhir", "Carebook has not sent your sign-in there",
		"Sign in at the new address", "Hello, Maya")
	assertFits(t, w)
	screenshot(t, w, "moved-"+fmtSize(size))
	if n := reached.Load(); n != 0 {
		t.Fatalf("%d requests reached the new address before the sign-in there", n)
	}

	standInSrv.Close()
	_, port, _ := net.SplitHostPort(newHost)
	portFile := filepath.Join(t.TempDir(), "port")
	if err := os.WriteFile(portFile, []byte(port), 0o600); err != nil {
		t.Fatal(err)
	}
	moved, err := demo.Start(ctx, demo.Options{DataFile: dataFile, PortFile: portFile, PasswordCost: 64, StaffDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer moved.Close()
	mu.Lock()
	current = moved
	mu.Unlock()
	test.Tap(findButton(t, w.Content(), "Sign in at the new address"))
	waitFor(t, q, func() bool {
		ps, err := core.Profiles(ctx)
		return err == nil && len(ps) == 1 && ps[0].PracticeURL == moved.FHIRBase() && ps[0].MovedTo == ""
	})
	waitFor(t, q, func() bool { return !strings.Contains(shownText(w.Content()), "Opening the sign-in page") })
	q.waitShows(t, w, "Hello, Maya", "Riverside Family Medicine · Updated just now")
	waitFor(t, q, func() bool { return u.shell != nil && u.shell.syncBtn != nil && !u.shell.syncBtn.Disabled() })
	if shown := shownText(w.Content()); strings.Contains(shown, "has moved") || strings.Contains(shown, "Sign in at the new address") {
		t.Fatalf("the move is still shown after signing in at the new address: %s", shown)
	}
}
