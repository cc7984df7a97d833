package fhirapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors. An *OperationOutcomeError unwraps to exactly one of the
// status sentinels; other failures wrap the rest.
var (
	// ErrNotFound is a 404 reply.
	ErrNotFound = errors.New("fhirapi: not found")
	// ErrGone is a 410 reply (the resource was deleted).
	ErrGone = errors.New("fhirapi: gone")
	// ErrConflict is a 409 reply (for example a slot already booked).
	ErrConflict = errors.New("fhirapi: conflict")
	// ErrPreconditionFailed is a 412 reply (If-Match did not match, or a
	// conditional create matched more than one resource).
	ErrPreconditionFailed = errors.New("fhirapi: precondition failed")
	// ErrUnauthorized is a 401 reply: the access token was refused.
	ErrUnauthorized = errors.New("fhirapi: unauthorized")
	// ErrForbidden is a 403 reply: the token does not allow this.
	ErrForbidden = errors.New("fhirapi: forbidden")
	// ErrRateLimited is a 429 reply.
	ErrRateLimited = errors.New("fhirapi: rate limited")
	// ErrServer is a 5xx reply.
	ErrServer = errors.New("fhirapi: server error")
	// ErrClient is any other 4xx reply (400, 405, 422, ...).
	ErrClient = errors.New("fhirapi: request refused")
	// ErrBadResponse is a reply whose body is not what FHIR promises
	// (malformed JSON, a Bundle that is not a Bundle).
	ErrBadResponse = errors.New("fhirapi: malformed response")
	// ErrTooLarge is a reply body larger than Options.MaxBodyBytes after
	// decompression, or a search with more than Options.MaxPages pages.
	ErrTooLarge = errors.New("fhirapi: response too large")
	// ErrNetwork wraps transport failures: refused connections, resets,
	// timeouts, DNS errors.
	ErrNetwork = errors.New("fhirapi: network error")
	// ErrUploadCut is an ErrNetwork that struck while the request's body
	// was still being sent: the connection was made, and the request
	// failed or timed out before all of it left (a body too large for the
	// link in the time allowed, or cut by a proxy). It says more about
	// that request than about the server, which was reached; and, since
	// every try of the request was cut so, the server has nothing of it.
	ErrUploadCut = errors.New("fhirapi: the request could not be sent in full")
	// ErrInsecure is a base or link URL that is not https and not loopback.
	ErrInsecure = errors.New("fhirapi: https required")
	// ErrForeignLink is a paging link to another scheme, host or port than
	// the base; it is never followed.
	ErrForeignLink = errors.New("fhirapi: link to another server refused")
	// ErrAccessToken wraps a failure of the TokenSource: the request was
	// never sent. The TokenSource's own error is wrapped too (for example
	// smart.ErrNeedsSignIn, or ErrServer for a failing token endpoint).
	ErrAccessToken = errors.New("fhirapi: no access token")
	// ErrMayHaveReached marks the failure of a write (a request with a
	// body) one of whose earlier tries may have been processed, its reply
	// lost, although the last try could not have been: no access token
	// could be had, or the server refused the token (401). It wraps the
	// last try's error too (smart.ErrNeedsSignIn, say): the write as a
	// whole is not provably unsent.
	ErrMayHaveReached = errors.New("fhirapi: an earlier try may have reached the server")
	// ErrMoved is a permanent redirect (301, 308) to another origin: the
	// server says it moved. It is never followed (the bearer token must
	// not reach another address); *MovedError says where it points.
	ErrMoved = errors.New("fhirapi: the server moved to another address")
)

// MovedError is ErrMoved with the FHIR base URL the server now answers at,
// worked out from the redirect (the same path below the base).
type MovedError struct {
	To string // the new FHIR base URL, without a trailing slash
}

func (e *MovedError) Error() string { return "fhirapi: the server moved to " + e.To }

// Unwrap makes errors.Is(err, ErrMoved) hold.
func (e *MovedError) Unwrap() error { return ErrMoved }

// Issue is one OperationOutcome.issue.
type Issue struct {
	Severity string `json:"severity"`
	Code     string `json:"code"`
	// Diagnostics is the server's free text. It may quote patient data:
	// show it to the user, never log it.
	Diagnostics string `json:"diagnostics,omitempty"`
	Details     struct {
		Text string `json:"text,omitempty"`
	} `json:"details,omitempty"`
}

// OperationOutcomeError is a non-2xx reply, with the OperationOutcome issues
// the server sent (if any).
type OperationOutcomeError struct {
	// Method and Path say which request failed. Path is relative to the
	// base, without query (search values) and with ids replaced by ":id".
	Method, Path string
	// Status is the HTTP status code.
	Status int
	// Issues are the OperationOutcome issues of the body, if it had any.
	Issues []Issue
	// RetryAfter is the delay the server asked for (429, 503), or 0.
	RetryAfter time.Duration
}

// Error returns the method, path, status and issue codes; never the
// diagnostics text.
func (e *OperationOutcomeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "fhir %s %s: HTTP %d", e.Method, e.Path, e.Status)
	for i, is := range e.Issues {
		if i == 3 {
			fmt.Fprintf(&b, " (+%d more)", len(e.Issues)-3)
			break
		}
		fmt.Fprintf(&b, " [%s/%s]", is.Severity, is.Code)
	}
	return b.String()
}

// Unwrap returns the sentinel for the status code.
func (e *OperationOutcomeError) Unwrap() error { return statusSentinel(e.Status) }

// Message is a human-readable summary of the issues for display to the
// patient (it may contain what the server wrote; never log it).
func (e *OperationOutcomeError) Message() string {
	var parts []string
	for _, is := range e.Issues {
		switch {
		case is.Diagnostics != "":
			parts = append(parts, is.Diagnostics)
		case is.Details.Text != "":
			parts = append(parts, is.Details.Text)
		}
	}
	if len(parts) == 0 {
		return http.StatusText(e.Status)
	}
	return strings.Join(parts, "; ")
}

func statusSentinel(status int) error {
	switch {
	case status == http.StatusNotFound:
		return ErrNotFound
	case status == http.StatusGone:
		return ErrGone
	case status == http.StatusConflict:
		return ErrConflict
	case status == http.StatusPreconditionFailed:
		return ErrPreconditionFailed
	case status == http.StatusUnauthorized:
		return ErrUnauthorized
	case status == http.StatusForbidden:
		return ErrForbidden
	case status == http.StatusTooManyRequests:
		return ErrRateLimited
	case status == http.StatusRequestEntityTooLarge:
		return ErrClient
	case status >= 500:
		return ErrServer
	case status >= 400:
		return ErrClient
	default:
		return ErrBadResponse
	}
}

// IsTransient reports whether err is worth retrying later: a network error,
// a 5xx or a 429. Client errors (4xx) are permanent.
func IsTransient(err error) bool {
	return errors.Is(err, ErrNetwork) || errors.Is(err, ErrServer) || errors.Is(err, ErrRateLimited)
}

// maxRetryAfter bounds what parseRetryAfter returns, so a huge value never
// overflows a time.Duration. (The client gives up on waits longer than
// Options.MaxRetryAfter anyway.)
const maxRetryAfter = 24 * time.Hour

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
// It returns 0 for an absent, malformed or past value.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		switch {
		case secs <= 0:
			return 0
		case secs > int64(maxRetryAfter/time.Second):
			return maxRetryAfter
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, maxRetryAfter)
		}
	}
	return 0
}

// safePath is a request's path for error strings, relative to the base,
// with resource ids replaced by ":id" ("Patient/:id/$everything"), so an
// error that is logged or shown never carries a record's id. Resource
// types, operations ($everything), _history and metadata stay.
func (c *Client) safePath(u *url.URL) string {
	rel := strings.TrimPrefix(u.Path, strings.TrimRight(c.base.Path, "/"))
	parts := strings.Split(strings.Trim(rel, "/"), "/")
	for i, p := range parts {
		// Type/id/_history/vid and Type/id/$op: odd positions are ids
		// unless they name an operation or _history.
		if i%2 == 1 && !strings.HasPrefix(p, "$") && !strings.HasPrefix(p, "_") {
			parts[i] = ":id"
		}
	}
	return strings.Join(parts, "/")
}
