// Package practicetest starts the project's practice server and a client
// cache signed in to it, for tests and benchmarks of the sync layer (in
// sync/... and above it): the same set-up, written once.
package practicetest

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/carebook/carebook/practice"
	psmart "github.com/carebook/carebook/practice/smart"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
	"github.com/carebook/carebook/sync/smart"
)

// Start runs the practice server of cfg on 127.0.0.1 until the test ends,
// its staff out of the way unless cfg.StaffDelay says otherwise.
func Start(t testing.TB, cfg practice.Config) *practice.Server {
	t.Helper()
	cfg.PasswordCost = 64
	if cfg.StaffDelay == 0 {
		cfg.StaffDelay = time.Hour // staff stay out of the way unless a test wants them
	}
	srv, err := practice.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// OpenCache is a new encrypted cache on disk, set up and unlocked, with a
// cheap key derivation and an in-memory keyring.
func OpenCache(t testing.TB) *storage.Store {
	t.Helper()
	st, err := storage.Open(t.TempDir(), storage.Options{Keyring: storage.NewMemoryKeyring(), KDF: &storage.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Setup(context.Background(), "e2e passphrase"); err != nil {
		t.Fatal(err)
	}
	return st
}

// Connect signs username in for chart patientID through the practice's
// real pages and stores the profile with its tokens, as the app does.
func Connect(t testing.TB, srv *practice.Server, st *storage.Store, username, password, patientID string) storage.Profile {
	t.Helper()
	return ConnectAt(t, srv.FHIRBase(), st, username, password, patientID)
}

// ConnectAt is Connect to the practice server at fhirBase (one running in
// another process).
func ConnectAt(t testing.TB, fhirBase string, st *storage.Store, username, password, patientID string) storage.Profile {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	browserErr := make(chan error, 1)
	grant, err := smart.SignIn(ctx, smart.Config{
		FHIRBase: fhirBase,
		OpenBrowser: func(authURL string) error {
			go func() {
				redirect, err := psmart.SignIn(ctx, &http.Client{}, authURL, username, password, patientID)
				if redirect == nil {
					browserErr <- err
					return
				}
				// With an OAuth error the browser still lands on the app.
				resp, err := http.Get(redirect.String()) // the browser follows the redirect to the app
				if err != nil {
					browserErr <- err
					return
				}
				resp.Body.Close()
				browserErr <- err
			}()
			return nil
		},
	})
	if err != nil {
		t.Fatalf("sign in: %v (browser: %v)", err, <-browserErr)
	}
	if err := <-browserErr; err != nil {
		t.Fatal(err)
	}
	if patientID != "" && grant.PatientID != patientID {
		t.Fatalf("signed in to chart %q, want %q", grant.PatientID, patientID)
	}
	p, err := st.CreateProfile(ctx, storage.Profile{PracticeURL: fhirBase, PatientID: grant.PatientID, Label: username,
		Settings: map[string]string{smart.SettingAuth: "smart"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := smart.SaveGrant(ctx, st, p.ID, grant); err != nil {
		t.Fatal(err)
	}
	return p
}

// API is a FHIR client for profile p with its tokens, retrying quickly.
func API(t testing.TB, st *storage.Store, p storage.Profile) *fhirapi.Client {
	t.Helper()
	api, err := fhirapi.New(p.PracticeURL, fhirapi.Options{Token: smart.NewTokenSource(st, p.ID, nil),
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return api
}

// DeliverRedirect takes the practice's redirect after a sign-in to the app,
// as the browser would, passing on the sign-in's own error: a test's
// OpenBrowser is return DeliverRedirect(SignIn(ctx, authorizeURL, ...)).
func DeliverRedirect(redirect *url.URL, err error) error {
	if err != nil {
		return err
	}
	resp, err := http.Get(redirect.String())
	if err != nil {
		return err
	}
	return resp.Body.Close()
}
