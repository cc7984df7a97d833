package storage

import (
	"context"
	"fmt"
)

// Batch is resources made ready to write ahead of the transaction that
// writes them (Store.Prepare): sealed under their row keys, with the
// clear day and month of each, turned into the postings of the search
// index under the blind tokens of their words (all but the rows, known
// once written), and into the write watcher's digests
// (WriteWatcher.Digest). Preparing is most
// of a write's work and needs no transaction, so it can run on other
// goroutines while the single writer runs the SQL of earlier batches
// (Tx.PutBatch). A Batch is meant to be written once (written again, it
// is written as Put would); it keeps the resources it was given, whose
// JSON must not change until it is written.
type Batch struct {
	profileID string
	keys      *profileKeys
	sealGen   uint64 // the generation of the key the rows are sealed under
	hooks     uint64 // the store's hooks generation of indexer, dateOf and watcher
	indexed   bool   // an indexer was installed: words and prefixes are set
	written   bool   // PutBatch took its postings (see there)

	rs      []Resource
	rows    []batchRow
	digests []any // the watcher's Digest of each resource (nil: none)
	// The postings of the index by word and by beginning (postingLists),
	// each giving the place of its resource in rs for its row.
	words, prefixes map[string]*tokenList
}

// batchRow is one resource's row as Tx.PutBatch writes it.
type batchRow struct {
	key, sealed []byte
	day, month  any
}

// Len is how many resources the batch holds.
func (b *Batch) Len() int { return len(b.rs) }

// Ahead tells Prepare what writes made before the batch's own, not yet
// committed, make of a resource the indexer looks up (to name what a
// reference points at): known is false when they leave it alone, and the
// cache as committed answers; otherwise exists says whether the resource
// is there after them (false: they remove it) and r is it. So a batch
// prepared while earlier ones wait for the writer indexes as if written
// after them in one transaction.
type Ahead func(typ, id string) (r Resource, exists, known bool)

// Prepare makes rs ready to write in the profile (see Batch), as Tx.Put
// would write them: it fails as Put would on a resource without type or
// id, when locked, or when ctx ends. ahead (may be nil) answers the
// indexer's lookups for writes not committed yet. Prepare is safe for
// concurrent use and does not take the writer connection.
func (s *Store) Prepare(ctx context.Context, profileID string, rs []Resource, ahead Ahead) (*Batch, error) {
	k, err := s.keysFor(ctx, profileID)
	if err != nil {
		return nil, fmt.Errorf("prepare resources: %w", err)
	}
	indexer, dateOf, watcher, hooks := s.writeHooks()
	// The generation is read before sealing: a rotation meanwhile makes it
	// stale, and PutBatch seals again.
	gen, ok := k.sealGeneration()
	if !ok {
		return nil, fmt.Errorf("prepare resources: %w", ErrLocked)
	}
	h, err := k.hasher()
	if err != nil {
		return nil, fmt.Errorf("prepare resources: %w", err)
	}
	b := &Batch{profileID: profileID, keys: k, sealGen: gen, hooks: hooks, indexed: indexer != nil,
		rs: rs, rows: make([]batchRow, len(rs))}
	var plain, ad []byte
	defer func() { zero(plain) }()
	for i, r := range rs {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("prepare resources: %w", err)
		}
		if err := validResource(r); err != nil {
			return nil, fmt.Errorf("prepare resources: %w", err)
		}
		row := &b.rows[i]
		if row.key, err = h.rowKey(nil, "resource", r.Type, r.ID); err != nil {
			return nil, fmt.Errorf("prepare resources: %w", err)
		}
		plain = appendResource(plain[:0], r)
		ad = appendAD(ad[:0], "resources", profileID, r.Type, string(row.key))
		if row.sealed, err = k.sealAppend(nil, plain, ad); err != nil {
			return nil, fmt.Errorf("prepare resources: %w", err)
		}
		row.day, row.month = updatedDay(r.LastUpdated), monthWith(dateOf, r)
		if d := watcher.digestOf(r); d != nil {
			if b.digests == nil {
				b.digests = make([]any, len(rs))
			}
			b.digests[i] = d
		}
	}
	if indexer == nil {
		return b, nil
	}
	lookup := func(typ, id string) (Resource, bool) {
		if ahead != nil {
			if r, exists, known := ahead(typ, id); known {
				return r, exists
			}
		}
		return s.lookupCommitted(ctx, k, profileID, typ, id)
	}
	docs := indexer(rs, lookup)
	// A document names its resource by type and id: its place is that of
	// the last resource of that name (a resource written twice keeps its
	// row).
	place := make(map[string]int64, len(rs))
	for i, r := range rs {
		place[r.Type+"/"+r.ID] = int64(i)
	}
	b.words, b.prefixes, err = postingLists(docs, func(d *SearchDoc) (int64, bool) {
		i, ok := place[d.Type+"/"+d.ID]
		return i, ok
	}, h)
	if err != nil {
		return nil, fmt.Errorf("prepare resources: %w", err)
	}
	return b, nil
}

// monthWith is Tx.monthOf with dateOf.
func monthWith(dateOf DateOf, r Resource) any {
	if dateOf == nil {
		return nil
	}
	if t, ok := dateOf(r); ok {
		return ownMonth(t)
	}
	return ""
}

// lookupCommitted reads a resource of k's profile as committed, for the
// indexer.
func (s *Store) lookupCommitted(ctx context.Context, k *profileKeys, profileID, typ, id string) (Resource, bool) {
	key, err := k.rowKey("resource", typ, id)
	if err != nil {
		return Resource{}, false
	}
	k.beginRead()
	defer k.endRead()
	r, err := getRow(ctx, s.reader, k, profileID, typ, id, key)
	return r, err == nil
}

// PutBatch writes a prepared batch, exactly as Put(rs...) of its
// resources would: the rows, the search index (in the same transaction,
// its flushes as Put's) and the changes the watcher sees. A batch of
// another profile is refused; one prepared before a key rotation or a
// change of the store's hooks is prepared again here, as Put would.
func (tx *Tx) PutBatch(b *Batch) error {
	if b.profileID != tx.profileID {
		return fmt.Errorf("put resources: %w: batch of another profile", ErrInvalid)
	}
	// A batch written before (in a transaction rolled back) gave its
	// postings away: it is written as Put would, as is one prepared
	// under other keys or hooks.
	if gen, ok := tx.keys.sealGeneration(); b.written || b.keys != tx.keys || b.hooks != tx.hooks || !ok || gen != b.sealGen {
		return tx.Put(b.rs...)
	}
	if err := tx.preparePut(); err != nil {
		return err
	}
	var rows []int64 // the row of each resource, for the index
	if b.indexed {
		rows = make([]int64, len(b.rs))
	}
	for i, r := range b.rs {
		if err := tx.ctx.Err(); err != nil {
			return fmt.Errorf("put resource: %w", err)
		}
		row := &b.rows[i]
		n, err := tx.putRow(row.key, r.Type, row.day, row.month, row.sealed)
		if err != nil {
			return err
		}
		var digest any
		if b.digests != nil {
			digest = b.digests[i]
		}
		tx.noteDigested(r, false, digest)
		if rows != nil {
			rows[i] = n
		}
	}
	if len(b.rs) == 0 {
		return nil
	}
	if !b.indexed {
		return tx.markSearchStale()
	}
	if tx.pendingWords == nil {
		tx.pendingWords, tx.pendingPrefixes = map[string]*tokenList{}, map[string]*tokenList{}
	}
	addLists(tx.pendingWords, b.words, rows)
	addLists(tx.pendingPrefixes, b.prefixes, rows)
	b.words, b.prefixes, b.written = nil, nil, true // its lists are the transaction's now
	tx.pendingCount += len(b.rs)
	if len(tx.pending)+tx.pendingCount >= searchFlushAt {
		return tx.flushSearch()
	}
	return nil
}
