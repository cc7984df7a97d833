package pull

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"time"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
)

type key struct{ typ, id string }

// pullUnit pulls one unit: incrementally from its checkpoint, or in full
// followed by a reconcile. Each page is committed in one transaction; the
// checkpoint moves with the last page.
func (s *syncer) pullUnit(ctx context.Context, u unit) error {
	q := url.Values{}
	for k, v := range u.query {
		q[k] = slices.Clone(v)
	}
	since := ""
	if !u.full {
		v, ok, err := s.cfg.Store.Checkpoint(ctx, s.cfg.ProfileID, u.checkpoint)
		if err != nil {
			return fmt.Errorf("read checkpoint: %w", err)
		}
		if ok {
			since = v
		}
	}
	switch {
	case since == "":
		u.full = true
	case u.sinceParam == "_since":
		q.Set("_since", since)
	default:
		q.Set("_lastUpdated", "gt"+since)
	}

	var (
		seen       map[key]bool
		batch      []storage.Resource
		removes    []key
		done       int
		total      = -1
		serverTime time.Time
	)
	if u.full {
		seen = map[key]bool{}
	}
	stored, removed := map[string]int{}, map[string]int{}
	var refs []key
	collectRefs := !u.everything

	// Pages are written by a second goroutine while the next page
	// downloads: on two cores the sync then takes about as long as the
	// download alone. Pages are still committed in order, one transaction
	// each, and the checkpoint only with the last one.
	wctx, cancelWrites := context.WithCancel(ctx)
	defer cancelWrites()
	pages := make(chan pageWrite, 1)
	var writeErr error
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		for pw := range pages {
			if writeErr != nil {
				continue // drain after a failure
			}
			if err := s.writePage(wctx, u, pw, stored, removed); err != nil {
				writeErr = err
				cancelWrites() // stops the download too
			}
		}
	}()
	// What a page attempt added, so a page read again after a cut-off
	// reply starts from where the page began.
	var (
		doneAtStart, refsAtStart int
		pageMalformed            []Malformed
	)
	_, err := s.cfg.API.Search(wctx, u.path, q, fhirapi.SearchHandler{
		PageStart: func(int) {
			batch, removes, pageMalformed = nil, nil, nil
			done, refs = doneAtStart, refs[:refsAtStart]
		},
		Entry: func(e fhirapi.Entry) error {
			if e.Search.Mode == "outcome" || e.Resource == nil {
				return nil
			}
			done++
			r, remove, mal := classify(e.Resource)
			if mal != nil {
				pageMalformed = append(pageMalformed, *mal)
			}
			if r.Type == "" {
				return nil
			}
			if seen != nil {
				seen[key{r.Type, r.ID}] = true
			}
			if remove {
				removes = append(removes, key{r.Type, r.ID})
				return nil
			}
			if collectRefs {
				refs = appendRefs(refs, r.JSON)
			}
			batch = append(batch, r)
			return nil
		},
		PageDone: func(p fhirapi.Page) error {
			if p.Number == 1 {
				serverTime = pickServerTime(p)
				total = p.Bundle.Total
			}
			last := p.Bundle.Next() == ""
			if last && serverTime.IsZero() {
				return fmt.Errorf("%w: no server time (neither Bundle.meta.lastUpdated nor Date)", fhirapi.ErrBadResponse)
			}
			pw := pageWrite{number: p.Number, batch: batch, removes: removes, done: done, total: total}
			if last {
				pw.checkpoint = fhirapi.FormatInstant(serverTime.Add(-overlap))
			}
			for _, m := range pageMalformed {
				s.malformed(m)
			}
			batch, removes, pageMalformed = nil, nil, nil
			doneAtStart, refsAtStart = done, len(refs)
			select {
			case pages <- pw:
				return nil
			case <-wctx.Done():
				return wctx.Err()
			}
		},
	})
	close(pages)
	<-writerDone
	if writeErr != nil {
		err = writeErr
	}
	if err != nil {
		s.count(stored, removed)
		return err
	}
	s.noteServerTime(serverTime)
	s.addRefs(refs)
	if u.full {
		types := u.types
		if u.everything {
			set := map[string]bool{}
			for _, t := range DefaultTypes {
				set[t] = true
			}
			for k := range seen {
				set[k.typ] = true
			}
			types = slices.Sorted(maps.Keys(set))
		}
		if err := s.reconcile(ctx, types, seen, stored, removed); err != nil {
			s.count(stored, removed)
			return err
		}
	}
	s.count(stored, removed)
	return nil
}

// pageWrite is one downloaded page waiting to be committed.
type pageWrite struct {
	number     int
	batch      []storage.Resource
	removes    []key
	done       int
	total      int
	checkpoint string // set on the last page only
}

// writePage commits one page, and with the last page the unit's checkpoint,
// in one transaction. It runs on the unit's writer goroutine, which owns
// stored and removed until the download ends.
func (s *syncer) writePage(ctx context.Context, u unit, pw pageWrite, stored, removed map[string]int) error {
	var pageRemoved map[string]int
	err := s.cfg.Store.Update(ctx, s.cfg.ProfileID, func(tx *storage.Tx) error {
		if err := tx.Put(pw.batch...); err != nil {
			return err
		}
		var err error
		if pageRemoved, err = deleteExisting(tx, pw.removes); err != nil {
			return err
		}
		if pw.checkpoint != "" {
			return tx.SetCheckpoint(u.checkpoint, pw.checkpoint)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write page %d: %w", pw.number, err)
	}
	for _, r := range pw.batch {
		stored[r.Type]++
	}
	for typ, n := range pageRemoved {
		removed[typ] += n
	}
	s.emit(Progress{Type: u.name, Done: pw.done, Total: pw.total})
	return nil
}

// pickServerTime is the first page's server time: Bundle.meta.lastUpdated,
// else the Date header.
func pickServerTime(p fhirapi.Page) time.Time {
	if !p.Bundle.LastUpdated.IsZero() {
		return p.Bundle.LastUpdated
	}
	return p.Date
}

func (s *syncer) count(stored, removed map[string]int) {
	s.mu.Lock()
	var types []string
	for t, n := range stored {
		s.res.Stored[t] += n
		if n > 0 {
			types = append(types, t)
		}
	}
	for t, n := range removed {
		s.res.Removed[t] += n
		if n > 0 && !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	s.mu.Unlock()
	if len(types) > 0 {
		slices.Sort(types)
		s.emit(Changed{Types: types})
	}
}

func (s *syncer) malformed(m Malformed) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.res.Malformed = append(s.res.Malformed, m)
}

// classify turns a raw resource into what to store. remove is set for
// entered-in-error records. A resource with a valid type and id is always
// returned (stored raw) even when malformed; mal reports the problem. One
// with an invalid type or id (fhirapi.ValidType, ValidID: say
// "../Patient", an id with a slash or a megabyte long) is not stored, and
// its report leaves out what is invalid.
func classify(raw json.RawMessage) (r storage.Resource, remove bool, mal *Malformed) {
	h, err := fhirapi.ParseHeader(raw)
	if err != nil {
		return r, false, &Malformed{Reason: "not a JSON object"}
	}
	if h.ResourceType == "" || h.ID == "" {
		return r, false, &Malformed{Type: safeType(h.ResourceType), ID: safeID(h.ID), Reason: "no resourceType or id"}
	}
	if !fhirapi.ValidType(h.ResourceType) {
		return r, false, &Malformed{Reason: "resourceType is not a FHIR resource type"}
	}
	if !fhirapi.ValidID(h.ID) {
		return r, false, &Malformed{Type: h.ResourceType, Reason: "id is not a valid FHIR id"}
	}
	r = storage.Resource{Type: h.ResourceType, ID: h.ID, JSON: raw}
	if len(h.Odd) > 0 {
		mal = &Malformed{Type: r.Type, ID: r.ID, Reason: "field " + h.Odd[0] + " has the wrong JSON type", Stored: true}
	}
	if h.Meta.LastUpdated != "" {
		t, err := fhirapi.ParseInstant(h.Meta.LastUpdated)
		if err != nil && mal == nil {
			mal = &Malformed{Type: r.Type, ID: r.ID, Reason: "meta.lastUpdated is not an instant", Stored: true}
		}
		r.LastUpdated = t
	}
	return r, enteredInError(h.Status, h.VerificationStatus), mal
}

func safeType(typ string) string {
	if fhirapi.ValidType(typ) {
		return typ
	}
	return ""
}

func safeID(id string) string {
	if fhirapi.ValidID(id) {
		return id
	}
	return ""
}

// enteredInError reports a record the practice marked as a mistake.
func enteredInError(status string, verification json.RawMessage) bool {
	if status == "entered-in-error" {
		return true
	}
	if len(verification) == 0 {
		return false
	}
	var cc struct {
		Coding []struct {
			Code string `json:"code"`
		} `json:"coding"`
	}
	if json.Unmarshal(verification, &cc) != nil {
		return false
	}
	for _, c := range cc.Coding {
		if c.Code == "entered-in-error" {
			return true
		}
	}
	return false
}

var refPattern = regexp.MustCompile(`"reference"\s*:\s*"(Practitioner|Organization|Location|Questionnaire)/([A-Za-z0-9\-.]{1,64})"`)

func appendRefs(refs []key, raw []byte) []key {
	if !bytes.Contains(raw, []byte(`"reference"`)) {
		return refs
	}
	for _, m := range refPattern.FindAllSubmatch(raw, -1) {
		refs = append(refs, key{string(m[1]), string(m[2])})
	}
	return refs
}
