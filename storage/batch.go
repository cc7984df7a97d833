package storage

import (
	"context"
	"fmt"
	"strings"
)

// Batch is resources made ready to write ahead of the transaction that
// writes them (Store.Prepare): sealed under their row keys, with the
// clear day and month of each, turned into the documents of the search
// index with the blind tokens of their words, and into the write
// watcher's digests (WriteWatcher.Digest). Preparing is most
// of a write's work and needs no transaction, so it can run on other
// goroutines while the single writer runs the SQL of earlier batches
// (Tx.PutBatch). A Batch is written once; it keeps the resources it was
// given, whose JSON must not change until it is written.
type Batch struct {
	profileID string
	keys      *profileKeys
	sealGen   uint64 // the generation of the key the rows are sealed under
	hooks     uint64 // the store's hooks generation of indexer and dateOf
	indexed   bool   // an indexer was installed: docs and tokens are set

	rs      []Resource
	rows    []batchRow
	digests []any // the watcher's Digest of each resource (nil: none)
	docs    []SearchDoc
	// The blind token of each word and beginning of the documents.
	tokens, prefixTokens map[string]string
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
	b.docs = indexer(rs, lookup)
	b.tokens, b.prefixTokens = map[string]string{}, map[string]string{}
	for _, d := range b.docs {
		for _, w := range d.Words {
			if w.Word == "" || strings.IndexByte(w.Word, '\n') >= 0 {
				continue
			}
			if _, ok := b.tokens[w.Word]; !ok {
				tok, err := h.rowKey(nil, "search", w.Word)
				if err != nil {
					return nil, fmt.Errorf("prepare resources: %w", err)
				}
				b.tokens[w.Word] = string(tok)
			}
			if p, ok := searchPrefix(w.Word); ok {
				if _, ok := b.prefixTokens[p]; !ok {
					tok, err := h.rowKey(nil, searchPrefixDomain, p)
					if err != nil {
						return nil, fmt.Errorf("prepare resources: %w", err)
					}
					b.prefixTokens[p] = string(tok)
				}
			}
		}
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
	if gen, ok := tx.keys.sealGeneration(); b.keys != tx.keys || b.hooks != tx.hooks || !ok || gen != b.sealGen {
		return tx.Put(b.rs...)
	}
	if err := tx.preparePut(); err != nil {
		return err
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
		if b.indexed {
			if tx.pendingRows == nil {
				tx.pendingRows = map[string]int64{}
			}
			tx.pendingRows[r.Type+"/"+r.ID] = n
		}
	}
	if len(b.rs) == 0 {
		return nil
	}
	if !b.indexed {
		return tx.markSearchStale()
	}
	tx.pendingDocs = append(tx.pendingDocs, b.docs...)
	tx.pendingCount += len(b.rs)
	if tx.tokens == nil {
		tx.tokens, tx.prefixTokens = b.tokens, b.prefixTokens
	} else {
		for w, t := range b.tokens {
			tx.tokens[w] = t
		}
		for p, t := range b.prefixTokens {
			tx.prefixTokens[p] = t
		}
	}
	if len(tx.pending)+tx.pendingCount >= searchFlushAt {
		return tx.flushSearch()
	}
	return nil
}
