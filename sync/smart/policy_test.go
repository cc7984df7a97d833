package smart

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
)

// clearTextHost is a host name the test clients resolve to a plain-http
// test server: not loopback by name, so the HTTP policy must treat it as
// any server on the network.
const clearTextHost = "clear.example"

// clearText is a plain-http server reached as http://clear.example, which
// counts what it is asked and answers like a friendly SMART server would:
// without the policy, following a redirect to it succeeds.
type clearText struct {
	*httptest.Server
	hits atomic.Int32
}

func newClearText(t *testing.T) *clearText {
	c := &clearText{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/fhir/.well-known/smart-configuration":
			fmt.Fprint(w, `{"authorization_endpoint":"https://auth.example/authorize","token_endpoint":"https://auth.example/token"}`)
		case "/token":
			fmt.Fprint(w, `{"access_token":"stolen","refresh_token":"stolen","token_type":"Bearer","expires_in":3600}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(c.Close)
	return c
}

// clientFor returns an HTTP client that trusts the TLS test servers and
// dials clear.example:80 to the clear-text server. Its CheckRedirect is
// left unset, as a careless caller would leave it.
func clientFor(tlsSrv *httptest.Server, clear *clearText) *http.Client {
	tr := tlsSrv.Client().Transport.(*http.Transport).Clone()
	addr := clear.Listener.Addr().String()
	dial := (&net.Dialer{}).DialContext
	tr.DialContext = func(ctx context.Context, network, host string) (net.Conn, error) {
		if host == clearTextHost+":80" {
			host = addr
		}
		return dial(ctx, network, host)
	}
	return &http.Client{Transport: tr}
}

// TestRedirectToClearTextRefused: discovery and the token endpoint never
// follow an https → http redirect (to a host that is not loopback), and a
// token call never follows a redirect to another origin: the clear-text or
// foreign server is never contacted, nothing it would answer is used.
func TestRedirectToClearTextRefused(t *testing.T) {
	clear := newClearText(t)
	var otherHits atomic.Int32
	other := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherHits.Add(1)
		fmt.Fprint(w, `{"access_token":"stolen","refresh_token":"stolen","token_type":"Bearer","expires_in":3600}`)
	}))
	defer other.Close()

	tests := []struct {
		name    string
		target  string // where the https server redirects with a 307
		refresh bool   // the redirect comes from the token endpoint, else from discovery
		want    error
	}{
		{"discovery to http", "http://" + clearTextHost + "/fhir/.well-known/smart-configuration", false, fhirapi.ErrInsecure},
		{"token endpoint to http", "http://" + clearTextHost + "/token", true, fhirapi.ErrInsecure},
		{"token endpoint to another origin", other.URL + "/token", true, fhirapi.ErrRedirectRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clear.hits.Store(0)
			otherHits.Store(0)
			srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				http.Redirect(w, r, tt.target, http.StatusTemporaryRedirect)
			}))
			defer srv.Close()
			hc := clientFor(srv, clear)
			var err error
			if tt.refresh {
				st := newMemStore()
				putSaved(context.Background(), st, "p1", savedToken{AccessToken: "A0", RefreshToken: "R0",
					Expiry: time.Now().Add(-time.Hour), TokenURL: srv.URL + "/token", ClientID: "carebook", FHIRBase: srv.URL + "/fhir"})
				var tok string
				tok, err = NewTokenSource(st, "p1", hc).AccessToken(context.Background())
				if tok != "" {
					t.Errorf("got token %q", tok)
				}
				if s := st.saved(t); s.RefreshToken != "R0" {
					t.Errorf("saved refresh token = %q, want R0 kept", s.RefreshToken)
				}
			} else {
				var ep Endpoints
				ep, err = Discover(context.Background(), hc, srv.URL+"/fhir")
				if ep.TokenURL != "" {
					t.Errorf("discovered %+v", ep)
				}
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if n := clear.hits.Load() + otherHits.Load(); n != 0 {
				t.Errorf("the redirect target was contacted %d times", n)
			}
		})
	}
}

// TestHangingTokenEndpointTimesOut: a token endpoint that accepts the
// refresh and never answers fails the FHIR request within the client's
// per-request timeout instead of hanging the sync.
func TestHangingTokenEndpointTimesOut(t *testing.T) {
	release := make(chan struct{})
	tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer tokenSrv.Close()
	defer close(release)
	fhirSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"resourceType":"Patient","id":"pat-1"}`)
	}))
	defer fhirSrv.Close()

	st := newMemStore()
	putSaved(context.Background(), st, "p1", savedToken{AccessToken: "A0", RefreshToken: "R0",
		Expiry: time.Now().Add(-time.Hour), TokenURL: tokenSrv.URL + "/token", ClientID: "carebook", FHIRBase: fhirSrv.URL})
	// A client without a timeout of its own, as the CLI passed before.
	ts := NewTokenSource(st, "p1", &http.Client{})
	c, err := fhirapi.New(fhirSrv.URL, fhirapi.Options{Token: ts, RequestTimeout: 300 * time.Millisecond, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.Get(context.Background(), "Patient/pat-1", nil)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, fhirapi.ErrAccessToken) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want a token failure by the request's deadline", err)
		}
	case <-time.After(time.Minute): // a guard against hanging, not a speed target
		t.Fatal("the request hung on the token endpoint")
	}
	if s := st.saved(t); s.RefreshToken != "R0" {
		t.Fatalf("saved refresh token = %q", s.RefreshToken)
	}
}

// openStoreIn opens the real store in dir, closed at the test's end.
func openStoreIn(t *testing.T, dir string) *storage.Store {
	t.Helper()
	st, err := storage.Open(dir, storage.Options{NoKeyring: true, KDF: &storage.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// newTokenStore sets up a store in dir with a passphrase and one profile
// of the practice at base (its FHIR base URL) whose tokens are saved.
func newTokenStore(t *testing.T, dir, base string, saved savedToken) (*storage.Store, storage.Profile) {
	t.Helper()
	ctx := context.Background()
	st := openStoreIn(t, dir)
	if err := st.Setup(ctx, "test passphrase"); err != nil {
		t.Fatal(err)
	}
	p, err := st.CreateProfile(ctx, storage.Profile{PracticeURL: base, PatientID: "pat-1", Label: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if err := putSaved(ctx, st, p.ID, saved); err != nil {
		t.Fatal(err)
	}
	return st, p
}

// TestRefreshRereadsAfterLock: two token sources on two Stores of one data
// folder (as in two processes) whose in-memory tokens have expired: the
// first refreshes; the second, after taking the folder's lock, finds the
// newer tokens stored and uses them instead of spending the refresh token
// that the first already rotated.
func TestRefreshRereadsAfterLock(t *testing.T) {
	a := newAuthServer(t)
	ctx := context.Background()
	dir := t.TempDir()
	st1, p := newTokenStore(t, dir, a.URL+"/fhir", savedFor(a, "A0", "R0", time.Now().Add(-time.Hour)))
	st2 := openStoreIn(t, dir)
	if err := st2.UnlockWithPassphrase(ctx, "test passphrase"); err != nil {
		t.Fatal(err)
	}
	first, second := NewTokenSource(st1, p.ID, nil), NewTokenSource(st2, p.ID, nil)
	// The second reads the expired tokens into memory first.
	second.sem <- struct{}{}
	s, err := loadSaved(ctx, st2, p.ID)
	second.cur = &s
	second.unlock()
	if err != nil {
		t.Fatal(err)
	}

	tok1, err := first.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tok2, err := second.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tok1 != "A2" || tok2 != tok1 {
		t.Fatalf("tokens %q and %q, want both A2", tok1, tok2)
	}
	if n := a.refreshes.Load(); n != 1 {
		t.Fatalf("%d refreshes, want 1 (the second spent a rotated refresh token)", n)
	}
}

// TestLockDropsTokens: once the store is locked, a token source hands out
// nothing, not even the access token it holds in memory; ForgetStore
// drops the sources of the store, and after unlock a new source reads the
// tokens again.
func TestLockDropsTokens(t *testing.T) {
	ctx := context.Background()
	st, p := newTokenStore(t, t.TempDir(), "https://ehr.example/fhir", savedToken{AccessToken: "A0", RefreshToken: "R0", Expiry: time.Now().Add(time.Hour)})
	ts := NewTokenSource(st, p.ID, nil)
	if tok, err := ts.AccessToken(ctx); err != nil || tok != "A0" {
		t.Fatalf("unlocked: %q, %v", tok, err)
	}
	st.Lock()
	if tok, err := ts.AccessToken(ctx); !errors.Is(err, storage.ErrLocked) || tok != "" {
		t.Fatalf("locked: %q, %v; want ErrLocked", tok, err)
	}
	ForgetStore(st)
	ts.sem <- struct{}{}
	held := ts.cur
	ts.unlock()
	if held != nil {
		t.Fatal("the source still holds the tokens after ForgetStore")
	}
	if NewTokenSource(st, p.ID, nil) == ts {
		t.Fatal("ForgetStore kept the source")
	}
	if err := st.UnlockWithPassphrase(ctx, "test passphrase"); err != nil {
		t.Fatal(err)
	}
	if tok, err := NewTokenSource(st, p.ID, nil).AccessToken(ctx); err != nil || tok != "A0" {
		t.Fatalf("after unlock: %q, %v", tok, err)
	}
}

// TestLockDoesNotWaitForARefresh: ForgetStore (the lock button) returns
// while a refresh is still waiting for the token endpoint; that refresh
// then hands out no token and keeps none, but saves the rotated tokens
// (the server spent the old refresh token): after unlock they are used,
// without another refresh.
func TestLockDoesNotWaitForARefresh(t *testing.T) {
	a := newAuthServer(t)
	a.refreshDelay = 2 * time.Second
	ctx := context.Background()
	st, p := newTokenStore(t, t.TempDir(), a.URL+"/fhir", savedFor(a, "A0", "R0", time.Now().Add(-time.Hour)))
	ts := NewTokenSource(st, p.ID, nil)
	type result struct {
		tok string
		err error
	}
	done := make(chan result, 1)
	go func() {
		tok, err := ts.AccessToken(ctx)
		done <- result{tok, err}
	}()
	for a.refreshes.Load() == 0 {
		time.Sleep(5 * time.Millisecond) // until the refresh waits for the endpoint
	}
	st.Lock()
	ForgetStore(st)
	select {
	case r := <-done:
		t.Fatalf("ForgetStore returned after the refresh ended (%q, %v): it waited for the network", r.tok, r.err)
	default:
	}
	r := <-done
	if r.tok != "" || !errors.Is(r.err, storage.ErrLocked) {
		t.Fatalf("the refresh ended by the lock gave %q, %v; want no token and ErrLocked", r.tok, r.err)
	}
	ts.sem <- struct{}{}
	held := ts.cur
	ts.unlock()
	if held != nil {
		t.Fatal("the source keeps tokens after the lock")
	}
	if err := st.UnlockWithPassphrase(ctx, "test passphrase"); err != nil {
		t.Fatal(err)
	}
	if tok, err := NewTokenSource(st, p.ID, nil).AccessToken(ctx); err != nil || tok != "A2" {
		t.Fatalf("after unlock: %q, %v; want the rotated A2", tok, err)
	}
	if saved, err := loadSaved(ctx, st, p.ID); err != nil || saved.RefreshToken != "R2" {
		t.Fatalf("saved refresh token %q, %v; want the rotated R2", saved.RefreshToken, err)
	}
	if n := a.refreshes.Load(); n != 1 {
		t.Fatalf("%d refreshes, want 1", n)
	}
}

// TestRefreshThatLeftIsAnswered: a refresh request that has left may have
// spent the refresh token, so its answer is awaited and the rotated
// tokens saved although its caller gave up (the background sync stopped)
// or the store closed (the app quit) meanwhile; Close waits for it. A
// request that could not leave (no connection: a dead network) is
// abandoned at once, and the stored tokens stay as they were.
func TestRefreshThatLeftIsAnswered(t *testing.T) {
	const answerDelay = 1500 * time.Millisecond
	for _, tc := range []struct {
		name string
		// deadNetwork: no connection is ever made; otherwise the token
		// endpoint answers after answerDelay.
		deadNetwork bool
		// closeStore closes the store instead of cancelling the caller.
		closeStore  bool
		wantRefresh string
	}{
		{name: "caller gave up", wantRefresh: "R2"},
		{name: "store closed", closeStore: true, wantRefresh: "R2"},
		{name: "store closed, dead network", closeStore: true, deadNetwork: true, wantRefresh: "R0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAuthServer(t)
			a.refreshDelay = answerDelay
			dir := t.TempDir()
			st, p := newTokenStore(t, dir, a.URL+"/fhir", savedFor(a, "A0", "R0", time.Now().Add(-time.Hour)))
			dialing := make(chan struct{}, 1)
			hc := &http.Client{}
			if tc.deadNetwork {
				hc.Transport = &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
					dialing <- struct{}{}
					<-ctx.Done()
					return nil, ctx.Err()
				}}
			}
			ts := NewTokenSource(st, p.ID, hc)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := ts.AccessToken(ctx)
				done <- err
			}()
			if tc.deadNetwork {
				<-dialing
			} else {
				for a.refreshes.Load() == 0 {
					time.Sleep(5 * time.Millisecond) // until the request is at the endpoint
				}
				time.Sleep(100 * time.Millisecond) // and its sender saw it leave
			}
			start := time.Now()
			if tc.closeStore {
				if err := st.Close(); err != nil {
					t.Fatal(err)
				}
			} else {
				cancel()
			}
			err := <-done
			took := time.Since(start)
			if tc.deadNetwork {
				if took > answerWait/2 {
					t.Fatalf("closing took %v with a request that never left", took)
				}
				if err == nil {
					t.Fatal("a refresh that never left gave a token")
				}
			} else if took < answerDelay/2 {
				t.Fatalf("ended after %v (%v), before the answer came", took, err)
			}
			if tc.closeStore {
				st = openStoreIn(t, dir)
				if err := st.UnlockWithPassphrase(context.Background(), "test passphrase"); err != nil {
					t.Fatal(err)
				}
			}
			if saved, err := loadSaved(context.Background(), st, p.ID); err != nil || saved.RefreshToken != tc.wantRefresh {
				t.Fatalf("saved refresh token %q, %v; want %q", saved.RefreshToken, err, tc.wantRefresh)
			}
		})
	}
}
