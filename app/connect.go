package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
	"github.com/carebook/carebook/sync/smart"
)

// Errors of connecting to a practice, for the screens to explain.
var (
	// ErrBadAddress: the text entered is not a usable web address.
	ErrBadAddress = errors.New("app: not a valid address")
	// ErrUnreachable: nothing answered at that address.
	ErrUnreachable = errors.New("app: practice unreachable")
	// ErrNotFHIR: something answered, but not a FHIR patient API.
	ErrNotFHIR = errors.New("app: not a FHIR server")
	// ErrNoSignIn: a FHIR server that offers no SMART sign-in.
	ErrNoSignIn = errors.New("app: server offers no SMART sign-in")
	// ErrCancelled: the patient cancelled the sign-in at the practice.
	ErrCancelled = errors.New("app: sign-in cancelled")
)

// Settings keys of a profile (sealed with the profile).
const (
	settingAuth       = "auth"                   // "smart" or "none"
	settingFHIRUser   = "fhir_user"              // who signed in, when not the patient
	settingNeedsLogin = smart.SettingNeedsSignIn // set by sync/smart after a refused refresh
	settingLastSync   = "last_sync"              // RFC 3339, local clock
	// settingResultsSeen is when the patient last opened their results
	// (RFC 3339): results after it are "new" on the dashboard.
	settingResultsSeen = "results_seen"
	// settingReadMessages lists the ids of messages read on this device,
	// comma-separated.
	settingReadMessages = "read_messages"
	// settingTermsURL and settingPrivacyURL are the practice's terms of use
	// and privacy policy pages, where it publishes them.
	settingTermsURL   = "terms_url"
	settingPrivacyURL = "privacy_url"
)

// ConnectOptions change how Connect signs the patient in.
type ConnectOptions struct {
	// ActivationCode: the patient has an activation code from the office
	// and no portal account yet. Where the practice offers it, its
	// enrollment page comes first instead of the sign-in page.
	ActivationCode bool
	// ClientID is the OAuth client id the practice registered for
	// Carebook; "" means smart.DefaultClientID.
	ClientID string
	// Label names the profile instead of the patient's name (the command
	// line's --label).
	Label string
}

// NormalizeAddress turns what a person typed ("portal.example.org/fhir")
// into a FHIR base URL: https unless it is this computer, no trailing
// slash, no query.
func NormalizeAddress(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("%w: empty", ErrBadAddress)
	}
	if !strings.Contains(s, "://") {
		scheme := "https://"
		if strings.HasPrefix(s, "127.0.0.1") || strings.HasPrefix(s, "localhost") {
			scheme = "http://"
		}
		s = scheme + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("%w: %q", ErrBadAddress, s)
	}
	u.RawQuery, u.Fragment = "", ""
	u.Path = strings.TrimRight(u.Path, "/")
	return u.String(), nil
}

// httpClient is what connecting uses for discovery and tokens: the HTTP
// policy of fhirapi (https only except loopback, on every redirect; a
// timeout). Token calls add the same-origin rule inside sync/smart.
var httpClient = fhirapi.NewHTTPClient(30 * time.Second)

// checkFHIR reads the server's CapabilityStatement, classifying failures
// into ErrBadAddress, ErrUnreachable and ErrNotFHIR.
func checkFHIR(ctx context.Context, base string) (*fhirapi.Capabilities, error) {
	c, err := fhirapi.New(base, fhirapi.Options{HTTPClient: httpClient, MaxAttempts: 1})
	if err != nil { // not https, or not a URL at all
		return nil, fmt.Errorf("%w: %w", ErrBadAddress, err)
	}
	caps, err := c.Capabilities(ctx)
	switch {
	case err == nil:
		return caps, nil
	case errors.Is(err, fhirapi.ErrNetwork):
		return nil, fmt.Errorf("%w: %w", ErrUnreachable, err)
	default:
		return nil, fmt.Errorf("%w: %w", ErrNotFHIR, err)
	}
}

// Connect adds a practice: it checks that fhirBase is a FHIR server, signs
// the patient in through the system browser (SMART standalone launch), and
// keeps a profile for the chart they chose. Connecting again to the same
// chart refreshes its sign-in instead of adding a second profile.
func (a *App) Connect(ctx context.Context, fhirBase string, opts ConnectOptions) (ProfileInfo, error) {
	base, err := NormalizeAddress(fhirBase)
	if err != nil {
		return ProfileInfo{}, err
	}
	if _, err := checkFHIR(ctx, base); err != nil {
		return ProfileInfo{}, err
	}
	if a.cfg.OpenBrowser == nil {
		return ProfileInfo{}, errors.New("connect: no way to open a browser")
	}
	p, err := a.signIn(ctx, smart.Config{FHIRBase: base, ClientID: opts.ClientID, OpenBrowser: a.cfg.OpenBrowser, Enroll: opts.ActivationCode})
	if err != nil {
		return ProfileInfo{}, err
	}
	if opts.Label != "" {
		if p, err = a.relabel(ctx, p, opts.Label); err != nil {
			return ProfileInfo{}, err
		}
	}
	return profileInfo(p), nil
}

// ConnectOpen adds a FHIR server that needs no sign-in (a test server, a
// practice's open sandbox) for the chart patientID, after checking that
// the server answers for that patient. Connecting again to the same chart
// keeps the one profile. label "" names it from the patient.
func (a *App) ConnectOpen(ctx context.Context, fhirBase, patientID, label string) (ProfileInfo, error) {
	base, err := NormalizeAddress(fhirBase)
	if err != nil {
		return ProfileInfo{}, err
	}
	if patientID == "" {
		return ProfileInfo{}, fmt.Errorf("%w: an open server needs the patient's id", ErrInvalidInput)
	}
	c, err := fhirapi.New(base, clientOptions)
	if err != nil {
		return ProfileInfo{}, fmt.Errorf("%w: %w", ErrBadAddress, err)
	}
	// Read the patient before keeping a profile that could never sync.
	resp, err := c.Get(ctx, "Patient/"+url.PathEscape(patientID), nil)
	switch {
	case errors.Is(err, fhirapi.ErrNetwork):
		return ProfileInfo{}, fmt.Errorf("%w: %w", ErrUnreachable, err)
	case err != nil:
		return ProfileInfo{}, fmt.Errorf("read the patient: %w", err)
	}
	p, err := a.profileFor(ctx, base, patientID, "")
	if err != nil {
		return ProfileInfo{}, err
	}
	if p.Settings == nil {
		p.Settings = map[string]string{}
	}
	p.Settings[settingAuth] = "none"
	p.Settings[settingSelf] = "true"
	delete(p.Settings, settingNeedsLogin)
	delete(p.Settings, settingEnded)
	p.Label = label
	if p.Label == "" {
		p.Label = patientName(resp.Body)
	}
	if p.Label == "" {
		p.Label = "Patient"
	}
	if err := a.store.UpdateProfile(ctx, p); err != nil {
		return ProfileInfo{}, fmt.Errorf("connect: %w", err)
	}
	a.bus.Publish(ProfilesChanged{})
	return profileInfo(p), nil
}

// relabel names a profile label.
func (a *App) relabel(ctx context.Context, p storage.Profile, label string) (storage.Profile, error) {
	p.Label = label
	if err := a.store.UpdateProfile(ctx, p); err != nil {
		return p, fmt.Errorf("connect: %w", err)
	}
	a.bus.Publish(ProfilesChanged{})
	return p, nil
}

// signIn runs the SMART sign-in of cfg (FHIRBase, OpenBrowser, Enroll)
// and saves the grant into a new or existing profile.
func (a *App) signIn(ctx context.Context, cfg smart.Config) (storage.Profile, error) {
	grant, err := a.grant(ctx, cfg)
	if err != nil {
		return storage.Profile{}, err
	}
	p, err := a.profileFor(ctx, cfg.FHIRBase, grant.PatientID, idTokenFHIRUser(grant))
	if err != nil {
		return storage.Profile{}, err
	}
	return a.keepGrant(ctx, p, grant)
}

// keepGrant saves a sign-in's tokens in profile p, whose record the
// sign-in opened, and renames p after a first look at the patient.
func (a *App) keepGrant(ctx context.Context, p storage.Profile, grant *smart.Grant) (storage.Profile, error) {
	if err := smart.SaveGrant(ctx, a.store, p.ID, grant); err != nil {
		return storage.Profile{}, fmt.Errorf("sign in: save tokens: %w", err)
	}
	p, err := a.store.Profile(ctx, p.ID) // SaveGrant may have changed settings
	if err != nil {
		return storage.Profile{}, fmt.Errorf("sign in: %w", err)
	}
	// A first look at the patient (and at whoever signed in for them)
	// names the profile, the relationship and the practice; the sync
	// fetches everything else. Without it the profile keeps its old label.
	if p.Settings == nil {
		p.Settings = map[string]string{}
	}
	a.describe(ctx, &p, grant)
	delete(p.Settings, settingEnded)
	p.Settings[settingTermsURL], p.Settings[settingPrivacyURL] = grant.TermsURL, grant.PolicyURL
	if err := a.store.UpdateProfile(ctx, p); err != nil {
		return storage.Profile{}, fmt.Errorf("sign in: %w", err)
	}
	a.audit(ctx, storage.AuditSignIn, p.ID, "")
	a.bus.Publish(ProfilesChanged{})
	return p, nil
}

// grant runs the SMART sign-in of cfg with the app's HTTP policy and
// scopes, naming a cancelled sign-in and a server without SMART.
func (a *App) grant(ctx context.Context, cfg smart.Config) (*smart.Grant, error) {
	cfg.HTTPClient = httpClient
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = signInScopes(ctx, cfg.FHIRBase)
	}
	grant, err := smart.SignIn(ctx, cfg)
	switch {
	case errors.Is(err, smart.ErrSignInCancelled):
		return nil, fmt.Errorf("%w: %w", ErrCancelled, err)
	case errors.Is(err, smart.ErrNoEndpoints):
		return nil, fmt.Errorf("%w: %w", ErrNoSignIn, err)
	case err != nil:
		return nil, fmt.Errorf("sign in: %w", err)
	}
	return grant, nil
}

// profileFor finds the profile of (base, patientID) signed in by fhirUser
// or creates it: the patient's own profile and a caregiver's of the same
// record, on one device, are two profiles with their own access ("" on
// either side matches, as profiles made before fhirUser was kept).
func (a *App) profileFor(ctx context.Context, base, patientID, fhirUser string) (storage.Profile, error) {
	profiles, err := a.store.Profiles(ctx)
	if err != nil {
		return storage.Profile{}, fmt.Errorf("profiles: %w", err)
	}
	for _, p := range profiles {
		if sameRecord(p, base, patientID, fhirUser) {
			return p, nil
		}
	}
	// A record with a lock of its own, closed now, is the same record: its
	// sign-in can be saved only once it is open, and a second, unlocked
	// copy of it would undo its lock.
	closed, err := a.store.LockedProfiles(ctx)
	if err != nil {
		return storage.Profile{}, fmt.Errorf("profiles: %w", err)
	}
	for _, c := range closed {
		if sameRecord(storage.Profile{PracticeURL: c.PracticeURL, PatientID: c.PatientID, Settings: c.Settings}, base, patientID, fhirUser) {
			return storage.Profile{}, fmt.Errorf("sign in: %w", ErrProfileClosed)
		}
	}
	p, err := a.store.CreateProfile(ctx, storage.Profile{
		PracticeURL: base, PatientID: patientID, Label: "Patient",
		Settings: map[string]string{settingAuth: "smart"},
	})
	if err != nil {
		return storage.Profile{}, fmt.Errorf("create profile: %w", err)
	}
	return p, nil
}

// sameRecord reports whether a sign-in at base that opened patientID for
// fhirUser is profile p's: the same practice and patient, signed in by the
// same person ("" on either side matches, as profiles made before
// fhirUser was kept).
func sameRecord(p storage.Profile, base, patientID, fhirUser string) bool {
	user := p.Settings[settingFHIRUser]
	return p.PracticeURL == base && p.PatientID == patientID && (user == "" || fhirUser == "" || user == fhirUser)
}

// client returns a FHIR client for a profile, with its tokens when signed.
// It retries less than the library's default: a patient is waiting, and an
// unreachable practice should turn into the offline banner within seconds.
// clientOptions are the retry settings of the app's FHIR clients; tests
// that inject many faults shorten the waits.
var clientOptions = fhirapi.Options{MaxAttempts: 3, MinBackoff: 300 * time.Millisecond, MaxBackoff: 3 * time.Second}

func (a *App) client(profileID, base string, signed bool) (*fhirapi.Client, error) {
	opts := clientOptions
	if signed {
		opts.Token = smart.NewTokenSource(a.store, profileID, httpClient)
	}
	return fhirapi.New(base, opts)
}

// patientName returns "Given Family" of a Patient's official (or first)
// name, or "" when it has none.
func patientName(raw []byte) string {
	var p struct {
		Name []struct {
			Use    string   `json:"use"`
			Text   string   `json:"text"`
			Given  []string `json:"given"`
			Family string   `json:"family"`
		} `json:"name"`
	}
	if json.Unmarshal(raw, &p) != nil || len(p.Name) == 0 {
		return ""
	}
	n := p.Name[0]
	for _, c := range p.Name {
		if c.Use == "official" || c.Use == "usual" {
			n = c
			break
		}
	}
	if n.Text != "" {
		return n.Text
	}
	parts := append([]string{}, n.Given...)
	if n.Family != "" {
		parts = append(parts, n.Family)
	}
	return strings.Join(parts, " ")
}

// SignInAgain renews a profile's access after the practice refused it: the
// demo practice signs its patient in again by itself; a real practice's
// sign-in page opens in the browser. What the patient wrote and the cached
// record stay as they are. Only a sign-in that opens this profile's own
// record is kept: one that opens another record keeps nothing of it (no
// tokens, no new profile), since nobody asked for that record on this
// device. For a patient (another login on a shared computer) that is
// ErrOtherRecord, and this profile still needs sign-in. For a parent or
// caregiver it means the practice ended that access: the profile is closed
// and kept for the user to see (ErrAccessEnded).
func (a *App) SignInAgain(ctx context.Context, profileID string) error {
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return fmt.Errorf("sign in again: %w", err)
	}
	if p.Settings[settingDemo] == "true" {
		_, err := a.resignDemo(ctx, p)
		return err
	}
	if a.cfg.OpenBrowser == nil {
		return errors.New("sign in again: no way to open a browser")
	}
	return a.renew(ctx, p, smart.Config{FHIRBase: p.PracticeURL, OpenBrowser: a.cfg.OpenBrowser}, false)
}

// renew signs profile p in again with cfg (see SignInAgain) and tells what
// the new sign-in says of p: nil when it opened p's record (its tokens are
// saved), the sign-in's error when it failed. A parent's or caregiver's
// sign-in that the practice completed for another record (its picker no
// longer offers this patient) means the practice ended the access: p is
// closed and ErrAccessEnded returned. refusalEnds says that a refused
// sign-in (access_denied) is the practice's word too, not the user's:
// only where nobody could decline (the demo signs in by itself).
func (a *App) renew(ctx context.Context, p storage.Profile, cfg smart.Config, refusalEnds bool) error {
	grant, err := a.grant(ctx, cfg)
	if err == nil && sameRecord(p, cfg.FHIRBase, grant.PatientID, idTokenFHIRUser(grant)) {
		_, err := a.keepGrant(ctx, p, grant)
		return err
	}
	switch {
	case !isProxy(p) && err == nil:
		return fmt.Errorf("sign in again: %w", ErrOtherRecord)
	case !isProxy(p):
		return err
	case err == nil, refusalEnds && errors.Is(err, ErrCancelled):
		return fmt.Errorf("sign in again: %w", a.accessEnded(ctx, p.ID))
	default:
		return err
	}
}
