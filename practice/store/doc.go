// Package store is the practice server's FHIR resource store, kept in one
// SQLite file (modernc.org/sqlite, pure Go).
//
// Vocabulary:
//   - a Resource is one version of one FHIR resource: its type, id, version
//     id, when it was written (LastUpdated, server time) and its JSON. A
//     delete is a version too (Deleted set, no JSON), so history shows it.
//   - the current version of a resource is the newest one; read and search
//     see only current, non-deleted versions; history sees all of them.
//   - the search index holds, for every current resource, the values of the
//     search parameters it supports (token, reference, date), extracted at
//     write time. A Query is a parsed search (ParseQuery) run by Search.
//   - a resource's patient compartment is the set of Patient ids it refers to
//     through subject, patient, for, sender, recipient, participant (actor,
//     individual, member), beneficiary, subscriber, requester or author (a
//     Patient is in its own compartment). It is recorded for every version,
//     deletions included, so a patient's history shows them.
//
// Time: every write takes a timestamp from a monotonic clock (microseconds,
// UTC) that never goes backwards and never repeats. SafeTime returns a time
// before which every write has committed, the checkpoint a client may use
// for "_lastUpdated=gt" or "_since" to miss nothing.
//
// Threading: a Store is safe for concurrent use. Writes are serialized (one
// writer at a time, in Go and in SQLite with BEGIN IMMEDIATE); reads run in
// parallel in their own read transactions (WAL mode). A Tx must be used only
// by the goroutine running the InTx callback, and that callback must write
// through the Tx only (the Store's own write methods would wait for the
// transaction that calls them).
//
// The store knows nothing of HTTP, tokens or authorization: the caller
// (package fhirserver) decides who may see what and passes a compartment
// restriction in the Query. It keeps its tables to names starting with
// "fhir_"; other packages (the authorization server) may keep their own
// tables in the same database through DB.
package store
