package smart

import (
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/carebook/carebook/practice/access"
)

func TestFamilyRule(t *testing.T) {
	now := time.Date(2026, time.March, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		rel     Relation
		born    time.Time
		allowed bool
		limited bool
	}{
		{"self adult", RelationSelf, birth(1980, 1, 1), true, false},
		{"self child", RelationSelf, birth(2020, 1, 1), true, false},
		{"caregiver", RelationCaregiver, birth(1950, 1, 1), true, false},
		{"parent of 11", RelationParent, birth(2014, 3, 11), true, false},
		{"parent of 12 today", RelationParent, birth(2014, 3, 10), true, true},
		{"parent of 17", RelationParent, birth(2008, 3, 11), true, true},
		{"parent of 18 today", RelationParent, birth(2008, 3, 10), false, false},
		{"parent, unknown birth date", RelationParent, time.Time{}, false, false},
		{"unknown relation", Relation("friend"), birth(1980, 1, 1), false, false},
	}
	for _, tt := range tests {
		got := familyRule(tt.rel, tt.born, now)
		if got.allowed != tt.allowed || (got.types != nil) != tt.limited {
			t.Errorf("%s: familyRule = %+v, want allowed %v limited %v", tt.name, got, tt.allowed, tt.limited)
		}
		if tt.limited && !reflect.DeepEqual(got.types, TeenProxyTypes) {
			t.Errorf("%s: types = %v", tt.name, got.types)
		}
	}
}

func TestAgeOn(t *testing.T) {
	leap := birth(2012, time.February, 29)
	tests := []struct {
		now  time.Time
		want int
	}{
		{birth(2024, time.February, 28), 11},
		{birth(2024, time.February, 29), 12},
		{birth(2025, time.February, 28), 12},
		{birth(2025, time.March, 1), 13},
		{time.Date(2024, time.February, 28, 23, 59, 0, 0, time.UTC), 11},
	}
	for _, tt := range tests {
		if got := ageOn(leap, tt.now); got != tt.want {
			t.Errorf("ageOn(2012-02-29, %v) = %d, want %d", tt.now, got, tt.want)
		}
	}
}

func TestPickerListsOpenCharts(t *testing.T) {
	e := newTestEnv(t)
	c := e.browser()
	resp, err := c.Get(e.authURL(e.oauthConfig(), "s", oauth2.GenerateVerifier()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	form := e.formValues(c, "/auth/login")
	form.Set("username", "maya")
	form.Set("password", testPassword)
	if resp := e.post(c, "/auth/login", form); resp.Header.Get("Location") != "/auth/picker" {
		t.Fatalf("after login: %q", resp.Header.Get("Location"))
	}
	resp, err = c.Get(e.base + "/auth/picker")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(body)
	for _, name := range []string{"Maya Rivera", "Leo Rivera", "Ana Rivera", "Rosa Diaz"} {
		if !strings.Contains(page, name) {
			t.Errorf("picker does not list %s", name)
		}
	}
	if strings.Contains(page, "Sam Rivera") || strings.Contains(page, `value="sam"`) {
		t.Error("picker lists an adult child")
	}
	// Posting an adult child's id anyway is refused.
	form = e.formValues(c, "/auth/picker")
	form.Set("patient", "sam")
	if resp := e.post(c, "/auth/picker", form); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("picking sam: status %d", resp.StatusCode)
	}
}

func TestFamilyGrants(t *testing.T) {
	e := newTestEnv(t)
	cfg := e.oauthConfig()
	ctx := context.Background()
	tests := []struct {
		patient  string
		limited  bool
		fhirUser string
	}{
		{"maya", false, "Patient/maya"},
		{"leo", false, "RelatedPerson/maya-for-leo"}, // under 12: full
		{"ana", true, "Patient/maya"},                // 14: limited
		{"rosa", false, "Patient/maya"},
	}
	for _, tt := range tests {
		tok := e.signIn(cfg, "maya", tt.patient)
		g, err := e.srv.Verify(ctx, tok.AccessToken)
		if err != nil {
			t.Fatalf("%s: %v", tt.patient, err)
		}
		if g.PatientID != tt.patient || g.FHIRUser != tt.fhirUser {
			t.Errorf("%s: grant = %+v", tt.patient, g)
		}
		if (g.AllowedTypes != nil) != tt.limited {
			t.Errorf("%s: AllowedTypes = %v, want limited=%v", tt.patient, g.AllowedTypes, tt.limited)
		}
		if tt.limited && (g.Allows("Observation", access.Read) || !g.Allows("Immunization", access.Read)) {
			t.Errorf("%s: teen proxy grant allows the wrong types", tt.patient)
		}
	}
	_, err := SignIn(ctx, e.browser(), e.authURL(cfg, "s", oauth2.GenerateVerifier()), "maya", testPassword, "sam")
	if !errors.Is(err, ErrSignIn) {
		t.Errorf("SignIn for an adult child: %v, want ErrSignIn", err)
	}
}

func TestChildTurnsTwelveMidSession(t *testing.T) {
	e := newTestEnv(t)
	cfg := e.oauthConfig()
	ctx := context.Background()
	e.srv.cfg.AccessTokenTTL = 30 * 24 * time.Hour // one token across the birthday
	tok := e.signIn(cfg, "dad", "")                // kim is dad's only chart: no picker
	g, err := e.srv.Verify(ctx, tok.AccessToken)
	if err != nil || g.AllowedTypes != nil || g.PatientID != "kim" || g.FHIRUser != "RelatedPerson/dad-of-kim" {
		t.Fatalf("before the birthday: %+v %v", g, err)
	}
	e.clock.Advance(10 * 24 * time.Hour) // kim is 12 now
	g, err = e.srv.Verify(ctx, tok.AccessToken)
	if err != nil || !reflect.DeepEqual(g.AllowedTypes, TeenProxyTypes) {
		t.Fatalf("after the birthday: %+v %v", g, err)
	}
	next, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatal(err)
	}
	if g, err := e.srv.Verify(ctx, next.AccessToken); err != nil || g.AllowedTypes == nil {
		t.Fatalf("refreshed: %+v %v", g, err)
	}
	e.clock.Advance(6 * 365 * 24 * time.Hour) // kim is 18: access ends
	if _, err := e.srv.Verify(ctx, next.AccessToken); !errors.Is(err, access.ErrInvalidToken) {
		t.Errorf("Verify at 18: %v", err)
	}
	_, err = cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: next.RefreshToken}).Token()
	if got := tokenError(t, err); got != "invalid_grant" {
		t.Errorf("refresh at 18: %q", got)
	}
}

func TestRevokedAccess(t *testing.T) {
	e := newTestEnv(t)
	cfg := e.oauthConfig()
	ctx := context.Background()
	tok := e.signIn(cfg, "maya", "rosa")
	if err := e.srv.RevokeAccess(ctx, "maya", "rosa"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.Verify(ctx, tok.AccessToken); !errors.Is(err, access.ErrInvalidToken) {
		t.Errorf("Verify after RevokeAccess: %v", err)
	}
	_, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if got := tokenError(t, err); got != "invalid_grant" {
		t.Errorf("refresh after RevokeAccess: %q", got)
	}
	// Access granted again later does not bring old tokens back.
	if err := e.srv.AddAccess(ctx, "maya", "rosa", RelationCaregiver); err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.Verify(ctx, tok.AccessToken); !errors.Is(err, access.ErrInvalidToken) {
		t.Errorf("old token after access was granted again: %v", err)
	}
	// Other charts are untouched.
	if g, err := e.srv.Verify(ctx, e.signIn(cfg, "maya", "leo").AccessToken); err != nil || g.PatientID != "leo" {
		t.Errorf("leo: %+v %v", g, err)
	}
}

func TestUserManagementErrors(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	if err := e.srv.CreateUser(ctx, "maya", testPassword, "Patient/maya"); !errors.Is(err, ErrUserExists) {
		t.Errorf("duplicate user: %v", err)
	}
	if err := e.srv.CreateUser(ctx, "x y", testPassword, "Patient/maya"); err == nil {
		t.Error("bad username accepted")
	}
	if err := e.srv.CreateUser(ctx, "newuser", "short", "Patient/maya"); err == nil {
		t.Error("short password accepted")
	}
	if err := e.srv.AddAccess(ctx, "nobody", "maya", RelationSelf); !errors.Is(err, ErrUnknownUser) {
		t.Errorf("AddAccess unknown user: %v", err)
	}
	if err := e.srv.AddAccess(ctx, "maya", "ghost", RelationParent); !errors.Is(err, access.ErrUnknownPatient) {
		t.Errorf("AddAccess unknown patient: %v", err)
	}
	if err := e.srv.AddAccess(ctx, "maya", "leo", Relation("friend")); !errors.Is(err, ErrInvalidRelation) {
		t.Errorf("AddAccess bad relation: %v", err)
	}
	if err := e.srv.AddAccessAs(ctx, "maya", "leo", RelationParent, "Group/1"); err == nil {
		t.Error("AddAccessAs accepted a Group as fhirUser")
	}
	if _, err := e.srv.CreateActivationCode(ctx, "ghost"); !errors.Is(err, access.ErrUnknownPatient) {
		t.Errorf("CreateActivationCode unknown patient: %v", err)
	}
}

// TestTeenProxyScopeNarrowed: the token response tells a parent of a
// teenager what the practice shares (SMART lets the granted scope be
// narrower than the request), and a refresh after the 12th birthday
// narrows it too.
func TestTeenProxyScopeNarrowed(t *testing.T) {
	e := newTestEnv(t)
	cfg := e.oauthConfig()
	tests := []struct {
		patient   string
		wantTypes []string // nil: the wildcard scope as asked
	}{
		{"leo", nil},
		{"ana", TeenProxyTypes},
		{"maya", nil},
	}
	for _, tt := range tests {
		tok := e.signIn(cfg, "maya", tt.patient)
		scope, _ := tok.Extra("scope").(string)
		if tt.wantTypes == nil {
			if !hasScope(scope, "patient/*.rs") {
				t.Errorf("%s: scope %q lost patient/*.rs", tt.patient, scope)
			}
			continue
		}
		if hasScope(scope, "patient/*.rs") || hasScope(scope, "patient/Communication.c") {
			t.Errorf("%s: scope %q still reaches every type", tt.patient, scope)
		}
		for _, typ := range tt.wantTypes {
			if !hasScope(scope, "patient/"+typ+".rs") {
				t.Errorf("%s: scope %q lacks %s", tt.patient, scope, typ)
			}
		}
		for _, keep := range []string{"openid", "fhirUser", "offline_access", "patient/Appointment.cu"} {
			if !hasScope(scope, keep) {
				t.Errorf("%s: scope %q lost %s", tt.patient, scope, keep)
			}
		}
		g, err := e.srv.Verify(context.Background(), tok.AccessToken)
		if err != nil || g.LimitReason != TeenProxyReason {
			t.Errorf("%s: grant reason %q, %v", tt.patient, g.LimitReason, err)
		}
	}
}

// TestSecondChartWithoutSigningInAgain: a browser still signed in at the
// practice goes straight to the picker for the next authorization (a
// parent adding a second child), unless the app asks for prompt=login.
func TestSecondChartWithoutSigningInAgain(t *testing.T) {
	e := newTestEnv(t)
	cfg := e.oauthConfig()
	ctx := context.Background()
	browser := e.browser()
	if _, err := SignIn(ctx, browser, e.authURL(cfg, "s1", oauth2.GenerateVerifier()), "maya", testPassword, "leo"); err != nil {
		t.Fatal(err)
	}
	// A wrong password would fail at the login form: none is shown.
	u, err := SignIn(ctx, browser, e.authURL(cfg, "s2", oauth2.GenerateVerifier()), "maya", "not the password", "ana")
	if err != nil {
		t.Fatalf("second chart in the same browser: %v", err)
	}
	if u.Query().Get("state") != "s2" || u.Query().Get("code") == "" {
		t.Errorf("second redirect %v", u)
	}
	login := e.authURL(cfg, "s3", oauth2.GenerateVerifier()) + "&prompt=login"
	if _, err := SignIn(ctx, browser, login, "maya", "not the password", "ana"); !errors.Is(err, ErrSignIn) {
		t.Errorf("prompt=login with a wrong password: %v, want the login form refused", err)
	}
	// Another browser signs in on its own.
	if _, err := SignIn(ctx, e.browser(), e.authURL(cfg, "s4", oauth2.GenerateVerifier()), "maya", "not the password", "ana"); !errors.Is(err, ErrSignIn) {
		t.Errorf("a fresh browser with a wrong password: %v", err)
	}
}
