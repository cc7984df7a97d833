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

	"github.com/carebook/carebook/practice/demo"
	psmart "github.com/carebook/carebook/practice/smart"
	"github.com/carebook/carebook/practice/synth"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/outbox"
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
// parent's access at the practice closes that profile, whose key and rows
// are gone from the database file, while the others still open.
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
	if err := core.Sync(ctx, nia.ID); !errors.Is(err, ErrAccessEnded) {
		t.Fatalf("sync after the practice ended the access: %v, want ErrAccessEnded", err)
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

// TestAccessEndedShowsUnsentFirst: when a caregiver's access ends while
// something she wrote is still unsent, the profile is closed but kept until
// she has seen it: the app lists the item, then removes the record.
func TestAccessEndedShowsUnsentFirst(t *testing.T) {
	ctx := context.Background()
	practice := startDemo(t)
	core := openFamilyApp(t, practice)
	ps, err := core.ConnectDemoAccount(ctx, "lucia")
	if err != nil {
		t.Fatal(err)
	}
	jose := ps[0]
	if jose.Relationship != "your father" {
		t.Errorf("José is %q to Lucía, want your father", jose.Relationship)
	}
	if err := core.Sync(ctx, jose.ID); err != nil {
		t.Fatal(err)
	}
	if err := practice.RevokeAccess(ctx, "lucia", synth.JoseID); err != nil {
		t.Fatal(err)
	}
	box := outbox.New(outbox.Config{Store: core.store, ProfileID: jose.ID})
	msg := []byte(`{"resourceType":"Communication","status":"in-progress","subject":{"reference":"Patient/` + synth.JoseID + `"},` +
		`"payload":[{"contentString":"Dad's new glasses are ready"}]}`)
	if _, err := box.EnqueueCreate(ctx, outbox.KindMessage, msg); err != nil {
		t.Fatal(err)
	}
	if err := core.Sync(ctx, jose.ID); !errors.Is(err, ErrAccessEnded) {
		t.Fatalf("sync: %v, want ErrAccessEnded", err)
	}
	ps, err = core.Profiles(ctx)
	if err != nil || len(ps) != 1 || !ps[0].Ended {
		t.Fatalf("profiles %+v %v: want José's, closed", ps, err)
	}
	items, err := core.Outbox(ctx, jose.ID)
	if err != nil || len(items) != 1 || !strings.Contains(string(items[0].Resource), "glasses") {
		t.Fatalf("unsent items %+v %v", items, err)
	}
	if err := core.Sync(ctx, jose.ID); !errors.Is(err, ErrAccessEnded) {
		t.Errorf("a closed profile synced again: %v", err)
	}
	if err := core.CloseEndedProfile(ctx, jose.ID); err != nil {
		t.Fatal(err)
	}
	if ps, _ := core.Profiles(ctx); len(ps) != 0 {
		t.Errorf("profiles after closing: %+v", ps)
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
// made inactive, through the outbox); her profile of his record closes at
// her next sync, and he no longer sees her listed.
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
	if err := core.Sync(ctx, lucias.ID); !errors.Is(err, ErrAccessEnded) {
		t.Errorf("Lucía's sync after José ended her access: %v, want ErrAccessEnded", err)
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
