package demo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/carebook/carebook/practice"
	"github.com/carebook/carebook/practice/smart"
	"github.com/carebook/carebook/practice/synth"
)

// Username is the demo patient whose chart the demo opens.
const Username = "maya"

// StaffDelay is how long the demo practice's simulated staff take to read
// and answer: long enough to see a message wait, short enough to see the
// reply in the same session.
const StaffDelay = 20 * time.Second

// Practice is the demo practice running on 127.0.0.1.
type Practice struct {
	srv  *practice.Server
	user string // the account SignIn uses; "" means Username

	mu   sync.Mutex
	jars map[string]http.CookieJar // one browser per demo account
}

// Options tune Start; the zero value is the app's demo.
type Options struct {
	// DataFile keeps the practice's data ("" for a temporary file), so
	// what the patient did in the demo (messages, bookings) is still there
	// at the next start.
	DataFile string
	// StaffDelay defaults to StaffDelay.
	StaffDelay time.Duration
	// PasswordCost is the Argon2id memory cost of the demo accounts'
	// passwords (0: production cost); tests lower it to start fast.
	PasswordCost int
	// PortFile keeps the practice's port between starts ("" for a new
	// free port each time): the app's demo profiles keep their address,
	// as a real practice's does. When that port is taken, another is used
	// and written.
	PortFile string
}

// Start starts the demo practice on a free 127.0.0.1 port.
func Start(ctx context.Context, opts Options) (*Practice, error) {
	return start(ctx, opts, practice.Config{}, "demo practice")
}

// start starts a demo practice with cfg's name and data set and opts:
// on the port kept in opts.PortFile when there is one and it is free,
// else on a free port, which it keeps there. what names the practice in
// errors.
func start(ctx context.Context, opts Options, cfg practice.Config, what string) (*Practice, error) {
	if opts.StaffDelay == 0 {
		opts.StaffDelay = StaffDelay
	}
	cfg.Addr, cfg.DataFile = "127.0.0.1:0", opts.DataFile
	cfg.StaffDelay, cfg.PasswordCost = opts.StaffDelay, opts.PasswordCost
	port := savedPort(opts.PortFile)
	if port != 0 {
		cfg.Addr = "127.0.0.1:" + strconv.Itoa(port)
	}
	srv, err := practice.New(ctx, cfg)
	if err != nil && port != 0 {
		cfg.Addr = "127.0.0.1:0" // the port is taken: another one
		srv, err = practice.New(ctx, cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if opts.PortFile != "" {
		if err := savePort(opts.PortFile, srv.URL()); err != nil {
			srv.Close()
			return nil, fmt.Errorf("%s: %w", what, err)
		}
	}
	if err := srv.Start(); err != nil {
		srv.Close()
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return &Practice{srv: srv, jars: map[string]http.CookieJar{}}, nil
}

// savedPort reads the port kept in file, 0 when there is none.
func savedPort(file string) int {
	if file == "" {
		return 0
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	port, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || port <= 0 || port > 65535 {
		return 0
	}
	return port
}

// savePort writes the port of base ("http://127.0.0.1:PORT") to file.
func savePort(file, base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return fmt.Errorf("keep port: %w", err)
	}
	if err := os.WriteFile(file, []byte(u.Port()+"\n"), 0o600); err != nil {
		return fmt.Errorf("keep port: %w", err)
	}
	return nil
}

// FHIRBase is the demo practice's FHIR base URL.
func (p *Practice) FHIRBase() string { return p.srv.FHIRBase() }

// SignIn fills in the demo patient's credentials on the practice's sign-in
// pages, approves the consent, and returns the redirect to the app.
func (p *Practice) SignIn(ctx context.Context, authorizeURL string) (*url.URL, error) {
	user := p.user
	if user == "" {
		user = Username
	}
	return p.SignInAs(ctx, authorizeURL, user, "")
}

// As returns the same practice signing in with another of its demo
// accounts ("jose", "amara", …), for tests with two patients at one
// practice. Closing either closes the practice.
func (p *Practice) As(username string) *Practice {
	return &Practice{srv: p.srv, user: username, jars: map[string]http.CookieJar{}}
}

// ErrUnknownAccount: no demo account has that username.
var ErrUnknownAccount = errors.New("demo: no such demo account")

// SignInAs signs in as one of the demo accounts and picks patientID in
// the practice's patient picker ("" when the account has one chart). Each
// account has a browser of its own that keeps its session, so a parent
// adding a second child is not asked to sign in again.
func (p *Practice) SignInAs(ctx context.Context, authorizeURL, username, patientID string) (*url.URL, error) {
	known := false
	for _, a := range p.srv.DemoAccounts() {
		known = known || a.Username == username
	}
	if !known {
		return nil, fmt.Errorf("%w: %q", ErrUnknownAccount, username)
	}
	p.mu.Lock()
	jar := p.jars[username]
	if jar == nil {
		j, err := cookiejar.New(nil)
		if err != nil {
			p.mu.Unlock()
			return nil, err
		}
		jar = j
		p.jars[username] = jar
	}
	p.mu.Unlock()
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	return smart.SignIn(ctx, client, authorizeURL, username, synth.DemoPassword, patientID)
}

// Accounts calls fn with each demo account: its username, who it is, and
// the charts it may open, in the picker's order. (Plain types, so the app
// core can ask without importing this package.)
func (p *Practice) Accounts(fn func(username, description string, patientIDs []string)) {
	for _, a := range p.srv.DemoAccounts() {
		if a.Username == "scale" {
			continue
		}
		fn(a.Username, a.Description, append([]string(nil), a.PatientIDs...))
	}
}

// RevokeAccess ends username's access to patientID at the practice, as the
// patient (or the practice's rules) would: the app's next sync of that
// profile is refused.
func (p *Practice) RevokeAccess(ctx context.Context, username, patientID string) error {
	return p.srv.Auth().RevokeAccess(ctx, username, patientID)
}

// Server returns the running practice server, for tests to reach its fault
// injection, staff and store.
func (p *Practice) Server() *practice.Server { return p.srv }

// Close stops the practice.
func (p *Practice) Close() error { return p.srv.Close() }
