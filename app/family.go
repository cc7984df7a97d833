package app

// Family accounts: whose record a profile holds and who signed in for it
// (the patient, a parent, a caregiver), what the practice shares with a
// proxy, and what happens when the practice ends a proxy's access.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/carebook/carebook/internal/i18n"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
	"github.com/carebook/carebook/sync/smart"
)

// Settings keys of a profile about who is who (sealed with the profile).
const (
	settingPracticeName = "practice_name" // the practice's own name
	settingSelf         = "self"          // "true": the patient signed in; "false": a proxy did
	settingRelation     = "relation"      // the patient as the signed-in user says it: "son", "father"
	settingUserName     = "user_name"     // the signed-in user's first name
	settingGender       = "gender"        // the patient's administrative gender
	settingScope        = "scope"         // the scope the practice granted at sign-in
	settingHidden       = "hidden_types"  // JSON {type: practice's reason} of types refused with 403
	settingEnded        = "access_ended"  // RFC 3339: the practice ended a proxy's access
	settingDemoAccount  = "demo_account"  // the demo account that signs this profile in
)

// ErrAccessEnded: the practice ended the signed-in user's access to this
// patient's record for good: a new sign-in of a parent or caregiver no
// longer opens it (see SignInAgain). A refused refresh alone is
// ErrNeedsSignIn: sign-ins expire without anything ending. The profile is
// closed, marked (ProfileInfo.Ended) and kept until the user has seen it
// and chosen to remove it (CloseEndedProfile).
var ErrAccessEnded = errors.New("app: access to this record has ended")

// HasAccessEnded reports whether the practice ended the signed-in user's
// access to p's record (the profile is kept, closed, until removed).
func HasAccessEnded(p storage.Profile) bool { return p.Settings[settingEnded] != "" }

// AccessEnded says the practice ended access to a profile's record.
// Removed says the profile and its data are gone (CloseEndedProfile);
// otherwise it is closed and waits for the user to see it.
type AccessEnded struct {
	ProfileID string
	Notice    EndedNotice
	Removed   bool
}

func (AccessEnded) isEvent() {}

// EndedNotice tells the user about a record the practice no longer shares.
type EndedNotice struct {
	PatientName  string // "José Hernández García"
	Relationship string // "your father", "" when unknown
	Practice     string // the practice's name
}

// Text is the plain sentence shown to the user.
func (n EndedNotice) Text() string {
	return i18n.L("{{.Practice}} no longer shares {{.Name}}'s record with you. Carebook removed its copy from this device and destroyed its key, so nothing of it can be read here again.", map[string]any{"Practice": n.Practice, "Name": n.PatientName})
}

// Initials are up to two letters of name, for the person's badge.
func Initials(name string) string {
	var out []rune
	for _, w := range strings.Fields(name) {
		r := []rune(w)
		if len(r) > 0 && unicode.IsLetter(r[0]) {
			out = append(out, unicode.ToUpper(r[0]))
		}
	}
	switch {
	case len(out) == 0:
		return "?"
	case len(out) == 1:
		return string(out)
	default:
		return string([]rune{out[0], out[len(out)-1]})
	}
}

// badgeColours is how many colours the screens have for people's badges.
const badgeColours = 8

// badgeColour picks a person's colour from the profile id, so it never
// changes while the profile lives.
func badgeColour(id string) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % badgeColours)
}

// idTokenFHIRUser returns the fhirUser claim of the token response's
// id_token: who signed in ("Patient/1", "RelatedPerson/9"), or "". The
// id_token came straight from the token endpoint over the connection the
// app opened, so its claims are read without checking the signature
// (OpenID Connect Core 3.1.3.7); it only names the person, it grants
// nothing.
func idTokenFHIRUser(g *smart.Grant) string {
	if g == nil || g.Token == nil {
		return ""
	}
	raw, _ := g.Token.Extra("id_token").(string)
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return ""
	}
	var claims struct {
		FHIRUser string `json:"fhirUser"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return ""
	}
	// The claim may be an absolute URL: keep "Type/id".
	segs := strings.Split(strings.TrimRight(claims.FHIRUser, "/"), "/")
	if len(segs) < 2 {
		return ""
	}
	return segs[len(segs)-2] + "/" + segs[len(segs)-1]
}

// personJSON is what Carebook reads of a Patient or RelatedPerson here.
type personJSON struct {
	Gender       string `json:"gender"`
	Relationship []struct {
		Coding []struct {
			System  string `json:"system"`
			Code    string `json:"code"`
			Display string `json:"display"`
		} `json:"coding"`
		Text string `json:"text"`
	} `json:"relationship"`
	ManagingOrganization struct {
		Reference string `json:"reference"`
		Display   string `json:"display"`
	} `json:"managingOrganization"`
}

// describe fills in, after a sign-in, whose record the profile holds and
// who signed in for it: the patient's name, the relationship the practice
// states (fhirUser, RelatedPerson.relationship), the signed-in user's name,
// the practice's own name and the granted scope. What cannot be read is
// left out; the sign-in still counts.
func (a *App) describe(ctx context.Context, p *storage.Profile, g *smart.Grant) {
	c, err := a.client(p.ID, p.PracticeURL, true)
	if err != nil {
		return
	}
	s := p.Settings
	s[settingScope] = g.Scope
	var patient personJSON
	if resp, err := c.Get(ctx, "Patient/"+url.PathEscape(g.PatientID), nil); err == nil {
		if name := patientName(resp.Body); name != "" {
			p.Label = name
		}
		_ = json.Unmarshal(resp.Body, &patient)
		s[settingGender] = patient.Gender
	}
	user := idTokenFHIRUser(g)
	if user != "" {
		s[settingFHIRUser] = user
	}
	typ, id, _ := strings.Cut(user, "/")
	switch {
	case user == "" || (typ == "Patient" && id == g.PatientID):
		s[settingSelf] = "true"
		s[settingRelation] = ""
		s[settingUserName] = firstName(p.Label)
	case typ == "RelatedPerson":
		s[settingSelf] = "false"
		s[settingRelation] = ""
		if resp, err := c.Get(ctx, "RelatedPerson/"+url.PathEscape(id), nil); err == nil {
			var rp personJSON
			_ = json.Unmarshal(resp.Body, &rp)
			s[settingRelation] = relationWord(rp, patient.Gender)
			s[settingUserName] = firstName(patientName(resp.Body))
		}
	default: // another patient, or a practitioner, acting for this one
		s[settingSelf] = "false"
		s[settingRelation] = ""
	}
	s[settingPracticeName] = a.practiceName(ctx, c, patient)
}

// practiceName is the practice's own name: the patient's managing
// Organization, else what its CapabilityStatement calls itself; "" when
// neither says.
func (a *App) practiceName(ctx context.Context, c *fhirapi.Client, patient personJSON) string {
	if d := strings.TrimSpace(patient.ManagingOrganization.Display); d != "" {
		return d
	}
	if ref := patient.ManagingOrganization.Reference; strings.HasPrefix(ref, "Organization/") {
		if resp, err := c.Get(ctx, ref, nil); err == nil {
			var org struct {
				Name string `json:"name"`
			}
			if json.Unmarshal(resp.Body, &org) == nil && strings.TrimSpace(org.Name) != "" {
				return strings.TrimSpace(org.Name)
			}
		}
	}
	caps, err := c.Capabilities(ctx)
	if err != nil {
		return ""
	}
	var cs struct {
		Publisher      string `json:"publisher"`
		Title          string `json:"title"`
		Implementation struct {
			Description string `json:"description"`
		} `json:"implementation"`
	}
	if json.Unmarshal(caps.Raw, &cs) != nil {
		return ""
	}
	for _, n := range []string{cs.Implementation.Description, cs.Publisher, cs.Title} {
		if n = strings.TrimSpace(n); n != "" {
			return n
		}
	}
	return ""
}

func firstName(name string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(name), " ")
	return first
}

// Relationship codes (HL7 v3 RoleCode) of a RelatedPerson, grouped by what
// the patient then is to the signed-in person.
var (
	parentRoles      = []string{"PRN", "MTH", "FTH", "NPRN", "NMTH", "NFTH", "ADOPTP", "ADOPTM", "ADOPTF", "STPPRN", "STPMTH", "STPFTH", "FTHFOST", "MTHFOST", "PRNFOST"}
	childRoles       = []string{"CHILD", "DAU", "SON", "DAUC", "SONC", "NCHILD", "CHLDADOPT", "DAUADOPT", "SONADOPT", "STPCHLD", "STPDAU", "STPSON", "CHLDFOST", "DAUFOST", "SONFOST", "CHLDINLAW", "DAUINLAW", "SONINLAW"}
	spouseRoles      = []string{"SPS", "HUSB", "WIFE", "DOMPART", "SIGOTHR"}
	siblingRoles     = []string{"SIB", "BRO", "SIS", "NSIB", "NBRO", "NSIS", "HSIB", "HBRO", "HSIS", "STPSIB", "STPBRO", "STPSIS", "TWIN", "TWINBRO", "TWINSIS"}
	grandparentRoles = []string{"GRPRN", "GRMTH", "GRFTH", "MGRPRN", "MGRMTH", "MGRFTH", "PGRPRN", "PGRMTH", "PGRFTH"}
	grandchildRoles  = []string{"GRNDCHILD", "GRNDDAU", "GRNDSON"}
)

// relationWord says what the patient is to the signed-in related person
// ("son", "mother"), from the RelatedPerson's relationship codes and the
// patient's gender; "" when no code is known.
func relationWord(rp personJSON, patientGender string) string {
	pick := func(male, female, other string) string {
		switch patientGender {
		case "male":
			return male
		case "female":
			return female
		}
		return other
	}
	for _, rel := range rp.Relationship {
		for _, c := range rel.Coding {
			code := strings.ToUpper(c.Code)
			switch {
			case slices.Contains(parentRoles, code):
				return pick("son", "daughter", "child")
			case slices.Contains(childRoles, code):
				return pick("father", "mother", "parent")
			case slices.Contains(spouseRoles, code):
				return pick("husband", "wife", "partner")
			case slices.Contains(siblingRoles, code):
				return pick("brother", "sister", "sibling")
			case slices.Contains(grandparentRoles, code):
				return pick("grandson", "granddaughter", "grandchild")
			case slices.Contains(grandchildRoles, code):
				return pick("grandfather", "grandmother", "grandparent")
			}
		}
	}
	return ""
}

// Access is what the practice lets the signed-in user read of a
// profile's record.
type Access struct {
	// Limited says the practice shares only part of the record (its
	// granted scope names types, or it refused some with 403).
	Limited bool
	// Shared names what the practice shares, in a fixed order, by English
	// keys that the screens put in the patient's words ("appointments",
	// "test-results", "immunizations", ...); empty when not Limited.
	Shared []string
	// hidden holds the types not shared, with the practice's reason where
	// it gave one.
	hidden map[string]string
	// all is true when the scope allows every type (only 403s hide).
	all bool
}

// Hides reports whether none of types is shared, with the practice's
// reason for the first that carries one.
func (ac Access) Hides(types ...string) (bool, string) {
	if !ac.Limited || len(types) == 0 {
		return false, ""
	}
	reason := ""
	for _, t := range types {
		r, hidden := ac.hidden[t]
		if !hidden {
			return false, ""
		}
		if reason == "" {
			reason = r
		}
	}
	return true, reason
}

// sharedWords names resource types by the keys of Access.Shared, in the
// order the sentence lists them.
var sharedWords = []struct{ word, typ string }{
	{"appointments", "Appointment"},
	{"visits", "Encounter"},
	{"test-results", "Observation"},
	{"medications", "MedicationRequest"},
	{"immunizations", "Immunization"},
	{"allergies", "AllergyIntolerance"},
	{"conditions", "Condition"},
	{"documents", "DocumentReference"},
	{"care-plans", "CarePlan"},
	{"messages", "Communication"},
	{"billing", "Invoice"},
}

// Access says what the practice shares of a profile's record with the
// signed-in user, from the scope it granted and the types it refused.
// Works offline.
func (a *App) Access(ctx context.Context, profileID string) (Access, error) {
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return Access{}, fmt.Errorf("access: %w", err)
	}
	return accessOf(p.Settings), nil
}

func accessOf(s map[string]string) Access {
	ac := Access{hidden: map[string]string{}}
	readable := map[string]bool{}
	ac.all = true
	if scope := s[settingScope]; scope != "" {
		ac.all = false
		for _, f := range strings.Fields(scope) {
			ctxType, perm, ok := strings.Cut(f, ".")
			if !ok || !strings.ContainsAny(perm, "rs") && perm != "read" && perm != "*" {
				continue
			}
			_, typ, ok := strings.Cut(ctxType, "/")
			if !ok {
				continue
			}
			if typ == "*" {
				ac.all = true
			}
			readable[typ] = true
		}
	}
	var refused map[string]string
	_ = json.Unmarshal([]byte(s[settingHidden]), &refused)
	for _, w := range sharedWords {
		r, no := refused[w.typ]
		switch {
		case no:
			ac.hidden[w.typ] = r
		case !ac.all && !readable[w.typ]:
			ac.hidden[w.typ] = ""
		}
	}
	// The other types of a section go with the one that names it.
	for _, t := range recordTypes {
		if _, done := ac.hidden[t]; done {
			continue
		}
		if r, no := refused[t]; no {
			ac.hidden[t] = r
		} else if !ac.all && !readable[t] {
			ac.hidden[t] = ""
		}
	}
	if len(ac.hidden) == 0 {
		return Access{}
	}
	ac.Limited = true
	for _, w := range sharedWords {
		if _, no := ac.hidden[w.typ]; !no {
			ac.Shared = append(ac.Shared, w.word)
		}
	}
	return ac
}

// recordTypes are the types of a patient's record whose absence the
// screens explain.
var recordTypes = []string{
	"Appointment", "Encounter", "Observation", "DiagnosticReport", "MedicationRequest", "Immunization",
	"AllergyIntolerance", "Condition", "DocumentReference", "CarePlan", "Goal", "CareTeam", "Communication",
	"Invoice", "Account", "ExplanationOfBenefit", "Procedure",
}

// noteRefused remembers the types the practice refused in the last sync
// (403), with its reasons; the screens say so instead of showing them
// empty.
func (a *App) noteRefused(ctx context.Context, profileID string, refused map[string]string) error {
	changed := false
	err := a.updateSettings(ctx, profileID, func(s map[string]string) {
		old := s[settingHidden]
		if len(refused) == 0 {
			delete(s, settingHidden)
		} else if b, err := json.Marshal(refused); err == nil {
			s[settingHidden] = string(b)
		}
		changed = s[settingHidden] != old
	})
	if err == nil && changed {
		a.bus.Publish(RecordChanged{ProfileID: profileID}) // what the screens say of it changed
	}
	return err
}

// accessEnded closes a proxy's profile whose access the practice ended:
// it is marked ended and its cached record is removed from the device;
// the profile, with its unsent items and drafts, is kept until the user
// has seen it and removes it (CloseEndedProfile). It returns
// ErrAccessEnded once marked.
func (a *App) accessEnded(ctx context.Context, profileID string) error {
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return fmt.Errorf("access ended: %w", err)
	}
	if p.Settings[settingEnded] == "" {
		a.audit(ctx, storage.AuditAccessEnded, profileID, auditPracticeEnded)
	}
	err = a.updateSettings(ctx, profileID, func(s map[string]string) {
		if s[settingEnded] == "" {
			s[settingEnded] = a.cfg.Now().UTC().Format(time.RFC3339)
		}
	})
	if err != nil {
		return fmt.Errorf("access ended: %w", err)
	}
	// The practice no longer shares the record with this user: its copy
	// goes from this device now, whatever the user wrote stays until seen.
	a.forget(profileID)
	if err := a.store.DropRecord(ctx, profileID); err != nil {
		return fmt.Errorf("access ended: %w", err)
	}
	a.bus.Publish(AccessEnded{ProfileID: profileID, Notice: endedNotice(p)})
	a.bus.Publish(ProfilesChanged{})
	return ErrAccessEnded
}

// removeEnded destroys an ended profile's key and data and keeps the
// notice for the screens.
func (a *App) removeEnded(ctx context.Context, profileID string, notice EndedNotice) error {
	a.forget(profileID)
	if err := a.store.DeleteProfile(ctx, profileID); err != nil {
		return fmt.Errorf("access ended: remove the record: %w", err)
	}
	a.mu.Lock()
	a.endedNotices = append(a.endedNotices, notice)
	a.mu.Unlock()
	a.bus.Publish(AccessEnded{ProfileID: profileID, Notice: notice, Removed: true})
	a.bus.Publish(ProfilesChanged{})
	return nil
}

// CloseEndedProfile removes a profile whose access ended, once the user has
// seen what it holds unsent (Unsent: outbox items and drafts), which is
// lost with it: its key first, then its rows.
func (a *App) CloseEndedProfile(ctx context.Context, profileID string) error {
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return fmt.Errorf("close ended profile: %w", err)
	}
	if p.Settings[settingEnded] == "" {
		return fmt.Errorf("close ended profile: %w: access has not ended", ErrInvalidInput)
	}
	return a.removeEnded(ctx, profileID, endedNotice(p))
}

// endedNotice is the notice of profile p's access ending.
func endedNotice(p storage.Profile) EndedNotice {
	info := profileInfo(p)
	return EndedNotice{PatientName: info.Label, Relationship: info.Relationship, Practice: info.Practice}
}

// EndedNotices returns the notices of records removed because their access
// ended, since the app opened, oldest first; DismissEndedNotices clears
// them.
func (a *App) EndedNotices() []EndedNotice {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.endedNotices)
}

// DismissEndedNotices forgets the notices the user has read.
func (a *App) DismissEndedNotices() {
	a.mu.Lock()
	a.endedNotices = nil
	a.mu.Unlock()
}

// isProxy reports whether someone other than the patient signed in for
// this profile (a parent, a caregiver), as the practice stated it.
func isProxy(p storage.Profile) bool { return p.Settings[settingSelf] == "false" }

// sortProfiles orders profiles for the switcher: the user's own records
// first, then the people they look after, each by name.
func sortProfiles(ps []ProfileInfo) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Self != ps[j].Self {
			return ps[i].Self
		}
		return ps[i].Label < ps[j].Label
	})
}

// askWhyHidden keeps the practice's reason for what it keeps from this
// user: the reasons of this sync's 403s, the reasons said before for the
// types its granted scope leaves out, and, when one of those has none yet
// (a server answering $everything leaves them out quietly), one plain
// search of such a type, whose 403 carries the practice's words. An answer
// other than a 403 with words changes nothing.
func (a *App) askWhyHidden(ctx context.Context, c *fhirapi.Client, p storage.Profile, refused map[string]string) map[string]string {
	var stored map[string]string
	_ = json.Unmarshal([]byte(p.Settings[settingHidden]), &stored)
	byScope := map[string]string{}
	for k, v := range p.Settings {
		if k != settingHidden {
			byScope[k] = v
		}
	}
	ac := accessOf(byScope) // what the scope alone leaves out
	out := map[string]string{}
	for t, r := range refused {
		out[t] = r
	}
	var probe string
	for _, t := range recordTypes {
		if _, hidden := ac.hidden[t]; !hidden || out[t] != "" {
			continue
		}
		if r := stored[t]; r != "" {
			out[t] = r
		} else if probe == "" {
			probe = t
		}
	}
	if probe == "" {
		return out
	}
	_, err := c.Get(ctx, probe, url.Values{"patient": {p.PatientID}, "_count": {"1"}})
	var oo *fhirapi.OperationOutcomeError
	if !errors.As(err, &oo) || !errors.Is(err, fhirapi.ErrForbidden) || len(oo.Issues) == 0 {
		return out
	}
	// The practice's reason for one type it keeps back is its reason for
	// the others its scope leaves out.
	for t := range ac.hidden {
		if out[t] == "" {
			out[t] = oo.Message()
		}
	}
	return out
}
