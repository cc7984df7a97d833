package pull

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
	"github.com/carebook/carebook/sync/smart"
)

// DefaultTypes are the resource types the app shows, pulled one search
// each when the server has no $everything.
var DefaultTypes = []string{
	"Patient", "AllergyIntolerance", "Condition", "Observation", "DiagnosticReport",
	"DocumentReference", "MedicationRequest", "Immunization", "ImmunizationRecommendation", "Procedure", "Encounter",
	"CarePlan", "CareTeam", "Goal", "Coverage", "ExplanationOfBenefit", "Appointment",
	"Communication", "Task", "Account", "Invoice", "QuestionnaireResponse",
}

// ReferencedTypes are fetched by id when records refer to them and they
// are not cached yet (per-type mode only: $everything includes them).
// A Questionnaire is what an Appointment asks the patient to answer before
// the visit (its supportingInformation).
var ReferencedTypes = []string{"Practitioner", "Organization", "Location", "Questionnaire"}

// DefaultPageSize is the _count a sync asks for: large pages mean fewer
// round trips and fewer commits. Servers cap _count at their own largest
// page size (the reference practice allows 1,000) and say so only by
// giving fewer: the sync accepts what comes.
const DefaultPageSize = 1000

// Checkpoint names kept in storage.
const (
	checkpointEverything = "pull.since"
	checkpointTypePrefix = "pull.since."
	checkpointHistory    = "pull.history.since"
	checkpointReconciled = "pull.reconciled"
	checkpointCaps       = "pull.capabilities"
	checkpointLastSync   = "pull.last_sync"
)

// CheckpointLastSync is the checkpoint holding the local time (RFC 3339) of
// the last sync that finished without error.
const CheckpointLastSync = checkpointLastSync

// CheckpointReconciled is the checkpoint holding the local time (RFC 3339)
// when the last full pull finished (see Downloaded).
const CheckpointReconciled = checkpointReconciled

// Downloaded reports whether a sync has downloaded the profile's record
// in full: a full pull finished (and its checkpoints were not removed by
// a repair), and none is due since the data file was rebuilt without the
// cached record. A record the practice shares nothing of is downloaded in
// full once such a pull finished, though the cache holds nothing.
func Downloaded(ctx context.Context, st *storage.Store, profileID string) (bool, error) {
	aside, err := st.RecordSetAside(ctx, profileID)
	if err != nil || aside {
		return false, err
	}
	_, ok, err := st.Checkpoint(ctx, profileID, checkpointReconciled)
	if err != nil {
		return false, fmt.Errorf("pull: read checkpoint: %w", err)
	}
	return ok, nil
}

// overlap is subtracted from server time when setting a checkpoint: a Date
// header has whole seconds and is written after the query ran, so a change
// committed during the query is fetched again rather than missed.
const overlap = time.Second

// capsMaxAge is how long a cached CapabilityStatement is trusted.
const capsMaxAge = 24 * time.Hour

// Config describes one sync of one profile.
type Config struct {
	API       fhirapi.API
	Store     *storage.Store
	ProfileID string
	PatientID string
	// Types to pull in per-type mode (DefaultTypes).
	Types []string
	// Concurrency bounds the units pulled at once (4).
	Concurrency int
	// PageSize is the _count asked for (DefaultPageSize). A server may
	// give fewer per page: pages are followed by their next link whatever
	// their size.
	PageSize int
	// ReconcileEvery is how often a full pull and reconcile run when the
	// server's history cannot report deletions (24 h). Negative: every sync.
	ReconcileEvery time.Duration
	// OpenServer marks a server without authorization: its history lists
	// every patient's changes, so deletions are found by reconcile instead.
	OpenServer bool
	// OnEvent receives Progress, Changed and Finished events (may be nil).
	OnEvent func(Event)
	// Now is the local clock (time.Now), used only for ReconcileEvery.
	Now func() time.Time
}

// Event is Progress, Changed or Finished.
type Event interface{ event() }

// Progress reports a unit's advance: Done entries read of Total (-1 when
// the server does not say).
type Progress struct {
	Type        string
	Done, Total int
}

// Changed reports that cached records of these types changed.
type Changed struct{ Types []string }

// Finished is the last event of a sync.
type Finished struct{ Result Result }

func (Progress) event() {}
func (Changed) event()  {}
func (Finished) event() {}

// Malformed is a resource the sync could not read properly. Reason never
// quotes the resource.
type Malformed struct {
	Type, ID string // empty when unreadable
	Reason   string
	Stored   bool // kept raw in the cache
}

// Result sums up a sync.
type Result struct {
	// Mode is "everything" or "per-type".
	Mode string
	// Full reports whether this sync was a full pull with reconcile.
	Full bool
	// Stored and Removed count cached records written and removed by type.
	Stored, Removed map[string]int
	Malformed       []Malformed
	// Failed holds the units that failed (by unit name); the others synced.
	Failed map[string]error
	// Forbidden lists the types the server refused with 403 in per-type
	// mode (the grant does not cover them); they are skipped, not failed.
	Forbidden []string
	// Refusals holds the practice's words for each Forbidden type, where
	// its OperationOutcome gave any (for the patient, never for logs).
	Refusals          map[string]string
	Started, Finished time.Time
}

// ChangedTypes lists the types with stored or removed records, sorted.
func (r Result) ChangedTypes() []string {
	set := map[string]bool{}
	for t, n := range r.Stored {
		if n > 0 {
			set[t] = true
		}
	}
	for t, n := range r.Removed {
		if n > 0 {
			set[t] = true
		}
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// syncer is the state of one Run.
type syncer struct {
	cfg  Config
	caps *fhirapi.Capabilities

	mu        sync.Mutex // guards res, minServer and refs
	res       Result
	minServer time.Time    // earliest server time of this sync's units
	refs      map[key]bool // referenced Practitioner/Organization/Location
	// cachedAtStart counts the cached records by type when a full pull
	// began (set before the units start, read-only after).
	cachedAtStart map[string]int
	eventMu       sync.Mutex // serializes OnEvent calls
}

// historyUsable reports whether deletions come from the server's history.
func (s *syncer) historyUsable() bool {
	return !s.cfg.OpenServer && s.caps.SupportsSystemHistory()
}

// Run pulls the profile's record once: incremental where checkpoints
// exist, full otherwise. It returns the Result and an error joining the
// failed units' errors; the units that succeeded are committed either way.
// ErrNeedsSignIn from the token source and context cancellation stop the
// whole sync.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.API == nil || cfg.Store == nil || cfg.ProfileID == "" || cfg.PatientID == "" {
		return Result{}, errors.New("pull: API, Store, ProfileID and PatientID are required")
	}
	if len(cfg.Types) == 0 {
		cfg.Types = DefaultTypes
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = DefaultPageSize
	}
	if cfg.ReconcileEvery == 0 {
		cfg.ReconcileEvery = 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &syncer{cfg: cfg}
	s.res = Result{Stored: map[string]int{}, Removed: map[string]int{}, Failed: map[string]error{}, Started: cfg.Now()}
	err := s.run(ctx)
	s.res.Finished = cfg.Now()
	s.emit(Finished{Result: s.res})
	return s.res, err
}

func (s *syncer) run(ctx context.Context) error {
	caps, err := s.capabilities(ctx)
	if err != nil {
		return err
	}
	s.caps = caps
	full, err := s.fullDue(ctx)
	if err != nil {
		return err
	}
	s.res.Full = full
	if full {
		// What the cache held before this full pull: a type it held none
		// of needs no reconcile afterwards (each of its records came from
		// this listing or from a reply of the server during it).
		if s.cachedAtStart, err = s.cfg.Store.Counts(ctx, s.cfg.ProfileID); err != nil {
			return fmt.Errorf("pull: count cached records: %w", err)
		}
	}

	// Deletions reported by history first: a failure leaves every
	// checkpoint where it was.
	if !full && s.historyUsable() {
		if err := s.pullHistory(ctx); err != nil {
			if fatal(err) {
				return err
			}
			s.fail("_history", err)
		}
	}

	units := s.units(full)
	s.res.Mode = "per-type"
	if len(units) == 1 && units[0].everything {
		s.res.Mode = "everything"
	}
	var wg sync.WaitGroup
	var fatalErr error
	var fatalOnce sync.Once
	uctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Units start in their order (DefaultTypes puts the types most
	// records hold most of early), at most Concurrency at once: the
	// longest then overlaps the most with the others.
	todo := make(chan unit)
	go func() {
		defer close(todo)
		for _, u := range units {
			select {
			case todo <- u:
			case <-uctx.Done():
				return
			}
		}
	}()
	for range min(s.cfg.Concurrency, len(units)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range todo {
				if err := s.pullUnit(uctx, u); err != nil {
					switch {
					case fatal(err):
						fatalOnce.Do(func() { fatalErr = err; cancel() })
					case !u.everything && errors.Is(err, fhirapi.ErrForbidden):
						// The grant does not cover this type (a parent's
						// narrowed access to a teenager's chart): hidden,
						// not broken.
						s.skip(u.name, err)
					default:
						s.fail(u.name, err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if fatalErr != nil {
		return fatalErr
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pull: %w", err)
	}
	if s.res.Mode == "per-type" {
		if err := s.pullReferenced(ctx); err != nil {
			if fatal(err) {
				return err
			}
			s.fail("references", err)
		}
	}
	if len(s.res.Failed) > 0 {
		var errs []error
		for name, e := range s.res.Failed {
			errs = append(errs, fmt.Errorf("pull %s: %w", name, e))
		}
		return errors.Join(errs...)
	}
	now := s.cfg.Now().UTC()
	return s.cfg.Store.Update(ctx, s.cfg.ProfileID, func(tx *storage.Tx) error {
		if full {
			if err := tx.SetCheckpoint(checkpointReconciled, now.Format(time.RFC3339Nano)); err != nil {
				return err
			}
			if err := tx.MarkDownloaded(); err != nil {
				return err
			}
			// From now on history reports deletions: from the earliest
			// server time this full pull started at.
			if s.historyUsable() && !s.minServer.IsZero() {
				if err := tx.SetCheckpoint(checkpointHistory, fhirapi.FormatInstant(s.minServer.Add(-overlap))); err != nil {
					return err
				}
			}
		}
		return tx.SetCheckpoint(checkpointLastSync, now.Format(time.RFC3339Nano))
	})
}

// fatal errors stop the whole sync: nothing else can succeed.
func fatal(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, fhirapi.ErrUnauthorized) || errors.Is(err, smart.ErrNeedsSignIn) ||
		errors.Is(err, storage.ErrLocked) || errors.Is(err, storage.ErrNoKey)
}

func (s *syncer) skip(name string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.res.Forbidden = append(s.res.Forbidden, name)
	var oo *fhirapi.OperationOutcomeError
	if errors.As(err, &oo) && len(oo.Issues) > 0 {
		if s.res.Refusals == nil {
			s.res.Refusals = map[string]string{}
		}
		s.res.Refusals[name] = oo.Message()
	}
}

// ForbiddenReasons maps each Forbidden type to the practice's words ("" when
// it gave none).
func (r Result) ForbiddenReasons() map[string]string {
	out := make(map[string]string, len(r.Forbidden))
	for _, t := range r.Forbidden {
		out[t] = r.Refusals[t]
	}
	return out
}

func (s *syncer) fail(name string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.res.Failed[name] = err
}

func (s *syncer) emit(e Event) {
	if s.cfg.OnEvent == nil {
		return
	}
	s.eventMu.Lock()
	defer s.eventMu.Unlock()
	s.cfg.OnEvent(e)
}

// capabilities returns the CapabilityStatement, cached in a checkpoint for
// capsMaxAge so an incremental sync does not pay a request for it.
func (s *syncer) capabilities(ctx context.Context) (*fhirapi.Capabilities, error) {
	raw, ok, err := s.cfg.Store.Checkpoint(ctx, s.cfg.ProfileID, checkpointCaps)
	if err != nil {
		return nil, fmt.Errorf("pull: read cached capabilities: %w", err)
	}
	if ok {
		if at, body, found := cutTime(raw); found && s.cfg.Now().Sub(at) < capsMaxAge {
			if caps, err := fhirapi.ParseCapabilities([]byte(body)); err == nil {
				return caps, nil
			}
		}
	}
	caps, err := s.cfg.API.Capabilities(ctx)
	if err != nil {
		return nil, fmt.Errorf("pull: %w", err)
	}
	value := s.cfg.Now().UTC().Format(time.RFC3339Nano) + "\n" + string(caps.Raw)
	if err := s.cfg.Store.Update(ctx, s.cfg.ProfileID, func(tx *storage.Tx) error {
		return tx.SetCheckpoint(checkpointCaps, value)
	}); err != nil {
		return nil, fmt.Errorf("pull: cache capabilities: %w", err)
	}
	return caps, nil
}

func cutTime(v string) (time.Time, string, bool) {
	for i := 0; i < len(v); i++ {
		if v[i] == '\n' {
			t, err := time.Parse(time.RFC3339Nano, v[:i])
			return t, v[i+1:], err == nil
		}
	}
	return time.Time{}, "", false
}

// fullDue reports whether this sync must be a full pull with reconcile: no
// reconcile yet, or the last one is older than ReconcileEvery while the
// server's history cannot report deletions.
func (s *syncer) fullDue(ctx context.Context) (bool, error) {
	// A record set aside (the data file rebuilt without it) is downloaded
	// in full, whatever its checkpoints say: an incremental pull would
	// bring only what changed.
	aside, err := s.cfg.Store.RecordSetAside(ctx, s.cfg.ProfileID)
	if err != nil {
		return false, fmt.Errorf("pull: %w", err)
	}
	if aside {
		return true, nil
	}
	v, ok, err := s.cfg.Store.Checkpoint(ctx, s.cfg.ProfileID, checkpointReconciled)
	if err != nil {
		return false, fmt.Errorf("pull: read checkpoint: %w", err)
	}
	if !ok {
		return true, nil
	}
	if s.cfg.ReconcileEvery < 0 {
		return true, nil
	}
	if s.historyUsable() {
		_, ok, err := s.cfg.Store.Checkpoint(ctx, s.cfg.ProfileID, checkpointHistory)
		if err != nil {
			return false, fmt.Errorf("pull: read checkpoint: %w", err)
		}
		return !ok, nil // history reports deletions
	}
	last, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return true, nil
	}
	return s.cfg.Now().Sub(last) >= s.cfg.ReconcileEvery, nil
}

// unit is one query pulled as a whole.
type unit struct {
	name       string // "everything" or the resource type
	path       string
	query      url.Values
	sinceParam string // "_since" or "_lastUpdated"
	checkpoint string
	everything bool
	full       bool
	// types are the resource types the unit covers, for reconcile; nil
	// with everything means every type found locally.
	types []string
}

func (s *syncer) units(full bool) []unit {
	count := fmt.Sprint(s.cfg.PageSize)
	if s.caps.SupportsEverything() {
		return []unit{{
			name: "everything", path: "Patient/" + url.PathEscape(s.cfg.PatientID) + "/$everything",
			query: url.Values{"_count": {count}}, sinceParam: "_since",
			checkpoint: checkpointEverything, everything: true, full: full,
		}}
	}
	var units []unit
	for _, typ := range s.cfg.Types {
		if len(s.caps.Types) > 0 && !s.caps.HasType(typ) {
			continue // not offered: hidden, not broken
		}
		q := url.Values{"_count": {count}}
		if typ == "Patient" {
			q.Set("_id", s.cfg.PatientID)
		} else {
			q.Set(s.patientParam(typ), s.cfg.PatientID)
		}
		units = append(units, unit{
			name: typ, path: typ, query: q, sinceParam: "_lastUpdated",
			checkpoint: checkpointTypePrefix + typ, full: full, types: []string{typ},
		})
	}
	return units
}

// patientParam picks the search parameter linking typ to the patient.
func (s *syncer) patientParam(typ string) string {
	params := s.caps.Types[typ].SearchParams
	if len(params) == 0 {
		return "patient"
	}
	for _, p := range []string{"patient", "subject", "beneficiary"} {
		if slices.Contains(params, p) {
			return p
		}
	}
	return "patient"
}
