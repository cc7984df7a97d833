package app

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/storage"
)

// Search reads the record through storage's sealed search index: the
// words of every resource, as blind tokens, kept up to date by every
// write (see storage/search.go). A search decodes only the resources it
// shows; nothing of the record is held in memory between searches.

// ErrSearchNotReady means the record's search index is still being built
// (a cache from before the index, or right after a key rotation): search
// again in a moment. errors.As gives the progress (*SearchNotReadyError).
var ErrSearchNotReady = errors.New("the search is getting ready")

// SearchNotReadyError says how far the building of the search index is.
type SearchNotReadyError struct {
	Done, Total int // resources indexed so far, and in all
}

func (e *SearchNotReadyError) Error() string {
	return fmt.Sprintf("%v (%d of %d)", ErrSearchNotReady, e.Done, e.Total)
}

// Unwrap makes errors.Is(err, ErrSearchNotReady) hold.
func (e *SearchNotReadyError) Unwrap() error { return ErrSearchNotReady }

// SearchReady says the search index of a profile was built: a search
// that said it was getting ready may be tried again.
type SearchReady struct{ ProfileID string }

func (SearchReady) isEvent() {}

// IndexForSearch is the search indexer the app installs in its store
// (storage.SearchIndexer): the words each resource shows (its title,
// values, notes, the names it points at). Benchmarks of the sync install
// it too, to measure what the app's sync costs.
func IndexForSearch(rs []storage.Resource, lookup func(typ, id string) (storage.Resource, bool)) []storage.SearchDoc {
	in := make([]record.Resource, len(rs))
	for i, r := range rs {
		in[i] = record.Resource(r)
	}
	docs := record.SearchDocs(in, recordLookup(lookup))
	out := make([]storage.SearchDoc, len(docs))
	for i, d := range docs {
		terms := d.Terms()
		words := make([]storage.SearchWord, len(terms))
		for j, t := range terms {
			words[j] = storage.SearchWord{Word: t.Word, Title: t.Title}
		}
		out[i] = storage.SearchDoc{Type: d.Type, ID: d.ID, Date: d.Date.Time, Words: words}
	}
	return out
}

func recordLookup(lookup func(typ, id string) (storage.Resource, bool)) func(typ, id string) (record.Resource, bool) {
	return func(typ, id string) (record.Resource, bool) {
		r, ok := lookup(typ, id)
		return record.Resource(r), ok
	}
}

// Search finds up to limit entries of the profile's record matching query
// (all words, each the start of a word, any case or accent): title matches
// before body matches, whole words before beginnings, newest first. It
// reads the sealed search index and decodes only the entries it returns.
// While the index is being built it fails with a *SearchNotReadyError.
func (a *App) Search(ctx context.Context, profileID, query string, limit int) ([]record.Hit, error) {
	words := record.QueryWords(query)
	if len(words) == 0 || limit <= 0 {
		return nil, nil
	}
	cands, err := a.store.SearchIndex(ctx, profileID, words)
	if errors.Is(err, storage.ErrSearchNotReady) {
		a.buildSearchIndex(profileID)
		p, err := a.store.SearchStatus(ctx, profileID)
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		return nil, &SearchNotReadyError{Done: p.Done, Total: p.Total}
	}
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	lookup := recordLookup(func(typ, id string) (storage.Resource, bool) {
		r, err := a.store.Get(ctx, profileID, typ, id)
		return r, err == nil
	})
	type found struct {
		hit   record.Hit
		score int
	}
	var hits []found
	// The index ranks by day, the resources by their time: once limit hits
	// are found, the candidates of the same rank as the last one (a day's
	// results) are read too, so that the latest of that day are shown.
	var cut storage.SearchCandidate // the candidate of the limit-th hit
	ties := 0                       // candidates read past it
	tied := func(c storage.SearchCandidate) bool {
		return len(hits) >= limit && c.Score == cut.Score && c.Day == cut.Day
	}
	// The candidates are read and checked in batches, best first: one
	// query and one decode per batch.
	for next := 0; next < len(cands); {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		n := min(len(cands)-next, limit-len(hits)+searchMargin)
		if len(hits) >= limit {
			n = 0
			for next+n < len(cands) && ties+n < searchTies && tied(cands[next+n]) {
				n++
			}
			ties += n
			if n == 0 {
				break
			}
		}
		batch := cands[next : next+n]
		next += n
		rows := make([]int64, len(batch))
		for i, c := range batch {
			rows[i] = c.Row
		}
		byRow, err := a.store.ResourcesAt(ctx, profileID, rows)
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		in := make([]record.Resource, 0, len(byRow))
		for _, row := range rows {
			if r, ok := byRow[row]; ok { // else deleted since it was indexed
				in = append(in, record.Resource(r))
			}
		}
		docs := map[string]record.SearchDoc{}
		for _, d := range record.SearchDocs(in, lookup) {
			docs[d.Type+"/"+d.ID] = d
		}
		for _, c := range batch {
			r, ok := byRow[c.Row]
			if !ok {
				continue
			}
			if len(hits) >= limit && !tied(c) {
				next = len(cands)
				break
			}
			// The index may remember words the resource no longer has:
			// the resource itself decides.
			d := docs[r.Type+"/"+r.ID]
			if score, ok := d.Match(words); ok {
				hits = append(hits, found{d.Hit(words), score})
				if len(hits) == limit {
					cut = c
				}
			}
		}
	}
	// The index ranks by day; the resources themselves by their time.
	sort.SliceStable(hits, func(i, j int) bool {
		a, b := hits[i], hits[j]
		if a.score != b.score {
			return a.score > b.score
		}
		da, db := a.hit.Date, b.hit.Date
		if da.IsZero() != db.IsZero() {
			return !da.IsZero()
		}
		return da.After(db)
	})
	hits = hits[:min(len(hits), limit)]
	out := make([]record.Hit, len(hits))
	for i, h := range hits {
		out[i] = h.hit
	}
	return out, nil
}

// searchMargin is how many candidates beyond those still wanted a batch
// reads: a few may have changed since they were indexed.
const searchMargin = 8

// searchTies is how many more candidates of the rank of the last hit
// shown a search reads at most (results of the same day), to show the
// latest of them.
const searchTies = 64

// buildSearchIndex builds the profile's search index in the background
// if it is not built, once at a time; SearchReady is published when done.
// Each step commits, so a lock or a quit loses nothing: the next unlock
// goes on from there.
func (a *App) buildSearchIndex(profileID string) {
	a.mu.Lock()
	if a.indexing == nil {
		a.indexing = map[string]bool{}
	}
	if a.indexing[profileID] || a.searchCtx.Err() != nil {
		a.mu.Unlock()
		return
	}
	a.indexing[profileID] = true
	a.searchWG.Add(1)
	a.mu.Unlock()
	go func() {
		defer a.searchWG.Done()
		defer func() {
			a.mu.Lock()
			delete(a.indexing, profileID)
			a.mu.Unlock()
		}()
		ctx := a.searchCtx
		for !a.store.Locked() && ctx.Err() == nil {
			p, err := a.store.RebuildSearchStep(ctx, profileID)
			if err != nil {
				return // locked, closed or removed meanwhile: the next unlock or search starts again
			}
			if p.Built {
				a.bus.Publish(SearchReady{ProfileID: profileID})
				_ = a.store.CompactSearch(ctx, profileID) // best effort: the next sync tries again
				return
			}
		}
	}()
}

// compactSearchIndex merges, in the background, what the writes of a sync
// added to the profile's search index (see storage.CompactSearch), once
// at a time; a compaction asked for meanwhile runs after it.
func (a *App) compactSearchIndex(profileID string) {
	a.mu.Lock()
	if a.compacting == nil {
		a.compacting = map[string]int{}
	}
	if a.searchCtx.Err() != nil { // closed
		a.mu.Unlock()
		return
	}
	a.compacting[profileID]++
	running := a.compacting[profileID] > 1
	if !running {
		a.searchWG.Add(1)
	}
	a.mu.Unlock()
	if running {
		return
	}
	go func() {
		defer a.searchWG.Done()
		for {
			_ = a.store.CompactSearch(a.searchCtx, profileID) // best effort: the next sync tries again
			a.mu.Lock()
			again := a.compacting[profileID] > 1
			if again {
				a.compacting[profileID] = 1
			} else {
				delete(a.compacting, profileID)
			}
			a.mu.Unlock()
			if !again {
				return
			}
		}
	}()
}

// buildSearchIndexes starts building the index of every open profile that
// lacks one (a cache from before the index).
func (a *App) buildSearchIndexes(ctx context.Context) {
	ps, err := a.store.Profiles(ctx)
	if err != nil {
		return
	}
	for _, p := range ps {
		if st, err := a.store.SearchStatus(ctx, p.ID); err == nil && !st.Built {
			a.buildSearchIndex(p.ID)
		}
	}
}
