// Package pull mirrors a patient's record from a FHIR R4 server into the
// encrypted cache (package storage).
//
// Vocabulary:
//   - unit: one query that is pulled as a whole: Patient/{id}/$everything
//     when the server offers it, otherwise one search per resource type.
//     Each unit has its own checkpoint.
//   - checkpoint: the server time ("pull.since" or "pull.since.<Type>")
//     from which the next incremental pull asks for changes
//     (_since / _lastUpdated=gt). It is server time (the first page's
//     Bundle.meta.lastUpdated, else its Date header), minus a small overlap,
//     never the local clock.
//   - full pull: a unit pulled without a checkpoint. The first sync is one;
//     later ones happen every Config.ReconcileEvery to find records the
//     server deleted when its history cannot tell.
//   - reconcile: after a full pull, local records the server did not list
//     are read one by one; those the server answers 404/410 are removed.
//     (Reading them first, rather than deleting at once, keeps a record an
//     unstable paging order skipped.)
//   - deletions: found through _history?_since= (a DELETE entry) where the
//     CapabilityStatement offers history and the server is not an open
//     server (whose history would list everybody's changes), otherwise by
//     reconcile. Records whose status or verificationStatus is
//     entered-in-error are removed too.
//
// Writes and crashes: pages are written whole by a writer goroutine that
// runs only the SQL (storage.Tx.PutBatch), several in one storage
// transaction when each is downloaded by the time the one before is
// written (up to 4 MB of JSON); it never waits for the network with a
// transaction open. Before that, a preparer goroutine seals each page,
// reads its own dates and makes its search index documents
// (storage.Prepare) while the writer commits the pages before it and the
// next page downloads; its index sees what those pages write, as it would
// in their transaction.
// A unit's checkpoint is advanced only in the transaction of its last page,
// so a sync killed midway leaves the old checkpoint and the next sync pulls
// the unit again from there (puts are idempotent). The cache is therefore
// always a state the server had, plus at most some newer records.
//
// A type the server refuses with 403 in per-type mode (a narrowed grant)
// is skipped and listed in Result.Forbidden; other failures of one unit are
// reported in Result.Failed while the other units still commit.
//
// A malformed resource never aborts a sync: with a type and an id it is
// stored as sent and reported in Result.Malformed; without, it is only
// reported.
//
// Threading: Run may be called from any goroutine but not twice at once for
// the same profile (the app serializes syncs). Units run concurrently (at
// most Config.Concurrency). Config.OnEvent is called from those goroutines,
// one call at a time, in order; it must return quickly.
//
// This package does not import Fyne and never logs resource contents.
package pull
