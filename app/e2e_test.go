package app

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/practice/demo"
	"github.com/carebook/carebook/storage"
)

// startDemo starts the reference practice in-process the way the app's
// demo does, with cheap password hashing.
func startDemo(t *testing.T) *demo.Practice {
	t.Helper()
	d, err := demo.Start(context.Background(), demo.Options{PasswordCost: 64, StaffDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// TestDemoEndToEnd walks what a patient does: set up, connect the demo
// practice (SMART sign-in on its real pages), sync, read the dashboard and
// the record, search it, lock, unlock, and keep reading with the practice
// gone.
func TestDemoEndToEnd(t *testing.T) {
	ctx := context.Background()
	practice := startDemo(t)
	core, err := Open(Config{
		DataDir:     t.TempDir(),
		Storage:     storage.Options{KDF: cheapKDF, NoKeyring: true},
		IdleTimeout: -1,
		Demo:        func(context.Context) (DemoPractice, error) { return practice, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Close()
	if err := core.Setup(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}

	p, err := core.ConnectDemo(ctx)
	if err != nil {
		t.Fatalf("ConnectDemo: %v", err)
	}
	if !strings.HasPrefix(p.Label, "Maya") || !strings.HasSuffix(p.Label, "Rivera") {
		t.Errorf("profile label = %q, want the demo patient's name from the server", p.Label)
	}
	if p.TermsURL == "" {
		t.Error("the practice publishes its terms of use (op_tos_uri); the profile does not have them")
	} else if resp, err := http.Get(p.TermsURL); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("terms of use at %s: %v %v", p.TermsURL, resp, err)
	} else {
		resp.Body.Close()
	}
	start := time.Now()
	if err := core.Sync(ctx, p.ID); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	t.Logf("first sync took %v", time.Since(start))

	dash, err := core.Dashboard(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(dash.Upcoming) == 0 {
		t.Error("dashboard shows no upcoming appointment; the demo patient has one booked")
	}
	if len(dash.Medications) == 0 {
		t.Error("dashboard shows no active medication")
	}
	if dash.Profile.LastSync.IsZero() {
		t.Error("last sync time not recorded")
	}

	chart, err := core.Chart(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(chart.Observations) < 50 || len(chart.Medications) == 0 || len(chart.Allergies) == 0 || len(chart.Immunizations) == 0 {
		t.Errorf("chart too thin: %d observations, %d medications, %d allergies, %d immunizations",
			len(chart.Observations), len(chart.Medications), len(chart.Allergies), len(chart.Immunizations))
	}
	allergy := chart.Allergies[0].Substance
	hits, err := core.Search(ctx, p.ID, allergy, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 || !strings.Contains(strings.ToLower(hits[0].Title), strings.ToLower(allergy)) {
		t.Errorf("search for %q found %+v", allergy, hits)
	}

	// Locked: nothing of the record can be read.
	core.Lock()
	if _, err := core.Chart(ctx, p.ID); !errors.Is(err, storage.ErrLocked) {
		t.Fatalf("Chart while locked = %v, want ErrLocked", err)
	}
	if err := core.Unlock(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}

	// Offline: the practice is gone; the sync says so and the record stays.
	practice.Close()
	start = time.Now()
	err = core.Sync(ctx, p.ID)
	t.Logf("offline sync failed after %v", time.Since(start))
	if !errors.Is(err, ErrOffline) {
		t.Fatalf("Sync with the practice down = %v, want ErrOffline", err)
	}
	again, err := core.Chart(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Observations) != len(chart.Observations) {
		t.Errorf("offline chart has %d observations, had %d", len(again.Observations), len(chart.Observations))
	}
}

// TestConnectWithActivationCode: a patient with an activation code is sent
// to the practice's enrollment page first, a patient without one to its
// sign-in page.
func TestConnectWithActivationCode(t *testing.T) {
	practice := startDemo(t)
	opened := make(chan string, 1)
	errStop := errors.New("the test stops at the browser")
	core, err := Open(Config{
		DataDir:     t.TempDir(),
		Storage:     storage.Options{KDF: cheapKDF, NoKeyring: true},
		IdleTimeout: -1,
		OpenBrowser: func(u string) error { opened <- u; return errStop },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Close()
	ctx := context.Background()
	if err := core.Setup(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	for _, code := range []bool{true, false} {
		if _, err := core.Connect(ctx, practice.FHIRBase(), ConnectOptions{ActivationCode: code}); !errors.Is(err, errStop) {
			t.Fatalf("Connect = %v, want the browser's error", err)
		}
		u, err := url.Parse(<-opened)
		if err != nil {
			t.Fatal(err)
		}
		if got := u.Query().Get("prompt") == "create"; got != code {
			t.Errorf("activation code %v: authorize URL %s", code, u)
		}
		// The practice's page for that URL: enrollment or sign-in.
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := noFollow.Get(u.String())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		want := "/auth/login"
		if code {
			want = "/auth/enroll"
		}
		if loc := resp.Header.Get("Location"); loc != want {
			t.Errorf("activation code %v: the practice sends the browser to %q, want %q", code, loc, want)
		}
	}
}
