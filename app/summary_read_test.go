package app

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/storage"
)

// fixtureRecords opens an app holding bundles of the shared fixtures as
// the cached record of a profile each, as a sync would have stored them:
// HL7's examples and the synthea smallest of Synthea's patients (all of
// them with CAREBOOK_LONG=1). It skips the test where the fixtures are
// absent.
func fixtureRecords(t *testing.T, synthea int) (*App, []storage.Profile) {
	t.Helper()
	ctx := context.Background()
	paths, _ := filepath.Glob(filepath.Join("..", "..", "shared", "fixtures", "synthea", "*.json"))
	if len(paths) == 0 {
		t.Skip("fixtures: ../shared/fixtures not found; the real FHIR test data lives there in the team workspace")
	}
	size := func(p string) int64 {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	slices.SortFunc(paths, func(x, y string) int { return cmp.Compare(size(x), size(y)) })
	if os.Getenv("CAREBOOK_LONG") == "" {
		paths = paths[:min(synthea, len(paths))]
	}
	more, _ := filepath.Glob(filepath.Join("..", "..", "shared", "fixtures", "hl7-r4-examples", "*.json"))
	paths = append(paths, more...)
	now := time.Date(2020, 3, 4, 5, 6, 7, 0, time.UTC)
	a, err := Open(Config{DataDir: t.TempDir(), Storage: storage.Options{KDF: cheapKDF, NoKeyring: true}, IdleTimeout: -1,
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if err := a.Setup(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	var ps []storage.Profile
	for i, path := range paths {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var b struct {
			Entry []struct {
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(raw, &b); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var rs []storage.Resource
		for _, e := range b.Entry {
			var head struct{ ResourceType, ID string }
			if err := json.Unmarshal(e.Resource, &head); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			rs = append(rs, storage.Resource{Type: head.ResourceType, ID: head.ID, JSON: e.Resource})
		}
		p, err := a.store.CreateProfile(ctx, storage.Profile{PracticeURL: fmt.Sprintf("https://p%d.example.org/fhir", i),
			PatientID: "patient", Label: filepath.Base(path)})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.store.Put(ctx, p.ID, rs...); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return a, ps
}

// wholeSummaryRecord is what the summary read before it read by type:
// the whole record, decoded.
func wholeSummaryRecord(a *App) func(context.Context, string) (summaryRec, error) {
	return func(ctx context.Context, id string) (summaryRec, error) {
		c, err := a.Chart(ctx, id)
		if err != nil {
			return summaryRec{}, err
		}
		return summaryRec{chart: c, trends: record.Trends(c.Observations), bloodType: bloodType(c.Observations)}, nil
	}
}

// ipsOfWholeRecord is the IPS of s with the names of the whole records,
// decoded, as it was written before it read them one by one.
func ipsOfWholeRecord(t *testing.T, a *App, s HealthSummary) []byte {
	t.Helper()
	ctx := context.Background()
	b := newIPSBuilder(ctx, a)
	whole := map[string]*record.Chart{}
	b.name = func(profileID, reference string) (string, error) {
		c := whole[profileID]
		if c == nil {
			var err error
			if c, err = a.Chart(ctx, profileID); err != nil {
				return "", err
			}
			whole[profileID] = c
		}
		return c.Name(record.Ref{Reference: reference}), nil
	}
	var buf bytes.Buffer
	if err := b.write(&buf, s); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// withoutRandomIDs replaces the two ids an IPS makes up each time (the
// Bundle's and the Composition's) by fixed words.
func withoutRandomIDs(t *testing.T, ips []byte) string {
	t.Helper()
	var b struct {
		ID    string `json:"id"`
		Entry []struct {
			Resource struct {
				ID string `json:"id"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(ips, &b); err != nil || len(b.Entry) == 0 {
		t.Fatalf("IPS does not parse: %v", err)
	}
	return strings.NewReplacer(b.ID, "BUNDLE-ID", b.Entry[0].Resource.ID, "COMPOSITION-ID").Replace(string(ips))
}

// TestSummaryAndFormsSameAsWholeRecord: over every record of the
// fixtures, alone and merged three by three, the health summary, its IPS
// and the request forms, which read only the types they need, are those
// the whole decoded record gave (the IPS byte for byte, but for the ids it
// makes up each time).
func TestSummaryAndFormsSameAsWholeRecord(t *testing.T) {
	ctx := context.Background()
	// Small batches: the results of each record are spread over the
	// decoding workers, whose trends are merged.
	defer func(n int) { summaryBatch = n }(summaryBatch)
	summaryBatch = 5
	a, ps := fixtureRecords(t, 3)
	var sets [][]string
	for _, p := range ps {
		sets = append(sets, []string{p.ID})
	}
	for i := 0; i+2 < len(ps); i += 3 {
		sets = append(sets, []string{ps[i].ID, ps[i+1].ID, ps[i+2].ID})
	}
	named := 0
	for _, ids := range sets {
		got, err := a.HealthSummary(ctx, ids...)
		if err != nil {
			t.Fatalf("HealthSummary(%v): %v", ids, err)
		}
		want, err := a.healthSummary(ctx, ids, wholeSummaryRecord(a))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("summary of %v differs from the whole record's:\n got %+v\nwant %+v", ids, got, want)
		}
		var ips bytes.Buffer
		if err := a.WriteIPS(ctx, &ips, got); err != nil {
			t.Fatal(err)
		}
		if g, w := withoutRandomIDs(t, ips.Bytes()), withoutRandomIDs(t, ipsOfWholeRecord(t, a, want)); g != w {
			t.Errorf("IPS of %v differs from the whole record's:\n got %s\nwant %s", ids, g, w)
		}
		named += strings.Count(ips.String(), `"display"`)
	}
	if named == 0 {
		t.Error("no IPS names a reference: the comparison tells nothing")
	}

	kinds := []RequestKind{RequestRefill, RequestLabReportCopy, RequestReferral, RequestCorrection}
	forms := 0
	for _, p := range ps {
		whole, err := a.Chart(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		open, err := a.requestList(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		// A few entries of each type, one of none, one not in the record.
		abouts := []string{"", "Condition/not-here", "Observation/x/y"}
		perType := map[string]int{}
		rs, err := a.store.List(ctx, p.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if perType[r.Type]++; perType[r.Type] <= 2 {
				abouts = append(abouts, r.Type+"/"+r.ID)
			}
		}
		for _, about := range abouts {
			for _, kind := range kinds {
				got, err := a.RequestForm(ctx, p.ID, kind, about)
				want, wantErr := requestForm(whole, kind, about, open)
				if fmt.Sprint(err) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) {
					t.Errorf("RequestForm(%s, %q) = %+v, %v; the whole record gives %+v, %v", kind, about, got, err, want, wantErr)
				}
				if err == nil {
					forms++
				}
			}
		}
	}
	if forms == 0 {
		t.Error("no request form could be made: the comparison tells nothing")
	}
}

// TestSummaryAndRequestsLeaveOtherTypesSealed: with the claims and
// procedures of a record damaged, the whole record cannot be read, but
// the health summary, its exports and a request (form and sending), which
// read neither, still work: they no longer decode the whole record.
func TestSummaryAndRequestsLeaveOtherTypesSealed(t *testing.T) {
	ctx := context.Background()
	a, ps := fixtureRecords(t, 3)
	var p storage.Profile
	var med string
	for _, x := range ps {
		rs, err := a.store.List(ctx, x.ID, "MedicationRequest")
		if err != nil {
			t.Fatal(err)
		}
		counts, err := a.store.Counts(ctx, x.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) > 0 && counts["Claim"] > 0 && counts["Procedure"] > 0 {
			p, med = x, "MedicationRequest/"+rs[0].ID
			break
		}
	}
	if p.ID == "" {
		t.Fatal("no fixture record has prescriptions, claims and procedures")
	}
	db, err := sql.Open("sqlite", filepath.Join(a.DataDir(), storage.FileName))
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.Exec("UPDATE resources SET sealed = substr(sealed, 1, 40) WHERE type IN ('Claim', 'ExplanationOfBenefit', 'Procedure')")
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatal("nothing damaged")
	}
	db.Close()
	a.forget(p.ID)
	if _, err := a.Chart(ctx, p.ID); !errors.Is(err, storage.ErrIntegrity) {
		t.Fatalf("Chart of the damaged record = %v, want ErrIntegrity", err)
	}

	if _, err := a.HealthSummary(ctx, p.ID); err != nil {
		t.Errorf("HealthSummary: %v", err)
	}
	for _, f := range []ExportFormat{ExportIPS, ExportPDF} {
		if err := a.WriteExport(ctx, Export{Format: f, ProfileIDs: []string{p.ID}}, &bytes.Buffer{}); err != nil {
			t.Errorf("export %s: %v", f, err)
		}
	}
	for _, kind := range []RequestKind{RequestRefill, RequestCorrection} {
		if _, err := a.RequestForm(ctx, p.ID, kind, med); err != nil {
			t.Errorf("RequestForm(%s): %v", kind, err)
		}
	}
	// Not signed in: the request is kept for later, not refused for the
	// damage.
	if _, err := a.SendRequest(ctx, p.ID, RequestInput{Kind: RequestCorrection, About: med, Wrong: "the dose"}); errors.Is(err, storage.ErrIntegrity) || errors.Is(err, ErrInvalidInput) {
		t.Errorf("SendRequest: %v", err)
	}
}
