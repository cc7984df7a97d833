package faults

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// newServer serves a handler that counts the requests it really handled.
func newServer(t *testing.T, f *Injector) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var handled atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handled.Add(1)
		w.Header().Set("Content-Type", "application/fhir+json")
		w.Write([]byte(`{"resourceType":"Basic","id":"0123456789abcdef"}`))
	})
	srv := httptest.NewServer(f.Wrap(h))
	t.Cleanup(srv.Close)
	return srv, &handled
}

func get(t *testing.T, method, url string) (*http.Response, []byte, error) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader("{}"))
	// A fresh connection each time, so a dropped one is not reused.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func TestZeroValueInjectsNothing(t *testing.T) {
	var f Injector
	srv, handled := newServer(t, &f)
	for i := 0; i < 20; i++ {
		resp, body, err := get(t, "POST", srv.URL+"/fhir/Basic")
		if err != nil || resp.StatusCode != 200 || !strings.HasSuffix(string(body), "}") {
			t.Fatalf("request %d: %v %v %s", i, err, resp, body)
		}
	}
	if handled.Load() != 20 {
		t.Fatalf("handled %d", handled.Load())
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		status    int
		wantRetry string
	}{
		{503, "2"}, {429, "2"}, {500, ""},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			var f Injector
			f.Set(Config{ErrorRate: 1, ErrorStatus: tt.status, RetryAfter: 1500 * time.Millisecond})
			srv, handled := newServer(t, &f)
			resp, body, err := get(t, "GET", srv.URL+"/fhir/Basic/1")
			if err != nil || resp.StatusCode != tt.status || resp.Header.Get("Retry-After") != tt.wantRetry ||
				!strings.Contains(string(body), "OperationOutcome") {
				t.Fatalf("got %v %v %s", err, resp, body)
			}
			if handled.Load() != 0 {
				t.Fatal("a failed request reached the server")
			}
		})
	}
}

func TestErrorRateIsDeterministic(t *testing.T) {
	run := func() string {
		var f Injector
		f.Set(Config{ErrorRate: 0.5, Seed: 7})
		srv, _ := newServer(t, &f)
		var out strings.Builder
		for i := 0; i < 40; i++ {
			resp, _, err := get(t, "GET", srv.URL+"/x")
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode == 200 {
				out.WriteByte('.')
			} else {
				out.WriteByte('x')
			}
		}
		return out.String()
	}
	a, b := run(), run()
	if a != b {
		t.Fatalf("same seed, different faults:\n%s\n%s", a, b)
	}
	if n := strings.Count(a, "x"); n < 8 || n > 32 {
		t.Fatalf("rate 0.5 gave %d failures of 40: %s", n, a)
	}
}

func TestDropReplyAfterCommit(t *testing.T) {
	var f Injector
	f.Set(Config{DropReplyAfterCommitRate: 1})
	srv, handled := newServer(t, &f)
	_, _, err := get(t, "POST", srv.URL+"/fhir/Basic")
	if err == nil {
		t.Fatal("a dropped reply arrived")
	}
	if handled.Load() != 1 {
		t.Fatalf("the write was not carried out: handled %d", handled.Load())
	}
	// Reads are not dropped.
	if resp, _, err := get(t, "GET", srv.URL+"/fhir/Basic"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("read: %v", err)
	}
}

// TestCutUpload: a write whose upload is cut reaches nothing, and a
// client sending a large body sees the connection end under it; reads
// go through.
func TestCutUpload(t *testing.T) {
	var f Injector
	f.Set(Config{CutUploadRate: 1})
	srv, handled := newServer(t, &f)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Post(srv.URL+"/fhir/Communication", "application/fhir+json", strings.NewReader(strings.Repeat("A", 16<<20)))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("a cut upload was answered: %s", resp.Status)
	}
	if handled.Load() != 0 {
		t.Fatalf("a cut upload reached the server: handled %d", handled.Load())
	}
	if resp, _, err := get(t, "GET", srv.URL+"/fhir/Communication"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("read: %v", err)
	}
}

func TestTruncateBody(t *testing.T) {
	var f Injector
	f.Set(Config{TruncateBodyRate: 1})
	srv, _ := newServer(t, &f)
	resp, body, err := get(t, "GET", srv.URL+"/fhir/Basic/1")
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("got err %v, want unexpected EOF", err)
	}
	if resp.ContentLength != 48 || len(body) != 24 {
		t.Fatalf("content length %d, got %d bytes", resp.ContentLength, len(body))
	}
}

func TestLatencyAndOnlyPaths(t *testing.T) {
	var f Injector
	f.Set(Config{Latency: 30 * time.Millisecond, ErrorRate: 1, OnlyPaths: "/fhir/Communication"})
	srv, _ := newServer(t, &f)
	if resp, _, err := get(t, "GET", srv.URL+"/fhir/Observation"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("unfiltered path got a fault: %v %v", err, resp)
	}
	start := time.Now()
	resp, _, err := get(t, "GET", srv.URL+"/fhir/Communication?x=1")
	if err != nil || resp.StatusCode != 503 {
		t.Fatalf("filtered path: %v %v", err, resp)
	}
	// Latency is a lower bound, not a timing assertion on speed.
	if time.Since(start) < 30*time.Millisecond {
		t.Fatal("no latency injected")
	}
	f.Set(Config{})
	if resp, _, err := get(t, "GET", srv.URL+"/fhir/Communication"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("after reset: %v %v", err, resp)
	}
}

// TestReplyLatency: the request is handled (the write commits) before its
// reply is held back, alone or after Latency, on the paths OnlyPaths
// selects; the reply arrives whole, at least ReplyLatency after the
// handler ran. The durations are lower bounds, not timing assertions on
// speed.
func TestReplyLatency(t *testing.T) {
	const before, after = 30 * time.Millisecond, 40 * time.Millisecond
	tests := []struct {
		name        string
		cfg         Config
		path        string
		wantBefore  time.Duration // at least this long between sending and handling
		wantAfter   time.Duration // at least this long between handling and the reply
		wantDelayed bool
	}{
		{"reply latency", Config{ReplyLatency: after}, "/fhir/Basic", 0, after, true},
		{"with latency", Config{Latency: before, ReplyLatency: after}, "/fhir/Basic", before, after, true},
		{"on its path", Config{Latency: before, ReplyLatency: after, OnlyPaths: "/fhir/Communication"},
			"/fhir/Communication?x=1", before, after, true},
		{"off its path", Config{Latency: before, ReplyLatency: after, OnlyPaths: "/fhir/Communication"},
			"/fhir/Observation", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f Injector
			f.Set(tt.cfg)
			ran := make(chan time.Time, 1)
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ran <- time.Now()
				w.Header().Set("Location", "/fhir/Basic/1/_history/1")
				w.WriteHeader(http.StatusCreated)
				w.Write([]byte(`{"resourceType":"Basic","id":"1"}`))
			})
			srv := httptest.NewServer(f.Wrap(h))
			defer srv.Close()

			sent := time.Now()
			resp, body, err := get(t, "POST", srv.URL+tt.path)
			got := time.Now()
			if err != nil || resp.StatusCode != http.StatusCreated || resp.Header.Get("Location") != "/fhir/Basic/1/_history/1" ||
				string(body) != `{"resourceType":"Basic","id":"1"}` {
				t.Fatalf("reply: %v %v %s", err, resp, body)
			}
			var handled time.Time
			select {
			case handled = <-ran:
			default:
				t.Fatal("the request was not handled")
			}
			if !tt.wantDelayed {
				return
			}
			if d := handled.Sub(sent); d < tt.wantBefore {
				t.Errorf("handled %v after it was sent, want at least %v", d, tt.wantBefore)
			}
			if d := got.Sub(handled); d < tt.wantAfter {
				t.Errorf("the reply came %v after the request was handled, want at least %v", d, tt.wantAfter)
			}
		})
	}
}

// TestReplyLatencyLostReply: a client that gives up while the reply is
// held back gets no reply, the write it sent is done all the same, and the
// reply is not sent: the wait ends with the client (the connection is
// closed), not after ReplyLatency.
func TestReplyLatencyLostReply(t *testing.T) {
	var f Injector
	f.Set(Config{ReplyLatency: time.Minute})
	var handled atomic.Int64
	inner := f.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handled.Add(1) // the body is left unread, as a handler may
		w.WriteHeader(http.StatusCreated)
	}))
	aborted := make(chan bool, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			aborted <- v == http.ErrAbortHandler
			if v != nil {
				panic(v)
			}
		}()
		inner.ServeHTTP(w, r)
	}))
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/fhir/Basic", strings.NewReader(`{"resourceType":"Basic"}`))
	errc := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	for handled.Load() == 0 {
		select {
		case err := <-errc:
			t.Fatalf("a reply came before the client gave up: %v", err)
		case <-time.After(time.Millisecond):
		}
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want the client's own cancellation", err)
	}
	if !<-aborted {
		t.Error("the held reply was written after the client had gone")
	}
	if handled.Load() != 1 {
		t.Fatalf("handled %d, want the write done once", handled.Load())
	}
}

// TestOnlyWrites: with OnlyWrites, writes get the faults and reads of the
// same path go through.
func TestOnlyWrites(t *testing.T) {
	var f Injector
	f.Set(Config{ErrorRate: 1, OnlyWrites: true, OnlyPaths: "/fhir/Communication"})
	srv, handled := newServer(t, &f)
	tests := []struct {
		method, path string
		want         int
	}{
		{"GET", "/fhir/Communication?identifier=x", 200},
		{"POST", "/fhir/Communication", 503},
		{"PUT", "/fhir/Communication/1", 503},
		{"POST", "/fhir/Observation", 200},
	}
	for _, tt := range tests {
		resp, _, err := get(t, tt.method, srv.URL+tt.path)
		if err != nil || resp.StatusCode != tt.want {
			t.Errorf("%s %s: %v %v, want %d", tt.method, tt.path, err, resp, tt.want)
		}
	}
	if handled.Load() != 2 {
		t.Errorf("handled %d, want the read and the write elsewhere", handled.Load())
	}
}
