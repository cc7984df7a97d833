// Package smart signs a Carebook profile in to a practice with SMART App
// Launch 2 (standalone patient launch) and keeps its access token fresh.
//
// Vocabulary:
//   - endpoints: the authorization and token URLs, discovered from
//     {base}/.well-known/smart-configuration, or from the CapabilityStatement
//     oauth-uris extension when that file is missing.
//   - grant: what a successful sign-in yields: tokens, the patient id from
//     the token response, the granted scopes.
//   - needs sign-in: a profile whose refresh was refused (access revoked or
//     expired). Its Settings["needs_sign_in"] is "true" and token requests
//     fail with ErrNeedsSignIn until the patient signs in again; its
//     outbox is kept.
//
// Sign-in uses the authorization code flow with PKCE S256, a random state
// checked on return, aud = the FHIR base, and a one-shot loopback redirect
// listener on 127.0.0.1 with an ephemeral port (RFC 8252). The browser is
// opened by a function the caller gives (Config.OpenBrowser); this package
// never starts programs itself.
//
// Secrets: tokens and the patient id are stored only through the store's
// secret API (storage seals them); nothing here logs them or puts them in
// error strings.
//
// Threading: SignIn blocks until the callback arrives or ctx ends.
// A *TokenSource is safe for concurrent use; however many goroutines ask at
// once, at most one refresh request is in flight, and the new refresh token
// is saved before the new access token is handed out.
//
// Profiles with Settings["auth"] == "none" talk to open servers without
// tokens; package smart is not used for them.
package smart
