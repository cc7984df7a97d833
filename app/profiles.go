package app

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/carebook/carebook/internal/i18n"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/smart"
)

// ProfileInfo is what the profile switcher shows of one profile: one
// patient at one practice.
type ProfileInfo struct {
	ID          string
	Label       string // the patient's name
	Practice    string // the practice's own name, else its host name ("portal.example.org")
	PracticeURL string
	// Self says the patient signed in (their own record); otherwise a
	// parent or caregiver did, and Relationship says who the patient is
	// to them ("your son"; "" when the practice did not say).
	Self         bool
	Relationship string
	// UserName is the first name of whoever signed in ("Amara").
	UserName string
	// Initials and Colour (0 to 7) make the person's badge; the colour
	// stays the same for the life of the profile.
	Initials string
	Colour   int
	// Ended says the practice ended access to this record: it is closed
	// and waits for the user to see what was not sent (CloseEndedProfile).
	Ended       bool
	Demo        bool      // the built-in demo practice (made-up data)
	NeedsSignIn bool      // the practice refused to renew access: sign in again
	LastSync    time.Time // zero when never synced
	// TermsURL and PrivacyURL are the practice's terms of use and privacy
	// policy pages, "" where it publishes none.
	TermsURL, PrivacyURL string
	// OwnLock says the record has a passphrase of its own (see
	// SetOwnLock); Closed that it is not opened yet: only its name,
	// practice, badge and last sync are known, and every use case for it
	// fails with ErrProfileClosed until OpenProfile.
	OwnLock, Closed bool
	// MovedTo is the address the practice said it moved to (see
	// MovePractice): "" unless the patient must sign in there.
	MovedTo string
}

// Profiles lists the profiles, by name: the open ones and those whose
// own lock is closed (Closed).
func (a *App) Profiles(ctx context.Context) ([]ProfileInfo, error) {
	ps, err := a.store.Profiles(ctx)
	if err != nil {
		return nil, fmt.Errorf("profiles: %w", err)
	}
	out := make([]ProfileInfo, 0, len(ps))
	for _, p := range ps {
		info := profileInfo(p)
		if info.OwnLock, err = a.store.HasOwnLock(ctx, p.ID); err != nil {
			return nil, fmt.Errorf("profiles: %w", err)
		}
		out = append(out, info)
	}
	closed, err := a.closedProfiles(ctx)
	if err != nil {
		return nil, fmt.Errorf("profiles: %w", err)
	}
	out = append(out, closed...)
	sortProfiles(out)
	return out, nil
}

func profileInfo(p storage.Profile) ProfileInfo {
	info := ProfileInfo{
		ID: p.ID, Label: p.Label, PracticeURL: p.PracticeURL,
		NeedsSignIn: p.Settings[settingNeedsLogin] == "true",
		TermsURL:    p.Settings[settingTermsURL], PrivacyURL: p.Settings[settingPrivacyURL],
	}
	if u, err := url.Parse(p.PracticeURL); err == nil {
		info.Practice = u.Host
	}
	if name := p.Settings[settingPracticeName]; name != "" {
		info.Practice = name
	}
	if p.Settings[settingDemo] == "true" {
		info.Demo = true
		if p.Settings[settingPracticeName] == "" {
			info.Practice = i18n.L("Demo practice")
		}
	}
	info.Self = !isProxy(p)
	if rel := p.Settings[settingRelation]; rel != "" && !info.Self {
		info.Relationship = i18n.L("your {{.Relationship}}", map[string]any{"Relationship": relationshipWord(rel)})
	}
	info.UserName = p.Settings[settingUserName]
	info.Initials, info.Colour = Initials(p.Label), badgeColour(p.ID)
	info.Ended = HasAccessEnded(p)
	info.MovedTo = p.Settings[settingMovedTo]
	info.LastSync = LastSync(p)
	return info
}

// LastSync is when profile p's last sync finished without error (zero
// when none has, or none since its record was downloaded again). It
// stays when the practice ends a parent's or caregiver's access and the
// record leaves the device, unlike the pull's own marks.
func LastSync(p storage.Profile) time.Time {
	t, err := time.Parse(time.RFC3339, p.Settings[settingLastSync])
	if err != nil {
		return time.Time{}
	}
	return t
}

// revokeTimeout bounds asking the practice to end a grant at removal.
const revokeTimeout = 15 * time.Second

// RemoveProfile forgets a profile. First the practice is asked to end the
// sign-in's grant (RFC 7009 token revocation, where the practice offers
// it), so its refresh token is worthless even if a copy of it survived
// somewhere; then its key is destroyed, then its records, outbox and
// tokens. A practice that cannot be reached (offline, or no revocation
// offered) does not stop the removal: the patient asked for the record to
// go, and the tokens go with the key.
//
// Nothing unsent is lost silently: while the profile's outbox holds items
// that have not reached the practice (waiting, refused, in conflict),
// RemoveProfile removes nothing and returns an *UnsentError (ErrUnsent)
// listing them, unless opts.DiscardUnsent says the patient saw them.
func (a *App) RemoveProfile(ctx context.Context, id string, opts RemoveOptions) error {
	if !opts.DiscardUnsent {
		unsent, err := a.Unsent(ctx, id)
		if err != nil {
			return fmt.Errorf("remove profile: %w", err)
		}
		if len(unsent) > 0 {
			p, err := a.store.Profile(ctx, id)
			if err != nil {
				return fmt.Errorf("remove profile: %w", err)
			}
			return fmt.Errorf("remove profile: %w", &UnsentError{Items: unsent, AccessEnded: HasAccessEnded(p)})
		}
	}
	if p, err := a.store.Profile(ctx, id); err == nil && p.Settings[smart.SettingAuth] != "none" {
		rctx, cancel := context.WithTimeout(ctx, revokeTimeout)
		smart.Revoke(rctx, a.store, id, httpClient) //nolint:errcheck // best effort, see above
		cancel()
	}
	a.forget(id)
	if err := a.store.DeleteProfile(ctx, id); err != nil {
		return fmt.Errorf("remove profile: %w", err)
	}
	a.bus.Publish(ProfilesChanged{})
	return nil
}

// readSet is the set of message ids the patient read on this device.
func readSet(p storage.Profile) map[string]bool {
	read := make(map[string]bool)
	for _, id := range strings.Split(p.Settings[settingReadMessages], ",") {
		if id != "" {
			read[id] = true
		}
	}
	return read
}

// ReadMessages returns the ids of the messages the patient has read on
// this device.
func (a *App) ReadMessages(ctx context.Context, profileID string) (map[string]bool, error) {
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return nil, fmt.Errorf("read messages: %w", err)
	}
	return readSet(p), nil
}

// MarkMessagesRead remembers that the patient read these messages.
func (a *App) MarkMessagesRead(ctx context.Context, profileID string, ids ...string) error {
	return a.updateSeen(ctx, profileID, func(s map[string]string) {
		read := readSet(storage.Profile{Settings: s})
		for _, id := range ids {
			read[id] = true
		}
		list := make([]string, 0, len(read))
		for id := range read {
			list = append(list, id)
		}
		sort.Strings(list)
		s[settingReadMessages] = strings.Join(list, ",")
	})
}

// MarkResultsSeen remembers that the patient looked at their results now,
// so the dashboard counts only later ones as new.
func (a *App) MarkResultsSeen(ctx context.Context, profileID string) error {
	now := a.cfg.Now()
	return a.updateSeen(ctx, profileID, func(s map[string]string) {
		s[settingResultsSeen] = now.UTC().Format(time.RFC3339)
	})
}

// updateSeen is updateSettings for what the patient has seen, telling the
// screens that what is new changed.
func (a *App) updateSeen(ctx context.Context, profileID string, edit func(map[string]string)) error {
	if err := a.updateSettings(ctx, profileID, edit); err != nil {
		return err
	}
	a.bus.Publish(SeenChanged{ProfileID: profileID})
	return nil
}

// updateSettings changes a profile's sealed settings with edit.
func (a *App) updateSettings(ctx context.Context, profileID string, edit func(map[string]string)) error {
	a.settingsMu.Lock()
	defer a.settingsMu.Unlock()
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return fmt.Errorf("profile settings: %w", err)
	}
	if p.Settings == nil {
		p.Settings = make(map[string]string)
	}
	edit(p.Settings)
	if err := a.store.UpdateProfile(ctx, p); err != nil {
		return fmt.Errorf("profile settings: %w", err)
	}
	return nil
}

// relationshipWord is a relationship the practice stated ("son"), in the
// language the app speaks where it is one of the common ones, else as the
// practice wrote it.
func relationshipWord(rel string) string {
	switch strings.ToLower(strings.TrimSpace(rel)) {
	case "son":
		return i18n.L("son")
	case "daughter":
		return i18n.L("daughter")
	case "child":
		return i18n.L("child")
	case "father":
		return i18n.L("father")
	case "mother":
		return i18n.L("mother")
	case "parent":
		return i18n.L("parent")
	case "husband":
		return i18n.L("husband")
	case "wife":
		return i18n.L("wife")
	case "spouse":
		return i18n.L("spouse")
	case "brother":
		return i18n.L("brother")
	case "sister":
		return i18n.L("sister")
	case "grandson":
		return i18n.L("grandson")
	case "granddaughter":
		return i18n.L("granddaughter")
	case "grandfather":
		return i18n.L("grandfather")
	case "grandmother":
		return i18n.L("grandmother")
	case "guardian":
		return i18n.L("guardian")
	}
	return rel
}
