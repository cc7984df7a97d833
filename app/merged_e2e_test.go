package app

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/practice/demo"
	"github.com/carebook/carebook/practice/store"
	"github.com/carebook/carebook/practice/synth"
	"github.com/carebook/carebook/storage"
)

// twoPractices is the demo patient connected at both demo practices (each
// its own server on 127.0.0.1, signed in through SMART, synced).
type twoPractices struct {
	core         *App
	river, lake  *demo.Practice
	mayaR, mayaL ProfileInfo
}

func connectTwoPractices(t *testing.T) twoPractices {
	t.Helper()
	ctx := context.Background()
	river := startDemo(t)
	lake, err := demo.StartSecond(ctx, demo.Options{PasswordCost: 64, StaffDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lake.Close() })
	core, err := Open(Config{
		DataDir:     t.TempDir(),
		Storage:     storage.Options{KDF: cheapKDF, NoKeyring: true},
		IdleTimeout: -1,
		Demo:        func(context.Context) (DemoPractice, error) { return river, nil },
		SecondDemo:  func(context.Context) (DemoPractice, error) { return lake, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { core.Close() })
	if err := core.Setup(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	tp := twoPractices{core: core, river: river, lake: lake}
	if tp.mayaR, err = core.ConnectDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if tp.mayaL, err = core.ConnectSecondDemo(ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range []ProfileInfo{tp.mayaR, tp.mayaL} {
		if err := core.Sync(ctx, p.ID); err != nil {
			t.Fatalf("sync %s: %v", p.Practice, err)
		}
	}
	return tp
}

// serverRecord is a patient's resources of one type as the practice keeps
// them, decoded with the app's decoders.
func serverRecord(t *testing.T, p *demo.Practice, typ, patientID string) *record.Chart {
	t.Helper()
	rs, _, err := p.Server().Store().Search(context.Background(), typ, store.Query{Patient: patientID, Count: 1000})
	if err != nil {
		t.Fatal(err)
	}
	in := make([]record.Resource, len(rs))
	for i, r := range rs {
		in[i] = record.Resource{Type: r.Type, ID: r.ID, JSON: r.JSON}
	}
	return record.Load(in)
}

// checkMerged checks merged items against the two practices' own data,
// item by item: every server item appears exactly once, under its own
// practice; items folded together have the same fold key (code and
// dates) and come from different practices; no two items left apart have
// the same fold key at different practices. It returns the folded items'
// keys.
func checkMerged[T any](t *testing.T, kind string, items []record.Sourced[T], server map[string]map[string]string, foldKey func(T) string) []string {
	t.Helper()
	seen := map[string]bool{}
	practicesOf := map[string]map[string]bool{} // fold key → practices of items left apart
	var folded []string
	for _, it := range items {
		if len(it.Keys) != len(it.Sources) {
			t.Fatalf("%s: %d keys for %d sources", kind, len(it.Keys), len(it.Sources))
		}
		key := foldKey(it.Item)
		for i, src := range it.Sources {
			byKey := server[src.Practice]
			want, ok := byKey[it.Keys[i]]
			if !ok {
				t.Errorf("%s %s says it comes from %s, which has no such item", kind, it.Keys[i], src.Practice)
				continue
			}
			if want != key {
				t.Errorf("%s %s folded with another of other code or dates: %q vs %q", kind, it.Keys[i], want, key)
			}
			id := src.Practice + " " + it.Keys[i]
			if seen[id] {
				t.Errorf("%s %s at %s shown twice", kind, it.Keys[i], src.Practice)
			}
			seen[id] = true
		}
		if len(it.Sources) > 1 {
			if it.Sources[0].Practice == it.Sources[1].Practice {
				t.Errorf("%s folded two items of one practice: %v", kind, it.Keys)
			}
			folded = append(folded, strings.Join(it.Keys, "+"))
			continue
		}
		if practicesOf[key] == nil {
			practicesOf[key] = map[string]bool{}
		}
		practicesOf[key][it.Sources[0].Practice] = true
	}
	for practice, byKey := range server {
		for k := range byKey {
			if !seen[practice+" "+k] {
				t.Errorf("%s %s at %s missing from the merged view", kind, k, practice)
			}
		}
	}
	for key, ps := range practicesOf {
		if len(ps) > 1 {
			t.Errorf("%s %q from %d practices shown apart", kind, key, len(ps))
		}
	}
	sort.Strings(folded)
	return folded
}

// byPractice maps practice name → "Type/id" → fold key, for the items of
// both practices' servers.
func byPractice[T any](names [2]string, items [2][]T, entry func(T) record.Entry, foldKey func(T) string, keep func(T) bool) map[string]map[string]string {
	out := map[string]map[string]string{}
	for i, list := range items {
		out[names[i]] = map[string]string{}
		for _, it := range list {
			if keep(it) {
				out[names[i]][entry(it).Key()] = foldKey(it)
			}
		}
	}
	return out
}

// TestMergedViewsTwoPractices: Maya at the two demo practices (two
// servers over real HTTP) is offered for linking, linked, and her merged
// medications, allergies, conditions and vaccines hold every item of both
// practices once, with its sources, the shared ones (same code and dates)
// folded; her weights (kg at one, lb at the other) and A1c chart together;
// results and appointments carry their practice; unlinking separates her
// records again.
func TestMergedViewsTwoPractices(t *testing.T) {
	ctx := context.Background()
	tp := connectTwoPractices(t)
	core := tp.core
	if tp.mayaL.Practice != synth.LakesideName || tp.mayaR.Practice == tp.mayaL.Practice {
		t.Fatalf("practices named %q and %q", tp.mayaR.Practice, tp.mayaL.Practice)
	}

	m, err := core.MergedRecord(ctx, tp.mayaR.ID)
	if err != nil || m.Linked() {
		t.Fatalf("before linking: %d parts, %v; want her record alone", len(m.Parts), err)
	}
	offers, err := core.LinkSuggestions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(offers) != 1 || offers[0].A.ID == offers[0].B.ID ||
		!((offers[0].A.ID == tp.mayaR.ID && offers[0].B.ID == tp.mayaL.ID) || (offers[0].A.ID == tp.mayaL.ID && offers[0].B.ID == tp.mayaR.ID)) {
		t.Fatalf("offers = %+v, want Maya at both practices", offers)
	}
	if err := core.LinkProfiles(ctx, tp.mayaR.ID, tp.mayaL.ID); err != nil {
		t.Fatal(err)
	}
	if offers, _ := core.LinkSuggestions(ctx); len(offers) != 0 {
		t.Errorf("offers after linking = %+v", offers)
	}

	m, err = core.MergedRecord(ctx, tp.mayaL.ID)
	if err != nil || len(m.Parts) != 2 || m.Parts[0].Source.ProfileID != tp.mayaL.ID || m.Parts[1].Source.ProfileID != tp.mayaR.ID {
		t.Fatalf("merged record from Lakeside: %+v, %v", m.Profiles, err)
	}
	names := [2]string{tp.mayaR.Practice, tp.mayaL.Practice}
	sr := map[string]*record.Chart{}
	for _, typ := range []string{"MedicationRequest", "AllergyIntolerance", "Condition", "Immunization"} {
		sr["r"+typ] = serverRecord(t, tp.river, typ, synth.MayaID)
		sr["l"+typ] = serverRecord(t, tp.lake, typ, synth.LakesideMayaID)
	}

	meds := checkMerged(t, "medication", record.MergeMedications(m.Parts),
		byPractice(names, [2][]record.MedicationRequest{sr["rMedicationRequest"].Medications, sr["lMedicationRequest"].Medications},
			func(x record.MedicationRequest) record.Entry { return x.Entry }, record.MedicationKey,
			func(x record.MedicationRequest) bool { return x.Status != "entered-in-error" }),
		record.MedicationKey)
	allergies := checkMerged(t, "allergy", record.MergeAllergies(m.Parts),
		byPractice(names, [2][]record.AllergyIntolerance{sr["rAllergyIntolerance"].Allergies, sr["lAllergyIntolerance"].Allergies},
			func(x record.AllergyIntolerance) record.Entry { return x.Entry }, record.AllergyKey,
			func(x record.AllergyIntolerance) bool { return x.VerificationStatus != "entered-in-error" }),
		record.AllergyKey)
	conditions := checkMerged(t, "condition", record.MergeConditions(m.Parts),
		byPractice(names, [2][]record.Condition{sr["rCondition"].Conditions, sr["lCondition"].Conditions},
			func(x record.Condition) record.Entry { return x.Entry }, record.ConditionKey,
			func(x record.Condition) bool { return x.VerificationStatus != "entered-in-error" }),
		record.ConditionKey)
	vaccines := checkMerged(t, "vaccine", record.MergeImmunizations(m.Parts),
		byPractice(names, [2][]record.Immunization{sr["rImmunization"].Immunizations, sr["lImmunization"].Immunizations},
			func(x record.Immunization) record.Entry { return x.Entry }, record.ImmunizationKey,
			func(x record.Immunization) bool { return x.Status != "entered-in-error" }),
		record.ImmunizationKey)
	// The shared items, and only they, are folded (Lakeside first: the
	// merged record asked for from Lakeside lists its items first).
	for _, tt := range []struct {
		kind   string
		folded []string
		want   string
	}{
		{"medications", meds, "MedicationRequest/lakeside-med-shared+MedicationRequest/"},
		{"allergies", allergies, "AllergyIntolerance/lakeside-allergy-shared+AllergyIntolerance/"},
		{"vaccines", vaccines, "Immunization/lakeside-imm-flu+Immunization/"},
	} {
		if len(tt.folded) != 1 || !strings.HasPrefix(tt.folded[0], tt.want) {
			t.Errorf("%s folded = %v, want the one shared item (%s…)", tt.kind, tt.folded, tt.want)
		}
	}
	t.Logf("folded: %v %v %v; %d medications, %d vaccines", meds, allergies, vaccines, len(record.MergeMedications(m.Parts)), len(record.MergeImmunizations(m.Parts)))
	if len(conditions) != 0 {
		t.Errorf("conditions folded = %v, want none (the practices share none)", conditions)
	}

	// Trends: weights in kg (Riverside) and lb (Lakeside) on one chart, in
	// the unit of the record asked for first (lb); the A1c of both.
	riverObs := serverRecord(t, tp.river, "Observation", synth.MayaID).Observations
	weights, a1c := 0, 0
	for _, o := range riverObs {
		if o.Code.Has(record.LOINC, "29463-7") {
			weights++
		}
		if o.Code.Has(record.LOINC, "4548-4") {
			a1c++
		}
	}
	for _, tt := range []struct {
		loinc, unit string
		river, lake int
	}{{"29463-7", "lb", weights, 3}, {"4548-4", "%", a1c, 1}} {
		var found []record.SourcedSeries
		for _, s := range record.MergeTrends(m.Parts) {
			if s.Code.Code == tt.loinc {
				found = append(found, s)
			}
		}
		if len(found) != 1 {
			t.Fatalf("LOINC %s: %d series, want one across both practices", tt.loinc, len(found))
		}
		s := found[0]
		count := map[string]int{}
		for i, pt := range s.Points {
			count[s.From[i].Practice]++
			if pt.Unit != tt.unit && !strings.EqualFold(pt.Unit, tt.unit) {
				t.Errorf("LOINC %s point in %q, want %q", tt.loinc, pt.Unit, tt.unit)
			}
			if i > 0 && pt.Date.Before(s.Points[i-1].Date) {
				t.Errorf("LOINC %s points out of order", tt.loinc)
			}
			if tt.loinc == "29463-7" && (pt.Value < 80 || pt.Value > 400) {
				t.Errorf("weight %v %s: not converted to lb", pt.Value, pt.Unit)
			}
		}
		if count[names[0]] != tt.river || count[names[1]] != tt.lake {
			t.Errorf("LOINC %s points by practice = %v, want %d and %d", tt.loinc, count, tt.river, tt.lake)
		}
	}

	// Results and appointments carry their practice.
	results := record.MergeResults(m.Parts)
	lakeResults := 0
	for _, g := range results {
		if g.Sources[0].Practice == names[1] {
			lakeResults++
			if len(g.Item.Results) != 1 || !g.Item.Results[0].Code.Has(record.LOINC, "4548-4") {
				t.Errorf("Lakeside result group %+v", g.Item)
			}
		}
	}
	if lakeResults != 1 || len(results) != len(record.LabResults(m.Parts[1].Chart))+1 {
		t.Errorf("results: %d from Lakeside of %d", lakeResults, len(results))
	}
	dash, err := core.MergedDashboard(ctx, tp.mayaR.ID)
	if err != nil {
		t.Fatal(err)
	}
	var upcoming []string
	for _, a := range dash.Upcoming {
		upcoming = append(upcoming, a.Keys[0]+"@"+a.Practices())
	}
	if !strings.Contains(strings.Join(upcoming, " "), "Appointment/lakeside-appt-1@"+names[1]) || len(dash.Upcoming) < 2 {
		t.Errorf("merged upcoming = %v", upcoming)
	}
	shared := 0
	for _, med := range dash.Medications {
		if len(med.Sources) == 2 {
			shared++
		}
		if !med.Item.Active() {
			t.Errorf("dashboard medication %s not active", med.Item.Medication)
		}
	}
	if shared != 1 {
		t.Errorf("dashboard medications from both practices = %d, want 1", shared)
	}

	// Undo: each record on its own again, and not offered again.
	if err := core.UnlinkProfiles(ctx, tp.mayaL.ID); err != nil {
		t.Fatal(err)
	}
	if m, _ := core.MergedRecord(ctx, tp.mayaR.ID); m.Linked() {
		t.Error("still linked after unlinking")
	}
	if offers, _ := core.LinkSuggestions(ctx); len(offers) != 0 {
		t.Errorf("offered again after the user unlinked: %+v", offers)
	}
}
