package smart

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"
)

// chromiumPath returns Debian's Chromium, skipping the test when it is not
// installed unless CAREBOOK_REQUIRE_CHROMIUM=1.
func chromiumPath(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CAREBOOK_REQUIRE_CHROMIUM") == "1" {
			t.Fatalf("chromium not found but CAREBOOK_REQUIRE_CHROMIUM=1: %v", err)
		}
		t.Skip("chromium is not installed (apt-get install chromium); set CAREBOOK_REQUIRE_CHROMIUM=1 to fail instead")
	}
	return path
}

// shotsDir is where page screenshots go: $CAREBOOK_SHOTS or a temp dir.
func shotsDir(t *testing.T) string {
	if d := os.Getenv("CAREBOOK_SHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// TestBrowserCodeFlow drives headless Chromium through sign-in, the patient
// picker and consent to the app's loopback redirect, then through
// enrollment with an activation code, at a phone's and a desktop's width,
// saving a screenshot of every page.
func TestBrowserCodeFlow(t *testing.T) {
	chromium := chromiumPath(t)
	e := newTestEnv(t)
	dir := shotsDir(t)

	got := make(chan *url.URL, 1)
	callback := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r) // the browser also asks for /favicon.ico
			return
		}
		select {
		case got <- r.URL:
		default:
		}
		fmt.Fprintln(w, "Signed in. You can close this window.")
	}))
	defer callback.Close()

	for _, width := range []int64{360, 1280} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			// A browser of its own per width, with its own profile folder:
			// two Chromium processes sharing one profile hand over to each
			// other through the profile's lock, and the second one's page
			// never loads when the first has not quite exited (seen as a
			// "login: context deadline exceeded" in CI under load).
			alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
				chromedp.ExecPath(chromium),
				chromedp.Headless,
				chromedp.NoSandbox,
				chromedp.DisableGPU,
				chromedp.NoFirstRun,
				chromedp.Flag("disable-background-networking", true),
				chromedp.Flag("disable-component-update", true),
				chromedp.Flag("disable-sync", true),
				chromedp.Flag("disable-dev-shm-usage", true),
				chromedp.UserDataDir(t.TempDir()),
				// Keep Chromium off the session bus's accessibility service.
				chromedp.Env("NO_AT_BRIDGE=1"),
			)
			defer cancelAlloc()
			ctx, cancel := chromedp.NewContext(alloc)
			defer cancel()
			// The first Run starts the browser: no timeout on it.
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 740)); err != nil {
				t.Fatalf("start chromium: %v", err)
			}
			ctx, cancelRun := context.WithTimeout(ctx, 90*time.Second)
			defer cancelRun()
			shot := func(name string) {
				t.Helper()
				png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
				if err != nil {
					t.Fatalf("screenshot %s: %v", name, err)
				}
				if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, width)), png, 0o644); err != nil {
					t.Fatal(err)
				}
			}

			cfg := e.oauthConfig()
			cfg.RedirectURL = callback.URL + "/callback"
			verifier := oauth2.GenerateVerifier()
			state := fmt.Sprintf("browser-%d", width)
			steps := []struct {
				name    string
				actions []chromedp.Action[chromedp.Void]
			}{
				{"login", []chromedp.Action[chromedp.Void]{
					chromedp.Navigate(e.authURL(cfg, state, verifier)),
					chromedp.WaitVisible(chromedp.ID("username")),
				}},
				{"picker", []chromedp.Action[chromedp.Void]{
					chromedp.SendKeys(chromedp.ID("username"), "maya"),
					chromedp.SendKeys(chromedp.ID("password"), testPassword),
					chromedp.Click(chromedp.CSS(`#login button[type=submit]`)),
					chromedp.WaitVisible(chromedp.ID("picker")),
				}},
				{"consent", []chromedp.Action[chromedp.Void]{
					chromedp.Click(chromedp.CSS(`input[name=patient][value=leo]`)),
					chromedp.Click(chromedp.CSS(`#picker button[type=submit]`)),
					chromedp.WaitVisible(chromedp.ID("consent")),
				}},
			}
			for _, s := range steps {
				if err := chromedp.Do(ctx, s.actions...); err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				shot(s.name)
			}
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#consent button[value=approve]`))); err != nil {
				t.Fatalf("approve: %v", err)
			}
			var u *url.URL
			select {
			case u = <-got:
			case <-ctx.Done():
				t.Fatal("the browser never reached the redirect_uri")
			}
			if u.Query().Get("state") != state || u.Query().Get("code") == "" {
				t.Fatalf("redirect %v", u)
			}
			tok, err := cfg.Exchange(context.Background(), u.Query().Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			if tok.Extra("patient") != "leo" {
				t.Errorf("patient = %v, want leo", tok.Extra("patient"))
			}

			// The other pages, for the screenshots.
			code, err := e.srv.CreateActivationCode(context.Background(), "sam")
			if err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(ctx,
				chromedp.Navigate(e.base+"/auth/enroll"),
				chromedp.WaitVisible(chromedp.ID("enroll")),
			); err != nil {
				t.Fatalf("enroll page: %v", err)
			}
			shot("enroll")
			if err := chromedp.Do(ctx,
				chromedp.SendKeys(chromedp.ID("activation_code"), code),
				chromedp.SetValue(chromedp.ID("birth_date"), "2007-02-02"),
				chromedp.Click(chromedp.CSS(`#enroll button[type=submit]`)),
				chromedp.WaitVisible(chromedp.ID("account")),
			); err != nil {
				t.Fatalf("account page: %v", err)
			}
			shot("account")
			if err := chromedp.Do(ctx,
				chromedp.SendKeys(chromedp.ID("username"), "maya"), // taken: the page shows an error
				chromedp.SendKeys(chromedp.ID("password"), testPassword),
				chromedp.SendKeys(chromedp.ID("password_confirm"), testPassword),
				chromedp.Click(chromedp.CSS(`input[name=accept_terms]`)),
				chromedp.Click(chromedp.CSS(`#account button[type=submit]`)),
				chromedp.WaitVisible(chromedp.CSS(`.alert`)),
			); err != nil {
				t.Fatalf("account error: %v", err)
			}
			shot("account-error")
			username := fmt.Sprintf("sam%d", width)
			if err := chromedp.Do(ctx,
				chromedp.SetValue(chromedp.ID("username"), username),
				chromedp.SendKeys(chromedp.ID("password"), testPassword),
				chromedp.SendKeys(chromedp.ID("password_confirm"), testPassword),
				chromedp.Click(chromedp.CSS(`input[name=accept_terms]`)),
				chromedp.Click(chromedp.CSS(`#account button[type=submit]`)),
				chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "Your account is ready")]`)),
			); err != nil {
				t.Fatalf("enrollment: %v", err)
			}
			shot("account-ready")
			// The account made in the browser signs in to Sam's chart.
			if tok := e.signIn(e.oauthConfig(), username, ""); tok.Extra("patient") != "sam" {
				t.Errorf("new account %s: patient %v", username, tok.Extra("patient"))
			}
			if err := chromedp.Do(ctx,
				chromedp.Navigate(e.base+"/auth/terms"),
				chromedp.WaitVisible(chromedp.CSS("h1")),
			); err != nil {
				t.Fatalf("terms page: %v", err)
			}
			shot("terms")
		})
	}
	t.Logf("screenshots in %s", dir)
}
