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
	"sync"
	"time"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
)

type key struct{ typ, id string }

// pullUnit pulls one unit: incrementally from its checkpoint, or in full
// followed by a reconcile. The checkpoint moves with the last page, in the
// same transaction.
//
// The download goroutine reads pages and files their entries (classify);
// each page is then prepared on a goroutine of its own (storage.Prepare:
// sealing, own dates, search index documents, most of a write's work),
// and a writer goroutine runs only the SQL, committing pages while the
// next ones download and are prepared. The writer writes the pages that
// are downloaded by the time it has written the one before in one
// transaction, up to writeGroupBytes of JSON: each commit rewrites the
// index pages its rows touch (their row keys are random), so fewer,
// larger commits cost less, more so the larger the cache (a commit per
// page of 1,000 cost a third more at 100,000). It writes each page as it
// comes rather than gathering them first, so only the pages not written
// yet are held prepared. Pages are committed in order and whole; the
// checkpoint only comes with the last one, so a sync cut short leaves no
// checkpoint for what it did not get.
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

	// Each page is prepared (sealed, dated, indexed: storage.Prepare), in
	// order, by a goroutine of its own, as soon as it is read, while the
	// writer commits the pages before it; ahead lets its index see what
	// those pages write, as it would in their transaction.
	ahead := newPending()
	toPrepare := make(chan *pageWrite)
	preparerDone := make(chan struct{})
	defer func() { <-preparerDone }()
	w := &unitWriter{s: s, u: u, stored: map[string]int{}, removed: map[string]int{}, collectRefs: !u.everything, ahead: ahead}
	if u.full {
		w.seen = map[key]bool{}
	}
	wctx, cancelWrites := context.WithCancel(ctx)
	defer cancelWrites()
	pages := make(chan *pageWrite, pagesAhead)
	var writeErr error
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		if writeErr = w.run(wctx, pages); writeErr != nil {
			cancelWrites() // stops the download too
			for range pages {
				// drain: the download stops at its next page
			}
		}
	}()
	go func() {
		defer close(preparerDone)
		for pw := range toPrepare {
			if w.collectRefs {
				for _, r := range pw.batch {
					pw.refs = appendRefs(pw.refs, r.JSON)
				}
			}
			pw.prepared, pw.prepErr = s.cfg.Store.Prepare(wctx, s.cfg.ProfileID, pw.batch, ahead.lookup(pw.seq))
			close(pw.ready)
		}
	}()
	var (
		entries    []json.RawMessage
		total      = -1
		done       int
		seq        int
		serverTime time.Time
	)
	_, err := s.cfg.API.Search(wctx, u.path, q, fhirapi.SearchHandler{
		// A page read again after a cut-off reply starts from scratch.
		PageStart: func(int) { entries = nil },
		Entry: func(e fhirapi.Entry) error {
			if e.Search.Mode == "outcome" || e.Resource == nil {
				return nil
			}
			entries = append(entries, e.Resource)
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
			done += len(entries)
			seq++
			pw := w.classifyPage(p.Number, seq, entries)
			pw.done, pw.total = done, total
			if last {
				pw.checkpoint = fhirapi.FormatInstant(serverTime.Add(-overlap))
			}
			entries = nil
			ahead.add(pw)
			select {
			case toPrepare <- pw:
			case <-wctx.Done():
				return wctx.Err()
			}
			select {
			case pages <- pw:
				return nil
			case <-wctx.Done():
				return wctx.Err()
			}
		},
	})
	close(toPrepare)
	close(pages)
	<-writerDone
	if writeErr != nil {
		err = writeErr
	}
	if err != nil {
		s.count(w.stored, w.removed)
		return err
	}
	s.noteServerTime(serverTime)
	s.addRefs(w.refs)
	if u.full {
		types := u.types
		if u.everything {
			set := map[string]bool{}
			for _, t := range DefaultTypes {
				set[t] = true
			}
			for k := range w.seen {
				set[k.typ] = true
			}
			types = slices.Sorted(maps.Keys(set))
		}
		types = slices.DeleteFunc(slices.Clone(types), func(t string) bool { return s.cachedAtStart[t] == 0 })
		if len(types) > 0 {
			if err := s.reconcile(ctx, types, w.seen, w.stored, w.removed); err != nil {
				s.count(w.stored, w.removed)
				return err
			}
		}
	}
	s.count(w.stored, w.removed)
	return nil
}

// pagesAhead is how many prepared pages may wait for the writer (one
// more is being prepared, and the download reads the next): a prepared
// page holds its JSON, its sealed rows and its index documents, two or
// three times its JSON, and more waiting took the CLI's peak memory of a
// sync of 100,000 resources from 109 MB to 126 MB (138 MB with four).
const pagesAhead = 1

// writeGroupBytes is the JSON the writer writes in one transaction
// when pages come faster than it writes them (see unitWriter.write).
const writeGroupBytes = 4 << 20

// pageWrite is one downloaded page waiting to be committed: its entries
// filed (classifyPage) and, once ready is closed, prepared for the write.
type pageWrite struct {
	number     int // the page's number in the search
	seq        int // its place among the unit's pages (1, 2, ...)
	batch      []storage.Resource
	removes    []key
	size       int // bytes of JSON
	done       int
	total      int
	checkpoint string // set on the last page only

	ready    chan struct{} // closed once the fields below are set
	prepared *storage.Batch
	prepErr  error
	refs     []key // shared references (per-type units only)
}

// unitWriter commits a unit's pages on its own goroutine. It owns its
// fields until run returns.
type unitWriter struct {
	s               *syncer
	u               unit
	stored, removed map[string]int
	seen            map[key]bool // every listed record (full pulls only)
	collectRefs     bool
	refs            []key
	ahead           *pending
}

// classifyPage files the entries of a downloaded page: what to store,
// what to remove (entered-in-error), and the malformed ones reported.
func (w *unitWriter) classifyPage(number, seq int, entries []json.RawMessage) *pageWrite {
	pw := &pageWrite{number: number, seq: seq, ready: make(chan struct{})}
	for _, raw := range entries {
		pw.size += len(raw)
		r, remove, mal := classifyEntry(raw)
		if mal != nil {
			w.s.malformed(*mal)
		}
		if r.Type == "" {
			continue
		}
		if remove {
			pw.removes = append(pw.removes, key{r.Type, r.ID})
			continue
		}
		pw.batch = append(pw.batch, r)
	}
	return pw
}

// run commits the pages as they come, a group of them in each
// transaction (see write). The last page, which carries the checkpoint,
// is committed on its own after the others, so a sync stopped after any
// page's Progress event never has its checkpoint.
func (w *unitWriter) run(ctx context.Context, pages <-chan *pageWrite) error {
	var held *pageWrite // the last page, received while grouping
	for {
		first := held
		if first == nil {
			pw, ok := <-pages
			if !ok {
				return nil
			}
			first = pw
		}
		var err error
		if held, err = w.write(ctx, first, pages); err != nil {
			return err
		}
	}
}

// write commits first, and unless it is the last page the pages that
// follow it, in one transaction: each page is written as it comes (and
// its prepared rows let go), as long as the next page is already
// downloaded when the one before is written, up to writeGroupBytes of
// JSON. It never waits for the network with the transaction open: the
// cache has one writer, so the other units' pages, and the app's own
// writes, would wait for this unit's download (in per-type mode over a
// 100 Mbit/s link, waiting up to 100 ms for each next page made the sync
// take 1.58 times its bare download; 1.11 times without). It returns the
// last page when that came meanwhile: it is committed on its own, next.
func (w *unitWriter) write(ctx context.Context, first *pageWrite, pages <-chan *pageWrite) (held *pageWrite, err error) {
	var (
		group       []*pageWrite
		removes     []key
		stored      map[string]int
		pageRemoved map[string]int
	)
	err = w.s.cfg.Store.Update(ctx, w.s.cfg.ProfileID, func(tx *storage.Tx) error {
		group, removes, stored, held = nil, nil, map[string]int{}, nil
		put := func(pw *pageWrite) error {
			<-pw.ready
			if pw.prepErr != nil {
				return fmt.Errorf("page %d: %w", pw.number, pw.prepErr)
			}
			if err := tx.PutBatch(pw.prepared); err != nil {
				return fmt.Errorf("page %d: %w", pw.number, err)
			}
			pw.prepared = nil // written: its rows need not stay in memory
			for _, r := range pw.batch {
				stored[r.Type]++
			}
			group = append(group, pw)
			removes = append(removes, pw.removes...)
			return nil
		}
		if err := put(first); err != nil {
			return err
		}
		for size := first.size; first.checkpoint == "" && size < writeGroupBytes; {
			var next *pageWrite
			select {
			case next = <-pages:
			default: // not downloaded yet: commit what is written
			}
			if next == nil {
				break
			}
			if next.checkpoint != "" {
				held = next
				break
			}
			if err := put(next); err != nil {
				return err
			}
			size += next.size
		}
		var err error
		if pageRemoved, err = deleteExisting(tx, removes); err != nil {
			return err
		}
		if first.checkpoint != "" {
			return tx.SetCheckpoint(w.u.checkpoint, first.checkpoint)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("write pages from %d: %w", first.number, err)
	}
	last := group[len(group)-1]
	w.ahead.committed(last.seq)
	for _, pw := range group {
		if w.seen != nil {
			for _, r := range pw.batch {
				w.seen[key{r.Type, r.ID}] = true
			}
			for _, k := range pw.removes {
				w.seen[k] = true
			}
		}
		w.refs = append(w.refs, pw.refs...)
	}
	for typ, n := range stored {
		w.stored[typ] += n
	}
	for typ, n := range pageRemoved {
		w.removed[typ] += n
	}
	for _, pw := range group {
		w.s.emit(Progress{Type: w.u.name, Done: pw.done, Total: pw.total})
	}
	return held, nil
}

// pending is what the pages of a unit read and not committed yet make of
// each resource they name, page by page: a page's index, prepared while
// the pages before it wait for the writer, looks resources up as it would
// in their transaction (storage.Ahead).
type pending struct {
	mu       sync.Mutex
	versions map[key][]version // in page order
}

// version is what one page makes of a resource: r stored, or removed.
type version struct {
	seq     int
	r       storage.Resource
	removed bool
}

func newPending() *pending { return &pending{versions: map[key][]version{}} }

// add records a page's resources: those it stores, then those it
// removes (the write removes after it stores).
func (p *pending) add(pw *pageWrite) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range pw.batch {
		k := key{r.Type, r.ID}
		p.versions[k] = append(p.versions[k], version{seq: pw.seq, r: r})
	}
	for _, k := range pw.removes {
		p.versions[k] = append(p.versions[k], version{seq: pw.seq, removed: true})
	}
}

// committed forgets the pages up to seq, committed now: the cache
// answers for them.
func (p *pending) committed(seq int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, vs := range p.versions {
		i := 0
		for i < len(vs) && vs[i].seq <= seq {
			i++
		}
		if i == len(vs) {
			delete(p.versions, k)
		} else if i > 0 {
			p.versions[k] = vs[i:]
		}
	}
}

// lookup is what page seq's index sees of the pages up to it.
func (p *pending) lookup(seq int) storage.Ahead {
	return func(typ, id string) (storage.Resource, bool, bool) {
		p.mu.Lock()
		defer p.mu.Unlock()
		vs := p.versions[key{typ, id}]
		for i := len(vs) - 1; i >= 0; i-- {
			if vs[i].seq <= seq {
				return vs[i].r, !vs[i].removed, true
			}
		}
		return storage.Resource{}, false, false
	}
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
	return classifyHeader(raw, h)
}

// classifyHeader is classify with the header of raw read.
func classifyHeader(raw json.RawMessage, h fhirapi.ResourceHeader) (r storage.Resource, remove bool, mal *Malformed) {
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
