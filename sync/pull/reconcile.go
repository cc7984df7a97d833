package pull

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
)

// reconcile removes local records of types that a full listing (seen) did
// not include and that the server, asked one by one, no longer has.
// Reading each before removing it guards against a server whose paging
// skipped a record while the listing ran.
func (s *syncer) reconcile(ctx context.Context, types []string, seen map[key]bool, stored, removed map[string]int) error {
	var candidates []key
	listed := map[string][]string{}
	for k := range seen {
		listed[k.typ] = append(listed[k.typ], k.id)
	}
	err := s.cfg.Store.Update(ctx, s.cfg.ProfileID, func(tx *storage.Tx) error {
		for _, typ := range types {
			// Only the records the listing lacks are opened.
			ids, err := tx.Unlisted(typ, listed[typ])
			if err != nil {
				return err
			}
			for _, id := range ids {
				candidates = append(candidates, key{typ, id})
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	for _, k := range candidates {
		resp, err := s.cfg.API.Get(ctx, k.typ+"/"+url.PathEscape(k.id), nil)
		var r storage.Resource
		remove := false
		switch {
		case errors.Is(err, fhirapi.ErrNotFound) || errors.Is(err, fhirapi.ErrGone):
			remove = true
		case err != nil:
			return fmt.Errorf("reconcile: %w", err)
		default:
			var mal *Malformed
			r, remove, mal = classify(resp.Body)
			if mal != nil {
				s.malformed(*mal)
			}
			if r.Type != k.typ || r.ID != k.id {
				return fmt.Errorf("reconcile: %w: read returned another resource", fhirapi.ErrBadResponse)
			}
		}
		err = s.cfg.Store.Update(ctx, s.cfg.ProfileID, func(tx *storage.Tx) error {
			if remove {
				return tx.Delete(k.typ, k.id)
			}
			return tx.Put(r)
		})
		if err != nil {
			return fmt.Errorf("reconcile: %w", err)
		}
		if remove {
			removed[k.typ]++
		} else {
			stored[k.typ]++
		}
	}
	return nil
}

// pullHistory applies the deletions the server's system history reports
// since the history checkpoint, page by page, moving the checkpoint with
// the last page.
func (s *syncer) pullHistory(ctx context.Context) error {
	since, ok, err := s.cfg.Store.Checkpoint(ctx, s.cfg.ProfileID, checkpointHistory)
	if err != nil {
		return fmt.Errorf("read checkpoint: %w", err)
	}
	if !ok {
		return nil // fullDue made this sync full; never reached
	}
	q := url.Values{"_since": {since}, "_count": {fmt.Sprint(s.cfg.PageSize)}}
	var removes []key
	var serverTime time.Time
	removed := map[string]int{}
	_, err = s.cfg.API.Search(ctx, "_history", q, fhirapi.SearchHandler{
		PageStart: func(int) { removes = removes[:0] },
		Entry: func(e fhirapi.Entry) error {
			if e.Request.Method == "DELETE" {
				if k, ok := parseRef(e.Request.URL); ok {
					removes = append(removes, k)
				}
				return nil
			}
			if e.Resource != nil {
				if r, remove, _ := classifyEntry(e.Resource); remove && r.Type != "" {
					removes = append(removes, key{r.Type, r.ID})
				}
			}
			return nil
		},
		PageDone: func(p fhirapi.Page) error {
			if p.Number == 1 {
				serverTime = pickServerTime(p)
			}
			last := p.Bundle.Next() == ""
			if last && serverTime.IsZero() {
				return fmt.Errorf("%w: no server time in history reply", fhirapi.ErrBadResponse)
			}
			var pageRemoved map[string]int
			err := s.cfg.Store.Update(ctx, s.cfg.ProfileID, func(tx *storage.Tx) error {
				var err error
				if pageRemoved, err = deleteExisting(tx, removes); err != nil {
					return err
				}
				if last {
					return tx.SetCheckpoint(checkpointHistory, fhirapi.FormatInstant(serverTime.Add(-overlap)))
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("write history page %d: %w", p.Number, err)
			}
			for typ, n := range pageRemoved {
				removed[typ] += n
			}
			removes = removes[:0]
			return nil
		},
	})
	s.count(nil, removed)
	return err
}

// parseRef reads "Type/id" or "Type/id/_history/v" (absolute or relative).
func parseRef(ref string) (key, bool) {
	if i := strings.Index(ref, "/_history/"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.IndexAny(ref, "?#"); i >= 0 {
		ref = ref[:i]
	}
	parts := strings.Split(strings.TrimRight(ref, "/"), "/")
	if len(parts) < 2 {
		return key{}, false
	}
	typ, id := parts[len(parts)-2], parts[len(parts)-1]
	if !fhirapi.ValidType(typ) || !fhirapi.ValidID(id) {
		return key{}, false
	}
	return key{typ, id}, true
}

func (s *syncer) noteServerTime(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.minServer.IsZero() || t.Before(s.minServer) {
		s.minServer = t
	}
}

func (s *syncer) addRefs(refs []key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refs == nil {
		s.refs = map[key]bool{}
	}
	for _, k := range refs {
		s.refs[k] = true
	}
}

// refBatch is how many ids one _id search asks for.
const refBatch = 50

// pullReferenced fetches Practitioner, Organization, Location and Questionnaire records
// that pulled records refer to and the cache lacks, with _id searches.
func (s *syncer) pullReferenced(ctx context.Context) error {
	byType := map[string][]string{}
	err := s.cfg.Store.Update(ctx, s.cfg.ProfileID, func(tx *storage.Tx) error {
		// Only the referenced ones are looked up (by key): the cached
		// records of these types are never all read.
		refs := map[string][]string{}
		for k := range s.refs {
			refs[k.typ] = append(refs[k.typ], k.id)
		}
		for _, typ := range ReferencedTypes {
			missing, err := tx.Uncached(typ, refs[typ])
			if err != nil {
				return err
			}
			byType[typ] = missing
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("references: %w", err)
	}
	stored := map[string]int{}
	defer s.count(stored, nil)
	for _, typ := range ReferencedTypes {
		ids := byType[typ]
		if len(ids) == 0 || (len(s.caps.Types) > 0 && !s.caps.HasType(typ)) {
			continue
		}
		slices.Sort(ids)
		for len(ids) > 0 {
			n := min(refBatch, len(ids))
			chunk := ids[:n]
			ids = ids[n:]
			var batch []storage.Resource
			q := url.Values{"_id": {strings.Join(chunk, ",")}, "_count": {fmt.Sprint(refBatch)}}
			_, err := s.cfg.API.Search(ctx, typ, q, fhirapi.SearchHandler{PageStart: func(int) { batch = nil }, Entry: func(e fhirapi.Entry) error {
				if e.Resource == nil || e.Search.Mode == "outcome" {
					return nil
				}
				r, remove, mal := classifyEntry(e.Resource)
				if mal != nil {
					s.malformed(*mal)
				}
				if r.Type == typ && !remove {
					batch = append(batch, r)
				}
				return nil
			}})
			if err != nil {
				return fmt.Errorf("references %s: %w", typ, err)
			}
			if err := s.cfg.Store.Put(ctx, s.cfg.ProfileID, batch...); err != nil {
				return fmt.Errorf("references %s: %w", typ, err)
			}
			stored[typ] += len(batch)
		}
	}
	return nil
}

// deleteExisting removes the keys that are cached and returns how many were
// removed by type. Keys not cached are skipped, so counts and Changed events
// report real changes only. Each removal finds its row by key (see
// storage.Tx.RemoveAll): the cost grows with the removals, not with the
// cached records of their type.
func deleteExisting(tx *storage.Tx, keys []key) (map[string]int, error) {
	rs := make([]storage.Resource, len(keys))
	for i, k := range keys {
		rs[i] = storage.Resource{Type: k.typ, ID: k.id}
	}
	return tx.RemoveAll(rs)
}
