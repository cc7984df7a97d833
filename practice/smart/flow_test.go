package smart

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/carebook/carebook/practice/access"
)

func TestCodeFlow(t *testing.T) {
	e := newTestEnv(t)
	cfg := e.oauthConfig()
	tok := e.signIn(cfg, "ana", "")

	if tok.TokenType != "Bearer" || tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("token = %+v", tok)
	}
	if got := tok.Extra("patient"); got != "ana" {
		t.Errorf("patient = %v, want ana", got)
	}
	wantScope := strings.Join(cfg.Scopes, " ")
	if got := tok.Extra("scope"); got != wantScope {
		t.Errorf("scope = %v, want %v", got, wantScope)
	}
	if d := time.Until(tok.Expiry); d < 4*time.Minute || d > 6*time.Minute {
		t.Errorf("expires in %v, want about the 5 min TTL", d)
	}
	claims := verifyIDToken(t, e, tok.Extra("id_token").(string))
	if claims["fhirUser"] != e.base+"/fhir/Patient/ana" || claims["aud"] != CarebookClientID || claims["iss"] != e.base || claims["sub"] != "ana" {
		t.Errorf("id_token claims = %v", claims)
	}

	g, err := e.srv.Verify(context.Background(), tok.AccessToken)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if g.PatientID != "ana" || g.FHIRUser != "Patient/ana" || g.ClientID != CarebookClientID || g.AllowedTypes != nil {
		t.Errorf("grant = %+v", g)
	}
	if !g.ExpiresAt.Equal(testNow.Add(5 * time.Minute)) {
		t.Errorf("ExpiresAt = %v", g.ExpiresAt)
	}
	for _, c := range []struct {
		typ  string
		i    rune
		want bool
	}{
		{"Observation", access.Read, true},
		{"Communication", access.Create, true},
		{"Appointment", access.Update, true},
		{"Patient", access.Update, true},
		{"Observation", access.Create, false},
		{"Appointment", access.Delete, false},
	} {
		if got := g.Allows(c.typ, c.i); got != c.want {
			t.Errorf("Allows(%s, %c) = %v, want %v", c.typ, c.i, got, c.want)
		}
	}
	if _, err := e.srv.Verify(context.Background(), tok.AccessToken+"x"); !errors.Is(err, access.ErrInvalidToken) {
		t.Errorf("Verify(unknown) = %v, want ErrInvalidToken", err)
	}
}

// verifyIDToken checks the ES256 signature against /auth/jwks and returns
// the claims.
func verifyIDToken(t *testing.T, e *testEnv, idToken string) map[string]any {
	t.Helper()
	parts := strings.Split(idToken, ".")
	if len(parts) != 3 {
		t.Fatalf("id_token has %d parts", len(parts))
	}
	var header map[string]string
	decodeSegment(t, parts[0], &header)
	if header["alg"] != "ES256" {
		t.Fatalf("alg = %q", header["alg"])
	}
	resp, err := http.Get(e.base + "/auth/jwks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct{ Keys []map[string]string }
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("jwks: %v %v", err, set)
	}
	k := set.Keys[0]
	if k["kid"] != header["kid"] {
		t.Fatalf("kid %q not in jwks", header["kid"])
	}
	x, _ := base64.RawURLEncoding.DecodeString(k["x"])
	y, _ := base64.RawURLEncoding.DecodeString(k["y"])
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if len(sig) != 64 || !ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Fatal("id_token signature does not verify")
	}
	var claims map[string]any
	decodeSegment(t, parts[1], &claims)
	return claims
}

func decodeSegment(t *testing.T, seg string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func TestConfiguration(t *testing.T) {
	e := newTestEnv(t)
	c := e.srv.Configuration()
	if c["authorization_endpoint"] != e.base+"/auth/authorize" || c["token_endpoint"] != e.base+"/auth/token" ||
		c["revocation_endpoint"] != e.base+"/auth/revoke" || c["issuer"] != e.base {
		t.Errorf("endpoints = %v", c)
	}
	if !reflect.DeepEqual(c["code_challenge_methods_supported"], []string{"S256"}) {
		t.Errorf("code_challenge_methods_supported = %v", c["code_challenge_methods_supported"])
	}
	caps := c["capabilities"].([]string)
	for _, want := range []string{"launch-standalone", "client-public", "context-standalone-patient", "permission-patient",
		"permission-offline", "permission-v2", "sso-openid-connect", "authorize-post"} {
		if !slices.Contains(caps, want) {
			t.Errorf("capability %s missing", want)
		}
	}
	// The document must be valid JSON for CORE to serve it.
	if _, err := json.Marshal(c); err != nil {
		t.Fatal(err)
	}
}

func TestAuthorizeErrors(t *testing.T) {
	e := newTestEnv(t)
	verifier := oauth2.GenerateVerifier()
	good := url.Values{
		"response_type":         {"code"},
		"client_id":             {CarebookClientID},
		"redirect_uri":          {testRedirect},
		"scope":                 {"launch/patient patient/*.rs"},
		"state":                 {"xyz"},
		"aud":                   {e.base + "/fhir"},
		"code_challenge":        {oauth2.S256ChallengeFromVerifier(verifier)},
		"code_challenge_method": {"S256"},
	}
	tests := []struct {
		name      string
		change    func(v url.Values)
		wantError string // "" = no redirect, an error page
		wantPage  int
	}{
		{"valid", func(url.Values) {}, "", 0},
		{"plain PKCE", func(v url.Values) { v.Set("code_challenge_method", "plain"); v.Set("code_challenge", verifier) }, "invalid_request", 0},
		{"no method", func(v url.Values) { v.Del("code_challenge_method") }, "invalid_request", 0},
		{"no challenge", func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") }, "invalid_request", 0},
		{"short challenge", func(v url.Values) { v.Set("code_challenge", "abc") }, "invalid_request", 0},
		{"wrong aud", func(v url.Values) { v.Set("aud", "http://evil.example/fhir") }, "invalid_request", 0},
		{"no aud", func(v url.Values) { v.Del("aud") }, "invalid_request", 0},
		{"token response type", func(v url.Values) { v.Set("response_type", "token") }, "unsupported_response_type", 0},
		{"no state", func(v url.Values) { v.Del("state") }, "invalid_request", 0},
		{"nothing grantable", func(v url.Values) { v.Set("scope", "openid user/*.cruds") }, "invalid_scope", 0},
		{"unknown client", func(v url.Values) { v.Set("client_id", "evil") }, "", http.StatusBadRequest},
		{"non-loopback redirect", func(v url.Values) { v.Set("redirect_uri", "http://evil.example/cb") }, "", http.StatusBadRequest},
		{"https redirect", func(v url.Values) { v.Set("redirect_uri", "https://127.0.0.1:9/cb") }, "", http.StatusBadRequest},
		{"no redirect", func(v url.Values) { v.Del("redirect_uri") }, "", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := url.Values{}
			for k, vals := range good {
				v[k] = append([]string(nil), vals...)
			}
			tt.change(v)
			resp, err := e.browser().Get(e.base + "/auth/authorize?" + v.Encode())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if tt.wantPage != 0 {
				if resp.StatusCode != tt.wantPage || resp.Header.Get("Location") != "" {
					t.Fatalf("status %d location %q, want page %d", resp.StatusCode, resp.Header.Get("Location"), tt.wantPage)
				}
				return
			}
			loc, err := url.Parse(resp.Header.Get("Location"))
			if err != nil || resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("status %d location %v", resp.StatusCode, err)
			}
			if tt.wantError == "" {
				if loc.Path != "/auth/login" {
					t.Fatalf("redirected to %v, want the login page", loc)
				}
				return
			}
			if !strings.HasPrefix(loc.String(), "http://127.0.0.1:53682/callback?") {
				t.Fatalf("redirected to %v, want the client", loc)
			}
			if got := loc.Query().Get("error"); got != tt.wantError {
				t.Errorf("error = %q, want %q", got, tt.wantError)
			}
			if got, want := loc.Query().Get("state"), v.Get("state"); got != want {
				t.Errorf("state = %q, want %q", got, want)
			}
		})
	}
}

func TestCodeExchangeFailures(t *testing.T) {
	e := newTestEnv(t)
	cfg := e.oauthConfig()
	ctx := context.Background()
	code := func() (string, string) {
		verifier := oauth2.GenerateVerifier()
		u, err := SignIn(ctx, e.browser(), e.authURL(cfg, "s", verifier), "ana", testPassword, "")
		if err != nil {
			t.Fatal(err)
		}
		return u.Query().Get("code"), verifier
	}

	t.Run("wrong verifier", func(t *testing.T) {
		c, _ := code()
		_, err := cfg.Exchange(ctx, c, oauth2.VerifierOption(oauth2.GenerateVerifier()))
		if got := tokenError(t, err); got != "invalid_grant" {
			t.Errorf("error = %q", got)
		}
	})
	t.Run("missing verifier", func(t *testing.T) {
		c, _ := code()
		_, err := cfg.Exchange(ctx, c)
		if got := tokenError(t, err); got != "invalid_request" {
			t.Errorf("error = %q", got)
		}
	})
	t.Run("redirect_uri mismatch", func(t *testing.T) {
		c, v := code()
		other := *cfg
		other.RedirectURL = "http://127.0.0.1:53682/other"
		_, err := other.Exchange(ctx, c, oauth2.VerifierOption(v))
		if got := tokenError(t, err); got != "invalid_grant" {
			t.Errorf("error = %q", got)
		}
	})
	t.Run("other client", func(t *testing.T) {
		c, v := code()
		e.srv.RegisterClient("other-app", []string{testRedirect})
		other := *cfg
		other.ClientID = "other-app"
		_, err := other.Exchange(ctx, c, oauth2.VerifierOption(v))
		if got := tokenError(t, err); got != "invalid_grant" {
			t.Errorf("error = %q", got)
		}
	})
	t.Run("expired", func(t *testing.T) {
		c, v := code()
		e.clock.Advance(61 * time.Second)
		_, err := cfg.Exchange(ctx, c, oauth2.VerifierOption(v))
		if got := tokenError(t, err); got != "invalid_grant" {
			t.Errorf("error = %q", got)
		}
	})
	t.Run("reuse revokes", func(t *testing.T) {
		c, v := code()
		tok, err := cfg.Exchange(ctx, c, oauth2.VerifierOption(v))
		if err != nil {
			t.Fatal(err)
		}
		_, err = cfg.Exchange(ctx, c, oauth2.VerifierOption(v))
		if got := tokenError(t, err); got != "invalid_grant" {
			t.Errorf("error = %q", got)
		}
		if _, err := e.srv.Verify(ctx, tok.AccessToken); !errors.Is(err, access.ErrInvalidToken) {
			t.Errorf("token of a replayed code still valid: %v", err)
		}
	})
	t.Run("failed attempt burns the code", func(t *testing.T) {
		c, v := code()
		if _, err := cfg.Exchange(ctx, c, oauth2.VerifierOption(oauth2.GenerateVerifier())); err == nil {
			t.Fatal("wrong verifier accepted")
		}
		_, err := cfg.Exchange(ctx, c, oauth2.VerifierOption(v))
		if got := tokenError(t, err); got != "invalid_grant" {
			t.Errorf("error = %q", got)
		}
	})
	t.Run("unsupported grant", func(t *testing.T) {
		resp := e.post(http.DefaultClient, "/auth/token", url.Values{"grant_type": {"password"}, "client_id": {CarebookClientID}})
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status = %d", resp.StatusCode)
		}
	})
}

func TestDenyConsent(t *testing.T) {
	e := newTestEnv(t)
	c := e.browser()
	verifier := oauth2.GenerateVerifier()
	resp, err := c.Get(e.authURL(e.oauthConfig(), "deny-state", verifier))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	form := e.formValues(c, "/auth/login")
	form.Set("username", "ana")
	form.Set("password", testPassword)
	if resp := e.post(c, "/auth/login", form); resp.Header.Get("Location") != "/auth/consent" {
		t.Fatalf("after login: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	form = e.formValues(c, "/auth/consent")
	form.Set("decision", "deny")
	resp = e.post(c, "/auth/consent", form)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != "deny-state" || loc.Query().Get("code") != "" {
		t.Errorf("deny redirected to %v", loc)
	}
	// The session's authorization is over: approving now does nothing.
	form.Set("decision", "approve")
	if resp := e.post(c, "/auth/consent", form); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("approve after deny: status %d", resp.StatusCode)
	}
}

func TestRefreshRotation(t *testing.T) {
	e := newTestEnv(t)
	cfg := e.oauthConfig()
	ctx := context.Background()
	first := e.signIn(cfg, "ana", "")
	refresh := func(rt string) (*oauth2.Token, error) {
		return cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: rt, Expiry: time.Now().Add(-time.Hour)}).Token()
	}
	second, err := refresh(first.RefreshToken)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if second.RefreshToken == "" || second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
		t.Fatal("refresh did not rotate")
	}
	if second.Extra("patient") != "ana" {
		t.Errorf("patient = %v", second.Extra("patient"))
	}
	third, err := refresh(second.RefreshToken)
	if err != nil {
		t.Fatalf("second refresh: %v", err)
	}
	// Reuse of a rotated token: refused, and the whole family dies.
	_, err = refresh(first.RefreshToken)
	if got := tokenError(t, err); got != "invalid_grant" {
		t.Errorf("reuse error = %q", got)
	}
	if _, err := refresh(third.RefreshToken); err == nil {
		t.Error("newest refresh token still works after reuse was detected")
	}
	for _, at := range []string{first.AccessToken, second.AccessToken, third.AccessToken} {
		if _, err := e.srv.Verify(ctx, at); !errors.Is(err, access.ErrInvalidToken) {
			t.Errorf("access token of a revoked family: %v", err)
		}
	}
}

func TestRefreshNarrowsScope(t *testing.T) {
	e := newTestEnv(t)
	cfg := e.oauthConfig()
	tok := e.signIn(cfg, "ana", "")
	post := func(scope string) *http.Response {
		return e.post(http.DefaultClient, "/auth/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {CarebookClientID},
			"refresh_token": {tok.RefreshToken}, "scope": {scope}})
	}
	if resp := post("patient/*.rs patient/*.cruds"); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("wider scope: status %d", resp.StatusCode)
	}
	resp, err := http.PostForm(e.base+"/auth/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {CarebookClientID},
		"refresh_token": {tok.RefreshToken}, "scope": {"patient/*.rs"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body tokenResponse
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("narrow refresh: %d %v", resp.StatusCode, err)
	}
	g, err := e.srv.Verify(context.Background(), body.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if g.Allows("Communication", access.Create) || !g.Allows("Observation", access.Read) {
		t.Errorf("narrowed grant = %+v", g.Scopes)
	}
	if body.RefreshToken == "" {
		t.Error("no refresh token after narrowing")
	}
}

func TestRevocation(t *testing.T) {
	e := newTestEnv(t)
	cfg := e.oauthConfig()
	ctx := context.Background()
	revoke := func(token string) {
		t.Helper()
		if resp := e.post(http.DefaultClient, "/auth/revoke", url.Values{"token": {token}, "client_id": {CarebookClientID}}); resp.StatusCode != http.StatusOK {
			t.Fatalf("revoke: status %d", resp.StatusCode)
		}
	}

	tok := e.signIn(cfg, "ana", "")
	revoke(tok.AccessToken)
	if _, err := e.srv.Verify(ctx, tok.AccessToken); !errors.Is(err, access.ErrInvalidToken) {
		t.Errorf("revoked access token: %v", err)
	}
	if _, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err != nil {
		t.Errorf("refresh after revoking only the access token: %v", err)
	}

	tok = e.signIn(cfg, "ana", "")
	revoke(tok.RefreshToken)
	if _, err := e.srv.Verify(ctx, tok.AccessToken); !errors.Is(err, access.ErrInvalidToken) {
		t.Errorf("access token after revoking its refresh token: %v", err)
	}
	_, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if got := tokenError(t, err); got != "invalid_grant" {
		t.Errorf("refresh after revoke = %q", got)
	}
	revoke("never-issued") // RFC 7009: unknown tokens are answered 200 too
}

func TestAccessTokenExpiry(t *testing.T) {
	e := newTestEnv(t)
	cfg := e.oauthConfig()
	ctx := context.Background()
	tok := e.signIn(cfg, "ana", "")
	e.clock.Advance(5*time.Minute - time.Second)
	if _, err := e.srv.Verify(ctx, tok.AccessToken); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	e.clock.Advance(time.Second)
	if _, err := e.srv.Verify(ctx, tok.AccessToken); !errors.Is(err, access.ErrInvalidToken) {
		t.Fatalf("at expiry: %v", err)
	}
	fresh, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatal(err)
	}
	e.srv.ExpireAccessTokens()
	if _, err := e.srv.Verify(ctx, fresh.AccessToken); !errors.Is(err, access.ErrInvalidToken) {
		t.Fatalf("after ExpireAccessTokens: %v", err)
	}
	if _, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: fresh.RefreshToken}).Token(); err != nil {
		t.Fatalf("refresh after ExpireAccessTokens: %v", err)
	}
	// Refresh tokens expire too.
	e.clock.Advance(DefaultRefreshTokenTTL)
	_, err = cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: fresh.RefreshToken}).Token()
	if err == nil {
		t.Fatal("expired refresh token accepted")
	}
}

func TestNoOfflineNoRefreshNoIDToken(t *testing.T) {
	e := newTestEnv(t)
	tok := e.signIn(e.oauthConfig("launch/patient", "patient/*.read", "patient/*.write"), "ana", "")
	if tok.RefreshToken != "" || tok.Extra("id_token") != nil {
		t.Errorf("refresh %q id_token %v without offline_access/openid", tok.RefreshToken, tok.Extra("id_token"))
	}
	// patient/*.write is narrowed to nothing (writes are per type only).
	if got := tok.Extra("scope"); got != "launch/patient patient/*.read" {
		t.Errorf("scope = %v", got)
	}
}
