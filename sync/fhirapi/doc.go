// Package fhirapi is Carebook's client for a FHIR R4 server: the one place
// that speaks HTTP to a practice's portal API.
//
// Vocabulary:
//   - base: the FHIR base URL of a practice ("https://ehr.example/fhir").
//     https is required except for loopback hosts (127.0.0.1, ::1,
//     localhost), which tests and the local demo practice use.
//   - page: one searchset or history Bundle; a search follows the Bundle's
//     "next" links, but only on the same scheme, host and port as the base.
//   - entry: one Bundle.entry, with its resource kept as the raw JSON the
//     server sent (json.RawMessage), so nothing a server sent is lost.
//   - capabilities: what the server's CapabilityStatement says it offers.
//
// Errors: every non-2xx reply becomes an *OperationOutcomeError that unwraps
// to one sentinel (ErrNotFound, ErrGone, ErrConflict, ErrPreconditionFailed,
// ErrUnauthorized, ErrForbidden, ErrRateLimited, ErrServer, ErrClient);
// transport failures wrap ErrNetwork; a TokenSource failure wraps
// ErrAccessToken and the source's error (the request was not sent), and
// ErrMayHaveReached where an earlier try of the same write may have been
// processed. Check them with errors.Is/As. Error
// strings hold status codes and issue codes only, never the server's
// diagnostics text, which may quote patient data.
//
// Retries: GETs, conditional creates (If-None-Exist) and updates with
// If-Match are retried with jittered exponential backoff on network errors,
// 429 and 503 (honoring Retry-After). Other requests are sent once, because
// a retry could create a second copy.
//
// Threading: a *Client is safe for concurrent use by many goroutines.
// Bundles are decoded as a stream (DecodeBundle), one entry at a time, so
// memory does not grow with the size of a patient's record.
//
// This package knows nothing of storage, sign-in screens or Fyne; access
// tokens come from a TokenSource the caller provides (package sync/smart).
package fhirapi
