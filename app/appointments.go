package app

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/internal/i18n"
	"github.com/carebook/carebook/storage"
)

// The states of an appointment as the patient sees them. They come from
// the practice's copy (its status) and, for what the practice has not
// accepted yet, from the outbox item.
const (
	// StateWaiting: booked on this device but not sent yet. The time is
	// not held until the practice accepts it.
	StateWaiting = "waiting"
	// StateRequested: the practice has it but has not confirmed it yet
	// (status proposed, pending or waitlist).
	StateRequested = "requested"
	StateBooked    = "booked"    // booked, arrived or checked in
	StateCancelled = "cancelled" // cancelled (by either side)
	StateMissed    = "missed"    // noshow
	StateDone      = "done"      // fulfilled
	// StateFailed: the practice refused the booking (Problem says why).
	StateFailed = "failed"
)

// JoinEarly is how long before its start a video visit can be joined.
const JoinEarly = 15 * time.Minute

// Appointment is one appointment as the visits screen and the command line
// show it, in the device's time zone.
type Appointment struct {
	ID      string // the practice's id; "" until it accepted the booking
	LocalID string // "local-<seq>" of the outbox item while not accepted
	State   string // one of the State constants
	Status  string // the practice's FHIR status, lower-case ("" while waiting)
	// MayHaveReached says a waiting booking may already be at the
	// practice (OutboxEntry.MayHaveReached).
	MayHaveReached bool
	// Start and End are zero when the practice gave no time (a request).
	Start, End time.Time
	VisitType  string // what the visit is for ("Sick visit")
	Provider   string // with whom
	// Location is the place's name, Address its address on one line and
	// Phone its phone number; PracticePhone is the practice's number
	// (the place's own, else its organization's).
	Location, Address, Phone, PracticePhone string
	Reason                                  string
	Instruction                             string // what the practice asks (what to bring)
	JoinURL                                 string // a video visit's link; "" otherwise
	// Questionnaires are the questions the practice asks to answer before
	// the visit, "Questionnaire/id" with their title (see BeforeVisit);
	// QuestionsToAnswer counts those not answered yet (or refused).
	Questionnaires    []record.Ref
	QuestionsToAnswer int
	// Change is a move or cancellation on its way ("Cancellation waiting
	// to be sent"); Problem the practice's words when it refused one (or
	// the booking itself). ProblemSeq is the outbox item refused, which
	// DiscardOutboxItem clears once the patient has read it.
	Change, Problem string
	ProblemSeq      int64
	// Slot is the booked Slot's id; Version the practice's version of its
	// copy (for a conditional update).
	Slot    string
	Version string
}

// Title is what the appointment is for, with whom.
func (ap Appointment) Title() string {
	what := firstOf(ap.VisitType, i18n.L("Appointment"))
	if ap.Provider != "" && !strings.Contains(what, ap.Provider) {
		what = i18n.L("{{.What}} with {{.Provider}}", map[string]any{"What": what, "Provider": ap.Provider})
	}
	return what
}

// WhereText is the place's name and address on one line.
func (ap Appointment) WhereText() string {
	parts := []string{}
	for _, s := range []string{ap.Location, ap.Address} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
}

// Upcoming reports whether the appointment is still ahead (or under way)
// and not cancelled, missed or done.
func (ap Appointment) Upcoming(now time.Time) bool {
	switch ap.State {
	case StateCancelled, StateMissed, StateDone, StateFailed:
		return false
	}
	if ap.Start.IsZero() {
		return true
	}
	end := ap.End
	if end.IsZero() {
		end = ap.Start
	}
	return now.Before(end)
}

// JoinOpen reports whether a video visit can be joined at now: from
// JoinEarly before its start until its end, when booked.
func (ap Appointment) JoinOpen(now time.Time) bool {
	if ap.JoinURL == "" || ap.State != StateBooked || ap.Start.IsZero() {
		return false
	}
	end := ap.End
	if end.IsZero() || !end.After(ap.Start) {
		end = ap.Start.Add(30 * time.Minute)
	}
	return !now.Before(ap.Start.Add(-JoinEarly)) && now.Before(end)
}

// Changeable reports whether the patient may ask to move or cancel it
// (the practice decides whether it agrees).
func (ap Appointment) Changeable(now time.Time) bool {
	return ap.ID != "" && ap.Change == "" && (ap.State == StateBooked || ap.State == StateRequested) && ap.Upcoming(now)
}

// Appointments is a profile's appointments: those to come, soonest first,
// then the past ones, latest first.
type Appointments struct {
	Upcoming []Appointment
	Past     []Appointment
	// AccessEnded says the practice ended this access to the record: a
	// booking waiting cannot be sent unless the practice gives the access
	// back. (The record itself is gone from the device then, with its
	// appointments: a move or cancellation waiting shows nowhere here.)
	AccessEnded bool
}

// stateOf maps a FHIR Appointment status to what the patient reads.
func stateOf(status string, start time.Time, now time.Time) string {
	switch status {
	case "proposed", "pending", "waitlist":
		return StateRequested
	case "cancelled", "entered-in-error":
		return StateCancelled
	case "noshow":
		return StateMissed
	case "fulfilled":
		return StateDone
	case "booked", "arrived", "checked-in":
		return StateBooked
	}
	if !start.IsZero() && start.Before(now) {
		return StateDone
	}
	return StateBooked
}

// appointmentFrom turns a cached Appointment into what the screens show,
// with the names, address and phone of who and where from the cache.
func appointmentFrom(c *record.Chart, a record.Appointment, now time.Time) Appointment {
	ap := Appointment{
		ID: a.ID, Status: a.Status, Start: a.Start.Time, End: a.End.Time,
		Reason: strings.Join(a.Reasons, ", "), Instruction: a.Instruction, JoinURL: a.JoinURL,
	}
	if a.Start.IsZero() {
		ap.Start = time.Time{}
	}
	if a.End.IsZero() {
		ap.End = time.Time{}
	}
	ap.State = stateOf(a.Status, ap.Start, now)
	for _, q := range a.Questionnaires {
		if i := strings.LastIndex(q.Reference, "Questionnaire/"); i >= 0 {
			ap.Questionnaires = append(ap.Questionnaires, record.Ref{Reference: q.Reference[i:], Display: q.Display})
		}
	}
	if len(a.ServiceTypes) > 0 {
		ap.VisitType = a.ServiceTypes[0]
	} else {
		ap.VisitType = a.Description
	}
	if len(a.Practitioners) > 0 {
		ap.Provider = firstOf(c.Name(a.Practitioners[0]), a.Practitioners[0].Display)
	}
	for _, s := range a.Slots {
		if id, ok := strings.CutPrefix(s, "Slot/"); ok {
			ap.Slot = id
		}
	}
	parties := map[string]record.Party{}
	for _, p := range c.Parties {
		parties[p.Key()] = p
	}
	for _, l := range a.Locations {
		p, ok := parties[l.Reference]
		ap.Location = firstOf(ap.Location, p.Name, c.Name(l), l.Display)
		if ok {
			ap.Address = firstOf(ap.Address, p.Address)
			ap.Phone = firstOf(ap.Phone, p.Phone)
		}
	}
	ap.PracticePhone = ap.Phone
	if ap.PracticePhone == "" {
		ap.PracticePhone = practicePhone(c)
	}
	return ap
}

// practicePhone is the phone number of the practice: the first
// Organization in the record with one that is not an insurer (the chart
// does not say which is which, so one with an address wins).
func practicePhone(c *record.Chart) string {
	var fallback string
	for _, p := range c.Parties {
		if p.Type != "Organization" && p.Type != "Location" || p.Phone == "" {
			continue
		}
		if p.Address != "" {
			return p.Phone
		}
		if fallback == "" {
			fallback = p.Phone
		}
	}
	return fallback
}

// sortAppointments splits and orders appointments for display.
func sortAppointments(all []Appointment, now time.Time) Appointments {
	var out Appointments
	for _, ap := range all {
		if ap.Upcoming(now) {
			out.Upcoming = append(out.Upcoming, ap)
		} else {
			out.Past = append(out.Past, ap)
		}
	}
	sort.SliceStable(out.Upcoming, func(i, j int) bool {
		a, b := out.Upcoming[i].Start, out.Upcoming[j].Start
		if a.IsZero() != b.IsZero() {
			return b.IsZero()
		}
		return a.Before(b)
	})
	sort.SliceStable(out.Past, func(i, j int) bool { return out.Past[i].Start.After(out.Past[j].Start) })
	return out
}

// appointmentTypes are the cached types an appointment's display needs.
var appointmentTypes = []string{"Appointment", "Practitioner", "PractitionerRole", "Organization", "Location", "HealthcareService"}

// appointmentChart decodes the profile's appointments with the people and
// places they name (not the whole record: the command line lists them too).
func (a *App) appointmentChart(ctx context.Context, profileID string) (*record.Chart, error) {
	var in []record.Resource
	for _, typ := range appointmentTypes {
		err := a.store.Each(ctx, profileID, typ, func(r storage.Resource) error {
			in = append(in, record.Resource(r))
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("appointments: %w", err)
		}
	}
	return record.Load(in), nil
}

// Appointments lists the profile's appointments from the cache (it works
// offline), with what the outbox holds for them: bookings not accepted
// yet (waiting, or refused with the practice's words) and moves or
// cancellations on their way.
func (a *App) Appointments(ctx context.Context, profileID string) (Appointments, error) {
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return Appointments{}, fmt.Errorf("appointments: %w", err)
	}
	all, err := a.allAppointments(ctx, profileID)
	if err != nil {
		return Appointments{}, err
	}
	out := sortAppointments(all, a.cfg.Now())
	out.AccessEnded = HasAccessEnded(p)
	return out, nil
}

// Appointment returns one appointment, by the practice's id or by the
// local id of a booking not accepted yet; storage.ErrNotFound when there
// is none.
func (a *App) Appointment(ctx context.Context, profileID, id string) (Appointment, error) {
	all, err := a.allAppointments(ctx, profileID)
	if err != nil {
		return Appointment{}, err
	}
	for _, ap := range all {
		if (ap.ID != "" && ap.ID == id) || (ap.LocalID != "" && ap.LocalID == id) {
			return ap, nil
		}
	}
	return Appointment{}, fmt.Errorf("appointment %q: %w", id, storage.ErrNotFound)
}

func (a *App) allAppointments(ctx context.Context, profileID string) ([]Appointment, error) {
	c, err := a.appointmentChart(ctx, profileID)
	if err != nil {
		return nil, err
	}
	entries, err := a.Outbox(ctx, profileID)
	if err != nil {
		return nil, fmt.Errorf("appointments: %w", err)
	}
	now := a.cfg.Now()
	var out []Appointment
	byID := map[string]int{}
	byIdent := map[string]int{}
	for _, ra := range c.Appointments {
		ap := appointmentFrom(c, ra, now)
		r, err := a.store.Get(ctx, profileID, "Appointment", ra.ID)
		if err == nil {
			ap.Version = etagOf(r.JSON)
		}
		byID[ra.ID] = len(out)
		for _, ident := range ra.Identifiers {
			byIdent[ident] = len(out)
		}
		out = append(out, ap)
	}
	for _, e := range entries {
		switch e.Kind {
		case outboxKindAppointment:
			if i, found := byIdent[identifierKey(e.Identifier)]; found {
				out[i].LocalID = e.LocalID // booked here: it keeps its local name
				continue
			}
			if e.State == storage.OutboxSent {
				continue // accepted; the next sync brings the practice's copy
			}
			body := e.Resource
			ra := record.DecodeAppointment(record.Resource{Type: "Appointment", JSON: body})
			ap := appointmentFrom(c, ra, now)
			ap.ID, ap.Status, ap.Version = "", "", ""
			ap.LocalID = e.LocalID
			ap.State, ap.MayHaveReached = StateWaiting, e.MayHaveReached
			if e.State == storage.OutboxFailed || e.State == storage.OutboxConflict {
				ap.State, ap.Problem, ap.ProblemSeq = StateFailed, e.LastError, e.Seq
			}
			out = append(out, ap)
		case outboxKindCancel, outboxKindMove:
			if e.State == storage.OutboxSent {
				continue
			}
			var h struct {
				ID string `json:"id"`
			}
			if json.Unmarshal(e.Resource, &h) != nil {
				continue
			}
			i, ok := byID[h.ID]
			if !ok {
				continue
			}
			move := e.Kind == outboxKindMove
			if e.State == storage.OutboxFailed || e.State == storage.OutboxConflict {
				problem := i18n.L("Cancellation refused: {{.Words}}", map[string]any{"Words": e.LastError})
				if move {
					problem = i18n.L("Move to another time refused: {{.Words}}", map[string]any{"Words": e.LastError})
				}
				out[i].Problem, out[i].ProblemSeq = problem, e.Seq
				continue
			}
			out[i].Change = i18n.L("Cancellation waiting to be sent")
			if move {
				out[i].Change = i18n.L("Move to another time waiting to be sent")
			}
		}
	}
	if err := a.countQuestionsToAnswer(ctx, profileID, out, entries); err != nil {
		return nil, fmt.Errorf("appointments: %w", err)
	}
	return out, nil
}
