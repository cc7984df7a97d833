package app

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/practice/demo"
	"github.com/carebook/carebook/practice/faults"
	psmart "github.com/carebook/carebook/practice/smart"
	"github.com/carebook/carebook/practice/synth"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/outbox"
	"github.com/carebook/carebook/sync/smart"
)

// openFamilyApp opens a set-up app whose demo practice is d.
func openFamilyApp(t *testing.T, d *demo.Practice) *App {
	t.Helper()
	core, err := Open(Config{
		DataDir:     t.TempDir(),
		Storage:     storage.Options{KDF: cheapKDF, NoKeyring: true},
		IdleTimeout: -1,
		Demo:        func(context.Context) (DemoPractice, error) { return d, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { core.Close() })
	if err := core.Setup(context.Background(), "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	return core
}

// TestFamilyThroughThePicker: over real HTTP against the practice server, a
// parent adds both children through the practice's picker (the second
// without signing in again); each profile is named from its Patient with
// the relationship the practice states; the teenager's profile holds only
// what the practice shares and says what it does not; revoking the
// parent's access at the practice closes that profile once a new sign-in
// no longer opens it; removed then, its key and rows are gone from the
// database file, while the others still open.
func TestFamilyThroughThePicker(t *testing.T) {
	ctx := context.Background()
	practice := startDemo(t)
	core := openFamilyApp(t, practice)

	kids, err := core.ConnectDemoAccount(ctx, "amara")
	if err != nil {
		t.Fatalf("parent adds her children: %v", err)
	}
	maya, err := core.ConnectDemo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(kids) != 2 {
		t.Fatalf("profiles added = %d, want Leo and Nia", len(kids))
	}
	leo, nia := kids[0], kids[1]
	for _, tt := range []struct {
		got                      ProfileInfo
		name, relation, userName string
		self                     bool
	}{
		{leo, "Leo", "your son", "Amara", false},
		{nia, "Nia", "your daughter", "Amara", false},
		{maya, "Maya", "", "Maya", true},
	} {
		if !strings.HasPrefix(tt.got.Label, tt.name) || tt.got.Relationship != tt.relation ||
			tt.got.Self != tt.self || tt.got.UserName != tt.userName {
			t.Errorf("profile %+v, want %s · %q signed in by %s (self %v)", tt.got, tt.name, tt.relation, tt.userName, tt.self)
		}
		if tt.got.Practice != "Riverside Family Medicine" {
			t.Errorf("%s's practice is called %q, want its own name", tt.name, tt.got.Practice)
		}
		if tt.got.Initials == "" || tt.got.Initials[0] != tt.name[0] {
			t.Errorf("%s's initials %q", tt.name, tt.got.Initials)
		}
	}
	ps, err := core.Profiles(ctx)
	if err != nil || len(ps) != 3 || ps[0].ID != maya.ID {
		t.Fatalf("profiles %+v %v: want three, the user's own first", ps, err)
	}

	for _, p := range []ProfileInfo{leo, nia, maya} {
		if err := core.Sync(ctx, p.ID); err != nil {
			t.Fatalf("sync %s: %v", p.Label, err)
		}
	}
	// The teenager's profile holds only what the practice shares.
	counts, err := core.store.Counts(ctx, nia.ID)
	if err != nil {
		t.Fatal(err)
	}
	if counts["Immunization"] == 0 || counts["Appointment"] == 0 {
		t.Errorf("Nia's shared record is missing: %v", counts)
	}
	for typ := range counts {
		if !slices.Contains(psmart.TeenProxyTypes, typ) {
			t.Errorf("Nia's profile holds %d %s, which her practice keeps from a parent", counts[typ], typ)
		}
	}
	ac, err := core.Access(ctx, nia.ID)
	if err != nil {
		t.Fatal(err)
	}
	if hidden, reason := ac.Hides("Observation", "DiagnosticReport"); !ac.Limited || !hidden || reason != psmart.TeenProxyReason {
		t.Errorf("Nia's access = %+v, want results hidden with the practice's reason, got %q", ac, reason)
	}
	// The practice's reason stays through the next syncs.
	for i := 0; i < 2; i++ {
		if err := core.Sync(ctx, nia.ID); err != nil {
			t.Fatal(err)
		}
		again, _ := core.Access(ctx, nia.ID)
		if _, reason := again.Hides("Observation"); reason != psmart.TeenProxyReason {
			t.Errorf("sync %d: the reason became %q", i+2, reason)
		}
	}
	if hidden, _ := ac.Hides("Immunization"); hidden || !slices.Contains(ac.Shared, "immunizations") || !slices.Contains(ac.Shared, "appointments") {
		t.Errorf("Nia's practice shares %v", ac.Shared)
	}
	if ac, _ := core.Access(ctx, leo.ID); ac.Limited {
		t.Errorf("Leo's access is limited: %+v", ac)
	}
	if counts, _ := core.store.Counts(ctx, leo.ID); counts["Observation"] == 0 {
		t.Error("Leo's whole record should be shared with his mother")
	}
	dash, err := core.Dashboard(ctx, leo.ID)
	if err != nil || !strings.HasPrefix(dash.PatientName, "Leo") || dash.Profile.UserName != "Amara" {
		t.Errorf("Leo's dashboard: %q for %q, %v", dash.PatientName, dash.Profile.UserName, err)
	}

	// The practice ends Amara's access to Nia.
	dbFile := filepath.Join(core.DataDir(), storage.FileName)
	wrapped := rawValue(t, dbFile, `SELECT wrapped_dek FROM profile_keys WHERE profile_id = ?`, nia.ID)
	events, stop := core.Events()
	defer stop()
	if err := practice.RevokeAccess(ctx, "amara", synth.NiaID); err != nil {
		t.Fatal(err)
	}
	requireAccessEnded(t, core, nia.ID)
	if err := core.CloseEndedProfile(ctx, nia.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := core.store.Profile(ctx, nia.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Nia's profile after the end: %v, want it gone", err)
	}
	if n := rawCount(t, dbFile, `SELECT COUNT(*) FROM resources r JOIN profiles p ON p.num = r.profile WHERE p.id = ?`, nia.ID) +
		rawCount(t, dbFile, `SELECT COUNT(*) FROM profile_keys WHERE profile_id = ?`, nia.ID) +
		rawCount(t, dbFile, `SELECT COUNT(*) FROM secrets WHERE profile_id = ?`, nia.ID); n != 0 {
		t.Errorf("%d rows of Nia's profile left in the database", n)
	}
	for _, f := range []string{dbFile, dbFile + "-wal"} {
		raw, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if len(wrapped) > 0 && bytes.Contains(raw, wrapped) {
			t.Errorf("Nia's wrapped key is still in %s", filepath.Base(f))
		}
	}
	sawNotice := false
	for len(events) > 0 {
		if ev, ok := (<-events).(AccessEnded); ok && ev.ProfileID == nia.ID && ev.Removed {
			sawNotice = strings.Contains(ev.Notice.Text(), "Riverside Family Medicine no longer shares Nia")
		}
	}
	if !sawNotice || len(core.EndedNotices()) != 1 {
		t.Errorf("no plain notice of the end: event %v, notices %v", sawNotice, core.EndedNotices())
	}
	// The others still open.
	for _, p := range []ProfileInfo{leo, maya} {
		if _, err := core.Chart(ctx, p.ID); err != nil {
			t.Errorf("%s's record after Nia's ended: %v", p.Label, err)
		}
		if err := core.Sync(ctx, p.ID); err != nil {
			t.Errorf("%s's sync after Nia's ended: %v", p.Label, err)
		}
	}
}

// luciaCaresForJose starts the demo practice and an app where Lucía added
// her father José's record (she is his caregiver) and synced it.
func luciaCaresForJose(t *testing.T) (*demo.Practice, *App, ProfileInfo) {
	t.Helper()
	practice := startDemo(t)
	core := openFamilyApp(t, practice)
	ps, err := core.ConnectDemoAccount(context.Background(), "lucia")
	if err != nil {
		t.Fatal(err)
	}
	jose := ps[0]
	if jose.Self || jose.Relationship != "your father" {
		t.Errorf("José is %q to Lucía (self %v), want your father", jose.Relationship, jose.Self)
	}
	if err := core.Sync(context.Background(), jose.ID); err != nil {
		t.Fatal(err)
	}
	return practice, core, jose
}

// requireAccessEnded: after the practice ended the access of profile
// id's parent or caregiver, the next sync asks for a new sign-in (a
// refused refresh alone ends nothing), and the new sign-in, which the
// practice no longer opens that record to, closes the profile: kept,
// marked ended, for the user to see.
func requireAccessEnded(t *testing.T, core *App, id string) {
	t.Helper()
	ctx := context.Background()
	ps, err := core.Profiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(ps, func(p ProfileInfo) bool { return p.ID == id })
	if i < 0 {
		t.Fatalf("profiles %+v: no %s", ps, id)
	}
	synced := ps[i].LastSync
	if err := core.Sync(ctx, id); !errors.Is(err, ErrNeedsSignIn) || errors.Is(err, ErrAccessEnded) {
		t.Fatalf("sync after the practice ended the access: %v, want ErrNeedsSignIn", err)
	}
	if err := core.SignInAgain(ctx, id); !errors.Is(err, ErrAccessEnded) {
		t.Fatalf("signing in again after the practice ended the access: %v, want ErrAccessEnded", err)
	}
	if ps, err = core.Profiles(ctx); err != nil {
		t.Fatal(err)
	}
	i = slices.IndexFunc(ps, func(p ProfileInfo) bool { return p.ID == id })
	if i < 0 || !ps[i].Ended || !ps[i].LastSync.Equal(synced) {
		t.Fatalf("profiles %+v: want %s kept, closed, last synced %v", ps, id, synced)
	}
}

// TestAccessEndedKeepsWhatWasWrittenUntilSeen: when the practice ends a
// caregiver's access, the cached record leaves her device at once, and
// the profile is closed but kept until she has seen it, whatever it
// holds: a message still unsent (listed), a message draft, or nothing she
// wrote. Only her choice removes it.
func TestAccessEndedKeepsWhatWasWrittenUntilSeen(t *testing.T) {
	msg := []byte(`{"resourceType":"Communication","status":"in-progress","subject":{"reference":"Patient/` + synth.JoseID + `"},` +
		`"payload":[{"contentString":"Dad's new glasses are ready"}]}`)
	draft := Draft{Subject: "Glasses", Text: "Can Dad pick up his glasses Monday?"}
	for _, tc := range []struct {
		name           string
		unsent, drafts bool
	}{
		{"a message unsent", true, false},
		{"a message draft", false, true},
		{"nothing written", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			practice, core, jose := luciaCaresForJose(t)
			if err := practice.RevokeAccess(ctx, "lucia", synth.JoseID); err != nil {
				t.Fatal(err)
			}
			if tc.unsent {
				box := outbox.New(outbox.Config{Store: core.store, ProfileID: jose.ID})
				if _, err := box.EnqueueCreate(ctx, outbox.KindMessage, msg); err != nil {
					t.Fatal(err)
				}
			}
			if tc.drafts {
				if err := core.SaveDraft(ctx, jose.ID, DraftNew, draft); err != nil {
					t.Fatal(err)
				}
			}
			requireAccessEnded(t, core, jose.ID)
			items, err := core.Outbox(ctx, jose.ID)
			if err != nil || len(items) != map[bool]int{true: 1}[tc.unsent] ||
				(tc.unsent && !strings.Contains(string(items[0].Resource), "glasses")) {
				t.Fatalf("unsent items %+v %v", items, err)
			}
			if got, ok, err := core.Draft(ctx, jose.ID, DraftNew); err != nil || ok != tc.drafts || got.Text != map[bool]string{true: draft.Text}[tc.drafts] {
				t.Errorf("draft of the closed record: %q %v %v", got.Text, ok, err)
			}
			if has, err := core.store.HasResources(ctx, jose.ID); err != nil || has {
				t.Errorf("José's cached record is still on Lucía's device after her access ended (%v)", err)
			}
			if err := core.Sync(ctx, jose.ID); !errors.Is(err, ErrAccessEnded) {
				t.Errorf("a closed profile synced again: %v", err)
			}
			if len(core.EndedNotices()) != 0 {
				t.Errorf("notices of a removal before any: %v", core.EndedNotices())
			}
			if err := core.CloseEndedProfile(ctx, jose.ID); err != nil {
				t.Fatal(err)
			}
			if ps, _ := core.Profiles(ctx); len(ps) != 0 {
				t.Errorf("profiles after closing: %+v", ps)
			}
		})
	}
}

func rawDB(t *testing.T, file string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", file+"?_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func rawValue(t *testing.T, file, query string, args ...any) []byte {
	t.Helper()
	var b []byte
	if err := rawDB(t, file).QueryRow(query, args...).Scan(&b); err != nil {
		t.Fatal(err)
	}
	return b
}

func rawCount(t *testing.T, file, query string, args ...any) int {
	t.Helper()
	var n int
	if err := rawDB(t, file).QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPatientEndsCaregiverAccess: José sees who may read his record and
// ends his daughter's access through the practice's API (RelatedPerson
// made inactive, through the outbox); her profile of his record closes
// when her next sign-in no longer opens it, and he no longer sees her
// listed.
func TestPatientEndsCaregiverAccess(t *testing.T) {
	ctx := context.Background()
	practice := startDemo(t)
	core := openFamilyApp(t, practice)
	own, err := core.ConnectDemoAccount(ctx, "jose")
	if err != nil {
		t.Fatal(err)
	}
	cared, err := core.ConnectDemoAccount(ctx, "lucia")
	if err != nil {
		t.Fatal(err)
	}
	jose, lucias := own[0], cared[0]
	for _, p := range []ProfileInfo{jose, lucias} {
		if err := core.Sync(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
	}
	if list, _, err := core.Proxies(ctx, lucias.ID); err != nil || len(list) != 0 {
		t.Errorf("Lucía's view of her father's record lists %v (%v): only the patient manages access", list, err)
	}
	list, canEnd, err := core.Proxies(ctx, jose.ID)
	if err != nil || !canEnd || len(list) != 1 || !strings.HasPrefix(list[0].Name, "Lucía") || list[0].Relationship != "daughter" {
		t.Fatalf("José's proxies %+v (can end: %v, %v), want Lucía, daughter", list, canEnd, err)
	}
	if _, err := core.EndProxyAccess(ctx, lucias.ID, list[0].ID); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("a caregiver ending access from her side: %v", err)
	}
	sub, err := core.EndProxyAccess(ctx, jose.ID, list[0].ID)
	if err != nil || sub.Ref != "RelatedPerson/"+list[0].ID {
		t.Fatalf("José ends Lucía's access: %+v %v", sub, err)
	}
	requireAccessEnded(t, core, lucias.ID)
	if err := core.CloseEndedProfile(ctx, lucias.ID); err != nil {
		t.Fatal(err)
	}
	if err := core.Sync(ctx, jose.ID); err != nil {
		t.Fatal(err)
	}
	if list, _, _ := core.Proxies(ctx, jose.ID); len(list) != 0 {
		t.Errorf("José still sees %v with access", list)
	}
	ps, _ := core.Profiles(ctx)
	if len(ps) != 1 || ps[0].ID != jose.ID {
		t.Errorf("profiles after: %+v, want José's own only", ps)
	}
	// Ending it twice is bad input: nothing is sent.
	_, err = core.EndProxyAccess(ctx, jose.ID, list[0].ID)
	if !errors.Is(err, ErrInvalidInput) {
		t.Errorf("ending it twice: %v", err)
	}
}

// TestNoProfileShowsAnother: every screen model of every profile (the
// dashboard, the decoded record, what the practice shares, the outbox and
// the cached resources behind them) names only its own patient: no
// "Patient/id" of another profile appears in any of them.
func TestNoProfileShowsAnother(t *testing.T) {
	ctx := context.Background()
	practice := startDemo(t)
	core := openFamilyApp(t, practice)
	var ps []ProfileInfo
	for _, account := range []string{"maya", "amara", "lucia"} {
		added, err := core.ConnectDemoAccount(ctx, account)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, added...)
	}
	patient := map[string]string{}
	for _, p := range ps {
		if err := core.Sync(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		sp, err := core.store.Profile(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		patient[p.ID] = sp.PatientID
	}
	for _, p := range ps {
		var texts []string
		dash, err := core.Dashboard(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(dash)
		texts = append(texts, string(b))
		chart, err := core.Chart(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, _ = json.Marshal(chart)
		texts = append(texts, string(b))
		ac, _ := core.Access(ctx, p.ID)
		b, _ = json.Marshal(ac)
		texts = append(texts, string(b))
		counts, err := core.store.Counts(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		for typ := range counts {
			rs, err := core.store.List(ctx, p.ID, typ)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				texts = append(texts, string(r.JSON))
			}
		}
		// The check can see references: the profile's own patient is named.
		own := `"Patient/` + patient[p.ID] + `"`
		if !slices.ContainsFunc(texts, func(s string) bool { return strings.Contains(s, own) }) {
			t.Errorf("%s's screens never name %s: the check would see nothing", p.Label, own)
		}
		for _, other := range ps {
			if patient[other.ID] == patient[p.ID] {
				continue
			}
			needle := `"Patient/` + patient[other.ID] + `"`
			for _, text := range texts {
				if strings.Contains(text, needle) {
					t.Errorf("%s's screens name %s (%s)", p.Label, other.Label, needle)
					break
				}
			}
		}
	}
}

// editSavedToken rewrites profile id's stored SMART token with edit and
// makes the token sources read it again, as after a restart.
func editSavedToken(t *testing.T, core *App, id string, edit func(tok map[string]any)) {
	t.Helper()
	ctx := context.Background()
	raw, err := core.store.Secret(ctx, id, smart.SecretToken)
	if err != nil {
		t.Fatal(err)
	}
	var tok map[string]any
	if err := json.Unmarshal(raw, &tok); err != nil {
		t.Fatal(err)
	}
	edit(tok)
	if raw, err = json.Marshal(tok); err != nil {
		t.Fatal(err)
	}
	if err := core.store.PutSecret(ctx, id, smart.SecretToken, raw); err != nil {
		t.Fatal(err)
	}
	smart.ForgetStore(core.store)
}

// accessTokenExpired makes a saved token's access token due for a refresh.
func accessTokenExpired(tok map[string]any) {
	tok["expiry"] = time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
}

// TestCaregiverSignInExpiryKeepsRecord: Lucía looks after her father's
// record. Her sign-in there ends the way sign-ins end while the practice
// still shares the record: the refresh token outlived its lifetime, none
// was granted (offline_access declined), or the reply of a refresh was
// lost (the practice rotated the token, so presenting the old one again
// revokes the sign-in). Each time she is asked to sign in again, as a
// patient is for their own record; her father's record and her draft to
// his doctor stay; signing in again opens the record and syncs it.
func TestCaregiverSignInExpiryKeepsRecord(t *testing.T) {
	for _, tc := range []struct {
		name   string
		expire func(t *testing.T, core *App, practice *demo.Practice, id string)
	}{
		{"refresh token expired", func(t *testing.T, core *App, _ *demo.Practice, id string) {
			editSavedToken(t, core, id, func(tok map[string]any) {
				accessTokenExpired(tok)
				tok["refresh_token"] = "a-refresh-token-past-its-lifetime"
			})
		}},
		{"no refresh token granted", func(t *testing.T, core *App, _ *demo.Practice, id string) {
			editSavedToken(t, core, id, func(tok map[string]any) {
				accessTokenExpired(tok)
				delete(tok, "refresh_token")
			})
		}},
		{"refresh reply lost", func(t *testing.T, core *App, practice *demo.Practice, id string) {
			editSavedToken(t, core, id, accessTokenExpired)
			practice.Server().Faults().Set(faults.Config{DropReplyAfterCommitRate: 1, OnlyPaths: "/auth/token"})
			defer practice.Server().Faults().Set(faults.Config{})
			if err := core.Sync(context.Background(), id); err == nil {
				t.Fatal("a sync whose token refresh got no reply succeeded")
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			practice, core, jose := luciaCaresForJose(t)
			draft := Draft{Subject: "Glasses", Text: "Can Dad pick up his glasses Monday?"}
			if err := core.SaveDraft(ctx, jose.ID, DraftNew, draft); err != nil {
				t.Fatal(err)
			}
			tc.expire(t, core, practice, jose.ID)

			err := core.Sync(ctx, jose.ID)
			if !errors.Is(err, ErrNeedsSignIn) || errors.Is(err, ErrAccessEnded) {
				t.Fatalf("sync after Lucía's sign-in expired: %v, want ErrNeedsSignIn", err)
			}
			ps, err := core.Profiles(ctx)
			if err != nil || len(ps) != 1 || ps[0].ID != jose.ID || !ps[0].NeedsSignIn || ps[0].Ended {
				t.Fatalf("profiles %+v (%v), want José's kept, needing a sign-in, not ended", ps, err)
			}
			if counts, err := core.store.Counts(ctx, jose.ID); err != nil || counts["Patient"] == 0 {
				t.Errorf("José's cached record after the expiry: %v %v", counts, err)
			}
			if got, ok, err := core.Draft(ctx, jose.ID, DraftNew); err != nil || !ok || got.Text != draft.Text {
				t.Errorf("Lucía's draft after the expiry: %q %v %v", got.Text, ok, err)
			}

			if err := core.SignInAgain(ctx, jose.ID); err != nil {
				t.Fatalf("signing in again: %v", err)
			}
			if err := core.Sync(ctx, jose.ID); err != nil {
				t.Fatalf("sync after signing in again: %v", err)
			}
			if ps, _ := core.Profiles(ctx); len(ps) != 1 || ps[0].NeedsSignIn || ps[0].Ended {
				t.Errorf("profiles after signing in again: %+v", ps)
			}
		})
	}
}

// TestSignInAgainAsAnotherPatient: a patient's "Sign in again" that the
// browser completes for another record (another login on a shared
// computer) renewed that record, not this one: ErrOtherRecord, and this
// profile still needs its own sign-in.
func TestSignInAgainAsAnotherPatient(t *testing.T) {
	ctx := context.Background()
	practice := startDemo(t)
	user, patient := "maya", synth.MayaID
	core, err := Open(Config{DataDir: t.TempDir(), Storage: storage.Options{KDF: cheapKDF, NoKeyring: true}, IdleTimeout: -1,
		OpenBrowser: func(authURL string) error { return demoBrowser(ctx, practice, user, patient)(authURL) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { core.Close() })
	if err := core.Setup(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	maya, err := core.Connect(ctx, practice.FHIRBase(), ConnectOptions{})
	if err != nil || !maya.Self {
		t.Fatalf("connect: %+v %v, want Maya's own profile", maya, err)
	}
	practice.Server().Auth().ExpireSignIns()
	if err := core.Sync(ctx, maya.ID); !errors.Is(err, ErrNeedsSignIn) {
		t.Fatalf("sync with the sign-in expired: %v, want ErrNeedsSignIn", err)
	}
	user, patient = "nia", synth.NiaID // her daughter's own login, on the same computer
	if err := core.SignInAgain(ctx, maya.ID); !errors.Is(err, ErrOtherRecord) {
		t.Fatalf("signing in again as someone else: %v, want ErrOtherRecord", err)
	}
	ps, err := core.Profiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(ps, func(q ProfileInfo) bool { return q.ID == maya.ID })
	if i < 0 || !ps[i].NeedsSignIn || ps[i].Ended {
		t.Errorf("profiles %+v: want Maya's kept, still needing her sign-in, not ended", ps)
	}
	// Nobody asked for Nia's record on this device: nothing of it is kept.
	if len(ps) != 1 {
		t.Errorf("profiles %+v: want Maya's alone, no profile for the record the sign-in opened", ps)
	}
}

// TestCaregiverSignInAgainAtPractice: at a practice signed in to through
// the browser (not the demo, which signs in by itself), after the
// practice ended a parent's or caregiver's access, what the new sign-in
// tells decides. A sign-in the practice completes for another record (its
// picker no longer offers the patient) ends the access: the profile is
// closed and kept. A refused sign-in may be the user declining at the
// practice: it ends nothing, the record stays and still asks for a
// sign-in.
func TestCaregiverSignInAgainAtPractice(t *testing.T) {
	for _, tc := range []struct {
		name, username, patientID string
		want                      error
		ended                     bool
	}{
		{"another record opened", "amara", synth.NiaID, ErrAccessEnded, true},
		{"sign-in refused", "lucia", synth.JoseID, ErrCancelled, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			practice := startDemo(t)
			core, err := Open(Config{DataDir: t.TempDir(), Storage: storage.Options{KDF: cheapKDF, NoKeyring: true}, IdleTimeout: -1,
				OpenBrowser: demoBrowser(ctx, practice, tc.username, tc.patientID)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { core.Close() })
			if err := core.Setup(ctx, "a long passphrase"); err != nil {
				t.Fatal(err)
			}
			p, err := core.Connect(ctx, practice.FHIRBase(), ConnectOptions{})
			if err != nil || p.Self || p.Demo {
				t.Fatalf("connect: %+v %v, want a proxy's profile at a practice", p, err)
			}
			if err := practice.RevokeAccess(ctx, tc.username, tc.patientID); err != nil {
				t.Fatal(err)
			}
			if err := core.Sync(ctx, p.ID); !errors.Is(err, ErrNeedsSignIn) {
				t.Fatalf("sync after the practice ended the access: %v, want ErrNeedsSignIn", err)
			}
			if err := core.SignInAgain(ctx, p.ID); !errors.Is(err, tc.want) {
				t.Fatalf("signing in again: %v, want %v", err, tc.want)
			}
			ps, err := core.Profiles(ctx)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(ps, func(q ProfileInfo) bool { return q.ID == p.ID })
			if i < 0 || ps[i].Ended != tc.ended || !ps[i].NeedsSignIn {
				t.Errorf("profiles %+v: want %s kept, ended %v, its sign-in still needed", ps, p.ID, tc.ended)
			}
			// The record the practice opened instead was not asked for:
			// no profile of it is added.
			if len(ps) != 1 {
				t.Errorf("profiles %+v: want %s alone, no profile for the record the sign-in opened", ps, p.ID)
			}
		})
	}
}

// TestActionAfterAccessEndedIsStored: after a restart the demo signs its
// profiles in again by itself as they are used; when the practice has
// meanwhile ended a parent's access, a booking made on the screen still
// open is stored first, then its send finds the access ended. Its outcome
// says it was stored (ErrQueued) as well as why it cannot go
// (ErrAccessEnded): a screen that took ErrAccessEnded alone for "nothing
// stored" kept the reason as a draft beside the stored booking, and
// offered to store it again. The reason's form draft goes, as for any
// stored booking, and the booking is kept with what was not sent.
func TestActionAfterAccessEndedIsStored(t *testing.T) {
	ctx := context.Background()
	practice := startDemo(t)
	core := openFamilyApp(t, practice)
	kids, err := core.ConnectDemoAccount(ctx, "amara")
	if err != nil || len(kids) != 2 {
		t.Fatalf("parent adds her children: %+v %v", kids, err)
	}
	nia := kids[1]
	if err := core.SaveFormDraft(ctx, nia.ID, BookingDraftKey, FormDraft{Text: "Ear pain since Tuesday"}); err != nil {
		t.Fatal(err)
	}
	if err := practice.RevokeAccess(ctx, "amara", synth.NiaID); err != nil {
		t.Fatal(err)
	}
	// As after a restart: the demo profile is not signed in this run yet.
	core.demoMu.Lock()
	delete(core.demoSigned, nia.ID)
	core.demoMu.Unlock()

	start := time.Now().Add(48 * time.Hour).Truncate(time.Hour)
	_, err = core.Book(ctx, nia.ID, BookRequest{
		Slot:     FreeSlot{ID: "slot-after-end", Start: start, End: start.Add(20 * time.Minute)},
		Reason:   "Ear pain since Tuesday",
		DraftKey: BookingDraftKey,
	})
	if !errors.Is(err, ErrQueued) || !errors.Is(err, ErrAccessEnded) {
		t.Fatalf("booking as the access ended: %v, want ErrQueued (stored) and ErrAccessEnded", err)
	}
	unsent, err := core.Unsent(ctx, nia.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(unsent) != 1 || unsent[0].Kind != outbox.KindAppointment {
		t.Errorf("not sent: %+v, want the booking alone (stored, its reason's draft gone)", unsent)
	}
}
