package fhirapi

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// DefaultHTTPTimeout bounds one request of a client from NewHTTPClient or
// NewTokenHTTPClient, reply body included, when no timeout is given.
const DefaultHTTPTimeout = 30 * time.Second

// ErrRedirectRefused is a redirect the HTTP policy does not follow: to
// another origin from a token call, or more than ten in a row. Redirects
// to insecure URLs are ErrInsecure.
var ErrRedirectRefused = errors.New("fhirapi: redirect refused")

// The HTTP policy of Carebook, for every request it makes besides the
// FHIR client's own (which applies the same rules and strips the
// Authorization header across origins):
//   - https only, except on a loopback host, on the first request and on
//     every redirect (a redirect to clear text is refused, not followed);
//   - token calls (code exchange, refresh, revocation) stay on the origin
//     they were sent to: a redirect elsewhere is refused, so a refresh
//     token is never posted to another server;
//   - a timeout on every request;
//   - TLS verification as Go does it, never switched off.
// http.DefaultClient has no timeout and follows any redirect: nothing in
// Carebook uses it.

// NewHTTPClient returns a client following the HTTP policy: redirects
// only to https (or loopback) URLs, at most ten, and timeout for the whole
// request (DefaultHTTPTimeout when timeout <= 0). It is meant for
// discovery and other reads that carry no secret.
func NewHTTPClient(timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = DefaultHTTPTimeout
	}
	return &http.Client{Timeout: timeout, CheckRedirect: SecureRedirect}
}

// NewTokenHTTPClient is NewHTTPClient for token calls: redirects must
// also stay on the origin of the first request.
func NewTokenHTTPClient(timeout time.Duration) *http.Client {
	hc := NewHTTPClient(timeout)
	hc.CheckRedirect = SameOriginRedirect
	return hc
}

// WithPolicy returns a copy of hc (nil: NewHTTPClient's defaults) whose
// redirects follow check (SecureRedirect or SameOriginRedirect) and which
// has a timeout. Callers pass their own clients (custom transports in
// tests, shared connection pools); the policy is applied here regardless.
func WithPolicy(hc *http.Client, check func(*http.Request, []*http.Request) error) *http.Client {
	if hc == nil {
		hc = NewHTTPClient(0)
	}
	cp := *hc
	cp.CheckRedirect = check
	if cp.Timeout <= 0 {
		cp.Timeout = DefaultHTTPTimeout
	}
	return &cp
}

// SecureRedirect is an http.Client CheckRedirect that refuses redirects
// to URLs that are not https (or loopback), and more than ten in a row.
func SecureRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return fmt.Errorf("%w: more than 10 redirects", ErrRedirectRefused)
	}
	return checkSecure(req.URL)
}

// SameOriginRedirect is SecureRedirect that also refuses a redirect to
// another origin (scheme, host, port) than the first request's.
func SameOriginRedirect(req *http.Request, via []*http.Request) error {
	if err := SecureRedirect(req, via); err != nil {
		return err
	}
	if !sameOrigin(req.URL, via[0].URL) {
		return fmt.Errorf("%w: token call redirected to %s://%s", ErrRedirectRefused, req.URL.Scheme, req.URL.Host)
	}
	return nil
}
