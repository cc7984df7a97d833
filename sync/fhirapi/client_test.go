package fhirapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func fastOptions() Options {
	return Options{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, MaxAttempts: 4}
}

func newTestClient(t *testing.T, h http.Handler, opts Options) (*Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL+"/fhir", opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

func TestErrorClasses(t *testing.T) {
	tests := []struct {
		status int
		want   error
	}{
		{400, ErrClient},
		{401, ErrUnauthorized},
		{403, ErrForbidden},
		{404, ErrNotFound},
		{409, ErrConflict},
		{410, ErrGone},
		{412, ErrPreconditionFailed},
		{422, ErrClient},
		{429, ErrRateLimited},
		{500, ErrServer},
		{502, ErrServer},
		{503, ErrServer},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/fhir+json")
				w.WriteHeader(tt.status)
				io.WriteString(w, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"processing","diagnostics":"Jane Doe secret"}]}`)
			}), Options{MaxAttempts: 1})
			_, err := c.Get(context.Background(), "Patient/1", nil)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var oe *OperationOutcomeError
			if !errors.As(err, &oe) || oe.Status != tt.status || len(oe.Issues) != 1 || oe.Issues[0].Code != "processing" {
				t.Fatalf("OperationOutcomeError = %#v", oe)
			}
			if strings.Contains(err.Error(), "Jane") {
				t.Fatalf("error text leaks diagnostics: %v", err)
			}
			if oe.Message() != "Jane Doe secret" {
				t.Fatalf("Message() = %q", oe.Message())
			}
		})
	}
}

func TestBadResponseAndNetwork(t *testing.T) {
	c, srv := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"resourceType":"Bundle","entry":[{"resource":`)
	}), fastOptions())
	_, err := c.Search(context.Background(), "Observation", nil, SearchHandler{})
	if !errors.Is(err, ErrBadResponse) {
		t.Fatalf("truncated bundle: err = %v, want ErrBadResponse", err)
	}
	srv.Close()
	_, err = c.Get(context.Background(), "metadata", nil)
	if !errors.Is(err, ErrNetwork) {
		t.Fatalf("closed server: err = %v, want ErrNetwork", err)
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter func() string
	}{
		{"seconds", http.StatusTooManyRequests, func() string { return "1" }},
		// An HTTP date has whole seconds: 2 s ahead is at least 1 s away.
		{"http-date", http.StatusTooManyRequests, func() string { return time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat) }},
		{"503 seconds", http.StatusServiceUnavailable, func() string { return "1" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			var first, second time.Time
			c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) == 1 {
					first = time.Now()
					w.Header().Set("Retry-After", tt.retryAfter())
					w.WriteHeader(tt.status)
					return
				}
				second = time.Now()
				io.WriteString(w, `{"resourceType":"Patient","id":"1"}`)
			}), fastOptions())
			resp, err := c.Get(context.Background(), "Patient/1", nil)
			if err != nil {
				t.Fatal(err)
			}
			if calls.Load() != 2 || resp.Status != 200 {
				t.Fatalf("calls = %d", calls.Load())
			}
			// The backoff alone is a few milliseconds; waiting about the
			// requested second proves Retry-After was honored.
			if gap := second.Sub(first); gap < 900*time.Millisecond {
				t.Fatalf("retried after %v, Retry-After ignored", gap)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{"-1", 0},
		{"abc", 0},
		{"3x", 0},
		{now.Add(10 * time.Second).Format(http.TimeFormat), 10 * time.Second},
		{now.Add(-10 * time.Second).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestRetriesOnlyIdempotent(t *testing.T) {
	tests := []struct {
		name      string
		do        func(c *Client) error
		wantCalls int32
	}{
		{"get", func(c *Client) error { _, err := c.Get(context.Background(), "Patient/1", nil); return err }, 4},
		{"plain create", func(c *Client) error {
			_, err := c.Create(context.Background(), "Communication", []byte(`{}`), "")
			return err
		}, 1},
		{"conditional create", func(c *Client) error {
			_, err := c.Create(context.Background(), "Communication", []byte(`{}`), "identifier=a|b")
			return err
		}, 4},
		{"plain update", func(c *Client) error {
			_, err := c.Update(context.Background(), "Patient", "1", []byte(`{}`), "")
			return err
		}, 1},
		{"update if-match", func(c *Client) error {
			_, err := c.Update(context.Background(), "Patient", "1", []byte(`{}`), `W/"1"`)
			return err
		}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.WriteHeader(http.StatusServiceUnavailable)
			}), fastOptions())
			if err := tt.do(c); !errors.Is(err, ErrServer) {
				t.Fatalf("err = %v", err)
			}
			if calls.Load() != tt.wantCalls {
				t.Fatalf("calls = %d, want %d", calls.Load(), tt.wantCalls)
			}
		})
	}
}

func TestNoRetryOnClientError(t *testing.T) {
	var calls atomic.Int32
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusBadRequest)
	}), fastOptions())
	if _, err := c.Get(context.Background(), "x", nil); !errors.Is(err, ErrClient) {
		t.Fatal(err)
	}
	if calls.Load() != 1 {
		t.Fatalf("calls = %d", calls.Load())
	}
}

func TestBodyCap(t *testing.T) {
	big := `{"resourceType":"Bundle","entry":[` + strings.Repeat(`{"resource":{"resourceType":"Observation","id":"1"}},`, 1000) + `{}]}`
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, big)
	}), Options{MaxBodyBytes: 10_000})
	_, err := c.Search(context.Background(), "Observation", nil, SearchHandler{})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("search: err = %v, want ErrTooLarge", err)
	}
	_, err = c.Get(context.Background(), "Observation/1", nil)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("get: err = %v, want ErrTooLarge", err)
	}
}

func TestBodyCapAfterGzip(t *testing.T) {
	// 2 MB of JSON compressed to a few KB: the cap applies to what is
	// decompressed, not to what crossed the wire.
	payload := `{"resourceType":"Patient","id":"1","text":"` + strings.Repeat("a", 2<<20) + `"}`
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		gz := gzipWriter(w)
		io.WriteString(gz, payload)
		gz.Close()
	}), Options{MaxBodyBytes: 1 << 20})
	if _, err := c.Get(context.Background(), "Patient/1", nil); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}

func TestPageCapAndPaging(t *testing.T) {
	var srvURL string
	c, srv := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := 0
		fmt.Sscan(r.URL.Query().Get("page"), &n)
		next := ""
		if n < 9 {
			next = fmt.Sprintf(`,"link":[{"relation":"next","url":"%s/fhir/Observation?page=%d"}]`, srvURL, n+1)
		}
		fmt.Fprintf(w, `{"resourceType":"Bundle","type":"searchset"%s,"entry":[{"resource":{"resourceType":"Observation","id":"o%d"}}]}`, next, n)
	}), Options{MaxPages: 5})
	srvURL = srv.URL
	var ids []string
	_, err := c.Search(context.Background(), "Observation", nil, SearchHandler{Entry: func(e Entry) error {
		h, _ := ParseHeader(e.Resource)
		ids = append(ids, h.ID)
		return nil
	}})
	if !errors.Is(err, ErrTooLarge) || len(ids) != 5 {
		t.Fatalf("err = %v, ids = %v", err, ids)
	}
	c.opts.MaxPages = 100
	ids = nil
	info, err := c.Search(context.Background(), "Observation", nil, SearchHandler{Entry: func(e Entry) error {
		h, _ := ParseHeader(e.Resource)
		ids = append(ids, h.ID)
		return nil
	}})
	if err != nil || info.Pages != 10 || len(ids) != 10 || ids[9] != "o9" {
		t.Fatalf("err = %v, info = %+v, ids = %v", err, info, ids)
	}
}

// TestForeignNextLinkRefused: a next link to another port of the same host
// is another origin; it is never followed, so no token leaks there.
func TestForeignNextLinkRefused(t *testing.T) {
	var leaked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store(true)
	}))
	defer other.Close()
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"resourceType":"Bundle","link":[{"relation":"next","url":"%s/fhir/Observation?page=2"}]}`, other.URL)
	}), Options{Token: &staticToken{tok: "secret-token"}})
	_, err := c.Search(context.Background(), "Observation", nil, SearchHandler{})
	if !errors.Is(err, ErrForeignLink) {
		t.Fatalf("err = %v, want ErrForeignLink", err)
	}
	if leaked.Load() {
		t.Fatal("the foreign server was contacted")
	}
}

// TestRedirectDropsAuthorization: a redirect to another origin is followed
// without the Authorization header; a same-origin redirect keeps it.
func TestRedirectDropsAuthorization(t *testing.T) {
	var otherAuth atomic.Value
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherAuth.Store(r.Header.Get("Authorization"))
		io.WriteString(w, `{"resourceType":"Binary","id":"b"}`)
	}))
	defer other.Close()
	var sameAuth atomic.Value
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/fhir/Binary/away":
			http.Redirect(w, r, other.URL+"/blob", http.StatusFound)
		case "/fhir/Binary/here":
			http.Redirect(w, r, "/fhir/Binary/final", http.StatusFound)
		case "/fhir/Binary/final":
			sameAuth.Store(r.Header.Get("Authorization"))
			io.WriteString(w, `{"resourceType":"Binary","id":"b"}`)
		}
	}), Options{Token: &staticToken{tok: "secret-token"}})
	if _, err := c.Get(context.Background(), "Binary/away", nil); err != nil {
		t.Fatal(err)
	}
	if got := otherAuth.Load(); got != "" {
		t.Fatalf("Authorization sent to another origin: %q", got)
	}
	if _, err := c.Get(context.Background(), "Binary/here", nil); err != nil {
		t.Fatal(err)
	}
	if got := sameAuth.Load(); got != "Bearer secret-token" {
		t.Fatalf("same-origin Authorization = %q", got)
	}
}

// TestPermanentRedirectIsAMove: a 301 or 308 to another origin is the
// server saying it moved: the client follows it for no method (nothing,
// token or not, reaches the new address), reports ErrMoved with the new
// base, and does not retry; a permanent redirect on the same origin is
// followed as before.
func TestPermanentRedirectIsAMove(t *testing.T) {
	var reached atomic.Int64
	moved := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		io.WriteString(w, `{"resourceType":"Patient","id":"p1"}`)
	}))
	defer moved.Close()
	for _, status := range []int{http.StatusMovedPermanently, http.StatusPermanentRedirect} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			t.Run(fmt.Sprintf("%d %s", status, method), func(t *testing.T) {
				var asked atomic.Int64
				c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					asked.Add(1)
					if r.URL.Path == "/fhir/Patient/same" {
						http.Redirect(w, r, "/fhir/Patient/p1", status)
						return
					}
					if r.URL.Path == "/fhir/Patient/p1" {
						io.WriteString(w, `{"resourceType":"Patient","id":"p1"}`)
						return
					}
					http.Redirect(w, r, moved.URL+"/api/fhir"+strings.TrimPrefix(r.URL.Path, "/fhir"), status)
				}), Options{Token: &staticToken{tok: "secret-token"}, MaxAttempts: 3})
				var err error
				if method == http.MethodGet {
					_, err = c.Get(context.Background(), "Patient/p1/$everything", nil)
				} else {
					_, err = c.Create(context.Background(), "Communication", []byte(`{"resourceType":"Communication"}`), "")
				}
				var me *MovedError
				if !errors.Is(err, ErrMoved) || !errors.As(err, &me) || me.To != moved.URL+"/api/fhir" {
					t.Fatalf("err = %v (moved to %+v), want ErrMoved to %s/api/fhir", err, me, moved.URL)
				}
				if IsTransient(err) || asked.Load() != 1 {
					t.Errorf("a move was retried (%d requests) or is transient", asked.Load())
				}
				if n := reached.Load(); n != 0 {
					t.Fatalf("%d requests reached the new address", n)
				}
				if _, err := c.Get(context.Background(), "Patient/same", nil); err != nil {
					t.Fatalf("a permanent redirect on the same origin: %v", err)
				}
			})
		}
	}
}

func TestHTTPSRule(t *testing.T) {
	tests := []struct {
		base string
		ok   bool
	}{
		{"https://ehr.example/fhir", true},
		{"http://127.0.0.1:8080/fhir", true},
		{"http://localhost/fhir", true},
		{"http://[::1]:9/fhir", true},
		{"http://ehr.example/fhir", false},
		{"http://10.0.0.1/fhir", false},
		{"ftp://ehr.example/fhir", false},
	}
	for _, tt := range tests {
		_, err := New(tt.base, Options{})
		if tt.ok && err != nil {
			t.Errorf("New(%q) = %v", tt.base, err)
		}
		if !tt.ok && !errors.Is(err, ErrInsecure) {
			t.Errorf("New(%q) = %v, want ErrInsecure", tt.base, err)
		}
	}
}

type staticToken struct {
	mu      sync.Mutex
	tok     string
	refused []string
}

func (s *staticToken) AccessToken(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tok, nil
}

func (s *staticToken) Refused(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refused = append(s.refused, tok)
	s.tok = "fresh"
}

func TestUnauthorizedRefreshesOnce(t *testing.T) {
	ts := &staticToken{tok: "stale"}
	var calls atomic.Int32
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Header.Get("Authorization") != "Bearer fresh" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, `{"resourceType":"Communication","id":"1"}`)
	}), Options{Token: ts})
	// Even a plain POST is resent: a 401 means nothing was processed.
	if _, err := c.Create(context.Background(), "Communication", []byte(`{}`), ""); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 || len(ts.refused) != 1 || ts.refused[0] != "stale" {
		t.Fatalf("calls = %d, refused = %v", calls.Load(), ts.refused)
	}
	// A token refused twice in a row is an error, not a loop.
	ts.tok = "stale"
	c2, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
	}), Options{Token: ts})
	if _, err := c2.Get(context.Background(), "Patient/1", nil); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("err = %v", err)
	}
}

func TestCapabilities(t *testing.T) {
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/fhir/metadata" {
			w.WriteHeader(404)
			return
		}
		io.WriteString(w, `{"resourceType":"CapabilityStatement","fhirVersion":"4.0.1","rest":[{"mode":"server",
		"security":{"extension":[{"url":"http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
		"extension":[{"url":"authorize","valueUri":"https://a/authorize"},{"url":"token","valueUri":"https://a/token"}]}]},
		"interaction":[{"code":"history-system"}],
		"resource":[{"type":"Patient","interaction":[{"code":"read"},{"code":"update"}],"operation":[{"name":"everything"}]},
		{"type":"Communication","conditionalCreate":true,"interaction":[{"code":"create"},{"code":"search-type"}],"searchParam":[{"name":"identifier"}]}]}]}`)
	}), Options{})
	caps, err := c.Capabilities(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !caps.SupportsEverything() || !caps.SupportsSystemHistory() || !caps.SupportsConditionalCreate("Communication") ||
		caps.SupportsConditionalCreate("Patient") || !caps.Supports("Patient", "update") || !caps.SupportsSearchParam("Communication", "identifier") ||
		caps.AuthorizeURL != "https://a/authorize" || caps.TokenURL != "https://a/token" {
		t.Fatalf("caps = %+v", caps)
	}
}

func TestSafePath(t *testing.T) {
	c, err := New("https://ehr.example/r4/fhir", Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ in, want string }{
		{"/r4/fhir/Patient/123/$everything", "Patient/:id/$everything"},
		{"/r4/fhir/Observation", "Observation"},
		{"/r4/fhir/Observation/Abc/_history/2", "Observation/:id/_history/:id"},
		{"/r4/fhir/Observation/_history", "Observation/_history"},
		{"/r4/fhir/metadata", "metadata"},
		{"/r4/fhir/_history", "_history"},
	}
	for _, tt := range tests {
		u, _ := url.Parse(tt.in)
		if got := c.safePath(u); got != tt.want {
			t.Errorf("safePath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestCutOffPageIsReadAgain: a page whose body is cut mid-way is fetched
// again, and the handler's PageStart lets it forget the partial entries.
func TestCutOffPageIsReadAgain(t *testing.T) {
	var calls atomic.Int32
	full := `{"resourceType":"Bundle","entry":[` + strings.Repeat(`{"resource":{"resourceType":"Observation","id":"x"}},`, 200) + `{"resource":{"resourceType":"Observation","id":"last"}}]}`
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			// Promise the whole body, send a third, close the connection.
			w.Header().Set("Content-Length", fmt.Sprint(len(full)))
			io.WriteString(w, full[:len(full)/3])
			w.(http.Flusher).Flush()
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		io.WriteString(w, full)
	}), fastOptions())
	var got, starts int
	_, err := c.Search(context.Background(), "Observation", nil, SearchHandler{
		PageStart: func(int) { got = 0; starts++ },
		Entry:     func(Entry) error { got++; return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if got != 201 || starts != 2 || calls.Load() != 2 {
		t.Fatalf("entries %d, page starts %d, requests %d", got, starts, calls.Load())
	}
	// Without PageStart, entries already handed out cannot be taken back:
	// the error is returned instead.
	calls.Store(0)
	_, err = c.Search(context.Background(), "Observation", nil, SearchHandler{Entry: func(Entry) error { return nil }})
	if !errors.Is(err, ErrNetwork) {
		t.Fatalf("without PageStart: err = %v", err)
	}
}

// TestNetworkErrorRetried: a connection closed before any reply is a
// network error; a GET is tried again (and succeeds), a plain POST is not
// (the server may have committed it).
func TestNetworkErrorRetried(t *testing.T) {
	var calls atomic.Int32
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		io.WriteString(w, `{"resourceType":"Patient","id":"1"}`)
	}), fastOptions())
	if _, err := c.Get(context.Background(), "Patient/1", nil); err != nil || calls.Load() != 2 {
		t.Fatalf("get: err = %v after %d calls", err, calls.Load())
	}
	calls.Store(0)
	if _, err := c.Create(context.Background(), "Communication", []byte(`{}`), ""); !errors.Is(err, ErrNetwork) || calls.Load() != 1 {
		t.Fatalf("plain create: err = %v after %d calls", err, calls.Load())
	}
}

// TestRequestTimeout: an attempt that hangs, before the headers or in the
// middle of the body, ends after Options.RequestTimeout as a network error.
func TestRequestTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fhir/Observation" { // headers and half a page, then nothing
			io.WriteString(w, `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Observation","id":"a"}},`)
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}), Options{RequestTimeout: 200 * time.Millisecond, MaxAttempts: 1})
	// The caller's own deadline is far later: only RequestTimeout can end
	// the attempts as network errors.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, do := range []func() error{
		func() error { _, err := c.Get(ctx, "Patient/1", nil); return err },
		func() error { _, err := c.Search(ctx, "Observation", nil, SearchHandler{}); return err },
	} {
		if err := do(); !errors.Is(err, ErrNetwork) {
			t.Fatalf("err = %v, want ErrNetwork", err)
		}
	}
}

// TestUploadGetsTimeForItsBody: a large body on a slow link gets time at
// UploadRate beyond RequestTimeout; without it, the attempt ends while the
// body is still going out, as ErrUploadCut.
func TestUploadGetsTimeForItsBody(t *testing.T) {
	body := []byte(`{"resourceType":"Communication","note":"` + strings.Repeat("A", 32<<20) + `"}`)
	tests := []struct {
		name    string
		timeout time.Duration
		rate    int64
		stall   bool // the link carries nothing more once the request began
		wantErr error
	}{
		// 0.6 s plus 8 s for a body read in about 1.6 s: a busy machine
		// and the race detector slow the reading (4 s was not always
		// enough at a load of 9), and 0.6 s alone would never do.
		{name: "time for the body", timeout: 600 * time.Millisecond, rate: 4 << 20},
		// Time enough to connect (the race detector and a busy machine
		// slow the start), none for the body.
		{name: "no time for the body", timeout: 3 * time.Second, rate: 1 << 40, stall: true, wantErr: ErrUploadCut},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			release := make(chan struct{})
			defer close(release)
			c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.stall {
					select {
					case <-release:
					case <-r.Context().Done():
					}
					return
				}
				buf := make([]byte, 1<<20) // a slow link: 1 MiB every 50 ms
				for {
					if _, err := io.ReadFull(r.Body, buf); err != nil {
						break
					}
					time.Sleep(50 * time.Millisecond)
				}
				w.WriteHeader(http.StatusCreated)
				io.WriteString(w, `{"resourceType":"Communication","id":"m1"}`)
			}), Options{RequestTimeout: tc.timeout, UploadRate: tc.rate, MaxAttempts: 1})
			_, err := c.Create(context.Background(), "Communication", body, "")
			if !errors.Is(err, tc.wantErr) || (tc.wantErr != nil && !errors.Is(err, ErrNetwork)) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

// TestUploadCutIsNotRetried: a conditional create (retried on network
// errors) whose upload is cut short is tried once: the same link would
// take as long again.
func TestUploadCutIsNotRetried(t *testing.T) {
	body := []byte(`{"resourceType":"Communication","note":"` + strings.Repeat("A", 32<<20) + `"}`)
	var tries atomic.Int32
	release := make(chan struct{})
	defer close(release)
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tries.Add(1)
		select { // reads nothing: the link stalls
		case <-release:
		case <-r.Context().Done():
		}
	}), Options{RequestTimeout: 3 * time.Second, UploadRate: 1 << 40, MaxAttempts: 3, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
	_, err := c.Create(context.Background(), "Communication", body, "identifier=urn:ietf:rfc:3986|urn:uuid:1")
	if !errors.Is(err, ErrUploadCut) || tries.Load() != 1 {
		t.Fatalf("after %d tries: err = %v; want ErrUploadCut after one", tries.Load(), err)
	}
}

// TestUploadCutAfterAReachingTry: a conditional create (retried) whose
// first try got through and was answered 503, and whose second try was
// cut short, is not ErrUploadCut: the server may have the first.
func TestUploadCutAfterAReachingTry(t *testing.T) {
	body := []byte(`{"resourceType":"Communication","note":"` + strings.Repeat("A", 32<<20) + `"}`)
	var tries atomic.Int32
	release := make(chan struct{})
	defer close(release)
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tries.Add(1) == 1 {
			_, _ = io.Copy(io.Discard, r.Body)
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		select { // reads nothing more: the link stalls
		case <-release:
		case <-r.Context().Done():
		}
	}), Options{RequestTimeout: 3 * time.Second, UploadRate: 1 << 40, MaxAttempts: 2, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
	_, err := c.Create(context.Background(), "Communication", body, "identifier=urn:ietf:rfc:3986|urn:uuid:1")
	if tries.Load() != 2 || !errors.Is(err, ErrNetwork) || errors.Is(err, ErrUploadCut) {
		t.Fatalf("after %d tries: err = %v; want a network error that is not ErrUploadCut", tries.Load(), err)
	}
}

// TestSearchStreams: entries reach the handler while the page is still
// arriving, so a page is never held in memory whole. The server sends the
// first entry and waits until the client has handed it out before it
// sends the rest.
func TestSearchStreams(t *testing.T) {
	seen := make(chan struct{})
	var streamed atomic.Bool
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Observation","id":"first"}},`)
		w.(http.Flusher).Flush()
		select {
		case <-seen:
			streamed.Store(true)
		case <-time.After(3 * time.Second):
		}
		io.WriteString(w, strings.Repeat(`{"resource":{"resourceType":"Observation","id":"x"}},`, 100)+`{"resource":{"resourceType":"Observation","id":"last"}}]}`)
	}), Options{})
	n := 0
	_, err := c.Search(context.Background(), "Observation", nil, SearchHandler{Entry: func(Entry) error {
		if n++; n == 1 {
			close(seen)
		}
		return nil
	}})
	if err != nil || n != 102 {
		t.Fatalf("err = %v, %d entries", err, n)
	}
	if !streamed.Load() {
		t.Fatal("the first entry was handed out only after the whole page arrived")
	}
}

// TestBackoffJitter: the wait before attempt n+1 is random in [d/2, d],
// d doubling from MinBackoff up to MaxBackoff.
func TestBackoffJitter(t *testing.T) {
	c, err := New("https://ehr.example/fhir", Options{MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for attempt, d := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 60: time.Second} {
		seen := map[time.Duration]bool{}
		for range 50 {
			w := c.backoff(attempt)
			if w < d/2 || w > d {
				t.Fatalf("attempt %d: waited %v, want within [%v, %v]", attempt, w, d/2, d)
			}
			seen[w] = true
		}
		if len(seen) < 10 {
			t.Fatalf("attempt %d: only %d distinct waits in 50: no jitter", attempt, len(seen))
		}
	}
}

// TestEarlierTryMayHaveReached: a retried write whose first try reached
// the server (answered 503) and whose next tries were refused their token
// (401) fails with ErrUnauthorized and ErrMayHaveReached: it is not
// provably unsent. A read so failing, or a write whose every try was
// refused, is not marked.
func TestEarlierTryMayHaveReached(t *testing.T) {
	for _, tc := range []struct {
		name  string
		first int // the status of the first try; later ones get 401
		write bool
		want  bool // ErrMayHaveReached
	}{
		{"write reached first", http.StatusServiceUnavailable, true, true},
		{"write refused throughout", http.StatusUnauthorized, true, false},
		{"read reached first", http.StatusServiceUnavailable, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tries atomic.Int32
			c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				if tries.Add(1) == 1 {
					w.WriteHeader(tc.first)
					return
				}
				w.WriteHeader(http.StatusUnauthorized)
			}), Options{Token: &staticToken{tok: "t"}, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
			var err error
			if tc.write {
				_, err = c.Create(context.Background(), "Communication", []byte(`{}`), "identifier=urn:ietf:rfc:3986|urn:uuid:1")
			} else {
				_, err = c.Get(context.Background(), "Patient/1", nil)
			}
			if !errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrMayHaveReached) != tc.want {
				t.Fatalf("after %d tries: %v; want ErrUnauthorized, ErrMayHaveReached %v", tries.Load(), err, tc.want)
			}
		})
	}
}
