package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/storage"
)

// Linking: one person seen at several practices has a profile at each. The
// app shows them as one person (merged views) only once the user confirms
// they are the same person; it offers that when the Patient's name and
// birth date match at both. The link lives in each profile's sealed
// settings: profiles sharing a settingPerson value are one person.

const (
	settingPerson       = "person"        // random id shared by linked profiles
	settingLinkDeclined = "link_declined" // comma-separated profile ids the user said are someone else
)

// LinkSuggestion offers to link two profiles whose patients have the same
// name and birth date.
type LinkSuggestion struct {
	A, B ProfileInfo
	// Name is the name that matched ("Maya Rivera"), BirthDate the birth
	// date (record.Date.String says it as people do).
	Name      string
	BirthDate record.Date
}

// patientOf reads the profile's own Patient from the cache: its name and
// birth date, as the practice wrote them.
func (a *App) patientOf(ctx context.Context, p storage.Profile) (record.Patient, bool, error) {
	var pt record.Patient
	found := false
	err := a.store.Each(ctx, p.ID, "Patient", func(r storage.Resource) error {
		if found || (p.PatientID != "" && r.ID != p.PatientID) {
			return nil
		}
		pt, found = record.DecodePatient(record.Resource(r)), true
		return nil
	})
	if err != nil {
		return record.Patient{}, false, fmt.Errorf("read patient: %w", err)
	}
	return pt, found, nil
}

// personKey is what makes two Patients look like the same person: the
// name (any case, spacing or accents aside) and the birth date.
func personKey(pt record.Patient) string {
	name := strings.ToLower(strings.Join(strings.Fields(pt.Name), " "))
	if name == "" || pt.BirthDate.IsZero() {
		return ""
	}
	return name + "|" + pt.BirthDate.String()
}

// LinkSuggestions lists the pairs of profiles at different practices whose
// patients have the same name and birth date, not linked yet and not
// declined by the user. Profiles whose access ended are left out.
func (a *App) LinkSuggestions(ctx context.Context) ([]LinkSuggestion, error) {
	ps, err := a.store.Profiles(ctx)
	if err != nil {
		return nil, fmt.Errorf("link suggestions: %w", err)
	}
	type person struct {
		p  storage.Profile
		pt record.Patient
	}
	byKey := map[string][]person{}
	var keys []string
	for _, p := range ps {
		if HasAccessEnded(p) {
			continue
		}
		pt, ok, err := a.patientOf(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("link suggestions: %w", err)
		}
		k := personKey(pt)
		if !ok || k == "" {
			continue
		}
		if byKey[k] == nil {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], person{p, pt})
	}
	sort.Strings(keys)
	var out []LinkSuggestion
	for _, k := range keys {
		group := byKey[k]
		for i := range group {
			for j := i + 1; j < len(group); j++ {
				x, y := group[i].p, group[j].p
				if linked(x, y) || declined(x, y) || x.PracticeURL == y.PracticeURL {
					continue
				}
				out = append(out, LinkSuggestion{A: profileInfo(x), B: profileInfo(y),
					Name: group[i].pt.Name, BirthDate: group[i].pt.BirthDate})
			}
		}
	}
	return out, nil
}

func linked(x, y storage.Profile) bool {
	return x.Settings[settingPerson] != "" && x.Settings[settingPerson] == y.Settings[settingPerson]
}

func declined(x, y storage.Profile) bool {
	return slices.Contains(splitList(x.Settings[settingLinkDeclined]), y.ID) ||
		slices.Contains(splitList(y.Settings[settingLinkDeclined]), x.ID)
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// ErrNotSamePerson: the two profiles cannot be one person (their patients'
// birth dates differ, or one is the other). Wraps ErrInvalidInput.
var ErrNotSamePerson = fmt.Errorf("%w: not the same person", ErrInvalidInput)

// LinkProfiles links two profiles as one person, as the user confirmed:
// from then on their records show merged (with where each item comes
// from). Linking a profile already linked to others joins them all. The
// patients' birth dates must be the same (names may differ: a practice
// may have an older name); otherwise nothing changes and ErrNotSamePerson
// is returned. storage.ErrLocked when locked.
func (a *App) LinkProfiles(ctx context.Context, idA, idB string) error {
	if idA == "" || idB == "" || idA == idB {
		return fmt.Errorf("link: %w", ErrNotSamePerson)
	}
	pa, err := a.store.Profile(ctx, idA)
	if err != nil {
		return fmt.Errorf("link: %w", notFound(err))
	}
	pb, err := a.store.Profile(ctx, idB)
	if err != nil {
		return fmt.Errorf("link: %w", notFound(err))
	}
	ta, okA, err := a.patientOf(ctx, pa)
	if err != nil {
		return fmt.Errorf("link: %w", err)
	}
	tb, okB, err := a.patientOf(ctx, pb)
	if err != nil {
		return fmt.Errorf("link: %w", err)
	}
	if !okA || !okB || ta.BirthDate.IsZero() || ta.BirthDate.String() != tb.BirthDate.String() {
		return fmt.Errorf("link: %w", ErrNotSamePerson)
	}
	if linked(pa, pb) {
		return nil
	}
	person := pa.Settings[settingPerson]
	if person == "" {
		person = pb.Settings[settingPerson]
	}
	if person == "" {
		b := make([]byte, 12)
		if _, err := rand.Read(b); err != nil {
			return fmt.Errorf("link: %w", err)
		}
		person = hex.EncodeToString(b)
	}
	// Every profile of either person joins the one person.
	join := map[string]bool{idA: true, idB: true}
	if old := pb.Settings[settingPerson]; old != "" && old != person {
		ps, err := a.store.Profiles(ctx)
		if err != nil {
			return fmt.Errorf("link: %w", err)
		}
		for _, p := range ps {
			if p.Settings[settingPerson] == old {
				join[p.ID] = true
			}
		}
	}
	for id := range join {
		err := a.updateSettings(ctx, id, func(s map[string]string) {
			s[settingPerson] = person
			s[settingLinkDeclined] = strings.Join(slices.DeleteFunc(splitList(s[settingLinkDeclined]), func(d string) bool { return join[d] }), ",")
			if s[settingLinkDeclined] == "" {
				delete(s, settingLinkDeclined)
			}
		})
		if err != nil {
			return fmt.Errorf("link: %w", err)
		}
	}
	a.bus.Publish(ProfilesChanged{})
	return nil
}

// UnlinkProfiles undoes a link: the profile shows as a person of its own
// again, and is not offered for linking with the others again. A person
// left with one profile is no longer linked either.
func (a *App) UnlinkProfiles(ctx context.Context, id string) error {
	p, err := a.store.Profile(ctx, id)
	if err != nil {
		return fmt.Errorf("unlink: %w", notFound(err))
	}
	person := p.Settings[settingPerson]
	if person == "" {
		return nil
	}
	ps, err := a.store.Profiles(ctx)
	if err != nil {
		return fmt.Errorf("unlink: %w", err)
	}
	var others []string
	for _, q := range ps {
		if q.ID != id && q.Settings[settingPerson] == person {
			others = append(others, q.ID)
		}
	}
	err = a.updateSettings(ctx, id, func(s map[string]string) {
		delete(s, settingPerson)
		s[settingLinkDeclined] = strings.Join(append(slices.DeleteFunc(splitList(s[settingLinkDeclined]), func(d string) bool {
			return slices.Contains(others, d)
		}), others...), ",")
	})
	if err != nil {
		return fmt.Errorf("unlink: %w", err)
	}
	if len(others) == 1 {
		if err := a.updateSettings(ctx, others[0], func(s map[string]string) { delete(s, settingPerson) }); err != nil {
			return fmt.Errorf("unlink: %w", err)
		}
	}
	a.bus.Publish(ProfilesChanged{})
	return nil
}

// DeclineLink records that two profiles are not the same person: the pair
// is not offered again.
func (a *App) DeclineLink(ctx context.Context, idA, idB string) error {
	if _, err := a.store.Profile(ctx, idB); err != nil {
		return fmt.Errorf("decline link: %w", notFound(err))
	}
	err := a.updateSettings(ctx, idA, func(s map[string]string) {
		list := splitList(s[settingLinkDeclined])
		if !slices.Contains(list, idB) {
			s[settingLinkDeclined] = strings.Join(append(list, idB), ",")
		}
	})
	if err != nil {
		return fmt.Errorf("decline link: %w", notFound(err))
	}
	a.bus.Publish(ProfilesChanged{})
	return nil
}

// LinkedProfiles returns the profiles of the person profileID belongs to:
// profileID first, then the others linked to it by practice name. A
// profile linked to none gives itself only.
func (a *App) LinkedProfiles(ctx context.Context, profileID string) ([]ProfileInfo, error) {
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return nil, fmt.Errorf("linked profiles: %w", notFound(err))
	}
	out := []ProfileInfo{profileInfo(p)}
	person := p.Settings[settingPerson]
	if person == "" {
		return out, nil
	}
	ps, err := a.store.Profiles(ctx)
	if err != nil {
		return nil, fmt.Errorf("linked profiles: %w", err)
	}
	var others []ProfileInfo
	for _, q := range ps {
		if q.ID != profileID && q.Settings[settingPerson] == person && !HasAccessEnded(q) {
			others = append(others, profileInfo(q))
		}
	}
	sort.SliceStable(others, func(i, j int) bool { return others[i].Practice < others[j].Practice })
	return append(out, others...), nil
}

// notFound turns a missing profile into bad input (the id is wrong).
func notFound(err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("%w: no such record (%v)", ErrInvalidInput, err)
	}
	return err
}
