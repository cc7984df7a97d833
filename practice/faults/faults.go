package faults

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config says which faults to inject. The zero Config injects nothing.
type Config struct {
	// Latency delays every matching request before it is handled.
	Latency time.Duration
	// ReplyLatency delays the reply of every matching request that is
	// handled: the request is carried out at once (a write commits), its
	// reply is held back ReplyLatency, then sent. A client that gives up
	// or dies meanwhile gets nothing: the write is done, its reply lost.
	// Injected errors and dropped replies are not delayed by it; a
	// truncated reply is.
	ReplyLatency time.Duration
	// ErrorRate (0..1) is the share of matching requests answered with
	// ErrorStatus (default 503) instead of being handled.
	ErrorRate   float64
	ErrorStatus int
	// RetryAfter goes into the Retry-After header of 429 and 503 replies
	// (rounded up to whole seconds; default 1s).
	RetryAfter time.Duration
	// DropReplyAfterCommitRate (0..1) is the share of matching writes (POST,
	// PUT, PATCH, DELETE) that are carried out and then get no reply: the
	// connection is closed.
	DropReplyAfterCommitRate float64
	// CutUploadRate (0..1) is the share of matching writes whose
	// connection is closed before their body is read, as a link lost
	// during an upload: the server has nothing of the request, and a
	// client still sending a body too large for the connection's buffers
	// knows that not all of it left.
	CutUploadRate float64
	// TruncateBodyRate (0..1) is the share of matching replies whose body is
	// cut in half (the connection closes after the first half).
	TruncateBodyRate float64
	// OnlyPaths, when not empty, limits faults to request paths starting
	// with it, e.g. "/fhir/Communication".
	OnlyPaths string
	// OnlyWrites limits faults to writes (POST, PUT, PATCH, DELETE): the
	// searches and reads on the same paths go through untouched.
	OnlyWrites bool
	// Seed seeds the random choices.
	Seed int64
}

// Injector is HTTP middleware that injects the faults of its Config.
type Injector struct {
	mu  sync.Mutex
	cfg Config
	rng *rand.Rand
}

// Set replaces the configuration (and restarts the random sequence from
// c.Seed).
func (f *Injector) Set(c Config) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cfg = c
	f.rng = rand.New(rand.NewPCG(uint64(c.Seed), 0x9e3779b97f4a7c15))
}

// Config returns the current configuration.
func (f *Injector) Config() Config {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cfg
}

// decision is what to do with one request, drawn under the lock.
type decision struct {
	latency  time.Duration
	replyIn  time.Duration
	fail     bool
	status   int
	retry    time.Duration
	drop     bool
	cut      bool
	truncate bool
}

func (f *Injector) decide(r *http.Request) decision {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.cfg
	if (c.OnlyPaths != "" && !strings.HasPrefix(r.URL.Path, c.OnlyPaths)) || (c.OnlyWrites && !isWrite(r.Method)) {
		return decision{}
	}
	if f.rng == nil {
		f.rng = rand.New(rand.NewPCG(uint64(c.Seed), 0x9e3779b97f4a7c15))
	}
	d := decision{latency: c.Latency, replyIn: c.ReplyLatency, status: c.ErrorStatus, retry: c.RetryAfter}
	if d.status == 0 {
		d.status = http.StatusServiceUnavailable
	}
	if d.retry <= 0 {
		d.retry = time.Second
	}
	d.fail = c.ErrorRate > 0 && f.rng.Float64() < c.ErrorRate
	if !d.fail && isWrite(r.Method) && c.CutUploadRate > 0 {
		d.cut = f.rng.Float64() < c.CutUploadRate
	}
	if !d.fail && !d.cut && isWrite(r.Method) && c.DropReplyAfterCommitRate > 0 {
		d.drop = f.rng.Float64() < c.DropReplyAfterCommitRate
	}
	if !d.fail && !d.cut && !d.drop && c.TruncateBodyRate > 0 {
		d.truncate = f.rng.Float64() < c.TruncateBodyRate
	}
	return d
}

func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// Wrap returns h with the Injector's faults in front of it.
func (f *Injector) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := f.decide(r)
		if !wait(r, d.latency) {
			return
		}
		switch {
		case d.fail:
			if d.status == http.StatusTooManyRequests || d.status == http.StatusServiceUnavailable {
				secs := int((d.retry + time.Second - 1) / time.Second)
				w.Header().Set("Retry-After", strconv.Itoa(secs))
			}
			w.Header().Set("Content-Type", "application/fhir+json")
			w.WriteHeader(d.status)
			w.Write([]byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"transient","diagnostics":"Injected fault"}]}`))
		case d.cut:
			// Nothing of the body is read and nothing is handled: the
			// connection closes under the client's upload.
			panic(http.ErrAbortHandler)
		case d.drop:
			rec := newRecorder()
			h.ServeHTTP(rec, r)
			// The handler has done its work (the write committed); the
			// client gets nothing. ErrAbortHandler makes net/http close the
			// connection without a response and without logging.
			panic(http.ErrAbortHandler)
		case d.truncate:
			rec := serveHeld(h, w, r, d.replyIn)
			body := rec.body.Bytes()
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(rec.status)
			w.Write(body[:len(body)/2])
			if fl, ok := w.(http.Flusher); ok {
				fl.Flush()
			}
			panic(http.ErrAbortHandler)
		case d.replyIn > 0:
			rec := serveHeld(h, w, r, d.replyIn)
			w.WriteHeader(rec.status)
			w.Write(rec.body.Bytes())
		default:
			h.ServeHTTP(w, r)
		}
	})
}

// serveHeld has h carry r out into a recorder, holds the reply back d
// (holdReply), then copies its header to w and returns it for the caller
// to send, whole or cut. The handler has done its work (a write
// committed); a client gone during the wait gets nothing: the connection
// is closed.
func serveHeld(h http.Handler, w http.ResponseWriter, r *http.Request, d time.Duration) *recorder {
	rec := newRecorder()
	h.ServeHTTP(rec, r)
	if !holdReply(r, d) {
		panic(http.ErrAbortHandler)
	}
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	return rec
}

// maxDrain bounds what is read of a body the handler left unread.
const maxDrain = 1 << 20

// holdReply waits d after r was handled, and reports false if the client
// went away (the request's context ended) first. Reading what the handler
// left of the body first lets net/http notice a client that goes away.
func holdReply(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	io.Copy(io.Discard, io.LimitReader(r.Body, maxDrain))
	return wait(r, d)
}

// wait waits d, and reports false if the request's context ended first.
func wait(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// recorder buffers a reply.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}, status: http.StatusOK} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) Write(p []byte) (int, error) { return r.body.Write(p) }

func (r *recorder) WriteHeader(status int) { r.status = status }
