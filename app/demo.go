package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/carebook/carebook/internal/i18n"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/smart"
)

// DemoPractice is the built-in demo practice: a real FHIR + SMART server
// running inside the app on 127.0.0.1, and its demo people's credentials.
// main wires it in (package practice/demo); the core knows only this.
type DemoPractice interface {
	// FHIRBase is the demo practice's FHIR base URL.
	FHIRBase() string
	// SignIn plays the browser on the practice's sign-in pages with the
	// demo patient's credentials and returns the redirect (code + state);
	// a redirect carrying the practice's OAuth error comes with an error.
	SignIn(ctx context.Context, authorizeURL string) (*url.URL, error)
	// Close stops the practice.
	Close() error
}

// DemoPeople is what a demo practice with several people offers besides
// DemoPractice (practice/demo's does); without it the demo has its one
// patient.
type DemoPeople interface {
	// SignInAs is SignIn as one of the demo accounts, choosing patientID
	// in the practice's patient picker ("" when it has one chart).
	SignInAs(ctx context.Context, authorizeURL, username, patientID string) (*url.URL, error)
	// Accounts calls fn with each demo account: username, who it is, and
	// the charts it may open.
	Accounts(fn func(username, description string, patientIDs []string))
}

// demoAccounts calls fn with each of d's demo accounts.
func demoAccounts(d DemoPractice, fn func(username, description string, patientIDs []string)) {
	if people, ok := d.(DemoPeople); ok {
		people.Accounts(fn)
		return
	}
	fn(demoPatientAccount, i18n.L("The demo patient"), []string{""})
}

// ErrNoDemo: this build has no demo practice.
var ErrNoDemo = errors.New("app: no demo practice in this build")

// settingDemo marks the profile of the demo practice.
const settingDemo = "demo"

// demoPatientAccount is the demo account of the main demo patient.
const demoPatientAccount = "maya"

// DemoAccount is one of the demo practice's people: a portal login and the
// records it opens (one for a patient; several for a parent).
type DemoAccount struct {
	Username    string
	Description string // "Amara Okafor, parent of Leo (8, full access) and Nia (14, limited access)"
	Records     int    // how many records it opens
}

// DemoAccounts starts the demo practice (once) and lists its people.
func (a *App) DemoAccounts(ctx context.Context) ([]DemoAccount, error) {
	d, err := a.demoPractice(ctx)
	if err != nil {
		return nil, err
	}
	var out []DemoAccount
	demoAccounts(d, func(username, description string, patients []string) {
		out = append(out, DemoAccount{Username: username, Description: description, Records: len(patients)})
	})
	return out, nil
}

// ConnectDemo starts the demo practice (once) and signs its demo patient in
// through the same SMART code path as a real practice, the app filling in
// the demo credentials on the practice's pages instead of the patient.
func (a *App) ConnectDemo(ctx context.Context) (ProfileInfo, error) {
	ps, err := a.ConnectDemoAccount(ctx, demoPatientAccount)
	if err != nil {
		return ProfileInfo{}, err
	}
	return ps[0], nil
}

// ConnectDemoAccount signs in as one of the demo practice's people and
// adds every record it opens: a parent picks each child in the practice's
// picker, one sign-in per child, as a person would. It returns the
// profiles in the picker's order.
func (a *App) ConnectDemoAccount(ctx context.Context, username string) ([]ProfileInfo, error) {
	d, err := a.demoPractice(ctx)
	if err != nil {
		return nil, err
	}
	var patients []string
	demoAccounts(d, func(u, _ string, ids []string) {
		if u == username {
			patients = ids
		}
	})
	if len(patients) == 0 {
		return nil, fmt.Errorf("demo: %w: no demo account %q", ErrInvalidInput, username)
	}
	var out []ProfileInfo
	for _, patient := range patients {
		p, err := a.signIn(ctx, smart.Config{FHIRBase: d.FHIRBase(), OpenBrowser: demoBrowser(ctx, d, username, patient)})
		if err != nil {
			return out, fmt.Errorf("demo: %w", err)
		}
		err = a.updateSettings(ctx, p.ID, func(s map[string]string) {
			s[settingDemo], s[settingDemoAccount] = "true", username
		})
		if err != nil {
			return out, fmt.Errorf("demo: %w", err)
		}
		a.demoMu.Lock()
		a.demoSigned[p.ID] = true
		a.demoMu.Unlock()
		if p, err = a.store.Profile(ctx, p.ID); err != nil {
			return out, fmt.Errorf("demo: %w", err)
		}
		out = append(out, profileInfo(p))
	}
	a.bus.Publish(ProfilesChanged{})
	return out, nil
}

// demoBrowser returns an OpenBrowser function that signs in as username on
// the demo practice's pages, picks patientID, and delivers the redirect to
// the app's loopback listener, as a browser would.
func demoBrowser(ctx context.Context, d DemoPractice, username, patientID string) func(string) error {
	return func(authorizeURL string) error {
		var redirect *url.URL
		var err error
		if people, ok := d.(DemoPeople); ok {
			redirect, err = people.SignInAs(ctx, authorizeURL, username, patientID)
		} else {
			redirect, err = d.SignIn(ctx, authorizeURL)
		}
		if redirect == nil {
			return fmt.Errorf("demo sign-in: %w", err)
		}
		// A redirect that carries the practice's refusal goes to the app
		// too, as a browser delivers it: the app tells what it means.
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, redirect.String(), nil)
		if err != nil {
			return fmt.Errorf("demo sign-in: %w", err)
		}
		resp, err := httpClient.Do(req)
		if err != nil {
			return fmt.Errorf("demo sign-in: deliver redirect: %w", err)
		}
		return resp.Body.Close()
	}
}

// demoPractice returns the running demo practice, starting it if needed.
func (a *App) demoPractice(ctx context.Context) (DemoPractice, error) {
	if a.cfg.Demo == nil {
		return nil, ErrNoDemo
	}
	a.demoMu.Lock()
	defer a.demoMu.Unlock()
	if a.demo != nil {
		return a.demo, nil
	}
	d, err := a.cfg.Demo(ctx)
	if err != nil {
		return nil, fmt.Errorf("start demo practice: %w", err)
	}
	a.demo = d
	a.demoSigned = map[string]bool{}
	return d, nil
}

// DemoProfile returns the demo practice's profile, connecting it first
// when there is none: the main demo patient's own record when it is on
// this device, else the first demo record.
func (a *App) DemoProfile(ctx context.Context) (ProfileInfo, error) {
	ps, err := a.store.Profiles(ctx)
	if err != nil {
		return ProfileInfo{}, fmt.Errorf("demo: %w", err)
	}
	var first *ProfileInfo
	for _, p := range ps {
		if p.Settings[settingDemo] != "true" || isSecondDemo(p) {
			continue
		}
		info := profileInfo(p)
		if demoAccountOf(p) == demoPatientAccount {
			return info, nil
		}
		if first == nil {
			first = &info
		}
	}
	if first != nil {
		return *first, nil
	}
	return a.ConnectDemo(ctx)
}

// demoAccountOf is the demo account that signs profile p in.
func demoAccountOf(p storage.Profile) string {
	if u := p.Settings[settingDemoAccount]; u != "" {
		return u
	}
	return demoPatientAccount
}

// reconnectDemo makes sure the demo practice runs and the demo profile is
// signed in there. The demo practice starts afresh with the app (its
// appointments and free times are relative to today), so each demo
// profile signs in again, with its demo account, once per run; the
// practice keeps its address between runs (practice/demo's port file).
func (a *App) reconnectDemo(ctx context.Context, p storage.Profile) (storage.Profile, error) {
	d, err := a.demoPracticeOf(ctx, p)
	if err != nil {
		return p, err
	}
	a.demoMu.Lock()
	signed := a.demoSigned[p.ID]
	a.demoMu.Unlock()
	if signed && p.PracticeURL == d.FHIRBase() {
		return p, nil
	}
	return a.resignDemo(ctx, p)
}

// resignDemo signs a demo profile in again at the running demo practice;
// for a parent or caregiver whose access the practice ended, it fails
// with ErrAccessEnded (see renew).
func (a *App) resignDemo(ctx context.Context, p storage.Profile) (storage.Profile, error) {
	d, err := a.demoPracticeOf(ctx, p)
	if err != nil {
		return p, err
	}
	if p.PracticeURL != d.FHIRBase() {
		p.PracticeURL = d.FHIRBase()
		if err := a.store.UpdateProfile(ctx, p); err != nil {
			return p, fmt.Errorf("demo: %w", err)
		}
	}
	browser := demoBrowser(ctx, d, demoAccountOf(p), p.PatientID)
	if err := a.renew(ctx, p, smart.Config{FHIRBase: d.FHIRBase(), OpenBrowser: browser}, true); err != nil {
		return p, fmt.Errorf("demo: %w", err)
	}
	a.demoMu.Lock()
	a.demoSigned[p.ID] = true
	a.demoMu.Unlock()
	return a.store.Profile(ctx, p.ID)
}

// DemoProfileOf returns the n-th record (from 0, in the picker's order)
// that the demo account username opens, connecting the account first when
// none of its records is on this device.
func (a *App) DemoProfileOf(ctx context.Context, username string, n int) (ProfileInfo, error) {
	ps, err := a.store.Profiles(ctx)
	if err != nil {
		return ProfileInfo{}, fmt.Errorf("demo: %w", err)
	}
	d, err := a.demoPractice(ctx)
	if err != nil {
		return ProfileInfo{}, err
	}
	var patients []string
	demoAccounts(d, func(u, _ string, ids []string) {
		if u == username {
			patients = ids
		}
	})
	if n < 0 || n >= len(patients) {
		return ProfileInfo{}, fmt.Errorf("demo: %w: %q has no record %d", ErrInvalidInput, username, n+1)
	}
	for _, p := range ps {
		if p.Settings[settingDemo] == "true" && demoAccountOf(p) == username && p.PatientID == patients[n] {
			return profileInfo(p), nil
		}
	}
	added, err := a.ConnectDemoAccount(ctx, username)
	if err != nil {
		return ProfileInfo{}, err
	}
	return added[n], nil
}
