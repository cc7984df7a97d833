// Package fhirserver is the practice server's FHIR R4 REST API, served under
// /fhir/ (JSON only, application/fhir+json).
//
// Vocabulary:
//   - an interaction is one FHIR REST operation: read, vread, search,
//     history, create, update, delete, transaction, batch, capabilities and
//     the Patient/$everything operation.
//   - a Grant (package practice/access) is what the request's bearer token
//     allows; a patient-scoped grant confines every interaction to that
//     patient's compartment plus the shared practice resources (see
//     store.SharedType). Resources outside it are answered 404, as if they
//     did not exist, so ids do not leak.
//   - a WriteHook is the practice's policy (package practice/rules), called
//     inside the write transaction before anything is written; it may refuse
//     a write with an *OperationOutcomeError.
//   - an OperationOutcome is FHIR's error body; every error reply carries one
//     and none carries patient data.
//
// Threading: a Server is safe for concurrent use; each request runs on its
// own goroutine and writes are serialized by the store.
//
// The package reaches the data only through package store and the token
// only through an access.Verifier. It does not import the app's packages.
package fhirserver
