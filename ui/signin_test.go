package ui

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/internal/practicetest"
	"github.com/carebook/carebook/practice/synth"
)

// TestSignInAgainAsAnotherPersonInTheWindow: on a shared computer, the
// browser completes Maya's "Sign in again" with her daughter's login,
// which opens Nia's record, not hers. The banner says so plainly, this
// record still asks for its own sign-in, and Maya's login then brings it
// up to date. With CAREBOOK_SHOTS set, the banner is written there.
func TestSignInAgainAsAnotherPersonInTheWindow(t *testing.T) {
	for _, size := range []fyne.Size{{Width: 360, Height: 740}, {Width: 1280, Height: 800}} {
		t.Run(fmtSize(size), func(t *testing.T) { signInAgainAsAnotherPerson(t, size) })
	}
}

func signInAgainAsAnotherPerson(t *testing.T, size fyne.Size) {
	ctx := context.Background()
	q := useQueue(t)
	fyneApp := test.NewTempApp(t)
	lightTheme(t)
	practice := startPractice(t)
	var mu sync.Mutex
	user, patient := "maya", synth.MayaID // who signs in at the browser
	signInAs := func(u, p string) {
		mu.Lock()
		defer mu.Unlock()
		user, patient = u, p
	}
	browser := func(authorize string) error {
		mu.Lock()
		u, p := user, patient
		mu.Unlock()
		return practicetest.DeliverRedirect(practice.SignInAs(ctx, authorize, u, p))
	}
	core := openSetUpCoreWith(t, "a shared passphrase", app.Config{OpenBrowser: browser})
	defer core.Close()
	maya, err := core.Connect(ctx, practice.FHIRBase(), app.ConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := core.Sync(ctx, maya.ID); err != nil {
		t.Fatal(err)
	}
	practice.Server().Auth().ExpireSignIns()

	u := NewMainWindow(fyneApp, core, Options{})
	w := u.Window()
	defer w.Close()
	w.Resize(size)
	u.showUnlockedHomeAt(maya.ID)
	q.waitShows(t, w, "Your practice needs you to sign in again", "Sign in again", "Hello, Maya")

	signInAs("nia", synth.NiaID) // her daughter's login, still open in the browser
	test.Tap(findButton(t, w.Content(), "Sign in again"))
	q.waitShows(t, w, "That sign-in opened another person's record. This record still needs a sign-in with its own account.",
		"Sign in again", "Hello, Maya")
	q.drain()
	assertFits(t, w)
	noButtonCutOff(t, w)
	screenshot(t, w, "signin-other-record-"+fmtSize(size))
	ps, err := core.Profiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(ps, func(p app.ProfileInfo) bool { return p.ID == maya.ID }); i < 0 || !ps[i].NeedsSignIn || ps[i].Ended {
		t.Fatalf("profiles %+v: want Maya's kept, still needing her sign-in", ps)
	}

	signInAs("maya", synth.MayaID)
	test.Tap(findButton(t, w.Content(), "Sign in again"))
	q.waitShows(t, w, "Hello, Maya", "Riverside Family Medicine · Updated just now")
	waitFor(t, q, func() bool { return !strings.Contains(shownText(w.Content()), "sign-in") })
}
