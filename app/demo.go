package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/carebook/carebook/sync/smart"
)

// DemoPractice is the built-in demo practice: a real FHIR + SMART server
// running inside the app on 127.0.0.1, and the demo patient's credentials.
// main wires it in (package practice/demo); the core knows only this.
type DemoPractice interface {
	// FHIRBase is the demo practice's FHIR base URL.
	FHIRBase() string
	// SignIn plays the browser on the practice's sign-in pages with the
	// demo patient's credentials and returns the redirect (code + state).
	SignIn(ctx context.Context, authorizeURL string) (*url.URL, error)
	// Close stops the practice.
	Close() error
}

// ErrNoDemo: this build has no demo practice.
var ErrNoDemo = errors.New("app: no demo practice in this build")

// settingDemo marks the profile of the demo practice.
const settingDemo = "demo"

// ConnectDemo starts the demo practice (once) and signs its demo patient in
// through the same SMART code path as a real practice, the app filling in
// the demo credentials on the practice's pages instead of the patient.
func (a *App) ConnectDemo(ctx context.Context) (ProfileInfo, error) {
	d, err := a.demoPractice(ctx)
	if err != nil {
		return ProfileInfo{}, err
	}
	p, err := a.signIn(ctx, smart.Config{FHIRBase: d.FHIRBase(), OpenBrowser: demoBrowser(ctx, d)})
	if err != nil {
		return ProfileInfo{}, fmt.Errorf("demo: %w", err)
	}
	err = a.updateSettings(ctx, p.ID, func(s map[string]string) { s[settingDemo] = "true" })
	if err != nil {
		return ProfileInfo{}, fmt.Errorf("demo: %w", err)
	}
	return profileInfo(p), nil
}

// demoBrowser returns an OpenBrowser function that signs in on the demo
// practice's pages and delivers the redirect to the app's loopback
// listener, as a browser would.
func demoBrowser(ctx context.Context, d DemoPractice) func(string) error {
	return func(authorizeURL string) error {
		redirect, err := d.SignIn(ctx, authorizeURL)
		if err != nil {
			return fmt.Errorf("demo sign-in: %w", err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, redirect.String(), nil)
		if err != nil {
			return fmt.Errorf("demo sign-in: %w", err)
		}
		resp, err := http.DefaultClient.Do(req)
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
	return d, nil
}

// DemoProfile returns the demo practice's profile, connecting it first
// when there is none.
func (a *App) DemoProfile(ctx context.Context) (ProfileInfo, error) {
	ps, err := a.store.Profiles(ctx)
	if err != nil {
		return ProfileInfo{}, fmt.Errorf("demo: %w", err)
	}
	for _, p := range ps {
		if p.Settings[settingDemo] == "true" {
			return profileInfo(p), nil
		}
	}
	return a.ConnectDemo(ctx)
}
