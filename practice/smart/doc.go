// Package smart is the practice server's SMART App Launch 2 authorization
// server, served under /auth/. It signs patients and their proxies in,
// lets them pick whose chart an app may reach, asks their consent, and issues
// the tokens the FHIR API (package practice/fhirserver) checks through
// access.Verifier.
//
// Vocabulary:
//   - a user is an account of the portal (username + Argon2id password hash)
//     acting as a fhirUser ("Patient/123" or "RelatedPerson/9").
//   - an access row says that a user may act for a patient, with a Relation:
//     "self" (their own chart), "parent" (a child's chart, narrowed by the
//     family rules below) or "caregiver" (granted by an adult, full).
//   - a session is the browser's sign-in state on these pages (an HttpOnly,
//     SameSite=Lax cookie); it holds one pending authorization request, the
//     signed-in user, the chosen patient and the CSRF token of its forms.
//   - a code is a single-use, 60-second authorization code bound to its
//     client, redirect_uri and PKCE S256 challenge.
//   - a family is the chain of tokens issued from one code: refresh tokens
//     rotate on every use, and a rotated refresh token presented again
//     revokes the whole family (theft detection).
//
// Endpoints (Handler): GET|POST /auth/authorize, POST /auth/token,
// POST /auth/revoke (RFC 7009), GET /auth/jwks, and the pages /auth/login,
// /auth/enroll, /auth/enroll/account, /auth/picker, /auth/consent and
// /auth/terms. The pages need no JavaScript; every form carries a CSRF
// token, and the form ids and field names are stable because SignIn (used
// by tests and the app's demo mode) fills them in.
//
// Family rules (evaluated when authorizing, on every refresh and on every
// Verify, with the patient's birth date from the access.PatientDirectory):
// a parent has full access under 12, limited access (Grant.AllowedTypes =
// TeenProxyTypes) from 12 to 17 and none from 18. A caregiver and self have
// full access.
//
// Secrets: passwords are stored as Argon2id hashes, and every token, code,
// activation code and session id only as its SHA-256 hash. No token,
// password or patient data is ever logged; error strings name no patient.
//
// id_token: when openid and fhirUser are granted, the token response carries
// an id_token signed with ES256 by a P-256 key the server creates once and
// keeps in its database; the public key is served at /auth/jwks.
//
// Threading: a *Server is safe for concurrent use; all state lives in the
// *sql.DB given to New (tables prefixed auth_) except the client registry,
// which is guarded by a mutex.
//
// This package must not import the app's packages (storage, sync, app, ui)
// nor the practice's FHIR store: it reaches patients only through
// access.PatientDirectory.
package smart
