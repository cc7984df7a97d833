package smart

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
)

// memStore is an in-memory Store.
type memStore struct {
	mu       sync.Mutex
	secrets  map[string][]byte
	profile  storage.Profile
	putErr   error
	putCalls int
}

func newMemStore() *memStore {
	return &memStore{secrets: map[string][]byte{}, profile: storage.Profile{ID: "p1", Settings: map[string]string{}}}
}

func (m *memStore) PutSecret(_ context.Context, pid, name string, v []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.putCalls++
	if m.putErr != nil {
		return m.putErr
	}
	m.secrets[pid+"/"+name] = append([]byte(nil), v...)
	return nil
}

func (m *memStore) Secret(_ context.Context, pid, name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.secrets[pid+"/"+name]
	if !ok {
		return nil, storage.ErrNotFound
	}
	return v, nil
}

func (m *memStore) Profile(_ context.Context, id string) (storage.Profile, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.profile
	p.Settings = map[string]string{}
	for k, v := range m.profile.Settings {
		p.Settings[k] = v
	}
	return p, nil
}

func (m *memStore) UpdateProfile(_ context.Context, p storage.Profile) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.profile = p
	return nil
}

func (m *memStore) saved(t *testing.T) savedToken {
	t.Helper()
	b, err := m.Secret(context.Background(), "p1", SecretToken)
	if err != nil {
		t.Fatal(err)
	}
	var s savedToken
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// authServer is a minimal SMART authorization server: /authorize redirects
// at once (the patient "approves"), /token checks PKCE and rotates tokens.
type authServer struct {
	*httptest.Server
	mu            sync.Mutex
	codes         map[string]string // code -> challenge
	deny          bool
	refreshes     atomic.Int32
	refreshDelay  time.Duration
	refusePrefix  string // refresh tokens with this prefix get invalid_grant
	wellKnown     bool
	lastAuthQuery url.Values
	expiresIn     int
	configExtra   string       // more members of smart-configuration, e.g. `,"op_tos_uri":"…"`
	refreshStatus atomic.Int32 // when set, refresh requests get this status and no token
}

func newAuthServer(t *testing.T) *authServer {
	a := &authServer{codes: map[string]string{}, wellKnown: true, expiresIn: 3600}
	mux := http.NewServeMux()
	mux.HandleFunc("/fhir/.well-known/smart-configuration", func(w http.ResponseWriter, r *http.Request) {
		if !a.wellKnown {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `{"authorization_endpoint":%q,"token_endpoint":%q,"code_challenge_methods_supported":["S256"]%s}`,
			a.URL+"/authorize", a.URL+"/token", a.configExtra)
	})
	mux.HandleFunc("/fhir/metadata", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"resourceType":"CapabilityStatement","rest":[{"mode":"server","security":{"extension":[{"url":"http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris","extension":[{"url":"authorize","valueUri":%q},{"url":"token","valueUri":%q}]}]}}]}`,
			a.URL+"/authorize", a.URL+"/token")
	})
	mux.HandleFunc("/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		a.mu.Lock()
		a.lastAuthQuery = q
		a.mu.Unlock()
		redirect, _ := url.Parse(q.Get("redirect_uri"))
		rq := url.Values{"state": {q.Get("state")}}
		if a.deny {
			rq.Set("error", "access_denied")
		} else {
			code := fmt.Sprintf("code-%d", time.Now().UnixNano())
			a.mu.Lock()
			a.codes[code] = q.Get("code_challenge")
			a.mu.Unlock()
			rq.Set("code", code)
		}
		redirect.RawQuery = rq.Encode()
		http.Redirect(w, r, redirect.String(), http.StatusFound)
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		switch r.Form.Get("grant_type") {
		case "authorization_code":
			a.mu.Lock()
			challenge, ok := a.codes[r.Form.Get("code")]
			delete(a.codes, r.Form.Get("code"))
			a.mu.Unlock()
			sum := sha256.Sum256([]byte(r.Form.Get("code_verifier")))
			if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != challenge || r.Form.Get("client_id") != "carebook" {
				w.WriteHeader(400)
				fmt.Fprint(w, `{"error":"invalid_grant"}`)
				return
			}
			fmt.Fprintf(w, `{"access_token":"A1","refresh_token":"R1","token_type":"Bearer","expires_in":%d,"patient":"pat-1","scope":"patient/*.rs"}`, a.expiresIn)
		case "refresh_token":
			n := a.refreshes.Add(1)
			time.Sleep(a.refreshDelay)
			if status := a.refreshStatus.Load(); status != 0 {
				w.WriteHeader(int(status))
				fmt.Fprint(w, `<html>busy</html>`)
				return
			}
			if a.refusePrefix != "" && strings.HasPrefix(r.Form.Get("refresh_token"), a.refusePrefix) {
				w.WriteHeader(400)
				fmt.Fprint(w, `{"error":"invalid_grant"}`)
				return
			}
			fmt.Fprintf(w, `{"access_token":"A%d","refresh_token":"R%d","token_type":"Bearer","expires_in":3600}`, n+1, n+1)
		}
	})
	a.Server = httptest.NewServer(mux)
	t.Cleanup(a.Close)
	return a
}

// browser follows the authorization redirects to the loopback listener,
// like a system browser would.
func browser(t *testing.T) func(string) error {
	return func(u string) error {
		go func() {
			resp, err := http.Get(u)
			if err == nil {
				resp.Body.Close()
			}
		}()
		return nil
	}
}

func TestDiscover(t *testing.T) {
	a := newAuthServer(t)
	ep, err := Discover(context.Background(), nil, a.URL+"/fhir/")
	if err != nil || ep.TokenURL != a.URL+"/token" || len(ep.PKCEMethods) != 1 {
		t.Fatalf("well-known: %+v, %v", ep, err)
	}
	a.wellKnown = false
	ep, err = Discover(context.Background(), nil, a.URL+"/fhir")
	if err != nil || ep.AuthorizeURL != a.URL+"/authorize" {
		t.Fatalf("metadata fallback: %+v, %v", ep, err)
	}
	open := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fhir/metadata" {
			fmt.Fprint(w, `{"resourceType":"CapabilityStatement","rest":[{"mode":"server"}]}`)
			return
		}
		http.NotFound(w, r)
	}))
	defer open.Close()
	if _, err := Discover(context.Background(), nil, open.URL+"/fhir"); !errors.Is(err, ErrNoEndpoints) {
		t.Fatalf("open server: err = %v", err)
	}
}

// TestDiscoverHTTPSOnly: an authorization or token endpoint (from either
// source) or a FHIR base that is plain http on another host than this
// computer is refused, so codes and tokens never travel in clear.
func TestDiscoverHTTPSOnly(t *testing.T) {
	tests := []struct {
		name, wellKnown, metadata string
	}{
		{"well-known token", `{"authorization_endpoint":"https://auth.example/authorize","token_endpoint":"http://auth.example/token"}`, ""},
		{"well-known authorize", `{"authorization_endpoint":"http://auth.example/authorize","token_endpoint":"https://auth.example/token"}`, ""},
		{"metadata token", "", `{"resourceType":"CapabilityStatement","rest":[{"mode":"server","security":{"extension":[{"url":"http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris","extension":[{"url":"authorize","valueUri":"https://auth.example/authorize"},{"url":"token","valueUri":"http://auth.example/token"}]}]}}]}`},
		{"relative token", `{"authorization_endpoint":"https://auth.example/authorize","token_endpoint":"/token"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.URL.Path == "/fhir/.well-known/smart-configuration" && tt.wellKnown != "":
					io.WriteString(w, tt.wellKnown)
				case r.URL.Path == "/fhir/metadata" && tt.metadata != "":
					io.WriteString(w, tt.metadata)
				default:
					http.NotFound(w, r)
				}
			}))
			defer srv.Close()
			if _, err := Discover(context.Background(), nil, srv.URL+"/fhir"); !errors.Is(err, fhirapi.ErrInsecure) {
				t.Fatalf("err = %v, want ErrInsecure", err)
			}
		})
	}
	t.Run("base", func(t *testing.T) {
		var asked atomic.Bool
		hc := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
			asked.Store(true)
			return nil, errors.New("no network in this test")
		})}
		if _, err := Discover(context.Background(), hc, "http://ehr.example/fhir"); !errors.Is(err, fhirapi.ErrInsecure) {
			t.Fatalf("err = %v, want ErrInsecure", err)
		}
		if asked.Load() {
			t.Fatal("an insecure base was contacted")
		}
	})
	// The loopback test servers themselves are fine.
	a := newAuthServer(t)
	if _, err := Discover(context.Background(), nil, a.URL+"/fhir"); err != nil {
		t.Fatal(err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestSignIn(t *testing.T) {
	a := newAuthServer(t)
	g, err := SignIn(context.Background(), Config{FHIRBase: a.URL + "/fhir", OpenBrowser: browser(t)})
	if err != nil {
		t.Fatal(err)
	}
	if g.PatientID != "pat-1" || g.Token.AccessToken != "A1" || g.Token.RefreshToken != "R1" || g.TokenURL != a.URL+"/token" {
		t.Fatalf("grant = %+v", g)
	}
	q := a.lastAuthQuery
	if q.Get("aud") != a.URL+"/fhir" || q.Get("code_challenge_method") != "S256" || q.Get("response_type") != "code" ||
		!strings.Contains(q.Get("scope"), "offline_access") || !strings.Contains(q.Get("scope"), "patient/Communication.c") ||
		len(q.Get("state")) < 32 || !strings.HasPrefix(q.Get("redirect_uri"), "http://127.0.0.1:") {
		t.Fatalf("authorize query = %v", q)
	}
	// The listener is one-shot: after sign-in nothing answers there.
	if resp, err := http.Get(q.Get("redirect_uri") + "?code=x&state=" + q.Get("state")); err == nil {
		resp.Body.Close()
		t.Fatal("redirect listener still open after sign-in")
	}

	st := newMemStore()
	if err := SaveGrant(context.Background(), st, "p1", g); err != nil {
		t.Fatal(err)
	}
	if pid, err := PatientID(context.Background(), st, "p1"); err != nil || pid != "pat-1" {
		t.Fatalf("PatientID = %q, %v", pid, err)
	}
}

// TestSignInEnroll: a patient with an activation code is sent to the
// practice's enrollment (prompt=create) only where the practice offers it;
// the practice's terms and privacy pages come back with the grant, and
// only when they are web pages.
func TestSignInEnroll(t *testing.T) {
	tests := []struct {
		name        string
		configExtra string
		enroll      bool
		wantPrompt  string
		wantTerms   string
		wantPolicy  string
	}{
		{"offered and asked", `,"prompt_values_supported":["create"],"op_tos_uri":"https://p.example/terms","op_policy_uri":"https://p.example/privacy"`,
			true, "create", "https://p.example/terms", "https://p.example/privacy"},
		{"offered, not asked", `,"prompt_values_supported":["create"]`, false, "", "", ""},
		{"asked, not offered", `,"prompt_values_supported":["login"]`, true, "", "", ""},
		{"not a web page", `,"op_tos_uri":"javascript:alert(1)","op_policy_uri":"file:///etc/passwd"`, false, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := newAuthServer(t)
			a.configExtra = tc.configExtra
			g, err := SignIn(context.Background(), Config{FHIRBase: a.URL + "/fhir", OpenBrowser: browser(t), Enroll: tc.enroll})
			if err != nil {
				t.Fatal(err)
			}
			if got := a.lastAuthQuery.Get("prompt"); got != tc.wantPrompt {
				t.Errorf("prompt = %q, want %q", got, tc.wantPrompt)
			}
			if g.TermsURL != tc.wantTerms || g.PolicyURL != tc.wantPolicy {
				t.Errorf("terms, policy = %q, %q; want %q, %q", g.TermsURL, g.PolicyURL, tc.wantTerms, tc.wantPolicy)
			}
		})
	}
}

func TestSignInFailures(t *testing.T) {
	t.Run("access denied", func(t *testing.T) {
		a := newAuthServer(t)
		a.deny = true
		_, err := SignIn(context.Background(), Config{FHIRBase: a.URL + "/fhir", OpenBrowser: browser(t)})
		if !errors.Is(err, ErrSignInCancelled) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("forged state", func(t *testing.T) {
		a := newAuthServer(t)
		var redirect, state string
		forge := func(u string) error {
			pu, _ := url.Parse(u)
			redirect, state = pu.Query().Get("redirect_uri"), pu.Query().Get("state")
			go func() {
				resp, err := http.Get(redirect + "?code=stolen&state=wrong")
				if err == nil {
					resp.Body.Close()
				}
			}()
			return nil
		}
		_, err := SignIn(context.Background(), Config{FHIRBase: a.URL + "/fhir", OpenBrowser: forge})
		if !errors.Is(err, ErrStateMismatch) {
			t.Fatalf("err = %v", err)
		}
		// One shot even when the callback was refused: the right state
		// arriving later finds nothing listening.
		if resp, err := http.Get(redirect + "?code=x&state=" + state); err == nil {
			resp.Body.Close()
			t.Fatal("redirect listener still open after a refused callback")
		}
	})
	t.Run("timeout", func(t *testing.T) {
		a := newAuthServer(t)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := SignIn(ctx, Config{FHIRBase: a.URL + "/fhir", OpenBrowser: func(string) error { return nil }})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("browser fails", func(t *testing.T) {
		a := newAuthServer(t)
		boom := errors.New("no browser")
		_, err := SignIn(context.Background(), Config{FHIRBase: a.URL + "/fhir", OpenBrowser: func(string) error { return boom }})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
	})
}

func savedFor(a *authServer, access, refresh string, expiry time.Time) savedToken {
	return savedToken{AccessToken: access, RefreshToken: refresh, Expiry: expiry, Patient: "pat-1",
		TokenURL: a.URL + "/token", ClientID: "carebook", FHIRBase: a.URL + "/fhir"}
}

func TestSingleRefreshUnderConcurrency(t *testing.T) {
	a := newAuthServer(t)
	a.refreshDelay = 20 * time.Millisecond
	st := newMemStore()
	putSaved(context.Background(), st, "p1", savedFor(a, "A0", "R0", time.Now().Add(-time.Hour)))
	ts := NewTokenSource(st, "p1", nil)
	var wg sync.WaitGroup
	tokens := make([]string, 50)
	errs := make([]error, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tokens[i], errs[i] = ts.AccessToken(context.Background())
		}()
	}
	wg.Wait()
	for i := range 50 {
		if errs[i] != nil || tokens[i] != "A2" {
			t.Fatalf("goroutine %d: %q, %v", i, tokens[i], errs[i])
		}
	}
	if n := a.refreshes.Load(); n != 1 {
		t.Fatalf("refresh requests = %d, want 1", n)
	}
	if s := st.saved(t); s.RefreshToken != "R2" || s.AccessToken != "A2" {
		t.Fatalf("saved = %+v", s)
	}
}

func TestRefreshBeforeExpiry(t *testing.T) {
	tests := []struct {
		name        string
		expiresIn   time.Duration
		wantRefresh bool
	}{
		{"fresh", time.Hour, false},
		{"inside skew", 30 * time.Second, true},
		{"expired", -time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAuthServer(t)
			st := newMemStore()
			putSaved(context.Background(), st, "p1", savedFor(a, "A0", "R0", time.Now().Add(tt.expiresIn)))
			tok, err := NewTokenSource(st, "p1", nil).AccessToken(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got := a.refreshes.Load() == 1; got != tt.wantRefresh || (tok == "A0") == tt.wantRefresh {
				t.Fatalf("token %q, refreshes %d", tok, a.refreshes.Load())
			}
		})
	}
}

// TestRefreshTokenSavedBeforeUse: when the new tokens cannot be saved, the
// new access token is not handed out (a crash then would lose the rotated
// refresh token).
func TestRefreshTokenSavedBeforeUse(t *testing.T) {
	a := newAuthServer(t)
	st := newMemStore()
	putSaved(context.Background(), st, "p1", savedFor(a, "A0", "R0", time.Now().Add(-time.Hour)))
	st.putErr = errors.New("disk full")
	ts := NewTokenSource(st, "p1", nil)
	tok, err := ts.AccessToken(context.Background())
	if err == nil || tok != "" {
		t.Fatalf("token %q handed out although saving failed (err %v)", tok, err)
	}
	st.putErr = nil
	tok, err = ts.AccessToken(context.Background())
	if err != nil || tok != "A3" || st.saved(t).RefreshToken != "R3" {
		t.Fatalf("tok %q, err %v, saved %+v", tok, err, st.saved(t))
	}
}

func TestInvalidGrantNeedsSignIn(t *testing.T) {
	a := newAuthServer(t)
	a.refusePrefix = "R"
	st := newMemStore()
	putSaved(context.Background(), st, "p1", savedFor(a, "A0", "R0", time.Now().Add(-time.Hour)))
	ts := NewTokenSource(st, "p1", nil)
	if _, err := ts.AccessToken(context.Background()); !errors.Is(err, ErrNeedsSignIn) {
		t.Fatalf("err = %v", err)
	}
	if st.profile.Settings[SettingNeedsSignIn] != "true" {
		t.Fatalf("profile not marked: %v", st.profile.Settings)
	}
	// A fresh sign-in clears the mark.
	g := &Grant{Token: tokenOf("A9", "S9"), PatientID: "pat-1", TokenURL: a.URL + "/token", ClientID: "carebook"}
	if err := SaveGrant(context.Background(), st, "p1", g); err != nil {
		t.Fatal(err)
	}
	if _, ok := st.profile.Settings[SettingNeedsSignIn]; ok {
		t.Fatal("needs_sign_in kept after a new grant")
	}
}

func TestNoTokenNeedsSignIn(t *testing.T) {
	st := newMemStore()
	if _, err := NewTokenSource(st, "p1", nil).AccessToken(context.Background()); !errors.Is(err, ErrNeedsSignIn) {
		t.Fatalf("err = %v", err)
	}
}

func TestRefusedTokenIsRefreshed(t *testing.T) {
	a := newAuthServer(t)
	st := newMemStore()
	putSaved(context.Background(), st, "p1", savedFor(a, "A0", "R0", time.Now().Add(time.Hour)))
	ts := NewTokenSource(st, "p1", nil)
	tok, _ := ts.AccessToken(context.Background())
	ts.Refused(tok)
	ts.Refused(tok) // twice for the same token: still one refresh
	tok2, err := ts.AccessToken(context.Background())
	if err != nil || tok2 != "A2" || a.refreshes.Load() != 1 {
		t.Fatalf("tok2 %q, err %v, refreshes %d", tok2, err, a.refreshes.Load())
	}
}

func TestOneSourcePerProfile(t *testing.T) {
	a := newAuthServer(t)
	st := newMemStore()
	putSaved(context.Background(), st, "p1", savedFor(a, "A0", "R0", time.Now().Add(-time.Hour)))
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each goroutine builds its own source, as separate clients do.
			if _, err := NewTokenSource(st, "p1", nil).AccessToken(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := a.refreshes.Load(); n != 1 {
		t.Fatalf("refresh requests = %d, want 1", n)
	}
	// A new sign-in replaces the in-memory token.
	g := &Grant{Token: tokenOf("NEW", "RNEW"), PatientID: "pat-1", TokenURL: a.URL + "/token", ClientID: "carebook"}
	if err := SaveGrant(context.Background(), st, "p1", g); err != nil {
		t.Fatal(err)
	}
	if tok, err := NewTokenSource(st, "p1", nil).AccessToken(context.Background()); err != nil || tok != "NEW" {
		t.Fatalf("after a new grant: %q, %v", tok, err)
	}
}

// TestTokenEndpointDownIsTransient: a token endpoint answering 5xx or 429
// is a passing failure (fhirapi.ErrServer, ErrRateLimited): the profile is
// not marked as needing sign-in, and a later refresh succeeds.
func TestTokenEndpointDownIsTransient(t *testing.T) {
	for _, tt := range []struct {
		status int
		want   error
	}{{503, fhirapi.ErrServer}, {500, fhirapi.ErrServer}, {429, fhirapi.ErrRateLimited}} {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			a := newAuthServer(t)
			a.refreshStatus.Store(int32(tt.status))
			st := newMemStore()
			putSaved(context.Background(), st, "p1", savedFor(a, "A0", "R0", time.Now().Add(-time.Hour)))
			ts := NewTokenSource(st, "p1", nil)
			_, err := ts.AccessToken(context.Background())
			if !errors.Is(err, tt.want) || !fhirapi.IsTransient(err) || errors.Is(err, ErrNeedsSignIn) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if st.profile.Settings[SettingNeedsSignIn] != "" {
				t.Fatal("a token endpoint that is down marked the profile as needing sign-in")
			}
			a.refreshStatus.Store(0)
			if tok, err := ts.AccessToken(context.Background()); err != nil || tok != "A3" {
				t.Fatalf("after the endpoint is back: %q, %v", tok, err)
			}
		})
	}
}
