package demo

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
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
}

// Start starts the demo practice on a free 127.0.0.1 port.
func Start(ctx context.Context, opts Options) (*Practice, error) {
	if opts.StaffDelay == 0 {
		opts.StaffDelay = StaffDelay
	}
	srv, err := practice.New(ctx, practice.Config{Addr: "127.0.0.1:0", DataFile: opts.DataFile,
		StaffDelay: opts.StaffDelay, PasswordCost: opts.PasswordCost})
	if err != nil {
		return nil, fmt.Errorf("demo practice: %w", err)
	}
	if err := srv.Start(); err != nil {
		srv.Close()
		return nil, fmt.Errorf("demo practice: %w", err)
	}
	return &Practice{srv: srv}, nil
}

// FHIRBase is the demo practice's FHIR base URL.
func (p *Practice) FHIRBase() string { return p.srv.FHIRBase() }

// SignIn fills in the demo patient's credentials on the practice's sign-in
// pages, approves the consent, and returns the redirect to the app.
func (p *Practice) SignIn(ctx context.Context, authorizeURL string) (*url.URL, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	user := p.user
	if user == "" {
		user = Username
	}
	return smart.SignIn(ctx, client, authorizeURL, user, synth.DemoPassword, "")
}

// As returns the same practice signing in with another of its demo
// accounts ("jose", "amara", …), for tests with two patients at one
// practice. Closing either closes the practice.
func (p *Practice) As(username string) *Practice { return &Practice{srv: p.srv, user: username} }

// Server returns the running practice server, for tests to reach its fault
// injection, staff and store.
func (p *Practice) Server() *practice.Server { return p.srv }

// Close stops the practice.
func (p *Practice) Close() error { return p.srv.Close() }
