package smart

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// enrollStep posts the activation code form of a fresh page.
func (e *testEnv) enrollStep(c *http.Client, code, dob string) *http.Response {
	e.t.Helper()
	form := e.formValues(c, "/auth/enroll")
	form.Set("activation_code", code)
	form.Set("birth_date", dob)
	return e.post(c, "/auth/enroll", form)
}

// accountStep posts the account form of a fresh page.
func (e *testEnv) accountStep(c *http.Client, username string, accept bool) *http.Response {
	e.t.Helper()
	form := e.formValues(c, "/auth/enroll/account")
	form.Set("username", username)
	form.Set("password", testPassword)
	form.Set("password_confirm", testPassword)
	if accept {
		form.Set("accept_terms", "yes")
	}
	return e.post(c, "/auth/enroll/account", form)
}

func TestEnrollmentContinuesAuthorization(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	code, err := e.srv.CreateActivationCode(ctx, "sam")
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.oauthConfig()
	c := e.browser()
	verifier := oauth2.GenerateVerifier()
	resp, err := c.Get(e.authURL(cfg, "enroll-state", verifier))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	if resp := e.enrollStep(c, code, "2007-02-03"); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("wrong birth date: status %d", resp.StatusCode)
	}
	// Typed in lower case with spaces instead of dashes, the code works.
	typed := strings.ToLower(strings.ReplaceAll(code, "-", " "))
	if resp := e.enrollStep(c, typed, "2007-02-02"); resp.Header.Get("Location") != "/auth/enroll/account" {
		t.Fatalf("right code: status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp := e.accountStep(c, "sam.r", false); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("terms not accepted: status %d", resp.StatusCode)
	}
	if resp := e.accountStep(c, "maya", true); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("taken username: status %d", resp.StatusCode)
	}
	resp = e.accountStep(c, "sam.r", true)
	if resp.Header.Get("Location") != "/auth/consent" {
		t.Fatalf("after enrollment: status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	form := e.formValues(c, "/auth/consent")
	form.Set("decision", "approve")
	resp = e.post(c, "/auth/consent", form)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if loc.Query().Get("state") != "enroll-state" {
		t.Fatalf("consent redirect %v", loc)
	}
	tok, err := cfg.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if g, err := e.srv.Verify(ctx, tok.AccessToken); err != nil || g.PatientID != "sam" || g.FHIRUser != "Patient/sam" {
		t.Fatalf("grant %+v %v", g, err)
	}
	// The new account signs in normally.
	if tok := e.signIn(cfg, "sam.r", ""); tok.Extra("patient") != "sam" {
		t.Errorf("sign-in with the new account: patient %v", tok.Extra("patient"))
	}
	// The code is single-use.
	if resp := e.enrollStep(e.browser(), code, "2007-02-02"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("used code: status %d", resp.StatusCode)
	}
}

func TestEnrollmentWithoutApp(t *testing.T) {
	e := newTestEnv(t)
	code, err := e.srv.CreateActivationCode(context.Background(), "leo")
	if err != nil {
		t.Fatal(err)
	}
	c := e.browser()
	if resp := e.enrollStep(c, code, "2018-03-12"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("code: status %d", resp.StatusCode)
	}
	// The account page shows the terms of use, to be accepted.
	resp, err := c.Get(e.base + "/auth/enroll/account")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"Terms of use", "Not for emergencies", "call 911", "Response time", "2 business days",
		"Privacy", `name="accept_terms"`, "I have read and accept the terms of use"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the account page lacks %q", want)
		}
	}
	form := e.formValues(c, "/auth/enroll/account")
	form.Set("username", "leo")
	form.Set("password", testPassword)
	form.Set("password_confirm", testPassword)
	form.Set("accept_terms", "yes")
	resp, err = c.PostForm(e.base+"/auth/enroll/account", form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Your account is ready") {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

func TestActivationCodeLimits(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()

	t.Run("expires", func(t *testing.T) {
		code, err := e.srv.CreateActivationCode(ctx, "leo")
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(activationCodeTTL)
		if resp := e.enrollStep(e.browser(), code, "2018-03-12"); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("expired code: status %d", resp.StatusCode)
		}
	})
	t.Run("dies after wrong birth dates", func(t *testing.T) {
		code, err := e.srv.CreateActivationCode(ctx, "leo")
		if err != nil {
			t.Fatal(err)
		}
		c := e.browser()
		for i := 0; i < maxActivationErrors; i++ {
			e.enrollStep(c, code, "2018-03-13")
		}
		if resp := e.enrollStep(c, code, "2018-03-12"); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("code after %d wrong birth dates: status %d", maxActivationErrors, resp.StatusCode)
		}
	})
	t.Run("account step needs a checked code", func(t *testing.T) {
		c := e.browser()
		e.formValues(c, "/auth/enroll") // starts a session
		resp, err := c.Get(e.base + "/auth/enroll/account")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("Location") != "/auth/enroll" {
			t.Errorf("account page without a code: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

func TestLockout(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	for i := 0; i < maxFailedLogins; i++ {
		if err := e.srv.authenticate(ctx, "ana", "wrong password"); !errors.Is(err, errBadCredentials) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if err := e.srv.authenticate(ctx, "ana", testPassword); !errors.Is(err, errBadCredentials) {
		t.Fatalf("right password while locked: %v", err)
	}
	// Through the pages, the locked account gets the same generic answer.
	_, err := SignIn(ctx, e.browser(), e.authURL(e.oauthConfig(), "s", oauth2.GenerateVerifier()), "ana", testPassword, "")
	if !errors.Is(err, ErrSignIn) {
		t.Fatalf("SignIn while locked: %v", err)
	}
	e.clock.Advance(lockoutDuration)
	if err := e.srv.authenticate(ctx, "ana", testPassword); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
	if err := e.srv.authenticate(ctx, "nobody", testPassword); !errors.Is(err, errBadCredentials) {
		t.Fatalf("unknown user: %v", err)
	}
}

func TestWrongPasswordPage(t *testing.T) {
	e := newTestEnv(t)
	c := e.browser()
	resp, err := c.Get(e.authURL(e.oauthConfig(), "s", oauth2.GenerateVerifier()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	form := e.formValues(c, "/auth/login")
	form.Set("username", "ana")
	form.Set("password", "not the password")
	resp, err = c.PostForm(e.base+"/auth/login", form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), `role="alert"`) {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if strings.Contains(string(body), "not the password") {
		t.Error("the page echoes the password")
	}
}

func TestCSRF(t *testing.T) {
	e := newTestEnv(t)
	c := e.browser()
	resp, err := c.Get(e.authURL(e.oauthConfig(), "s", oauth2.GenerateVerifier()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	creds := url.Values{"username": {"ana"}, "password": {testPassword}}
	tests := []struct {
		name string
		csrf string
	}{
		{"missing", ""},
		{"wrong", "not-the-token"},
	}
	for _, tt := range tests {
		form := url.Values{"username": creds["username"], "password": creds["password"]}
		if tt.csrf != "" {
			form.Set("csrf_token", tt.csrf)
		}
		if resp := e.post(c, "/auth/login", form); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s CSRF token on login: status %d", tt.name, resp.StatusCode)
		}
		if resp := e.post(c, "/auth/enroll", url.Values{"activation_code": {"X"}, "birth_date": {"2000-01-01"}, "csrf_token": {tt.csrf}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s CSRF token on enroll: status %d", tt.name, resp.StatusCode)
		}
	}
	// Sign in properly, then a consent post without the token is refused.
	form := e.formValues(c, "/auth/login")
	form.Set("username", "ana")
	form.Set("password", testPassword)
	e.post(c, "/auth/login", form)
	if resp := e.post(c, "/auth/consent", url.Values{"decision": {"approve"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("consent without CSRF token: status %d", resp.StatusCode)
	}
}

func TestSessionCookie(t *testing.T) {
	e := newTestEnv(t)
	resp, err := e.browser().Get(e.authURL(e.oauthConfig(), "s", oauth2.GenerateVerifier()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var found bool
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			found = true
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/auth/" {
				t.Errorf("cookie = %+v", c)
			}
		}
	}
	if !found {
		t.Fatal("no session cookie")
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q", got)
	}
}

func TestSessionExpires(t *testing.T) {
	e := newTestEnv(t)
	c := e.browser()
	resp, err := c.Get(e.authURL(e.oauthConfig(), "s", oauth2.GenerateVerifier()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	e.clock.Advance(sessionTTL + time.Second)
	resp, err = c.Get(e.base + "/auth/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("login page of an expired session: status %d", resp.StatusCode)
	}
}

func TestPasswordHash(t *testing.T) {
	s := &Server{cfg: Config{PasswordCost: 64}}
	h := s.hashPassword("secret password")
	if h == s.hashPassword("secret password") {
		t.Error("two hashes of one password are equal: no salt")
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash = %q", h)
	}
	tests := []struct {
		encoded, password string
		want              bool
	}{
		{h, "secret password", true},
		{h, "secret passworD", false},
		{h, "", false},
		{"", "secret password", false},
		{"$argon2i$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA", "secret password", false},
		{strings.Replace(h, "t=1", "t=0", 1), "secret password", false},
	}
	for _, tt := range tests {
		if got := checkPassword(tt.encoded, tt.password); got != tt.want {
			t.Errorf("checkPassword(%q, %q) = %v", tt.encoded, tt.password, got)
		}
	}
}

// TestPromptCreateStartsWithEnrollment: an app whose patient has an
// activation code asks for prompt=create and lands on the enrollment page,
// which then continues the authorization; without it, the sign-in page.
func TestPromptCreateStartsWithEnrollment(t *testing.T) {
	e := newTestEnv(t)
	cfg := e.oauthConfig()
	for _, tc := range []struct{ prompt, want string }{
		{"", "/auth/login"},
		{"create", "/auth/enroll"},
		{"login create", "/auth/enroll"},
	} {
		u := e.authURL(cfg, "s", oauth2.GenerateVerifier())
		if tc.prompt != "" {
			u += "&prompt=" + url.QueryEscape(tc.prompt)
		}
		resp, err := e.browser().Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Location"); got != tc.want {
			t.Errorf("prompt=%q: sent to %q, want %q", tc.prompt, got, tc.want)
		}
	}
	conf := e.srv.Configuration()
	if !slices.Contains(conf["prompt_values_supported"].([]string), "create") || conf["op_tos_uri"] != e.base+"/auth/terms" {
		t.Errorf("configuration does not offer prompt=create and the terms: %v", conf)
	}
}
