package app

// Who looked at my record: the practice's own log of accesses to the
// patient's chart (FHIR AuditEvent), read live where the practice shares
// it. It is the practice's record, not the patient's: it is never cached,
// and looking at it works online only.

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/carebook/carebook/app/locfmt"
	"github.com/carebook/carebook/internal/i18n"
	"github.com/carebook/carebook/sync/fhirapi"
	"github.com/carebook/carebook/sync/smart"
)

// scopeAuditEvents is the SMART scope that lets the app read who reached
// the patient's record, asked for where the practice lists it as
// supported.
const scopeAuditEvents = "patient/AuditEvent.rs"

// maxAuditEvents bounds how many of the practice's events are read.
const maxAuditEvents = 1000

var (
	// ErrAuditNotOffered: the practice does not let patients read who
	// reached their record (its CapabilityStatement offers no AuditEvent
	// search by patient).
	ErrAuditNotOffered = errors.New("app: the practice does not share who looked at the record")
	// ErrAuditNeedsSignIn: the practice shares it, but this device's
	// sign-in predates it (the scope was not granted).
	ErrAuditNeedsSignIn = errors.New("app: sign in again to see who looked at the record")
)

// WhoMessage is what to tell the patient when WhoLookedAtMyRecord failed
// with err.
func WhoMessage(err error) string {
	switch {
	case errors.Is(err, ErrAuditNotOffered):
		return i18n.L("Your practice does not share who looked at your record.")
	case errors.Is(err, ErrAuditNeedsSignIn):
		return i18n.L("Sign in to the practice again to see who looked at your record: the sign-in on this device does not include it.")
	case errors.Is(err, ErrNeedsSignIn):
		return i18n.L("The practice asks you to sign in again.")
	case errors.Is(err, ErrOffline):
		return i18n.L("Who looked at your record comes from the practice, and it cannot be reached: connect to the internet to see it.")
	}
	return i18n.L("The practice could not tell who looked at your record. Try again later.")
}

// AccessKind is what someone did with the record.
type AccessKind string

// Kinds of access; Words says each in the words of a sentence ("Dr. Park
// looked at your record").
const (
	AccessLooked  AccessKind = "looked"
	AccessAdded   AccessKind = "added"
	AccessUpdated AccessKind = "updated"
	AccessDetails AccessKind = "details"
	AccessRemoved AccessKind = "removed"
	AccessRefused AccessKind = "refused"
)

// Words is what someone did, as the end of a sentence in the current
// language: "looked at your record".
func (k AccessKind) Words() string {
	switch k {
	case AccessAdded:
		return i18n.L("added to your record")
	case AccessUpdated:
		return i18n.L("updated your record")
	case AccessDetails:
		return i18n.L("updated your details")
	case AccessRemoved:
		return i18n.L("removed something from your record")
	case AccessRefused:
		return i18n.L("tried to reach your record and was refused")
	}
	return i18n.L("looked at your record")
}

// RecordAccess is one line of the list: someone's accesses of one kind on
// one day.
type RecordAccess struct {
	// Who is how the patient knows them: "You (Carebook)", "Dr. Elena
	// Park", "Amara Rivera (mother)".
	Who string
	// WhoRef is the practice's reference ("Practitioner/dr-park").
	WhoRef string
	// Self is true for the accesses of whoever signed in on this profile.
	Self bool
	Kind AccessKind
	// Day is the local day (midnight); Last the newest access of the line.
	Day, Last time.Time
	// Count is how many accesses the line stands for.
	Count int
}

// Line is the sentence shown for a: "Dr. Elena Park looked at your
// record · 3 Dec".
func (a RecordAccess) Line(now time.Time) string {
	day := locfmt.Current().DayMonth(a.Day)
	if a.Day.Year() != now.Year() {
		day = locfmt.Current().Date(a.Day)
	}
	f := map[string]any{"Who": a.Who, "Did": a.Kind.Words(), "Day": day, "Count": a.Count}
	return i18n.N("{{.Who}} {{.Did}} · {{.Day}} ({{.Count}} times)", a.Count, f)
}

// auditEventJSON is what Carebook reads of an AuditEvent.
type auditEventJSON struct {
	ResourceType string `json:"resourceType"`
	Recorded     string `json:"recorded"`
	Action       string `json:"action"`
	Outcome      string `json:"outcome"`
	Agent        []struct {
		Who struct {
			Reference  string `json:"reference"`
			Display    string `json:"display"`
			Identifier struct {
				Value string `json:"value"`
			} `json:"identifier"`
		} `json:"who"`
		Requestor bool `json:"requestor"`
	} `json:"agent"`
	Entity []struct {
		What struct {
			Reference string `json:"reference"`
		} `json:"what"`
	} `json:"entity"`
}

// WhoLookedAtMyRecord reads the practice's log of accesses to the
// profile's record, live, and returns it newest first, one line per
// person, day and kind of access. Errors: ErrAuditNotOffered,
// ErrAuditNeedsSignIn, ErrOffline (with words to show), ErrNeedsSignIn.
func (a *App) WhoLookedAtMyRecord(ctx context.Context, profileID string) ([]RecordAccess, error) {
	p, api, err := a.practiceAPI(ctx, profileID)
	if err != nil {
		return nil, err
	}
	caps, err := api.Capabilities(ctx)
	if err != nil {
		return nil, a.whoError(ctx, profileID, err)
	}
	param := ""
	for _, name := range []string{"patient", "entity"} {
		if param == "" && caps.SupportsSearchParam("AuditEvent", name) {
			param = name
		}
	}
	if !caps.Supports("AuditEvent", "search-type") || param == "" {
		return nil, ErrAuditNotOffered
	}
	if !scopeAllowsAudit(p.Settings[settingScope]) {
		return nil, ErrAuditNeedsSignIn
	}
	var events []auditEventJSON
	errEnough := errors.New("enough events")
	_, err = api.Search(ctx, "AuditEvent", url.Values{param: {"Patient/" + p.PatientID}, "_count": {"200"}}, fhirapi.SearchHandler{
		Entry: func(e fhirapi.Entry) error {
			var ev auditEventJSON
			if json.Unmarshal(e.Resource, &ev) == nil && ev.ResourceType == "AuditEvent" {
				events = append(events, ev)
			}
			if len(events) >= maxAuditEvents {
				return errEnough
			}
			return nil
		},
	})
	switch {
	case errors.Is(err, errEnough):
	case errors.Is(err, fhirapi.ErrForbidden):
		return nil, ErrAuditNeedsSignIn
	case err != nil:
		return nil, a.whoError(ctx, profileID, err)
	}
	self := p.Settings[settingFHIRUser]
	if self == "" {
		self = "Patient/" + p.PatientID
	}
	clientID := firstNonBlank(p.Settings[smart.SettingClientID], smart.DefaultClientID)
	names := map[string]string{}
	type key struct {
		who, client string
		kind        AccessKind
		day         time.Time
	}
	var out []RecordAccess
	index := map[key]int{}
	for _, ev := range events {
		at, err := time.Parse(time.RFC3339Nano, ev.Recorded)
		if err != nil {
			continue
		}
		who, display, client := "", "", ""
		for _, ag := range ev.Agent {
			if ag.Who.Reference != "" && (who == "" || ag.Requestor) {
				who, display = ag.Who.Reference, ag.Who.Display
			}
			if ag.Who.Identifier.Value != "" {
				client = ag.Who.Identifier.Value
			}
		}
		if who == "" {
			continue
		}
		kind := accessKind(ev, p.PatientID)
		day := localDay(at.Local())
		k := key{who, client, kind, day}
		if i, ok := index[k]; ok {
			out[i].Count++
			if at.After(out[i].Last) {
				out[i].Last = at
			}
			continue
		}
		name := ""
		if who == self {
			name = i18n.L("You")
			switch {
			case client == clientID:
				name = i18n.L("You (Carebook)")
			case client != "":
				name = i18n.L("You (another app)")
			}
		} else {
			nk := who + "|" + display
			if n, ok := names[nk]; ok {
				name = n
			} else {
				name = a.agentName(ctx, profileID, who, display)
				names[nk] = name
			}
		}
		index[k] = len(out)
		out = append(out, RecordAccess{Who: name, WhoRef: who, Self: who == self, Kind: kind, Day: day, Last: at, Count: 1})
	}
	slices.SortStableFunc(out, func(x, y RecordAccess) int { return y.Last.Compare(x.Last) })
	return out, nil
}

// whoError classifies a failed read of the log.
func (a *App) whoError(ctx context.Context, profileID string, err error) error {
	return a.liveError(ctx, profileID, "AuditEvent", err)
}

// accessKind says what an event did to the record of patientID.
func accessKind(ev auditEventJSON, patientID string) AccessKind {
	if ev.Outcome != "" && ev.Outcome != "0" {
		return AccessRefused
	}
	switch ev.Action {
	case "C":
		return AccessAdded
	case "U":
		for _, e := range ev.Entity {
			if e.What.Reference == "Patient/"+patientID {
				continue
			}
			return AccessUpdated
		}
		return AccessDetails
	case "D":
		return AccessRemoved
	}
	return AccessLooked
}

// agentName is how the patient knows who acted: the practice's name for
// them, else their name in the cached record ("Amara Rivera (mother)"),
// else what they are.
func (a *App) agentName(ctx context.Context, profileID, ref, display string) string {
	typ, id, _ := strings.Cut(ref, "/")
	name := strings.TrimSpace(display)
	relation := ""
	if r, err := a.store.Get(ctx, profileID, typ, id); err == nil {
		if name == "" {
			name = patientName(r.JSON)
		}
		if typ == "RelatedPerson" {
			relation = relationship(r.JSON)
		}
	}
	if name == "" {
		switch typ {
		case "Practitioner", "PractitionerRole":
			name = i18n.L("Someone at the practice")
		case "RelatedPerson":
			name = i18n.L("Someone with access to your record")
		case "Patient":
			name = i18n.L("Another patient's account")
		default:
			name = i18n.L("The practice's systems")
		}
	}
	if relation != "" {
		name = i18n.L("{{.Name}} ({{.Relationship}})", map[string]any{"Name": name, "Relationship": relation})
	}
	return name
}

// relationship is what a RelatedPerson is to the patient, in the
// practice's words ("mother"), or "".
func relationship(raw []byte) string {
	var rp struct {
		Relationship []struct {
			Coding []struct {
				Display string `json:"display"`
			} `json:"coding"`
			Text string `json:"text"`
		} `json:"relationship"`
	}
	if json.Unmarshal(raw, &rp) != nil {
		return ""
	}
	for _, rel := range rp.Relationship {
		if rel.Text != "" {
			return strings.ToLower(rel.Text)
		}
		for _, c := range rel.Coding {
			if c.Display != "" {
				return strings.ToLower(c.Display)
			}
		}
	}
	return ""
}

// scopeAllowsAudit reports whether a granted scope names AuditEvent
// searches (a wildcard is not enough: the log is shared only by name).
func scopeAllowsAudit(scope string) bool {
	for _, f := range strings.Fields(scope) {
		typ, perm, ok := strings.Cut(f, ".")
		if ok && typ == "patient/AuditEvent" && (strings.Contains(perm, "s") || perm == "read" || perm == "*") {
			return true
		}
	}
	return false
}
