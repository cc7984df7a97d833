package practice

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/carebook/carebook/practice/access"
	"github.com/carebook/carebook/practice/audit"
	"github.com/carebook/carebook/practice/faults"
	"github.com/carebook/carebook/practice/fhirserver"
	"github.com/carebook/carebook/practice/rules"
	"github.com/carebook/carebook/practice/smart"
	"github.com/carebook/carebook/practice/staff"
	"github.com/carebook/carebook/practice/store"
	"github.com/carebook/carebook/practice/synth"
)

// Config configures a practice Server.
type Config struct {
	// Addr is where to listen; default "127.0.0.1:0" (a free port).
	Addr string
	// DataFile is the SQLite file; "" means a temporary file removed by
	// Close.
	DataFile string
	// Seed and Scale are passed to synth: Scale 0 or 1 is the normal demo,
	// N > 1 adds a patient with about N×1,000 resources.
	Seed  int64
	Scale int
	// StaffDelay is how long the simulated staff take to react (default
	// 30s; tests use milliseconds).
	StaffDelay time.Duration
	// StaffNow is the staff's clock (nil: time.Now); tests move it to
	// make the staff answer when they choose.
	StaffNow func() time.Time
	// StaffPoll is how often the staff look for work (0: a quarter of
	// StaffDelay, between 20 ms and 2 s); tests that make the staff work
	// with Staff().Step set it long.
	StaffPoll time.Duration
	// AccessTokenTTL is the access token lifetime (default 1h).
	AccessTokenTTL time.Duration
	// PasswordCost is the Argon2id memory cost (KiB) of account passwords;
	// 0 is the production cost. Tests pass a small value (64) to start fast.
	PasswordCost int
	// Load lists extra FHIR Bundle files to load at start (Synthea
	// transaction bundles, batches of PUTs, collections).
	Load []string
	// Logf receives operational messages (never patient data); nil = silent.
	Logf func(format string, args ...any)
	// Name is the practice's name (default "Riverside Family Practice").
	Name string
	// Dataset chooses the practice's data: "" is the demo practice
	// (synth.Generate), synth.DatasetLakeside a second practice that also
	// sees the demo patient Maya (synth.Lakeside).
	Dataset string
	// Messages is the practice's message policy (notice and limits);
	// nil means rules.DefaultMessagePolicy. SetMessagePolicy changes it.
	Messages *rules.MessagePolicy
}

// Server is one running practice: FHIR API under /fhir/, SMART
// authorization server under /auth/, simulated staff, fault injection.
//
// Threading: all methods are safe for concurrent use; Close stops
// everything New and Start started.
type Server struct {
	cfg      Config
	st       *store.Store
	auth     *smart.Server
	fhir     *fhirserver.Server
	faults   *faults.Injector
	staff    *staff.Worker
	accounts []synth.Account
	loaded   []string // ids of the Patients that cfg.Load brought in
	handler  http.Handler

	listener net.Listener
	url      string
	httpSrv  *http.Server

	messages atomic.Pointer[rules.MessagePolicy]

	mu      sync.Mutex
	started bool
	closed  bool
	cancel  context.CancelFunc
	done    sync.WaitGroup
}

// New opens the store, seeds the demo practice (when the store has no
// Patient yet), loads cfg.Load, creates the demo accounts and wires the
// authorization server, the FHIR API, the practice's rules and its staff.
// It binds the listening socket (so URL is known) but serves nothing until
// Start.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Name == "" {
		cfg.Name = defaultName
	}
	if cfg.StaffDelay <= 0 {
		cfg.StaffDelay = 30 * time.Second
	}
	s := &Server{cfg: cfg, faults: &faults.Injector{}}
	mp := rules.DefaultMessagePolicy()
	if cfg.Messages != nil {
		mp = *cfg.Messages
	}
	s.messages.Store(&mp)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("practice: listen: %w", err)
	}
	s.listener = ln
	s.url = "http://" + publicAddr(ln.Addr())
	if err := s.open(ctx); err != nil {
		ln.Close()
		if s.st != nil {
			s.st.Close()
		}
		return nil, err
	}
	return s, nil
}

// defaultName is the demo practice's name.
const defaultName = "Riverside Family Practice"

// publicAddr is addr as clients reach it: a wildcard listen address
// (0.0.0.0, ::) is reached on the loopback address.
func publicAddr(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return addr.String()
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
}

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Logf != nil {
		s.cfg.Logf(format, args...)
	}
}

// open builds everything behind the listener.
func (s *Server) open(ctx context.Context) error {
	st, err := s.openTemplate()
	fromTemplate := st != nil
	if err == nil && st == nil {
		st, err = store.Open(s.cfg.DataFile)
	}
	if err != nil {
		return fmt.Errorf("practice: %w", err)
	}
	s.st = st
	s.auth, err = smart.New(st.DB(), directory{st}, smart.Config{
		Issuer:         s.url,
		FHIRBase:       s.url + "/fhir",
		AccessTokenTTL: s.cfg.AccessTokenTTL,
		PasswordCost:   s.cfg.PasswordCost,
		PracticeName:   s.cfg.Name,
	})
	if err != nil {
		return fmt.Errorf("practice: authorization server: %w", err)
	}
	if err := s.seed(ctx); err != nil {
		return err
	}
	if !fromTemplate {
		if err := s.keepTemplate(ctx); err != nil {
			return fmt.Errorf("practice: %w", err)
		}
	}
	for _, path := range s.cfg.Load {
		if err := s.loadFile(ctx, path); err != nil {
			return err
		}
	}
	auditLog, err := audit.Open(st.DB(), s.cfg.Name)
	if err != nil {
		return fmt.Errorf("practice: %w", err)
	}
	s.fhir, err = fhirserver.New(fhirserver.Config{
		Store:              st,
		Audit:              auditLog,
		Verifier:           s.auth,
		Hook:               policyHook{rules.Policy{Messages: s.MessagePolicy, VideoBase: s.url + "/visit"}},
		SMARTConfiguration: s.auth.Configuration,
		Messages: func() fhirserver.MessagePolicy {
			mp := s.MessagePolicy()
			return fhirserver.MessagePolicy{Notice: mp.Notice, MaxText: mp.MaxText, MaxAttachmentBytes: mp.MaxAttachmentBytes,
				MaxParts: mp.MaxParts, AttachmentTypes: mp.AttachmentTypes}
		},
		Name:            s.cfg.Name,
		PatientEditable: rules.PatientEditable,
		PatientAsk:      rules.PatientAsk,
		PaymentPage:     s.url + "/pay",
		Logf:            s.cfg.Logf,
	})
	if err != nil {
		return fmt.Errorf("practice: %w", err)
	}
	s.staff = staff.New(st, staff.Config{Delay: s.cfg.StaffDelay, Now: s.cfg.StaffNow, Poll: s.cfg.StaffPoll, Seed: s.cfg.Seed, Logger: s.slogger(), Audit: auditLog})
	mux := http.NewServeMux()
	mux.Handle("/fhir/", s.fhir.Handler())
	mux.Handle("/fhir", s.fhir.Handler())
	mux.Handle("/auth/", s.auth.Handler())
	mux.HandleFunc("GET /visit/{room}", videoRoom)
	mux.HandleFunc("GET /pay", paymentPage)
	s.handler = s.faults.Wrap(mux)
	return nil
}

// seed loads the synthetic demo practice into an empty store and creates
// its portal accounts.
func (s *Server) seed(ctx context.Context) error {
	bundles, accounts, err := s.generate()
	if err != nil {
		return fmt.Errorf("practice: generate demo data: %w", err)
	}
	s.accounts = accounts
	_, patients, err := s.st.Search(ctx, "Patient", store.Query{CountOnly: true})
	if err != nil {
		return fmt.Errorf("practice: %w", err)
	}
	if patients == 0 {
		for i, b := range bundles {
			if _, err := s.st.LoadBundle(ctx, bytes.NewReader(b)); err != nil {
				return fmt.Errorf("practice: load demo bundle %d: %w", i, err)
			}
		}
		s.logf("practice: loaded %d demo bundles", len(bundles))
	}
	for _, a := range accounts {
		err := s.auth.CreateUser(ctx, a.Username, a.Password, a.FHIRUser)
		if errors.Is(err, smart.ErrUserExists) {
			continue // a data file from an earlier run
		}
		if err != nil {
			return fmt.Errorf("practice: create demo account: %w", err)
		}
		for _, pid := range a.PatientIDs {
			rel := smart.Relation(a.Relations[pid])
			if err := s.auth.AddAccessAs(ctx, a.Username, pid, rel, a.RelatedPersons[pid]); err != nil {
				return fmt.Errorf("practice: give demo account access: %w", err)
			}
		}
	}
	return nil
}

// loadFile loads one FHIR Bundle file.
func (s *Server) loadFile(ctx context.Context, path string) error {
	body, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("practice: load: %w", err)
	}
	// A file loaded into this data file before (the same command run
	// again with --data) is not loaded twice: its POST entries would
	// make a second copy of each patient.
	if ids, err := s.loadedBefore(ctx, body); err != nil {
		return fmt.Errorf("practice: load %s: %w", path, err)
	} else if ids != nil {
		s.logf("practice: %s was loaded before", path)
		s.loaded = append(s.loaded, ids...)
		return nil
	}
	before := s.st.SafeTime()
	counts, err := s.st.LoadBundle(ctx, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("practice: load %s: %w", path, err)
	}
	n := 0
	for _, c := range counts {
		n += c
	}
	s.logf("practice: loaded %d resources from %s", n, path)
	if counts["Patient"] == 0 {
		return nil
	}
	// The Patients written since before are the ones this file brought
	// (nothing else writes while New runs).
	q, _, err := store.ParseQuery("Patient", url.Values{
		"_lastUpdated": {"gt" + store.FormatInstant(before)},
		"_count":       {strconv.Itoa(store.MaxCount)},
	}, false)
	if err != nil {
		return fmt.Errorf("practice: load %s: %w", path, err)
	}
	for {
		rs, _, err := s.st.Search(ctx, "Patient", q)
		if err != nil {
			return fmt.Errorf("practice: load %s: %w", path, err)
		}
		for _, r := range rs {
			s.loaded = append(s.loaded, r.ID)
		}
		if len(rs) < store.MaxCount {
			return nil
		}
		q.After = rs[len(rs)-1].Seq
	}
}

// loadedBefore returns the ids of the bundle's Patients when every one of
// them is already in the store (found by its first identifier), else nil.
func (s *Server) loadedBefore(ctx context.Context, bundle []byte) ([]string, error) {
	var b struct {
		Entry []struct {
			Resource struct {
				ResourceType string `json:"resourceType"`
				Identifier   []struct {
					System string `json:"system"`
					Value  string `json:"value"`
				} `json:"identifier"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(bundle, &b); err != nil {
		return nil, nil // LoadBundle says what is wrong with it
	}
	esc := strings.NewReplacer(`\`, `\\`, `,`, `\,`, `|`, `\|`, `$`, `\$`)
	var ids []string
	for _, e := range b.Entry {
		r := e.Resource
		if r.ResourceType != "Patient" {
			continue
		}
		if len(r.Identifier) == 0 || r.Identifier[0].System == "" || r.Identifier[0].Value == "" {
			return nil, nil
		}
		q, _, err := store.ParseQuery("Patient", url.Values{"identifier": {
			esc.Replace(r.Identifier[0].System) + "|" + esc.Replace(r.Identifier[0].Value)}}, false)
		if err != nil {
			return nil, nil
		}
		q.Count = 1
		rs, _, err := s.st.Search(ctx, "Patient", q)
		if err != nil {
			return nil, err
		}
		if len(rs) == 0 {
			return nil, nil
		}
		ids = append(ids, rs[0].ID)
	}
	return ids, nil
}

// Invitation is a one-time activation code for a patient loaded with
// Config.Load: such a patient has no portal account, and enrolling with the
// code and the birth date (at URL()+"/auth/enroll") creates one.
type Invitation struct {
	PatientID string
	Name      string
	BirthDate string // YYYY-MM-DD, as the enrollment page asks for it
	Code      string
}

// InviteLoadedPatients creates a fresh activation code for every Patient
// that Config.Load loaded, in load order. Each call makes new codes; older
// unused ones stay valid until they expire.
func (s *Server) InviteLoadedPatients(ctx context.Context) ([]Invitation, error) {
	var out []Invitation
	for _, id := range s.loaded {
		info, err := directory{s.st}.Patient(ctx, id)
		if err != nil {
			return nil, err
		}
		code, err := s.auth.CreateActivationCode(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("practice: invite %s: %w", id, err)
		}
		inv := Invitation{PatientID: id, Name: info.Name, Code: code}
		if !info.BirthDate.IsZero() {
			inv.BirthDate = info.BirthDate.Format(time.DateOnly)
		}
		out = append(out, inv)
	}
	return out, nil
}

// slogger adapts Logf for the staff worker.
func (s *Server) slogger() *slog.Logger {
	if s.cfg.Logf == nil {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(logfWriter(s.cfg.Logf), nil))
}

type logfWriter func(format string, args ...any)

// Write passes one log line to the Logf function.
func (f logfWriter) Write(p []byte) (int, error) {
	f("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Start serves HTTP on the bound address and starts the simulated staff,
// both in goroutines. It returns at once.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("practice: Start after Close")
	}
	if s.started {
		return errors.New("practice: already started")
	}
	s.started = true
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.httpSrv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          nil,
	}
	s.done.Add(2)
	go func() {
		defer s.done.Done()
		if err := s.httpSrv.Serve(s.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logf("practice: serve: %v", err)
		}
	}()
	go func() {
		defer s.done.Done()
		s.staff.Run(ctx)
	}()
	return nil
}

// URL returns the server's base URL, e.g. "http://127.0.0.1:8085".
func (s *Server) URL() string { return s.url }

// FHIRBase returns URL()+"/fhir".
func (s *Server) FHIRBase() string { return s.url + "/fhir" }

// Handler returns the whole server's handler (FHIR API, authorization
// server, fault injection), for tests that serve it themselves. Tokens name
// URL() as their issuer and audience.
func (s *Server) Handler() http.Handler { return s.handler }

// DemoAccounts returns the demo portal accounts.
func (s *Server) DemoAccounts() []synth.Account { return s.accounts }

// Auth returns the SMART authorization server.
func (s *Server) Auth() *smart.Server { return s.auth }

// Store returns the FHIR resource store.
func (s *Server) Store() *store.Store { return s.st }

// MessagePolicy is the practice's message policy in force: what it
// publishes and enforces.
func (s *Server) MessagePolicy() rules.MessagePolicy { return *s.messages.Load() }

// SetMessagePolicy changes the practice's message policy (a practice
// changing its limits while apps hold the old ones, say).
func (s *Server) SetMessagePolicy(mp rules.MessagePolicy) { s.messages.Store(&mp) }

// Faults returns the fault injector in front of every endpoint.
func (s *Server) Faults() *faults.Injector { return s.faults }

// Staff returns the simulated staff, so tests can run a pass with Step.
func (s *Server) Staff() *staff.Worker { return s.staff }

// Close stops serving and the staff, and closes the store (removing it if
// it was a temporary file).
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	var errs []error
	if s.httpSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := s.httpSrv.Shutdown(ctx); err != nil {
			s.httpSrv.Close()
		}
		cancel()
	} else {
		s.listener.Close()
	}
	if s.cancel != nil {
		s.cancel()
	}
	s.done.Wait()
	if err := s.st.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// directory is the authorization server's view of the patients in the
// store.
type directory struct{ st *store.Store }

// Patient returns the name and birth date of Patient id.
func (d directory) Patient(ctx context.Context, id string) (access.PatientInfo, error) {
	r, err := d.st.Read(ctx, "Patient", id)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrGone) {
		return access.PatientInfo{}, fmt.Errorf("practice: patient: %w", access.ErrUnknownPatient)
	}
	if err != nil {
		return access.PatientInfo{}, fmt.Errorf("practice: patient: %w", err)
	}
	m, err := store.DecodeResource(r.JSON, "Patient")
	if err != nil {
		return access.PatientInfo{}, fmt.Errorf("practice: patient: %w", err)
	}
	info := access.PatientInfo{ID: id, Name: displayName(m)}
	if bd, ok := m["birthDate"].(string); ok {
		if lo, _, ok := store.ParseDateRange(bd); ok {
			info.BirthDate = time.UnixMicro(lo).UTC()
		}
	}
	return info, nil
}

// ProxyActive reports whether RelatedPerson id is in force: it exists and
// is not marked inactive.
func (d directory) ProxyActive(ctx context.Context, id string) (bool, error) {
	r, err := d.st.Read(ctx, "RelatedPerson", id)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrGone) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("practice: related person: %w", err)
	}
	m, err := store.DecodeResource(r.JSON, "RelatedPerson")
	if err != nil {
		return false, fmt.Errorf("practice: related person: %w", err)
	}
	active, ok := m["active"].(bool)
	return !ok || active, nil
}

// displayName is "Given Family" of the official (or first) name.
func displayName(m map[string]any) string {
	names, _ := m["name"].([]any)
	var chosen map[string]any
	for _, n := range names {
		nm, _ := n.(map[string]any)
		if nm == nil {
			continue
		}
		if chosen == nil || nm["use"] == "official" {
			chosen = nm
		}
	}
	if chosen == nil {
		return ""
	}
	if text, ok := chosen["text"].(string); ok && text != "" {
		return text
	}
	var parts []string
	given, _ := chosen["given"].([]any)
	for _, g := range given {
		if s, ok := g.(string); ok {
			parts = append(parts, s)
		}
	}
	if fam, ok := chosen["family"].(string); ok {
		parts = append(parts, fam)
	}
	return strings.Join(parts, " ")
}

// policyHook applies the practice's rules to writes made through the API.
type policyHook struct{ policy rules.Policy }

// BeforeWrite runs rules.Policy.Check inside the write transaction.
func (h policyHook) BeforeWrite(ctx context.Context, tx *store.Tx, w fhirserver.Write) error {
	req := rules.Request{Method: w.Method, Type: w.Type, ID: w.ID, New: w.New, Grant: w.Grant}
	if w.Old != nil {
		req.Old = w.Old.JSON
	}
	err := h.policy.Check(ctx, rulesTx{tx}, req)
	var refusal *rules.Refusal
	if errors.As(err, &refusal) {
		return &fhirserver.OperationOutcomeError{Status: refusal.Status, Code: refusal.Code, Message: refusal.Message}
	}
	return err
}

// AdjustWrite adds the practice's own part of a booking (rules.Policy.Adjust).
func (h policyHook) AdjustWrite(ctx context.Context, tx *store.Tx, w fhirserver.Write) ([]byte, error) {
	req := rules.Request{Method: w.Method, Type: w.Type, ID: w.ID, New: w.New, Grant: w.Grant}
	if w.Old != nil {
		req.Old = w.Old.JSON
	}
	return h.policy.Adjust(ctx, rulesTx{tx}, req)
}

// rulesTx gives the rules the store transaction.
type rulesTx struct{ tx *store.Tx }

// Read returns the current JSON of typ/id, or rules.ErrNotFound.
func (t rulesTx) Read(ctx context.Context, typ, id string) ([]byte, error) {
	r, err := t.tx.Read(ctx, typ, id)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrGone) {
		return nil, fmt.Errorf("%s: %w", typ, rules.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return r.JSON, nil
}

// Put writes body as the next version of typ/id.
func (t rulesTx) Put(ctx context.Context, typ, id string, body []byte) error {
	_, err := t.tx.Put(ctx, typ, id, body)
	return err
}

// paymentPage is the practice's page for paying a bill online, which its
// CapabilityStatement publishes: the app opens it in the browser and never
// handles card data itself. (A real practice links to its payment
// processor here; the reference practice takes no payments.)
func paymentPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(w, `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pay your bill – Riverside Family Practice</title></head>
<body><main><h1>Pay your bill</h1>
<p>Riverside Family Practice takes payments for your statements here, by card or bank transfer, through its payment service.</p>
<p>Have your statement at hand: its date and amount are on the statement in Carebook.</p>
<p>This is the reference practice of Carebook: it takes no real payments. Questions about a bill: call the billing office at (555) 201-4400.</p>
</main></body></html>`)
}

// videoRoom is the page a video visit's join link opens: the practice's
// waiting room. (A real practice links to its video service here.)
func videoRoom(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(w, `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Video visit – Riverside Family Practice</title></head>
<body><main><h1>Video visit</h1>
<p>You are in the waiting room of Riverside Family Practice. Your clinician will join you here at the time of your appointment.</p>
<p>Keep this page open, and allow the camera and microphone when your browser asks.</p>
</main></body></html>`)
}
