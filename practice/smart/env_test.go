package smart

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/oauth2"
	_ "modernc.org/sqlite"

	"github.com/carebook/carebook/practice/access"
)

// testPassword is every test user's password.
const testPassword = "correct horse battery"

// testRedirect is the loopback redirect URI the test client uses; nothing
// listens there because SignIn never follows the last redirect.
const testRedirect = "http://127.0.0.1:53682/callback"

// directory is an in-memory access.PatientDirectory.
type directory map[string]access.PatientInfo

func (d directory) Patient(_ context.Context, id string) (access.PatientInfo, error) {
	p, ok := d[id]
	if !ok {
		return access.PatientInfo{}, fmt.Errorf("patient %s: %w", id, access.ErrUnknownPatient)
	}
	return p, nil
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testEnv is one authorization server over real HTTP with a family:
//
//	maya (self, 40) is parent of leo (8), ana (14) and sam (19), and
//	caregiver of her mother rosa (70). leo has no account.
type testEnv struct {
	t     testing.TB
	srv   *Server
	http  *httptest.Server
	clock *clock
	dir   directory
	base  string
}

var testNow = time.Date(2026, time.March, 10, 9, 0, 0, 0, time.UTC)

func birth(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func newTestEnv(t testing.TB) *testEnv {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "auth.db")+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	env := &testEnv{t: t, clock: &clock{t: testNow}, dir: directory{
		"maya": {ID: "maya", Name: "Maya Rivera", BirthDate: birth(1986, time.January, 5)},
		"leo":  {ID: "leo", Name: "Leo Rivera", BirthDate: birth(2018, time.March, 12)}, // turns 8 soon
		"ana":  {ID: "ana", Name: "Ana Rivera", BirthDate: birth(2012, time.March, 1)},  // 14
		"sam":  {ID: "sam", Name: "Sam Rivera", BirthDate: birth(2007, time.February, 2)},
		"rosa": {ID: "rosa", Name: "Rosa Diaz", BirthDate: birth(1956, time.June, 30)},
		"kim":  {ID: "kim", Name: "Kim Lee", BirthDate: birth(2014, time.March, 20)}, // turns 12 on 2026-03-20
	}}
	var h http.Handler = http.NotFoundHandler()
	env.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(env.http.Close)
	env.base = env.http.URL
	env.srv, err = New(db, env.dir, Config{
		Issuer:         env.base,
		FHIRBase:       env.base + "/fhir",
		AccessTokenTTL: 5 * time.Minute,
		PasswordCost:   64,
		PracticeName:   "Riverside Family Practice",
		Now:            env.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	h = env.srv.Handler()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(env.srv.CreateUser(ctx, "maya", testPassword, "Patient/maya"))
	must(env.srv.AddAccess(ctx, "maya", "maya", RelationSelf))
	must(env.srv.AddAccessAs(ctx, "maya", "leo", RelationParent, "RelatedPerson/maya-for-leo"))
	must(env.srv.AddAccess(ctx, "maya", "ana", RelationParent))
	must(env.srv.AddAccess(ctx, "maya", "sam", RelationParent))
	must(env.srv.AddAccess(ctx, "maya", "rosa", RelationCaregiver))
	must(env.srv.CreateUser(ctx, "ana", testPassword, "Patient/ana"))
	must(env.srv.AddAccess(ctx, "ana", "ana", RelationSelf))
	must(env.srv.CreateUser(ctx, "dad", testPassword, "RelatedPerson/dad-of-kim"))
	must(env.srv.AddAccess(ctx, "dad", "kim", RelationParent))
	return env
}

// oauthConfig is the app's client configuration.
func (e *testEnv) oauthConfig(scopes ...string) *oauth2.Config {
	if len(scopes) == 0 {
		scopes = []string{"openid", "fhirUser", "launch/patient", "offline_access", "patient/*.rs",
			"patient/Communication.c", "patient/Appointment.cu", "patient/Task.c", "patient/Patient.u"}
	}
	return &oauth2.Config{
		ClientID:    CarebookClientID,
		RedirectURL: testRedirect,
		Scopes:      scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:   e.base + "/auth/authorize",
			TokenURL:  e.base + "/auth/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
	}
}

// authURL returns an authorization URL with PKCE S256 and the right aud.
func (e *testEnv) authURL(cfg *oauth2.Config, state, verifier string) string {
	return cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("aud", e.base+"/fhir"))
}

// browser returns a client with a cookie jar that does not follow redirects.
func (e *testEnv) browser() *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// signIn runs the whole flow and exchanges the code.
func (e *testEnv) signIn(cfg *oauth2.Config, username, patientID string) *oauth2.Token {
	e.t.Helper()
	verifier := oauth2.GenerateVerifier()
	u, err := SignIn(context.Background(), e.browser(), e.authURL(cfg, "st4te", verifier), username, testPassword, patientID)
	if err != nil {
		e.t.Fatalf("SignIn(%s, %s): %v", username, patientID, err)
	}
	if got := u.Query().Get("state"); got != "st4te" {
		e.t.Fatalf("state = %q, want st4te", got)
	}
	tok, err := cfg.Exchange(context.Background(), u.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		e.t.Fatalf("Exchange: %v", err)
	}
	return tok
}

// post sends a form and returns the response (body closed).
func (e *testEnv) post(c *http.Client, path string, form url.Values) *http.Response {
	e.t.Helper()
	resp, err := c.PostForm(e.base+path, form)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// tokenError returns the OAuth error code of a failed token request.
func tokenError(t *testing.T, err error) string {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("want *oauth2.RetrieveError, got %v", err)
	}
	return re.ErrorCode
}

// formValues GETs a page and returns its form's hidden fields.
func (e *testEnv) formValues(c *http.Client, path string) url.Values {
	e.t.Helper()
	resp, err := c.Get(e.base + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s: status %d", path, resp.StatusCode)
	}
	doc, err := html.Parse(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	f := findForm(doc)
	if f == nil {
		e.t.Fatalf("GET %s: no form", path)
	}
	return f.values
}
