package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/carebook/carebook/sync/fhirapi"
)

// Booking vocabulary: a Schedule is one clinician's (its actor's) calendar
// for some visit types (its serviceType); a Slot is one free or busy time
// of a Schedule. Free times are always asked live from the practice with a
// plain Slot search (status=free, start=ge…&start=le…), the Schedules
// included (_include=Slot:schedule) or read one by one where the practice
// does not include them, so booking works with any FHIR R4 server that
// offers Slot search and Appointment create. The Argonaut $find operation
// is never needed.

// SlotQuery chooses which free times FreeSlots asks for.
type SlotQuery struct {
	// From and To are days in the device's time zone, both included; zero
	// From means today, zero To means DefaultSlotDays days after From.
	From, To time.Time
	// VisitType is a visit type's code or name (any case); "" means any.
	VisitType string
	// Provider is a clinician's reference ("Practitioner/id"); "" means
	// anyone.
	Provider string
}

// DefaultSlotDays is how far ahead free times are searched by default.
const DefaultSlotDays = 30

// MaxSlotDays caps the range of one search.
const MaxSlotDays = 120

// VisitType is a kind of visit the practice offers (a Schedule's
// serviceType).
type VisitType struct {
	System string // the code's system, "" when the practice gives none
	Code   string // the code, or the name when the practice gives no code
	Name   string
}

// Provider is a clinician (or other actor) with a Schedule.
type Provider struct {
	Ref  string // "Practitioner/id"
	Name string
}

// FreeSlot is one free time the patient may book.
type FreeSlot struct {
	ID         string // the Slot's id
	Start, End time.Time
	Provider   Provider
	VisitType  VisitType
	// Location is the Schedule's Location ("Location/id"), "" when none.
	Location string
	// Schedule is the Slot's Schedule reference; Actors are that
	// Schedule's actors (clinician, location), who take part in the
	// appointment.
	Schedule string
	Actors   []Provider
}

// SlotDay is the free times of one day, in the device's time zone.
type SlotDay struct {
	Day   time.Time // local midnight
	Slots []FreeSlot
}

// FreeTimes is what FreeSlots found.
type FreeTimes struct {
	Days       []SlotDay
	VisitTypes []VisitType // every visit type the practice's Schedules offer, by name
	Providers  []Provider  // every clinician with a Schedule, by name
	From, To   time.Time   // the days searched (local midnights, both included)
}

// Slots returns every free time of t, in time order.
func (t FreeTimes) Slots() []FreeSlot {
	var out []FreeSlot
	for _, d := range t.Days {
		out = append(out, d.Slots...)
	}
	return out
}

// schedule is what a Slot needs of its Schedule.
type schedule struct {
	actors  []Provider // in the Schedule's order
	types   []VisitType
	active  bool
	located string
}

func (s schedule) provider() Provider {
	for _, a := range s.actors {
		if t, _, _ := strings.Cut(a.Ref, "/"); t == "Practitioner" || t == "PractitionerRole" {
			return a
		}
	}
	if len(s.actors) > 0 {
		return s.actors[0]
	}
	return Provider{}
}

// FreeSlots asks the practice for the free times matching q, grouped by
// day in the device's time zone, each with its clinician's name and visit
// type, plus the visit types and clinicians the practice offers. It needs
// the network: unreachable is ErrOffline, a refused sign-in
// ErrNeedsSignIn, a bad range ErrInvalidInput.
func (a *App) FreeSlots(ctx context.Context, profileID string, q SlotQuery) (FreeTimes, error) {
	from, to, err := a.slotRange(q)
	if err != nil {
		return FreeTimes{}, err
	}
	api, err := a.liveAPI(ctx, profileID)
	if err != nil {
		return FreeTimes{}, err
	}
	scheds, err := searchSchedules(ctx, api)
	if err != nil {
		return FreeTimes{}, a.liveError(ctx, profileID, "slots", err)
	}
	narrow, err := narrowing(ctx, api, scheds, q)
	if err != nil {
		return FreeTimes{}, a.liveError(ctx, profileID, "slots", err)
	}
	slots, err := a.searchSlots(ctx, api, scheds, from, to.AddDate(0, 0, 1), narrow)
	if err != nil {
		return FreeTimes{}, a.liveError(ctx, profileID, "slots", err)
	}
	out := FreeTimes{From: from, To: to}
	out.VisitTypes, out.Providers = offered(scheds)
	now := a.cfg.Now()
	for _, s := range slots {
		if !s.Start.After(now) || !matchesQuery(s, q) {
			continue
		}
		day := localDay(s.Start)
		if n := len(out.Days); n == 0 || !out.Days[n-1].Day.Equal(day) {
			out.Days = append(out.Days, SlotDay{Day: day})
		}
		d := &out.Days[len(out.Days)-1]
		d.Slots = append(d.Slots, s)
	}
	return out, nil
}

// narrowing asks the practice for the Slots of the Schedules that can
// match q only (schedule=…): those of the chosen clinician offering the
// chosen visit type. Slot.schedule is the one reference every Slot has,
// unlike its serviceType. It is used only where the CapabilityStatement
// lists the parameter for Slot (a strict server refuses others), and the
// app filters the answer again either way.
func narrowing(ctx context.Context, api fhirapi.API, scheds map[string]schedule, q SlotQuery) (url.Values, error) {
	if q.VisitType == "" && q.Provider == "" {
		return nil, nil
	}
	var mine []string
	for ref, s := range scheds {
		if q.Provider != "" && !slices.ContainsFunc(s.actors, func(p Provider) bool { return p.Ref == q.Provider }) {
			continue
		}
		if q.VisitType != "" && len(s.types) > 0 && !slices.ContainsFunc(s.types, func(t VisitType) bool {
			return strings.EqualFold(q.VisitType, t.Code) || strings.EqualFold(q.VisitType, t.Name)
		}) {
			continue
		}
		mine = append(mine, ref)
	}
	if len(mine) == 0 || len(mine) > maxNarrowSchedules {
		return nil, nil
	}
	caps, err := api.Capabilities(ctx)
	if err != nil {
		return nil, fmt.Errorf("capabilities: %w", err)
	}
	if !caps.SupportsSearchParam("Slot", "schedule") {
		return nil, nil
	}
	sort.Strings(mine)
	return url.Values{"schedule": {strings.Join(mine, ",")}}, nil
}

// maxNarrowSchedules keeps the search's address short.
const maxNarrowSchedules = 40

// slotRange turns q's days into local midnights, checking the range.
func (a *App) slotRange(q SlotQuery) (from, to time.Time, err error) {
	from = localDay(a.cfg.Now())
	if !q.From.IsZero() {
		from = localDay(q.From)
	}
	to = from.AddDate(0, 0, DefaultSlotDays)
	if !q.To.IsZero() {
		to = localDay(q.To)
	}
	switch {
	case to.Before(from):
		return from, to, fmt.Errorf("free times: %w: the last day is before the first", ErrInvalidInput)
	case to.Sub(from) > MaxSlotDays*24*time.Hour:
		return from, to, fmt.Errorf("free times: %w: at most %d days at once", ErrInvalidInput, MaxSlotDays)
	}
	return from, to, nil
}

// localDay is the local midnight starting t's day.
func localDay(t time.Time) time.Time {
	t = t.Local()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.Local)
}

func matchesQuery(s FreeSlot, q SlotQuery) bool {
	if q.Provider != "" && !slices.ContainsFunc(s.Actors, func(p Provider) bool { return p.Ref == q.Provider }) {
		return false
	}
	if q.VisitType != "" && !strings.EqualFold(q.VisitType, s.VisitType.Code) && !strings.EqualFold(q.VisitType, s.VisitType.Name) {
		return false
	}
	return true
}

// offered lists the visit types and clinicians of the active Schedules.
func offered(scheds map[string]schedule) ([]VisitType, []Provider) {
	types := map[string]VisitType{}
	provs := map[string]Provider{}
	for _, s := range scheds {
		if !s.active {
			continue
		}
		for _, t := range s.types {
			types[t.Code] = t
		}
		if p := s.provider(); p.Ref != "" {
			provs[p.Ref] = p
		}
	}
	var vt []VisitType
	for _, t := range types {
		vt = append(vt, t)
	}
	sort.Slice(vt, func(i, j int) bool { return vt[i].Name < vt[j].Name })
	var ps []Provider
	for _, p := range provs {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	return vt, ps
}

// wire structs of the scheduling resources, decoded tolerantly.
type (
	wSchedRef struct {
		Reference string `json:"reference"`
		Display   string `json:"display"`
	}
	wSchedConcept struct {
		Coding []struct {
			System  string `json:"system"`
			Code    string `json:"code"`
			Display string `json:"display"`
		} `json:"coding"`
		Text string `json:"text"`
	}
	wSchedule struct {
		ResourceType string          `json:"resourceType"`
		ID           string          `json:"id"`
		Active       *bool           `json:"active"`
		Actor        []wSchedRef     `json:"actor"`
		ServiceType  []wSchedConcept `json:"serviceType"`
	}
	wSlot struct {
		ResourceType string          `json:"resourceType"`
		ID           string          `json:"id"`
		Schedule     wSchedRef       `json:"schedule"`
		Status       string          `json:"status"`
		Start        string          `json:"start"`
		End          string          `json:"end"`
		ServiceType  []wSchedConcept `json:"serviceType"`
	}
)

func (c wSchedConcept) visitType() VisitType {
	for _, cd := range c.Coding {
		if cd.Code != "" {
			return VisitType{System: cd.System, Code: cd.Code, Name: firstOf(c.Text, cd.Display, cd.Code)}
		}
	}
	return VisitType{Code: c.Text, Name: c.Text}
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// searchSchedules reads every Schedule of the practice (a few per
// clinician), with its actors' names.
func searchSchedules(ctx context.Context, api fhirapi.API) (map[string]schedule, error) {
	out := map[string]schedule{}
	var raw []wSchedule
	_, err := api.Search(ctx, "Schedule", url.Values{"_count": {"200"}}, fhirapi.SearchHandler{
		PageStart: func(int) {},
		Entry: func(e fhirapi.Entry) error {
			var w wSchedule
			if json.Unmarshal(e.Resource, &w) == nil && w.ResourceType == "Schedule" && w.ID != "" {
				raw = append(raw, w)
			}
			return nil
		},
	})
	if err != nil {
		return nil, fmt.Errorf("search schedules: %w", err)
	}
	names := newNameCache(api)
	for _, w := range raw {
		s, err := names.schedule(ctx, w)
		if err != nil {
			return nil, err
		}
		out["Schedule/"+w.ID] = s
	}
	return out, nil
}

// nameCache reads the names of Schedule actors the practice did not name
// in the reference, once each.
type nameCache struct {
	api   fhirapi.API
	names map[string]string
}

func newNameCache(api fhirapi.API) *nameCache {
	return &nameCache{api: api, names: map[string]string{}}
}

func (n *nameCache) schedule(ctx context.Context, w wSchedule) (schedule, error) {
	s := schedule{active: w.Active == nil || *w.Active}
	for _, a := range w.Actor {
		if a.Reference == "" {
			continue
		}
		name := strings.TrimSpace(a.Display)
		if name == "" {
			var err error
			if name, err = n.name(ctx, a.Reference); err != nil {
				return s, err
			}
		}
		s.actors = append(s.actors, Provider{Ref: a.Reference, Name: name})
		if strings.HasPrefix(a.Reference, "Location/") && s.located == "" {
			s.located = a.Reference
		}
	}
	for _, st := range w.ServiceType {
		if vt := st.visitType(); vt.Code != "" {
			s.types = append(s.types, vt)
		}
	}
	return s, nil
}

func (n *nameCache) name(ctx context.Context, ref string) (string, error) {
	if name, ok := n.names[ref]; ok {
		return name, nil
	}
	typ, id, ok := strings.Cut(ref, "/")
	if !ok || strings.Contains(id, "/") {
		return "", nil
	}
	resp, err := n.api.Get(ctx, typ+"/"+url.PathEscape(id), nil)
	switch {
	case errors.Is(err, fhirapi.ErrNotFound), errors.Is(err, fhirapi.ErrGone), errors.Is(err, fhirapi.ErrForbidden):
		n.names[ref] = ""
		return "", nil
	case err != nil:
		return "", fmt.Errorf("read %s: %w", typ, err)
	}
	name := partyName(resp.Body)
	n.names[ref] = name
	return name, nil
}

// partyName is the name of a Practitioner, PractitionerRole, Location or
// Organization.
func partyName(body []byte) string {
	var p struct {
		Name         json.RawMessage `json:"name"`
		Practitioner wSchedRef       `json:"practitioner"`
	}
	if json.Unmarshal(body, &p) != nil {
		return ""
	}
	var s string
	if json.Unmarshal(p.Name, &s) == nil && s != "" {
		return s
	}
	if n := patientName(body); n != "" {
		return n
	}
	return p.Practitioner.Display
}

// slotPageSize is the _count of a Slot search: a month of a busy practice
// in a few pages (servers cap _count at what they like).
const slotPageSize = 1000

// searchSlots asks for the free Slots starting in [from, to), oldest
// first, each with its Schedule. The Schedules come from the Schedule
// search (scheds); one it did not list is read by itself.
func (a *App) searchSlots(ctx context.Context, api fhirapi.API, scheds map[string]schedule, from, to time.Time, narrow url.Values) ([]FreeSlot, error) {
	q := url.Values{
		"status": {"free"},
		"start":  {"ge" + from.UTC().Format(time.RFC3339), "lt" + to.UTC().Format(time.RFC3339)},
		"_count": {fmt.Sprint(slotPageSize)},
		"_total": {"none"}, // nobody reads the count; servers need not work it out
	}
	for k, v := range narrow {
		q[k] = v
	}
	var page, all []wSlot
	_, err := api.Search(ctx, "Slot", q, fhirapi.SearchHandler{
		PageStart: func(int) { page = page[:0] },
		Entry: func(e fhirapi.Entry) error {
			var w wSlot
			if json.Unmarshal(e.Resource, &w) == nil && w.ResourceType == "Slot" && w.ID != "" {
				page = append(page, w)
			}
			return nil
		},
		PageDone: func(fhirapi.Page) error { all = append(all, page...); page = nil; return nil },
	})
	if err != nil {
		return nil, fmt.Errorf("search slots: %w", err)
	}
	names := newNameCache(api)
	var out []FreeSlot
	for _, w := range all {
		start, err1 := time.Parse(time.RFC3339, w.Start)
		end, err2 := time.Parse(time.RFC3339, w.End)
		// The practice filtered already; a server that ignores a
		// parameter must not make a busy or out-of-range time bookable.
		if err1 != nil || err2 != nil || !strings.EqualFold(w.Status, "free") || start.Before(from) || !start.Before(to) {
			continue
		}
		ref := schedRef(w.Schedule.Reference)
		s, ok := scheds[ref]
		if !ok {
			sw, err := readSchedule(ctx, api, ref)
			if err != nil {
				return nil, err
			}
			if s, err = names.schedule(ctx, sw); err != nil {
				return nil, err
			}
			scheds[ref] = s
		}
		fs := FreeSlot{ID: w.ID, Start: start, End: end, Provider: s.provider(), Location: s.located, Schedule: ref, Actors: s.actors}
		for _, st := range w.ServiceType {
			if vt := st.visitType(); vt.Code != "" {
				fs.VisitType = vt
				break
			}
		}
		if fs.VisitType.Code == "" && len(s.types) > 0 {
			fs.VisitType = s.types[0]
		}
		out = append(out, fs)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, nil
}

// schedRef makes a Slot's schedule reference relative ("Schedule/id").
func schedRef(ref string) string {
	if i := strings.LastIndex(ref, "Schedule/"); i > 0 {
		return ref[i:]
	}
	return ref
}

// readSchedule reads one Schedule (a practice that does not include them).
func readSchedule(ctx context.Context, api fhirapi.API, ref string) (wSchedule, error) {
	_, id, ok := strings.Cut(ref, "/")
	if !ok || id == "" {
		return wSchedule{}, nil
	}
	resp, err := api.Get(ctx, "Schedule/"+url.PathEscape(id), nil)
	if errors.Is(err, fhirapi.ErrNotFound) || errors.Is(err, fhirapi.ErrGone) {
		return wSchedule{}, nil
	}
	if err != nil {
		return wSchedule{}, fmt.Errorf("read schedule: %w", err)
	}
	var w wSchedule
	if err := json.Unmarshal(resp.Body, &w); err != nil {
		return wSchedule{}, fmt.Errorf("read schedule: %w: %v", fhirapi.ErrBadResponse, err)
	}
	return w, nil
}

// liveAPI is a FHIR client for asking the practice something now (free
// times): the demo practice reconnected first, as a sync does.
func (a *App) liveAPI(ctx context.Context, profileID string) (fhirapi.API, error) {
	_, api, err := a.practiceAPI(ctx, profileID)
	if err != nil {
		return nil, err
	}
	return api, nil
}

// liveError classifies a failed live request like a failed sync.
func (a *App) liveError(ctx context.Context, profileID, what string, err error) error {
	return a.syncError(ctx, profileID, what, err)
}
