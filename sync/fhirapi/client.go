package fhirapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-resty/resty/v2"
)

// API is the small interface the rest of sync uses to reach a FHIR server.
// *Client implements it; tests and wrappers can provide their own.
type API interface {
	// Capabilities reads and parses GET {base}/metadata.
	Capabilities(ctx context.Context) (*Capabilities, error)
	// Get reads path (relative to the base, such as "Patient/123"; each
	// id in it escaped once with url.PathEscape) and returns the whole body.
	Get(ctx context.Context, path string, query url.Values) (*Response, error)
	// Search runs a search or history request and follows its "next"
	// links, streaming every entry of every page to h.
	Search(ctx context.Context, path string, query url.Values, h SearchHandler) (SearchInfo, error)
	// Create POSTs body to typ. A non-empty ifNoneExist ("identifier=s|v")
	// makes it a conditional create, which is safe to retry.
	Create(ctx context.Context, typ string, body []byte, ifNoneExist string) (*Response, error)
	// Update PUTs body to typ/id. A non-empty ifMatch (an ETag such as
	// W/"3") makes the update conditional on the version, and retryable.
	Update(ctx context.Context, typ, id string, body []byte, ifMatch string) (*Response, error)
}

// TokenSource gives access tokens for the Authorization header. Package
// sync/smart implements it.
type TokenSource interface {
	// AccessToken returns a valid access token, refreshing it if needed.
	AccessToken(ctx context.Context) (string, error)
	// Refused tells the source the server answered 401 to token, so the
	// next AccessToken call must not return it again.
	Refused(token string)
}

// Options tune a Client. Zero values take the defaults in parentheses.
type Options struct {
	// HTTPClient carries the requests (a client with sane transport
	// timeouts). Its CheckRedirect is replaced by the Client's own policy.
	HTTPClient *http.Client
	// Token supplies access tokens; nil sends no Authorization header (an
	// open server).
	Token TokenSource
	// MaxBodyBytes caps a reply body after decompression (64 MiB).
	MaxBodyBytes int64
	// MaxPages caps the pages of one search (10,000).
	MaxPages int
	// RequestTimeout bounds one attempt, body included (2 minutes), plus
	// the time a request's body takes at UploadRate.
	RequestTimeout time.Duration
	// UploadRate is the slowest upload, in bytes per second, a request's
	// body is given time for (32 KiB/s, a poor mobile link): a message
	// with photos gets there on a slow link instead of timing out on every
	// try.
	UploadRate int64
	// MaxAttempts is how often a retryable request is tried (5).
	MaxAttempts int
	// MinBackoff and MaxBackoff bound the jittered exponential backoff
	// between attempts (500 ms, 30 s).
	MinBackoff, MaxBackoff time.Duration
	// MaxRetryAfter is the longest Retry-After the client waits for before
	// giving up and returning the error (2 minutes).
	MaxRetryAfter time.Duration
	// UserAgent is sent with every request ("carebook").
	UserAgent string
}

func (o *Options) setDefaults() {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 64 << 20
	}
	if o.MaxPages <= 0 {
		o.MaxPages = 10000
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 2 * time.Minute
	}
	if o.UploadRate <= 0 {
		o.UploadRate = 32 << 10
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 500 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = 2 * time.Minute
	}
	if o.UserAgent == "" {
		o.UserAgent = "carebook"
	}
}

// Response is a successful (2xx) reply read in full.
type Response struct {
	Status   int
	Header   http.Header
	Body     []byte
	ETag     string
	Location string
	// Date is the server's Date header (zero when absent or malformed).
	Date time.Time
}

// SearchHandler receives a search's results. Entry is called for each entry
// as it is decoded; PageDone after each complete page. PageStart, if set,
// is called before each attempt to read a page: a page whose reply was cut
// off mid-body is read again, and the handler must then forget the entries
// it got from the failed attempt. Any may be nil. An error from Entry or
// PageDone stops the search and is returned as is.
type SearchHandler struct {
	PageStart func(number int)
	Entry     func(Entry) error
	PageDone  func(Page) error
}

// Page describes one complete page of a search.
type Page struct {
	Number int // 1-based
	Bundle BundleInfo
	// Date is the reply's Date header.
	Date time.Time
}

// SearchInfo sums up a finished search.
type SearchInfo struct {
	Pages   int
	Entries int
	// FirstDate and FirstLastUpdated are the Date header and the
	// Bundle.meta.lastUpdated of the first page: server time when the
	// search ran.
	FirstDate, FirstLastUpdated time.Time
}

// Client talks to one FHIR server. It is safe for concurrent use.
type Client struct {
	base     *url.URL
	opts     Options
	rc       *resty.Client
	requests atomic.Int64
}

var _ API = (*Client)(nil)

// New returns a client for the FHIR base URL. The base must be https unless
// its host is loopback (ErrInsecure).
func New(base string, opts Options) (*Client, error) {
	opts.setDefaults()
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("fhirapi: base URL is not an absolute URL")
	}
	if err := checkSecure(u); err != nil {
		return nil, err
	}
	hc := &http.Client{Timeout: 0}
	if opts.HTTPClient != nil {
		cp := *opts.HTTPClient
		hc = &cp
	}
	c := &Client{base: u, opts: opts}
	hc.CheckRedirect = c.checkRedirect
	c.rc = resty.NewWithClient(hc).SetDisableWarn(true).SetLogger(quietLogger{})
	return c, nil
}

// Base returns the FHIR base URL, without a trailing slash.
func (c *Client) Base() string { return c.base.String() }

// Requests returns how many HTTP requests (attempts) the client has sent.
func (c *Client) Requests() int64 { return c.requests.Load() }

// CheckSecureURL reports ErrInsecure unless raw is an absolute https URL,
// or http on a loopback host (127.0.0.1, ::1, localhost). Package
// sync/smart applies it to the authorization and token endpoints.
func CheckSecureURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%w: not an absolute URL", ErrInsecure)
	}
	return checkSecure(u)
}

// checkSecure enforces https except for loopback hosts.
func checkSecure(u *url.URL) error {
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if host == "localhost" {
			return nil
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			return nil
		}
	}
	return fmt.Errorf("%w: %s://%s", ErrInsecure, u.Scheme, u.Host)
}

// sameOrigin reports whether a and b share scheme, host and port.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && effectivePort(a) == effectivePort(b)
}

func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

// checkRedirect never lets the Authorization header reach another origin,
// and refuses redirects to insecure URLs. A permanent redirect (301, 308)
// to another origin is the server saying it moved: it is not followed at
// all (*MovedError), so nothing, token or not, is sent to the new address
// before the patient signs in there.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if err := SecureRedirect(req, via); err != nil {
		return err
	}
	if !sameOrigin(req.URL, via[0].URL) {
		if req.Response != nil && (req.Response.StatusCode == http.StatusMovedPermanently ||
			req.Response.StatusCode == http.StatusPermanentRedirect) {
			return &MovedError{To: c.movedBase(via[len(via)-1].URL, req.URL)}
		}
		req.Header.Del("Authorization")
	}
	return nil
}

// movedBase is the FHIR base URL a request to from, redirected to to,
// implies: to without the path from has below the base.
func (c *Client) movedBase(from, to *url.URL) string {
	base := strings.TrimRight(c.base.Path, "/")
	rel := strings.TrimPrefix(from.Path, base)
	path := to.Path
	if rel != from.Path && rel != "" && strings.HasSuffix(path, rel) {
		path = strings.TrimSuffix(path, rel)
	}
	u := url.URL{Scheme: to.Scheme, Host: to.Host, Path: strings.TrimRight(path, "/")}
	return u.String()
}

// resolve turns a path relative to the base into a URL with query. The
// path comes escaped (callers url.PathEscape each id) and is used as is:
// escaping it again would turn an id's "%2F" into "%252F".
func (c *Client) resolve(path string, query url.Values) *url.URL {
	u := *c.base
	escaped := strings.TrimRight(c.base.EscapedPath(), "/") + "/" + strings.TrimLeft(path, "/")
	if p, err := url.PathUnescape(escaped); err == nil {
		u.Path, u.RawPath = p, escaped
	} else { // not a valid escaping: let net/url escape it whole
		u.Path, u.RawPath = escaped, ""
	}
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	return &u
}

type request struct {
	method     string
	url        *url.URL
	body       []byte
	header     map[string]string
	idempotent bool
}

// send performs req, retrying where allowed, and returns a 2xx reply whose
// body the caller must close. Every non-2xx reply becomes an error here.
func (c *Client) send(ctx context.Context, req request) (*http.Response, error) {
	refused := false
	reached := false // an earlier try may have reached the server
	for attempt := 1; ; attempt++ {
		resp, err := c.attempt(ctx, req)
		if err == nil {
			return resp, nil
		}
		switch {
		case reached && errors.Is(err, ErrUploadCut):
			// This try was cut short, but an earlier one may have got
			// through: the request as a whole is not provably unsent.
			err = fmt.Errorf("%w: %s %s: an earlier try may have reached the server; this one could not be sent in full", ErrNetwork, req.method, c.safePath(req.url))
		case reached && req.body != nil && !mayHaveReached(err):
			// This try never reached the server (no token, or the token
			// refused: its refresh comes between tries), but an earlier
			// one may have.
			err = fmt.Errorf("%w: %w", ErrMayHaveReached, err)
		}
		reached = reached || mayHaveReached(err)
		var oe *OperationOutcomeError
		if errors.As(err, &oe) && oe.Status == http.StatusUnauthorized && c.opts.Token != nil && !refused {
			// The server refused a token the source thought valid (revoked or
			// expired early): get a fresh one once. A 401 means the request
			// was not processed, so resending is safe for any method.
			refused = true
			attempt--
			continue
		}
		if !req.idempotent || attempt >= c.opts.MaxAttempts || !retryable(err) {
			return nil, err
		}
		wait := c.backoff(attempt)
		if errors.As(err, &oe) && oe.RetryAfter > 0 {
			if oe.RetryAfter > c.opts.MaxRetryAfter {
				return nil, err
			}
			wait = oe.RetryAfter
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%s %s: %w", req.method, c.safePath(req.url), ctx.Err())
		case <-t.C:
		}
	}
}

// mayHaveReached reports whether a try that failed with err may have been
// processed by the server: anything but a request cut short, no access
// token, or a 401 (the server processed nothing).
func mayHaveReached(err error) bool {
	var oe *OperationOutcomeError
	switch {
	case errors.Is(err, ErrMayHaveReached):
		return true
	case errors.Is(err, ErrUploadCut), errors.Is(err, ErrAccessToken):
		return false
	case errors.As(err, &oe) && oe.Status == http.StatusUnauthorized:
		return false
	}
	return true
}

// retryable reports a failure worth another try at once. A request cut
// short is not: the link that could not carry it in the time allowed will
// not carry it now, and the caller (the outbox) tries again later.
func retryable(err error) bool {
	var oe *OperationOutcomeError
	if errors.As(err, &oe) {
		return oe.Status == http.StatusTooManyRequests || oe.Status == http.StatusServiceUnavailable
	}
	return errors.Is(err, ErrNetwork) && !errors.Is(err, ErrUploadCut)
}

// backoff is full-jitter exponential: a random delay in [d/2, d] where d
// doubles each attempt from MinBackoff up to MaxBackoff.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.opts.MinBackoff << (attempt - 1)
	if d > c.opts.MaxBackoff || d <= 0 {
		d = c.opts.MaxBackoff
	}
	return d/2 + rand.N(d/2+1)
}

func (c *Client) attempt(ctx context.Context, req request) (*http.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.method, c.safePath(req.url), err)
	}
	actx, cancel := context.WithTimeout(ctx, c.attemptTimeout(len(req.body)))
	var progress uploadProgress
	actx = httptrace.WithClientTrace(actx, progress.trace())
	r := c.rc.R().SetContext(actx).SetDoNotParseResponse(true).
		SetHeader("Accept", "application/fhir+json").
		SetHeader("User-Agent", c.opts.UserAgent)
	var token string
	if c.opts.Token != nil {
		var err error
		// The attempt's timeout covers getting the token too: a token
		// endpoint that never answers must not hang the request.
		token, err = c.opts.Token.AccessToken(actx)
		if err != nil {
			cancel()
			return nil, fmt.Errorf("%s %s: %w: %w", req.method, c.safePath(req.url), ErrAccessToken, err)
		}
		r.SetHeader("Authorization", "Bearer "+token)
	}
	for k, v := range req.header {
		r.SetHeader(k, v)
	}
	if req.body != nil {
		r.SetHeader("Content-Type", "application/fhir+json").SetBody(req.body)
	}
	c.requests.Add(1)
	resp, err := r.Execute(req.method, req.url.String())
	if err != nil {
		cancel()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s %s: %w", req.method, c.safePath(req.url), ctx.Err())
		}
		var moved *MovedError
		if errors.As(err, &moved) {
			return nil, fmt.Errorf("%s %s: %w", req.method, c.safePath(req.url), moved)
		}
		// A *url.Error repeats the URL with its query (search values): keep
		// only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if req.body != nil && progress.cut() {
			return nil, fmt.Errorf("%w: %w: %s %s: %v", ErrNetwork, ErrUploadCut, req.method, c.safePath(req.url), err)
		}
		return nil, fmt.Errorf("%w: %s %s: %v", ErrNetwork, req.method, c.safePath(req.url), err)
	}
	hr := resp.RawResponse
	hr.Body = &cappedBody{rc: hr.Body, left: c.opts.MaxBodyBytes, cancel: cancel}
	if hr.StatusCode >= 200 && hr.StatusCode < 300 {
		return hr, nil
	}
	defer hr.Body.Close()
	if hr.StatusCode == http.StatusUnauthorized && token != "" {
		c.opts.Token.Refused(token)
	}
	oe := &OperationOutcomeError{Method: req.method, Path: c.safePath(req.url), Status: hr.StatusCode}
	if hr.StatusCode == http.StatusTooManyRequests || hr.StatusCode == http.StatusServiceUnavailable {
		oe.RetryAfter = parseRetryAfter(hr.Header.Get("Retry-After"), time.Now())
	}
	body, _ := io.ReadAll(io.LimitReader(hr.Body, 1<<20))
	var outcome struct {
		ResourceType string  `json:"resourceType"`
		Issue        []Issue `json:"issue"`
	}
	if json.Unmarshal(body, &outcome) == nil && outcome.ResourceType == "OperationOutcome" {
		oe.Issues = outcome.Issue
	}
	return nil, oe
}

// attemptTimeout bounds an attempt whose request has a body of size
// bytes: RequestTimeout, plus the body's time at UploadRate.
func (c *Client) attemptTimeout(size int) time.Duration {
	return c.opts.RequestTimeout + time.Duration(float64(size)/float64(c.opts.UploadRate)*float64(time.Second))
}

// uploadProgress follows one attempt's request on its way out: whether
// it got a connection, and whether all of it (body included) was written.
type uploadProgress struct {
	connected, written atomic.Bool
}

func (p *uploadProgress) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { p.connected.Store(true) },
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				p.written.Store(true)
			}
		},
	}
}

// cut reports a request that reached a connection but not the end of
// its body.
func (p *uploadProgress) cut() bool { return p.connected.Load() && !p.written.Load() }

// cappedBody fails with ErrTooLarge once more than left bytes were read,
// and ends the attempt's timeout context on Close.
type cappedBody struct {
	rc     io.ReadCloser
	left   int64
	cancel context.CancelFunc
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, ErrTooLarge
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return 0, ErrTooLarge
	}
	if err != nil && !errors.Is(err, io.EOF) {
		err = fmt.Errorf("%w: reading body: %v", ErrNetwork, err)
	}
	return n, err
}

func (b *cappedBody) Close() error {
	err := b.rc.Close()
	b.cancel()
	return err
}

func readResponse(hr *http.Response) (*Response, error) {
	defer hr.Body.Close()
	body, err := io.ReadAll(hr.Body)
	if err != nil {
		return nil, err
	}
	return &Response{
		Status:   hr.StatusCode,
		Header:   hr.Header,
		Body:     body,
		ETag:     hr.Header.Get("ETag"),
		Location: hr.Header.Get("Location"),
		Date:     parseDate(hr.Header),
	}, nil
}

func parseDate(h http.Header) time.Time {
	t, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return time.Time{}
	}
	return t
}

// Get implements API. A reply cut off mid-body is fetched again.
func (c *Client) Get(ctx context.Context, path string, query url.Values) (*Response, error) {
	u := c.resolve(path, query)
	for attempt := 1; ; attempt++ {
		hr, err := c.send(ctx, request{method: http.MethodGet, url: u, idempotent: true})
		if err != nil {
			return nil, err
		}
		resp, err := readResponse(hr)
		if err == nil {
			return resp, nil
		}
		err = fmt.Errorf("GET %s: %w", c.safePath(u), err)
		if !errors.Is(err, ErrNetwork) || attempt >= c.opts.MaxAttempts {
			return nil, err
		}
		t := time.NewTimer(c.backoff(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("GET %s: %w", c.safePath(u), ctx.Err())
		case <-t.C:
		}
	}
}

// Capabilities implements API.
func (c *Client) Capabilities(ctx context.Context) (*Capabilities, error) {
	resp, err := c.Get(ctx, "metadata", nil)
	if err != nil {
		return nil, fmt.Errorf("read capability statement: %w", err)
	}
	return ParseCapabilities(resp.Body)
}

// Create implements API.
func (c *Client) Create(ctx context.Context, typ string, body []byte, ifNoneExist string) (*Response, error) {
	req := request{method: http.MethodPost, url: c.resolve(typ, nil), body: body}
	if ifNoneExist != "" {
		req.header = map[string]string{"If-None-Exist": ifNoneExist}
		req.idempotent = true
	}
	hr, err := c.send(ctx, req)
	if err != nil {
		return nil, err
	}
	resp, err := readResponse(hr)
	if err != nil {
		return nil, fmt.Errorf("POST %s: %w", c.safePath(req.url), err)
	}
	return resp, nil
}

// Update implements API.
func (c *Client) Update(ctx context.Context, typ, id string, body []byte, ifMatch string) (*Response, error) {
	req := request{method: http.MethodPut, url: c.resolve(typ+"/"+url.PathEscape(id), nil), body: body}
	if ifMatch != "" {
		req.header = map[string]string{"If-Match": ifMatch}
		req.idempotent = true
	}
	hr, err := c.send(ctx, req)
	if err != nil {
		return nil, err
	}
	resp, err := readResponse(hr)
	if err != nil {
		return nil, fmt.Errorf("PUT %s: %w", c.safePath(req.url), err)
	}
	return resp, nil
}

// Search implements API. Only "next" links on the base's origin are
// followed (ErrForeignLink otherwise), each at most once (a link to a page
// already read is ErrBadResponse: the server is going round in circles),
// at most Options.MaxPages pages (ErrTooLarge beyond).
func (c *Client) Search(ctx context.Context, path string, query url.Values, h SearchHandler) (SearchInfo, error) {
	var info SearchInfo
	entry := h.Entry
	if entry == nil {
		entry = func(Entry) error { return nil }
	}
	u := c.resolve(path, query)
	visited := map[string]bool{}
	for page := 1; ; page++ {
		visited[u.String()] = true
		if page > c.opts.MaxPages {
			return info, fmt.Errorf("search %s: %w: more than %d pages", c.safePath(u), ErrTooLarge, c.opts.MaxPages)
		}
		bi, date, err := c.readPage(ctx, u, page, h, entry)
		if err != nil {
			return info, err
		}
		p := Page{Number: page, Bundle: bi, Date: date}
		info.Pages = page
		info.Entries += bi.Entries
		if page == 1 {
			info.FirstDate, info.FirstLastUpdated = p.Date, bi.LastUpdated
		}
		if h.PageDone != nil {
			if err := h.PageDone(p); err != nil {
				return info, err
			}
		}
		next := bi.Next()
		if next == "" {
			return info, nil
		}
		nu, err := u.Parse(next)
		if err != nil {
			return info, fmt.Errorf("search %s: %w: next link is not a URL", c.safePath(u), ErrBadResponse)
		}
		if !sameOrigin(nu, c.base) {
			return info, fmt.Errorf("search %s: %w", c.safePath(u), ErrForeignLink)
		}
		if err := checkSecure(nu); err != nil {
			return info, err
		}
		if visited[nu.String()] {
			return info, fmt.Errorf("search %s: %w: next link leads to page already read", c.safePath(u), ErrBadResponse)
		}
		u = nu
	}
}

// readPage GETs and decodes one page. A reply cut off mid-body (reset
// connection, truncated body: ErrNetwork while reading) is fetched again,
// with backoff, when no entry was handed out yet or the handler can start
// the page over (PageStart).
func (c *Client) readPage(ctx context.Context, u *url.URL, page int, h SearchHandler, entry func(Entry) error) (BundleInfo, time.Time, error) {
	for attempt := 1; ; attempt++ {
		if h.PageStart != nil {
			h.PageStart(page)
		}
		hr, err := c.send(ctx, request{method: http.MethodGet, url: u, idempotent: true})
		if err != nil {
			return BundleInfo{}, time.Time{}, err
		}
		delivered := 0
		bi, err := DecodeBundle(hr.Body, func(e Entry) error {
			delivered++
			return entry(e)
		})
		hr.Body.Close()
		if err == nil {
			return bi, parseDate(hr.Header), nil
		}
		err = fmt.Errorf("search %s page %d: %w", c.safePath(u), page, err)
		if !errors.Is(err, ErrNetwork) || attempt >= c.opts.MaxAttempts || (delivered > 0 && h.PageStart == nil) {
			return BundleInfo{}, time.Time{}, err
		}
		t := time.NewTimer(c.backoff(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return BundleInfo{}, time.Time{}, fmt.Errorf("search %s: %w", c.safePath(u), ctx.Err())
		case <-t.C:
		}
	}
}

// quietLogger drops resty's own log lines: they can quote URLs with search
// values.
type quietLogger struct{}

func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Warnf(string, ...any)  {}
func (quietLogger) Debugf(string, ...any) {}
