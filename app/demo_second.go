package app

import (
	"context"
	"fmt"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/smart"
)

// The second demo practice: another practice server in the app (its own
// name and data) that also sees the demo patient Maya, so the merged views
// of one person at two practices can be seen. It is connected like the
// first, through SMART sign-in, and its profile is marked so it signs in
// again there (not at the first demo practice) after a restart.

const (
	settingDemoPractice = "demo_practice" // which demo practice: "" the first, demoSecond the second
	demoSecond          = "second"
)

// isSecondDemo reports whether p is a profile of the second demo practice.
func isSecondDemo(p storage.Profile) bool { return p.Settings[settingDemoPractice] == demoSecond }

// HasSecondDemo reports whether this build has a second demo practice.
func (a *App) HasSecondDemo() bool { return a.cfg.SecondDemo != nil }

// secondDemoPractice returns the running second demo practice, starting
// it if needed.
func (a *App) secondDemoPractice(ctx context.Context) (DemoPractice, error) {
	if a.cfg.SecondDemo == nil {
		return nil, ErrNoDemo
	}
	a.demoMu.Lock()
	defer a.demoMu.Unlock()
	if a.second != nil {
		return a.second, nil
	}
	d, err := a.cfg.SecondDemo(ctx)
	if err != nil {
		return nil, fmt.Errorf("start second demo practice: %w", err)
	}
	a.second = d
	if a.demoSigned == nil {
		a.demoSigned = map[string]bool{}
	}
	return d, nil
}

// demoPracticeOf returns the running demo practice profile p belongs to.
func (a *App) demoPracticeOf(ctx context.Context, p storage.Profile) (DemoPractice, error) {
	if isSecondDemo(p) {
		return a.secondDemoPractice(ctx)
	}
	return a.demoPractice(ctx)
}

// ConnectSecondDemo signs the demo patient in at the second demo practice
// and adds her record there, synced (once: a second call returns the
// profile already added). Whether it is the same person as the first demo
// practice's Maya is the user's to confirm (LinkSuggestions offers it).
func (a *App) ConnectSecondDemo(ctx context.Context) (ProfileInfo, error) {
	ps, err := a.store.Profiles(ctx)
	if err != nil {
		return ProfileInfo{}, fmt.Errorf("second demo: %w", err)
	}
	for _, p := range ps {
		if isSecondDemo(p) {
			return profileInfo(p), nil
		}
	}
	d, err := a.secondDemoPractice(ctx)
	if err != nil {
		return ProfileInfo{}, err
	}
	p, err := a.signIn(ctx, smart.Config{FHIRBase: d.FHIRBase(), OpenBrowser: demoBrowser(ctx, d, demoPatientAccount, "")})
	if err != nil {
		return ProfileInfo{}, fmt.Errorf("second demo: %w", err)
	}
	err = a.updateSettings(ctx, p.ID, func(s map[string]string) {
		s[settingDemo], s[settingDemoAccount], s[settingDemoPractice] = "true", demoPatientAccount, demoSecond
	})
	if err != nil {
		return ProfileInfo{}, fmt.Errorf("second demo: %w", err)
	}
	a.demoMu.Lock()
	a.demoSigned[p.ID] = true
	a.demoMu.Unlock()
	// Her record there at once, so the offer to link it to the first
	// practice's (which compares the Patients) can be made right away. A
	// failure is left to the background sync, whose state the app shows.
	_ = a.Sync(ctx, p.ID)
	if p, err = a.store.Profile(ctx, p.ID); err != nil {
		return ProfileInfo{}, fmt.Errorf("second demo: %w", err)
	}
	a.bus.Publish(ProfilesChanged{})
	return profileInfo(p), nil
}
