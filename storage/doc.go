// Package storage is Carebook's encrypted local cache: one SQLite file,
// carebook.db, in a private data directory (see DefaultDir), holding the
// patient's records so they can be read offline, what the patient wrote and
// the server has not confirmed yet, and the sign-in secrets.
//
// # Vocabulary
//
//   - Profile: one practice × one patient (a FHIR base URL and a Patient id).
//     A family has several. Each profile has its own random 256-bit data key
//     (DEK); nothing of one profile can be read with another's key.
//   - Resource (record): a FHIR resource as the server sent it, raw JSON, with
//     its type, server id and meta.lastUpdated.
//   - Checkpoint: a named sync position (for example the server time of the
//     last pull), written in the same transaction as the data it covers.
//   - Outbox: items the patient created (messages, bookings, requests) with a
//     client-generated identifier, kept until the server confirms them.
//   - Secret: a small value such as an OAuth token set.
//   - KEK (master key): a random key that wraps every DEK. It is kept in the
//     OS keyring (Keyring) and/or wrapped by a passphrase-derived key
//     (Argon2id, per-install salt and parameters stored in the database).
//   - Locked: the store holds no key in memory. Open returns a locked store;
//     UnlockWithKeyring or UnlockWithPassphrase unlock it; Lock zeroes and
//     drops every key, except the copy a SecretWriter taken before holds
//     until its one Put or Close (a token refresh under way saves the
//     rotated token with it). Close waits for those writers too (see
//     SecretWriter.Closing), so that quitting keeps that token as well.
//
// # What is encrypted
//
// Every value is sealed with XChaCha20-Poly1305 under its profile's DEK. The
// associated data binds a sealed value to its format version, profile, table
// and row (and, for resources, type; for outbox items, status), so a value
// copied to another row or profile fails to open with ErrIntegrity. Clear
// columns hold only random ids, resource types, outbox statuses and
// coarse dates: the day of a resource's last update, and the month of a
// result's or report's own date (own_month, see DateOf and
// EachDatedSince: the dashboard reads recent results without opening
// years of old ones); and for each profile whether its cached record was
// set aside by a rebuild and must be downloaded again (RecordSetAside).
// Row keys of resources, checkpoints, outbox
// identifiers and secrets are HMAC-SHA256 values under an index key derived
// from the DEK (HKDF), so not even server ids are in clear. Secrets also go
// to the OS keyring (sealed) when the store keeps its master key there.
// The search index (search.go) keeps each profile's words, and their
// first two letters, as blind tokens, HMAC-SHA256 under its index
// key (a word gives different tokens in two profiles), inside posting
// chunks and a word list sealed under its DEK;
// in clear are only the chunks' buckets (8 bits of a token). A profile
// whose own lock is closed has no key in memory: its index opens as little
// as its records.
// What the app derives from the record and keeps up to date with each
// write (a WriteWatcher, see watch.go: the dashboard's last check-up) is a
// value sealed like any other, written in the same transaction.
// Deleting a profile destroys its wrapped DEK first, in its own transaction.
// No temporary files are written; errors never contain patient data.
//
// # Durability
//
// WAL journal, synchronous=FULL for the whole file (the outbox needs it;
// cache writes are batched so they hardly pay for it), foreign keys on, a
// busy timeout, and embedded migrations applied in one transaction with
// PRAGMA user_version. One writer connection and a small read-only pool.
// Open checks the whole file (PRAGMA quick_check) after an unclean
// shutdown; otherwise only its length and the small tables, with the full
// check in the background once a week (see integrity.go).
//
// # Threading
//
// All methods of Store are safe for concurrent use. All of them may block
// (disk, keyring prompts, Argon2id): never call them on the UI goroutine.
// The exceptions are Locked, UsesKeyring, Lock and Path, which only take
// an in-memory lock held for microseconds.
// The function given to Update runs on the caller's goroutine, holds the
// only writer connection, and must use only its Tx for writes.
//
// # Boundaries
//
// storage knows nothing of the network, of FHIR beyond a resource's type,
// id and lastUpdated, or of the UI; it must never import Fyne. Only the
// keyring entries named "carebook" are touched outside the data directory.
package storage
