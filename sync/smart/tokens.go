package smart

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
)

// ErrNeedsSignIn means the profile's authorization is gone (refresh refused
// with invalid_grant, or no usable token is stored): the patient must sign
// in again. The profile is marked with Settings["needs_sign_in"] = "true".
var ErrNeedsSignIn = errors.New("smart: sign-in needed")

// Setting keys on storage.Profile.Settings used by sync.
const (
	// SettingAuth is "smart" (default) or "none" for open servers.
	SettingAuth = "auth"
	// SettingNeedsSignIn is "true" once a refresh was refused.
	SettingNeedsSignIn = "needs_sign_in"
	// SettingClientID overrides DefaultClientID.
	SettingClientID = "client_id"
)

// SecretToken is the secret name under which a profile's tokens are stored.
const SecretToken = "smart.token"

// refreshSkew is how long before expiry a token is refreshed, so a request
// never leaves with a token about to die in flight.
const refreshSkew = time.Minute

// Store is the part of *storage.Store this package uses.
type Store interface {
	PutSecret(ctx context.Context, profileID, name string, value []byte) error
	Secret(ctx context.Context, profileID, name string) ([]byte, error)
	Profile(ctx context.Context, id string) (storage.Profile, error)
	UpdateProfile(ctx context.Context, p storage.Profile) error
}

// ProcessLocker is the lock that *storage.Store offers (ProcessLock): one
// holder at a time among all processes using the same data folder. A
// Store that offers it gets refreshes serialized across processes too:
// the app and a scheduled carebook-cli sync never spend one rotated
// refresh token twice (the practice would revoke the sign-in).
type ProcessLocker interface {
	ProcessLock(ctx context.Context, name string) (unlock func(), err error)
}

// secretWriters is what *storage.Store offers to save a secret after a
// lock (storage.SecretWriter): a Store that offers it keeps the tokens of
// a refresh that ends after the app locked.
type secretWriters interface {
	SecretWriter(ctx context.Context, profileID, name string) (*storage.SecretWriter, error)
}

// savedToken is the sealed secret: everything a refresh needs.
type savedToken struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	TokenType    string    `json:"token_type,omitempty"`
	Expiry       time.Time `json:"expiry"`
	Scope        string    `json:"scope,omitempty"`
	Patient      string    `json:"patient"`
	TokenURL     string    `json:"token_url"`
	ClientID     string    `json:"client_id"`
	FHIRBase     string    `json:"fhir_base"`
}

// SaveGrant stores a fresh grant's tokens and patient id in the profile's
// secrets and clears its needs-sign-in mark.
func SaveGrant(ctx context.Context, st Store, profileID string, g *Grant) error {
	s := savedToken{
		AccessToken: g.Token.AccessToken, RefreshToken: g.Token.RefreshToken, TokenType: g.Token.TokenType,
		Expiry: g.Token.Expiry, Scope: g.Scope, Patient: g.PatientID,
		TokenURL: g.TokenURL, ClientID: g.ClientID, FHIRBase: g.FHIRBase,
	}
	if err := putSaved(ctx, st, profileID, s); err != nil {
		return err
	}
	forget(st, profileID)
	p, err := st.Profile(ctx, profileID)
	if err != nil {
		return fmt.Errorf("smart: save grant: %w", err)
	}
	if p.Settings[SettingNeedsSignIn] != "" {
		delete(p.Settings, SettingNeedsSignIn)
		if err := st.UpdateProfile(ctx, p); err != nil {
			return fmt.Errorf("smart: save grant: %w", err)
		}
	}
	return nil
}

// PatientID returns the patient id stored with the profile's tokens.
func PatientID(ctx context.Context, st Store, profileID string) (string, error) {
	s, err := loadSaved(ctx, st, profileID)
	if err != nil {
		return "", err
	}
	return s.Patient, nil
}

func putSaved(ctx context.Context, st Store, profileID string, s savedToken) error {
	return putSavedWith(ctx, func(ctx context.Context, b []byte) error { return st.PutSecret(ctx, profileID, SecretToken, b) }, s)
}

// putSavedWith stores s with put (a Store's PutSecret of the token, or a
// SecretWriter's Put).
func putSavedWith(ctx context.Context, put func(context.Context, []byte) error, s savedToken) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("smart: encode token: %w", err)
	}
	if err := put(ctx, b); err != nil {
		return fmt.Errorf("smart: save token: %w", err)
	}
	return nil
}

func loadSaved(ctx context.Context, st Store, profileID string) (savedToken, error) {
	var s savedToken
	b, err := st.Secret(ctx, profileID, SecretToken)
	if errors.Is(err, storage.ErrNotFound) {
		return s, ErrNeedsSignIn
	}
	if err != nil {
		return s, fmt.Errorf("smart: load token: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("smart: stored token unreadable: %w", ErrNeedsSignIn)
	}
	return s, nil
}

// TokenSource hands out a profile's access token, refreshing it shortly
// before expiry. It implements fhirapi.TokenSource.
type TokenSource struct {
	st        Store
	profileID string
	hc        *http.Client
	now       func() time.Time

	// sem is a one-slot lock that a waiting caller can abandon when its
	// context ends; it guards cur and refreshes.
	sem       chan struct{}
	cur       *savedToken
	refused   string // the access token the server refused last
	refreshes int
}

var _ fhirapi.TokenSource = (*TokenSource)(nil)

// sources holds one TokenSource per store and profile, so that every
// client of a profile in this process shares one refresh: two sources
// refreshing at once would spend a rotated refresh token twice, and the
// server would answer the second with invalid_grant.
var sources sync.Map // sourceKey -> *TokenSource

type sourceKey struct {
	st        Store
	profileID string
}

// NewTokenSource returns the token source of a profile: the same one for
// every call with the same store and profile. hc carries refresh requests
// (nil: fhirapi.NewTokenHTTPClient), always with a timeout and redirects
// only within the token endpoint's origin; only the first call's hc is
// used. Tokens are read lazily.
func NewTokenSource(st Store, profileID string, hc *http.Client) *TokenSource {
	hc = fhirapi.WithPolicy(hc, fhirapi.SameOriginRedirect)
	ts := &TokenSource{st: st, profileID: profileID, hc: hc, now: time.Now, sem: make(chan struct{}, 1)}
	got, _ := sources.LoadOrStore(sourceKey{st, profileID}, ts)
	return got.(*TokenSource)
}

// forget drops the in-memory token of the profile's source (after a new
// sign-in stored fresh tokens).
func forget(st Store, profileID string) {
	if v, ok := sources.Load(sourceKey{st, profileID}); ok {
		ts := v.(*TokenSource)
		ts.sem <- struct{}{}
		ts.cur = nil
		ts.unlock()
	}
}

// ForgetStore drops the in-memory tokens of every profile's source on st
// and the sources themselves: called when st is locked, so that no access
// or refresh token stays reachable in memory while the keys are gone. A
// later NewTokenSource reads the tokens from st again (after unlock). It
// does not wait for a refresh under way (a lock must not wait for the
// network): that refresh saves the rotated tokens when the answer comes
// (the server spent the old refresh token), through the SecretWriter it
// took before asking when st offers one, then finds st locked and keeps
// and hands out nothing. Until then, bounded by the refresh's timeout, it
// holds the tokens and that writer's key copy. Closing st waits for that
// writer: a refresh whose request has left is answered and saved, one
// that has not is abandoned (see refreshContext).
func ForgetStore(st Store) {
	sources.Range(func(k, v any) bool {
		if k.(sourceKey).st != st {
			return true
		}
		sources.Delete(k)
		ts := v.(*TokenSource)
		select {
		case ts.sem <- struct{}{}:
			ts.cur = nil
			ts.unlock()
		default: // a refresh is under way: see AccessToken
		}
		return true
	})
}

// lockedStore is what *storage.Store reports about its keys.
type lockedStore interface{ Locked() bool }

func (ts *TokenSource) lock(ctx context.Context) error {
	select {
	case ts.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (ts *TokenSource) unlock() { <-ts.sem }

// AccessToken returns a token valid for at least about a minute. When a
// refresh is needed, exactly one caller performs it while the others wait;
// the new tokens are saved before any caller gets the new access token. A
// refused refresh marks the profile as needing sign-in and returns
// ErrNeedsSignIn.
func (ts *TokenSource) AccessToken(ctx context.Context) (string, error) {
	if err := ts.lock(ctx); err != nil {
		return "", err
	}
	defer ts.unlock()
	// A locked store hands out no token, not even one still in memory
	// (a source kept from before the lock).
	if ls, ok := ts.st.(lockedStore); ok && ls.Locked() {
		ts.cur = nil
		return "", fmt.Errorf("smart: access token: %w", storage.ErrLocked)
	}
	if ts.cur == nil {
		s, err := loadSaved(ctx, ts.st, ts.profileID)
		if errors.Is(err, ErrNeedsSignIn) {
			return "", ts.markNeedsSignIn(ctx)
		}
		if err != nil {
			return "", err
		}
		ts.cur = &s
	}
	if ts.usable(ts.cur) {
		return ts.cur.AccessToken, nil
	}
	if ts.cur.RefreshToken == "" {
		return "", ts.markNeedsSignIn(ctx)
	}
	err := ts.refreshShared(ctx)
	if ls, ok := ts.st.(lockedStore); ok && ls.Locked() {
		// Locked during the refresh (ForgetStore did not wait for it): the
		// rotated tokens are saved, and nothing stays in memory.
		ts.cur = nil
		return "", fmt.Errorf("smart: access token: %w", storage.ErrLocked)
	}
	if err != nil {
		return "", err
	}
	return ts.cur.AccessToken, nil
}

// usable reports whether s holds an access token valid for at least
// refreshSkew that the server has not refused.
func (ts *TokenSource) usable(s *savedToken) bool {
	return s.AccessToken != "" && s.AccessToken != ts.refused &&
		(s.Expiry.IsZero() || ts.now().Add(refreshSkew).Before(s.Expiry))
}

// refreshShared refreshes under the data folder's process lock, when the
// store offers one: after taking it, the newest stored tokens are read
// again, since another process may have refreshed meanwhile (and spent
// the refresh token this one holds). Their access token is used when it is
// still good; otherwise their refresh token is. It runs with ts's lock
// held.
func (ts *TokenSource) refreshShared(ctx context.Context) error {
	pl, ok := ts.st.(ProcessLocker)
	if !ok {
		return ts.refresh(ctx)
	}
	unlock, err := pl.ProcessLock(ctx, "token-"+ts.profileID)
	if err != nil {
		return fmt.Errorf("smart: refresh: %w", err)
	}
	defer unlock()
	s, err := loadSaved(ctx, ts.st, ts.profileID)
	if errors.Is(err, ErrNeedsSignIn) {
		return ts.markNeedsSignIn(ctx)
	}
	if err != nil {
		return err
	}
	ts.cur = &s
	if ts.usable(&s) {
		return nil
	}
	if s.RefreshToken == "" {
		return ts.markNeedsSignIn(ctx)
	}
	return ts.refresh(ctx)
}

// Refused marks token as unusable: the next AccessToken refreshes.
func (ts *TokenSource) Refused(token string) {
	ts.sem <- struct{}{}
	defer ts.unlock()
	if ts.cur != nil && ts.cur.AccessToken == token {
		ts.cur.AccessToken = ""
	}
	ts.refused = token
}

// Refreshes returns how many refresh requests this source has made.
func (ts *TokenSource) Refreshes() int {
	ts.sem <- struct{}{}
	defer ts.unlock()
	return ts.refreshes
}

// refresh runs with the lock held.
func (ts *TokenSource) refresh(ctx context.Context) error {
	conf := &oauth2.Config{
		ClientID: ts.cur.ClientID,
		Endpoint: oauth2.Endpoint{TokenURL: ts.cur.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
	}
	// The writer is taken before asking: once the server answers, the old
	// refresh token is spent, and the new one must be saved even if the
	// app was locked meanwhile.
	save := func(ctx context.Context, s savedToken) error { return putSaved(ctx, ts.st, ts.profileID, s) }
	var closing <-chan struct{} // nil: a store that never closes under a refresh
	if sw, ok := ts.st.(secretWriters); ok {
		w, err := sw.SecretWriter(ctx, ts.profileID, SecretToken)
		if err != nil {
			return fmt.Errorf("smart: refresh: %w", err)
		}
		defer w.Close()
		save = func(ctx context.Context, s savedToken) error { return putSavedWith(ctx, w.Put, s) }
		closing = w.Closing()
	}
	ts.refreshes++
	old := &oauth2.Token{RefreshToken: ts.cur.RefreshToken, Expiry: time.Unix(1, 0)}
	rctx, stop := refreshContext(ctx, closing)
	tok, err := conf.TokenSource(context.WithValue(rctx, oauth2.HTTPClient, ts.hc), old).Token()
	stop()
	if err != nil {
		err = classifyTokenError(err)
		if errors.Is(err, ErrNeedsSignIn) {
			return ts.markNeedsSignIn(ctx)
		}
		return fmt.Errorf("smart: refresh: %w", err)
	}
	if !validToken(tok.AccessToken) || (tok.RefreshToken != "" && !validToken(tok.RefreshToken)) {
		return fmt.Errorf("smart: refresh: %w: the token endpoint sent a malformed token", fhirapi.ErrBadResponse)
	}
	next := *ts.cur
	next.AccessToken, next.TokenType, next.Expiry = tok.AccessToken, tok.TokenType, tok.Expiry
	if tok.RefreshToken != "" { // the server rotated it
		next.RefreshToken = tok.RefreshToken
	}
	if scope, ok := tok.Extra("scope").(string); ok && scope != "" {
		next.Scope = scope
	}
	// Save first: if the process dies after the server rotated the refresh
	// token, the stored one must be the new one. The server has spent the
	// old refresh token by now, so the save must not be abandoned because
	// the caller's context ended or the app locked meanwhile.
	if err := save(context.WithoutCancel(ctx), next); err != nil {
		return err
	}
	ts.cur = &next
	return nil
}

// answerWait bounds the wait for the answer to a refresh request that
// has left, once its caller gave up, when neither the caller's deadline
// nor the client's timeout ends it sooner. quitWait bounds it once the
// store began to close (the app quits, its window gone): a token endpoint
// answers within a second or so, and one that has not answered by then
// may cost a new sign-in, but must not keep the process, and the cache's
// lock, from ending.
var answerWait, quitWait = 30 * time.Second, 3 * time.Second

// refreshContext returns the context of a refresh request. Until the
// request has all left, it ends with ctx or when closing is closed (the
// store closes: the app quits): the server cannot have spent the refresh
// token yet. After that the server may have rotated it, so a cancel of
// ctx or the store's closing no longer ends the request at once: its
// answer is awaited, for at most answerWait, or quitWait from the
// store's closing, and ctx's deadline (the request's own timeout) still
// holds. stop releases it once the request is over.
func refreshContext(ctx context.Context, closing <-chan struct{}) (rctx context.Context, stop func()) {
	base, cancel := context.WithCancel(context.WithoutCancel(ctx))
	rctx, cancelDeadline := base, context.CancelFunc(func() {})
	if dl, ok := ctx.Deadline(); ok {
		rctx, cancelDeadline = context.WithDeadline(base, dl)
	}
	var mu sync.Mutex
	sent := false
	rctx = httptrace.WithClientTrace(rctx, &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			mu.Lock()
			defer mu.Unlock()
			sent = sent || info.Err == nil
		},
	})
	over := make(chan struct{})
	go func() {
		select {
		case <-over:
			return
		case <-ctx.Done():
		case <-closing:
		}
		mu.Lock()
		left := sent
		mu.Unlock()
		if !left {
			cancel()
			return
		}
		timer := time.NewTimer(answerWait)
		defer timer.Stop()
		for {
			select {
			case <-over:
				return
			case <-closing:
				closing = nil // once
				timer.Reset(quitWait)
			case <-timer.C:
				cancel()
				return
			}
		}
	}()
	return rctx, func() {
		close(over)
		cancelDeadline()
		cancel()
	}
}

// validToken reports whether a token is usable as is in a header and in
// storage: 1 to 4096 visible ASCII characters (RFC 6749 appendix A).
func validToken(tok string) bool {
	if tok == "" || len(tok) > 4096 {
		return false
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] < 0x20 || tok[i] > 0x7e {
			return false
		}
	}
	return true
}

// markNeedsSignIn flags the profile and returns ErrNeedsSignIn (or the
// error from saving the flag, wrapping ErrNeedsSignIn).
func (ts *TokenSource) markNeedsSignIn(ctx context.Context) error {
	p, err := ts.st.Profile(ctx, ts.profileID)
	if err != nil {
		return fmt.Errorf("%w (marking the profile failed: %v)", ErrNeedsSignIn, err)
	}
	if p.Settings == nil {
		p.Settings = map[string]string{}
	}
	if p.Settings[SettingNeedsSignIn] != "true" {
		p.Settings[SettingNeedsSignIn] = "true"
		if err := ts.st.UpdateProfile(ctx, p); err != nil {
			return fmt.Errorf("%w (marking the profile failed: %v)", ErrNeedsSignIn, err)
		}
	}
	return ErrNeedsSignIn
}
