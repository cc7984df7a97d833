package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/internal/i18n"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
	"github.com/carebook/carebook/sync/outbox"
)

// MaxReasonLength caps the reason for a visit or a cancellation.
const MaxReasonLength = 500

// newAppointment is the Appointment a booking of slot creates: status
// booked, the Slot, its times, its visit type, and as participants the
// patient and the Schedule's actors (clinician, place). The practice's
// copy may then say otherwise (pending until it confirms).
func newAppointment(patientID string, slot FreeSlot, reason string) ([]byte, error) {
	participants := []any{map[string]any{
		"actor": map[string]any{"reference": "Patient/" + patientID}, "required": "required", "status": "accepted",
	}}
	participants = append(participants, actorParticipants(slot)...)
	m := map[string]any{
		"resourceType": "Appointment",
		"status":       "booked",
		"slot":         []any{map[string]any{"reference": "Slot/" + slot.ID}},
		"start":        slot.Start.UTC().Format(time.RFC3339),
		"end":          slot.End.UTC().Format(time.RFC3339),
		"participant":  participants,
	}
	if st := serviceType(slot.VisitType); st != nil {
		m["serviceType"] = []any{st}
		m["description"] = strings.TrimSpace(slot.VisitType.Name + withWhom(slot.Provider.Name))
	}
	if reason != "" {
		m["reasonCode"] = []any{map[string]any{"text": reason}}
	}
	if mins := int(slot.End.Sub(slot.Start).Minutes()); mins > 0 {
		m["minutesDuration"] = mins
	}
	return json.Marshal(m)
}

func withWhom(name string) string {
	if name == "" {
		return ""
	}
	return " with " + name
}

func serviceType(vt VisitType) map[string]any {
	switch {
	case vt.System != "" && vt.Code != "":
		return map[string]any{"coding": []any{map[string]any{"system": vt.System, "code": vt.Code, "display": vt.Name}}, "text": vt.Name}
	case vt.Name != "":
		return map[string]any{"text": vt.Name}
	}
	return nil
}

func actorParticipants(slot FreeSlot) []any {
	var out []any
	for _, a := range slot.Actors {
		actor := map[string]any{"reference": a.Ref}
		if a.Name != "" {
			actor["display"] = a.Name
		}
		out = append(out, map[string]any{"actor": actor, "required": "required", "status": "needs-action"})
	}
	return out
}

// movedAppointment is the practice's copy with another Slot: its times,
// and the clinician and place of the new Slot's Schedule (the patient and
// anyone else stay). Everything else the practice wrote is kept.
func movedAppointment(current []byte, slot FreeSlot) ([]byte, error) {
	m, err := decodeObject(current)
	if err != nil {
		return nil, err
	}
	m["slot"] = []any{map[string]any{"reference": "Slot/" + slot.ID}}
	m["start"] = slot.Start.UTC().Format(time.RFC3339)
	m["end"] = slot.End.UTC().Format(time.RFC3339)
	if mins := int(slot.End.Sub(slot.Start).Minutes()); mins > 0 {
		m["minutesDuration"] = mins
	}
	if len(slot.Actors) > 0 {
		var kept []any
		parts, _ := m["participant"].([]any)
		for _, p := range parts {
			pm, _ := p.(map[string]any)
			actor, _ := pm["actor"].(map[string]any)
			ref, _ := actor["reference"].(string)
			typ, _, _ := strings.Cut(ref, "/")
			switch typ {
			case "Practitioner", "PractitionerRole", "Location", "HealthcareService":
				continue // replaced by the new Schedule's actors
			}
			kept = append(kept, p)
		}
		m["participant"] = append(kept, actorParticipants(slot)...)
	}
	return json.Marshal(m)
}

// cancelledAppointment is the practice's copy, cancelled, with the
// patient's reason.
func cancelledAppointment(current []byte, reason string) ([]byte, error) {
	m, err := decodeObject(current)
	if err != nil {
		return nil, err
	}
	m["status"] = "cancelled"
	if reason != "" {
		m["cancelationReason"] = map[string]any{"text": reason}
	}
	return json.Marshal(m)
}

func decodeObject(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, fmt.Errorf("appointment: the saved copy is unreadable")
	}
	return m, nil
}

// etagOf is the weak ETag of a resource's meta.versionId, "" when absent.
func etagOf(body []byte) string {
	var h struct {
		Meta struct {
			VersionID string `json:"versionId"`
		} `json:"meta"`
	}
	if json.Unmarshal(body, &h) != nil || h.Meta.VersionID == "" {
		return ""
	}
	return `W/"` + h.Meta.VersionID + `"`
}

// checkReason validates a free-text reason.
func checkReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if len([]rune(reason)) > MaxReasonLength {
		return "", invalid(i18n.L("the reason is longer than {{.Max}} characters", map[string]any{"Max": MaxReasonLength}))
	}
	if strings.ContainsFunc(reason, func(r rune) bool { return r < ' ' && r != '\n' && r != '\t' }) {
		return "", invalid(i18n.L("the reason contains control characters"))
	}
	return reason, nil
}

// checkSlotID validates a Slot id as FHIR defines ids.
func checkSlotID(id string) error {
	if id == "" || len(id) > 64 || strings.IndexFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.')
	}) >= 0 {
		return fmt.Errorf("%w: %q is not a time's id", ErrInvalidInput, id)
	}
	return nil
}

// lookupSlot reads one Slot and its Schedule from the practice, for a
// booking or move by the Slot's id alone (the command line).
func (a *App) lookupSlot(ctx context.Context, profileID, id string) (FreeSlot, error) {
	if err := checkSlotID(id); err != nil {
		return FreeSlot{}, err
	}
	api, err := a.liveAPI(ctx, profileID)
	if err != nil {
		return FreeSlot{}, err
	}
	resp, err := api.Get(ctx, "Slot/"+url.PathEscape(id), nil)
	if errors.Is(err, fhirapi.ErrNotFound) || errors.Is(err, fhirapi.ErrGone) {
		return FreeSlot{}, fmt.Errorf("%w: the practice offers no time %q", ErrInvalidInput, id)
	}
	if err != nil {
		return FreeSlot{}, a.liveError(ctx, profileID, "slot", err)
	}
	var w wSlot
	if json.Unmarshal(resp.Body, &w) != nil || w.ResourceType != "Slot" {
		return FreeSlot{}, fmt.Errorf("look up the time: %w", fhirapi.ErrBadResponse)
	}
	ref := schedRef(w.Schedule.Reference)
	sw, err := readSchedule(ctx, api, ref)
	if err != nil {
		return FreeSlot{}, a.liveError(ctx, profileID, "slot", err)
	}
	s, err := newNameCache(api).schedule(ctx, sw)
	if err != nil {
		return FreeSlot{}, a.liveError(ctx, profileID, "slot", err)
	}
	start, err1 := time.Parse(time.RFC3339, w.Start)
	end, err2 := time.Parse(time.RFC3339, w.End)
	if err1 != nil || err2 != nil {
		return FreeSlot{}, fmt.Errorf("look up the time: %w: no readable start and end", fhirapi.ErrBadResponse)
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
	return fs, nil
}

// Outbox kinds of the booking actions.
const (
	outboxKindAppointment = outbox.KindAppointment
	outboxKindCancel      = outbox.KindAppointmentCancel
	outboxKindMove        = outbox.KindAppointmentReschedule
)

// identifierKey is how a cached resource lists the client identifier.
func identifierKey(ident string) string { return outbox.IdentifierSystem + "|" + ident }

// BookRequest is a booking: the chosen free time and the reason for the
// visit.
type BookRequest struct {
	// Slot is the free time as FreeSlots gave it. With only its ID set it
	// is read from the practice first (the command line), which then
	// needs the network.
	Slot   FreeSlot
	Reason string
	// DraftKey, when set, names the form draft of the reason
	// (BookingDraftKey) Book removes once the booking is stored to be
	// sent.
	DraftKey string
}

// Book books a free time: an Appointment (status booked, the Slot, the
// patient and the Schedule's actors) goes through the outbox with a
// client identifier, so it is created exactly once. Its outcome is the
// action core's: nil (accepted: Submitted.Ref is the practice's copy,
// which may be pending until the practice confirms), ErrQueued (stored;
// the time is not held until it is sent), ErrRefused (the practice's
// words; a time taken meanwhile among them), ErrNeedsSignIn,
// ErrInvalidInput. Once stored, the form draft req.DraftKey is removed.
func (a *App) Book(ctx context.Context, profileID string, req BookRequest) (Submitted, error) {
	reason, err := checkReason(req.Reason)
	if err != nil {
		return Submitted{}, fmt.Errorf("book: %w", err)
	}
	slot := req.Slot
	if slot.Start.IsZero() {
		if slot, err = a.lookupSlot(ctx, profileID, req.Slot.ID); err != nil {
			return Submitted{}, fmt.Errorf("book: %w", err)
		}
	}
	if err := checkSlotID(slot.ID); err != nil {
		return Submitted{}, fmt.Errorf("book: %w", err)
	}
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return Submitted{}, fmt.Errorf("book: %w", err)
	}
	body, err := newAppointment(p.PatientID, slot, reason)
	if err != nil {
		return Submitted{}, fmt.Errorf("book: %w", err)
	}
	return a.submitCreateThen(ctx, profileID, outbox.KindAppointment, body, a.discardFormDraftOnceStored(profileID, req.DraftKey))
}

// Move asks the practice to move appointment id to another free time: an
// update of the practice's copy (the new Slot, its times, clinician and
// place) with If-Match, through the outbox. The practice decides (ours
// refuses within 24 hours of the start; its words come back as
// ErrRefused).
func (a *App) Move(ctx context.Context, profileID, id string, slot FreeSlot) (Submitted, error) {
	r, err := a.changeable(ctx, profileID, id)
	if err != nil {
		return Submitted{}, fmt.Errorf("move: %w", err)
	}
	if slot.Start.IsZero() {
		if slot, err = a.lookupSlot(ctx, profileID, slot.ID); err != nil {
			return Submitted{}, fmt.Errorf("move: %w", err)
		}
	}
	body, err := movedAppointment(r.JSON, slot)
	if err != nil {
		return Submitted{}, fmt.Errorf("move: %w", err)
	}
	return a.submitUpdate(ctx, profileID, outbox.KindAppointmentReschedule, body, etagOf(r.JSON))
}

// Cancel asks the practice to cancel appointment id, with the patient's
// reason: an update to status cancelled with If-Match, through the
// outbox. The practice decides, as for Move.
func (a *App) Cancel(ctx context.Context, profileID, id, reason string) (Submitted, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return Submitted{}, fmt.Errorf("cancel: %w", err)
	}
	r, err := a.changeable(ctx, profileID, id)
	if err != nil {
		return Submitted{}, fmt.Errorf("cancel: %w", err)
	}
	body, err := cancelledAppointment(r.JSON, reason)
	if err != nil {
		return Submitted{}, fmt.Errorf("cancel: %w", err)
	}
	return a.submitUpdateThen(ctx, profileID, outbox.KindAppointmentCancel, body, etagOf(r.JSON),
		a.discardFormDraftOnceStored(profileID, CancelDraftKey(id)))
}

// changeable reads the practice's copy of appointment id, refusing what
// cannot be changed at all (unknown, or already cancelled or over): the
// practice's own rules are its business.
func (a *App) changeable(ctx context.Context, profileID, id string) (storage.Resource, error) {
	if id == "" || strings.HasPrefix(id, "local-") {
		return storage.Resource{}, fmt.Errorf("%w: the practice has not accepted this booking yet", ErrInvalidInput)
	}
	r, err := a.store.Get(ctx, profileID, "Appointment", id)
	if errors.Is(err, storage.ErrNotFound) {
		return r, fmt.Errorf("%w: no appointment %q in this record", ErrInvalidInput, id)
	}
	if err != nil {
		return r, err
	}
	ra := record.DecodeAppointment(record.Resource(r))
	switch stateOf(ra.Status, ra.Start.Time, a.cfg.Now()) {
	case StateCancelled, StateMissed, StateDone:
		return r, fmt.Errorf("%w: this appointment is %s", ErrInvalidInput, stateOf(ra.Status, ra.Start.Time, a.cfg.Now()))
	}
	return r, nil
}

// NearestFreeSlots returns up to n free times closest to slot's start (of
// the same visit type, any clinician; the same clinician first among
// equals), for a patient whose time was just taken: asked live.
func (a *App) NearestFreeSlots(ctx context.Context, profileID string, slot FreeSlot, n int) ([]FreeSlot, error) {
	if slot.Start.IsZero() && slot.ID != "" {
		// Only its id is known (the command line): read what it was.
		if s, err := a.lookupSlot(ctx, profileID, slot.ID); err == nil {
			slot = s
		}
	}
	center := slot.Start
	if center.IsZero() || center.Before(a.cfg.Now()) {
		center = a.cfg.Now()
	}
	q := SlotQuery{From: center.AddDate(0, 0, -nearestDays), To: center.AddDate(0, 0, nearestDays), VisitType: slot.VisitType.Code}
	if q.From.Before(a.cfg.Now()) {
		q.From = a.cfg.Now()
	}
	ft, err := a.FreeSlots(ctx, profileID, q)
	if err != nil {
		return nil, err
	}
	var found []FreeSlot
	for _, s := range ft.Slots() {
		if s.ID != slot.ID {
			found = append(found, s)
		}
	}
	dist := func(s FreeSlot) time.Duration {
		d := s.Start.Sub(slot.Start).Abs()
		if s.Provider.Ref != slot.Provider.Ref {
			d += time.Minute // the same clinician first among equals
		}
		return d
	}
	sort.SliceStable(found, func(i, j int) bool { return dist(found[i]) < dist(found[j]) })
	if len(found) > n {
		found = found[:n]
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].Start.Before(found[j].Start) })
	return found, nil
}

// nearestDays is how far around a taken time the nearest free times are
// searched.
const nearestDays = 7
