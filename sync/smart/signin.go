package smart

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"github.com/carebook/carebook/sync/fhirapi"
)

// Errors of the sign-in flow.
var (
	// ErrSignInCancelled is the patient declining at the practice
	// (error=access_denied on the redirect).
	ErrSignInCancelled = errors.New("smart: sign-in cancelled")
	// ErrStateMismatch is a redirect whose state is not the one sent: a
	// forged or stale callback. The flow stops.
	ErrStateMismatch = errors.New("smart: sign-in state mismatch")
	// ErrNoPatient is a token response without a patient id.
	ErrNoPatient = errors.New("smart: token response has no patient")
)

// AuthorizationError is an OAuth error other than access_denied on the
// redirect (invalid_scope, server_error, ...).
type AuthorizationError struct {
	Code string
}

func (e *AuthorizationError) Error() string { return "smart: authorization failed: " + e.Code }

// DefaultClientID is the public client id Carebook registers with
// practices.
const DefaultClientID = "carebook"

// DefaultScopes are the read scopes plus the write scopes the app's
// features need.
var DefaultScopes = []string{
	"openid", "fhirUser", "launch/patient", "offline_access", "patient/*.rs",
	"patient/Communication.c", "patient/Appointment.cu", "patient/Task.c", "patient/Patient.u",
	"patient/QuestionnaireResponse.c",
}

// Config describes one sign-in.
type Config struct {
	// FHIRBase is the practice's FHIR base URL (also the aud parameter).
	FHIRBase string
	// ClientID defaults to DefaultClientID.
	ClientID string
	// Scopes default to DefaultScopes.
	Scopes []string
	// HTTPClient is used for discovery and the token endpoint, under the
	// HTTP policy whatever its CheckRedirect (see fhirapi.WithPolicy; nil:
	// fhirapi.NewHTTPClient's defaults).
	HTTPClient *http.Client
	// OpenBrowser shows the authorization URL to the patient, normally in
	// the system browser. It must return promptly; an error ends SignIn.
	OpenBrowser func(url string) error
	// Enroll asks the practice to start with its enrollment page, for a
	// patient who has an activation code and no account yet (OpenID
	// Connect prompt=create). Servers that do not offer it show their
	// usual sign-in page, which normally links to enrollment.
	Enroll bool
}

// Grant is the result of a sign-in.
type Grant struct {
	Token     *oauth2.Token
	PatientID string
	// Scope is the granted scope string (may be narrower than asked).
	Scope string
	// FHIRBase, ClientID and TokenURL are what a refresh needs later.
	FHIRBase, ClientID, TokenURL string
	// TermsURL and PolicyURL are the practice's terms of use and privacy
	// policy pages, where its configuration names them.
	TermsURL, PolicyURL string
}

// callbackPage is shown in the browser after the redirect.
const callbackPage = `<!doctype html><html><head><meta charset="utf-8"><title>Carebook</title></head>
<body style="font-family:sans-serif;margin:3em"><h1>%s</h1><p>You can close this window and return to Carebook.</p></body></html>`

type callback struct {
	code string
	err  error
}

// SignIn runs a standalone patient launch: discovery, the browser, the
// loopback redirect, and the code exchange. It returns when the token
// endpoint answered, ctx ended, or the redirect reported an error.
func SignIn(ctx context.Context, cfg Config) (*Grant, error) {
	if cfg.OpenBrowser == nil {
		return nil, errors.New("smart: sign in: no OpenBrowser function")
	}
	clientID := cfg.ClientID
	if clientID == "" {
		clientID = DefaultClientID
	}
	scopes := cfg.Scopes
	if len(scopes) == 0 {
		scopes = DefaultScopes
	}
	ep, err := Discover(ctx, cfg.HTTPClient, cfg.FHIRBase)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("smart: sign in: redirect listener: %w", err)
	}
	redirectURI := fmt.Sprintf("http://%s/callback", ln.Addr().String())
	conf := &oauth2.Config{
		ClientID:    clientID,
		Endpoint:    oauth2.Endpoint{AuthURL: ep.AuthorizeURL, TokenURL: ep.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL: redirectURI,
		Scopes:      scopes,
	}
	state, err := randomState()
	if err != nil {
		ln.Close()
		return nil, err
	}
	verifier := oauth2.GenerateVerifier()

	results := make(chan callback, 1)
	srv := &http.Server{Handler: callbackHandler(state, results), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // Serve returns ErrServerClosed after Close below.
	defer srv.Close()

	opts := []oauth2.AuthCodeOption{
		oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("aud", strings.TrimRight(cfg.FHIRBase, "/")),
	}
	if cfg.Enroll && slices.Contains(ep.PromptValues, "create") {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", "create"))
	}
	authURL := conf.AuthCodeURL(state, opts...)
	if err := cfg.OpenBrowser(authURL); err != nil {
		return nil, fmt.Errorf("smart: sign in: open browser: %w", err)
	}
	var cb callback
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("smart: sign in: waiting for the browser: %w", ctx.Err())
	case cb = <-results:
	}
	// One shot: nothing else reaches this port. Shutdown lets the page
	// already written reach the browser.
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	srv.Shutdown(sctx) //nolint:errcheck // Close (deferred) ends what is left
	cancel()
	if cb.err != nil {
		return nil, cb.err
	}
	// The code and verifier go to the token endpoint's origin only.
	hc := fhirapi.WithPolicy(cfg.HTTPClient, fhirapi.SameOriginRedirect)
	tok, err := conf.Exchange(context.WithValue(ctx, oauth2.HTTPClient, hc), cb.code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, fmt.Errorf("smart: sign in: code exchange: %w", classifyTokenError(err))
	}
	if !validToken(tok.AccessToken) || (tok.RefreshToken != "" && !validToken(tok.RefreshToken)) {
		return nil, fmt.Errorf("smart: sign in: code exchange: %w: the token endpoint sent a malformed token", fhirapi.ErrBadResponse)
	}
	patient, _ := tok.Extra("patient").(string)
	if patient == "" {
		return nil, ErrNoPatient
	}
	scope, _ := tok.Extra("scope").(string)
	return &Grant{Token: tok, PatientID: patient, Scope: scope,
		FHIRBase: strings.TrimRight(cfg.FHIRBase, "/"), ClientID: clientID, TokenURL: ep.TokenURL,
		TermsURL: ep.TermsURL, PolicyURL: ep.PolicyURL}, nil
}

// callbackHandler accepts exactly one redirect on /callback and reports it.
func callbackHandler(state string, results chan<- callback) http.Handler {
	var taken atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("GET /callback", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		var cb callback
		title := "Signed in"
		switch {
		case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1:
			cb.err = ErrStateMismatch
			title = "Sign-in failed"
		case q.Get("error") == "access_denied":
			cb.err = ErrSignInCancelled
			title = "Sign-in cancelled"
		case q.Get("error") != "":
			cb.err = &AuthorizationError{Code: q.Get("error")}
			title = "Sign-in failed"
		case q.Get("code") == "":
			cb.err = &AuthorizationError{Code: "missing_code"}
			title = "Sign-in failed"
		default:
			cb.code = q.Get("code")
		}
		if !taken.CompareAndSwap(false, true) { // a second callback after the first: ignored
			http.Error(w, "this sign-in is already finished", http.StatusGone)
			return
		}
		// Answer the browser first: SignIn shuts the listener down as soon
		// as it has the result.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprintf(w, callbackPage, title)
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		results <- cb // buffered: never blocks for the one result
	})
	return mux
}

func randomState() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("smart: random state: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// classifyTokenError maps invalid_grant to ErrNeedsSignIn, a 5xx or 429
// from the token endpoint to fhirapi.ErrServer or ErrRateLimited (worth
// retrying later, never a reason to sign in again), and strips the token
// endpoint's body (which may echo secrets) from other errors.
func classifyTokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.ErrorCode == "invalid_grant" {
			return ErrNeedsSignIn
		}
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		switch {
		case status >= 500:
			return fmt.Errorf("%w: token endpoint: HTTP %d", fhirapi.ErrServer, status)
		case status == http.StatusTooManyRequests:
			return fmt.Errorf("%w: token endpoint: HTTP %d", fhirapi.ErrRateLimited, status)
		}
		code := re.ErrorCode
		if code == "" {
			code = fmt.Sprintf("HTTP %d", status)
		}
		return fmt.Errorf("token endpoint refused: %s", code)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, fhirapi.ErrInsecure) || errors.Is(err, fhirapi.ErrRedirectRefused) {
		return fmt.Errorf("token endpoint: %w", err) // a redirect the HTTP policy refused
	}
	return fmt.Errorf("%w: token endpoint: %v", fhirapi.ErrNetwork, errors.Unwrap(err))
}
