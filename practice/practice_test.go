package practice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/carebook/carebook/practice/faults"
	"github.com/carebook/carebook/practice/rules"
	"github.com/carebook/carebook/practice/smart"
	"github.com/carebook/carebook/practice/store"
	"github.com/carebook/carebook/practice/synth"
)

// shared is one server for the tests that do not need their own: seeding
// the demo practice is the slow part of starting one.
var (
	sharedOnce sync.Once
	shared     *Server
	sharedErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.Close()
	}
	os.Exit(code)
}

func startServer(t *testing.T) *Server {
	t.Helper()
	sharedOnce.Do(func() {
		shared, sharedErr = New(context.Background(), Config{PasswordCost: 64, StaffDelay: 20 * time.Millisecond, Seed: 1})
		if sharedErr == nil {
			sharedErr = shared.Start()
		}
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

const allScopes = "openid fhirUser launch/patient offline_access patient/*.rs patient/Communication.c patient/Appointment.cu patient/Task.c patient/Patient.u"

// signIn runs the SMART standalone launch for username and chart patientID
// and returns the access token.
func signIn(t *testing.T, srv *Server, username, patientID string) *oauth2.Token {
	t.Helper()
	return signInScopes(t, srv, username, patientID, allScopes)
}

// signInScopes is signIn asking for scopes.
func signInScopes(t *testing.T, srv *Server, username, patientID, scopes string) *oauth2.Token {
	t.Helper()
	ctx := context.Background()
	cfg := oauth2.Config{
		ClientID:    smart.CarebookClientID,
		RedirectURL: "http://127.0.0.1:9/callback",
		Scopes:      strings.Fields(scopes),
		Endpoint: oauth2.Endpoint{
			AuthURL:   srv.URL() + "/auth/authorize",
			TokenURL:  srv.URL() + "/auth/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
	}
	verifier := oauth2.GenerateVerifier()
	authURL := cfg.AuthCodeURL("state-123", oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("aud", srv.FHIRBase()))
	redirect, err := smart.SignIn(ctx, &http.Client{}, authURL, username, synth.DemoPassword, patientID)
	if err != nil {
		t.Fatalf("sign in %s: %v", username, err)
	}
	if redirect.Query().Get("state") != "state-123" {
		t.Fatalf("state not returned: %s", redirect)
	}
	tok, err := cfg.Exchange(ctx, redirect.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	return tok
}

type result struct {
	status int
	header http.Header
	body   map[string]any
}

func call(t *testing.T, method, u, token string, body any) result {
	t.Helper()
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = strings.NewReader(string(data))
	}
	req, _ := http.NewRequest(method, u, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	r := result{status: resp.StatusCode, header: resp.Header}
	raw, _ := io.ReadAll(resp.Body)
	if len(raw) > 0 {
		json.Unmarshal(raw, &r.body)
	}
	return r
}

func entries(b map[string]any) []map[string]any {
	var out []map[string]any
	list, _ := b["entry"].([]any)
	for _, e := range list {
		if res, ok := e.(map[string]any)["resource"].(map[string]any); ok {
			out = append(out, res)
		}
	}
	return out
}

func TestEndToEndThroughSMART(t *testing.T) {
	srv := startServer(t)
	base := srv.FHIRBase()
	if len(srv.DemoAccounts()) == 0 {
		t.Fatal("no demo accounts")
	}
	r := call(t, "GET", base+"/.well-known/smart-configuration", "", nil)
	if r.status != 200 || r.body["token_endpoint"] != srv.URL()+"/auth/token" {
		t.Fatalf("smart-configuration: %d %v", r.status, r.body)
	}

	maya := signIn(t, srv, "maya", synth.MayaID)
	if got := maya.Extra("patient"); got != synth.MayaID {
		t.Fatalf("token patient %v", got)
	}
	tok := maya.AccessToken
	if r := call(t, "GET", base+"/Patient/"+synth.MayaID, tok, nil); r.status != 200 {
		t.Fatalf("read own chart: %d", r.status)
	}
	if r := call(t, "GET", base+"/Patient/"+synth.LeoID, tok, nil); r.status != 404 {
		t.Fatalf("Maya reading Leo: %d", r.status)
	}
	r = call(t, "GET", base+"/Observation?_count=5", tok, nil)
	if r.status != 200 || r.body["total"].(float64) == 0 {
		t.Fatalf("search: %d %v", r.status, r.body["total"])
	}
	for _, o := range entries(r.body) {
		if ref := o["subject"].(map[string]any)["reference"]; ref != "Patient/"+synth.MayaID {
			t.Fatalf("someone else's observation: %v", ref)
		}
	}
	r = call(t, "GET", base+"/Patient/"+synth.MayaID+"/$everything?_count=1000", tok, nil)
	if r.status != 200 || len(entries(r.body)) < 10 {
		t.Fatalf("$everything: %d, %d entries", r.status, len(entries(r.body)))
	}
	// Clinical data is not the patient's to write: the practice's rules say 403.
	obs := entries(call(t, "GET", base+"/Observation?_count=1", tok, nil).body)[0]
	if r := call(t, "PUT", base+"/Observation/"+obs["id"].(string), tok, obs); r.status != 403 {
		t.Fatalf("patient editing an observation: %d", r.status)
	}

	// Expired tokens are refused with 401.
	srv.Auth().ExpireAccessTokens()
	if r := call(t, "GET", base+"/Patient/"+synth.MayaID, tok, nil); r.status != 401 || r.header.Get("WWW-Authenticate") == "" {
		t.Fatalf("expired token: %d", r.status)
	}
}

func TestFamilyAccess(t *testing.T) {
	srv := startServer(t)
	base := srv.FHIRBase()
	leo := signIn(t, srv, "amara", synth.LeoID).AccessToken
	if r := call(t, "GET", base+"/Observation?_count=1", leo, nil); r.status != 200 {
		t.Fatalf("parent reading a child's observations: %d", r.status)
	}
	nia := signIn(t, srv, "amara", synth.NiaID).AccessToken
	if r := call(t, "GET", base+"/Observation?_count=1", nia, nil); r.status != 403 {
		t.Fatalf("parent reading a teenager's observations: %d", r.status)
	}
	if r := call(t, "GET", base+"/Immunization?_count=1", nia, nil); r.status != 200 {
		t.Fatalf("parent reading a teenager's immunizations: %d", r.status)
	}
	if r := call(t, "GET", base+"/Observation?_count=1", leo, nil); r.status != 200 {
		t.Fatalf("Leo's token after Nia's sign-in: %d", r.status)
	}
}

// TestCaregiverAccessRevoked: Lucía reads her father's chart with full
// access until he revokes it; then her token is refused and so is her next
// refresh, while his own access goes on.
func TestCaregiverAccessRevoked(t *testing.T) {
	srv := startServer(t)
	base := srv.FHIRBase()
	ctx := context.Background()
	lucia := signIn(t, srv, "lucia", synth.JoseID)
	if r := call(t, "GET", base+"/Observation?_count=1", lucia.AccessToken, nil); r.status != 200 || len(entries(r.body)) != 1 {
		t.Fatalf("caregiver reading observations: %d", r.status)
	}
	if r := call(t, "GET", base+"/Patient/"+synth.MayaID, lucia.AccessToken, nil); r.status != 404 {
		t.Fatalf("caregiver reading someone else: %d", r.status)
	}
	if err := srv.Auth().RevokeAccess(ctx, "lucia", synth.JoseID); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, a := range srv.DemoAccounts() {
			if a.Username == "lucia" {
				if err := srv.Auth().AddAccessAs(ctx, "lucia", synth.JoseID, smart.RelationCaregiver, a.RelatedPersons[synth.JoseID]); err != nil {
					t.Errorf("give the access back: %v", err)
				}
			}
		}
	})
	if r := call(t, "GET", base+"/Patient/"+synth.JoseID, lucia.AccessToken, nil); r.status != 401 {
		t.Fatalf("revoked caregiver's token: %d", r.status)
	}
	cfg := oauth2.Config{ClientID: smart.CarebookClientID,
		Endpoint: oauth2.Endpoint{TokenURL: srv.URL() + "/auth/token", AuthStyle: oauth2.AuthStyleInParams}}
	_, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: lucia.RefreshToken}).Token()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("refresh after revocation: %v", err)
	}
	jose := signIn(t, srv, "jose", synth.JoseID)
	if r := call(t, "GET", base+"/Patient/"+synth.JoseID, jose.AccessToken, nil); r.status != 200 {
		t.Fatalf("José's own access: %d", r.status)
	}
}

func TestBookingThroughRules(t *testing.T) {
	srv := startServer(t)
	base := srv.FHIRBase()
	tok := signIn(t, srv, "maya", synth.MayaID).AccessToken
	from := time.Now().Add(48 * time.Hour).UTC().Format("2006-01-02")
	r := call(t, "GET", base+"/Slot?status=free&start=ge"+from+"&_count=1&_sort=start", tok, nil)
	slots := entries(r.body)
	if r.status != 200 || len(slots) != 1 {
		t.Fatalf("free slots: %d %d", r.status, len(slots))
	}
	slot := slots[0]
	sched := call(t, "GET", base+"/"+slot["schedule"].(map[string]any)["reference"].(string), tok, nil)
	actor := sched.body["actor"].([]any)[0].(map[string]any)["reference"].(string)
	appt := map[string]any{
		"resourceType": "Appointment",
		"status":       "booked",
		"start":        slot["start"],
		"end":          slot["end"],
		"slot":         []any{map[string]any{"reference": "Slot/" + slot["id"].(string)}},
		"participant": []any{
			map[string]any{"actor": map[string]any{"reference": "Patient/" + synth.MayaID}, "status": "accepted"},
			map[string]any{"actor": map[string]any{"reference": actor}, "status": "accepted"},
		},
	}
	if r := call(t, "POST", base+"/Appointment", tok, appt); r.status != 201 {
		t.Fatalf("booking: %d %v", r.status, r.body)
	}
	if r := call(t, "POST", base+"/Appointment", tok, appt); r.status != 409 {
		t.Fatalf("double booking: %d %v", r.status, r.body)
	}
	r = call(t, "GET", base+"/Slot/"+slot["id"].(string), tok, nil)
	if r.body["status"] != "busy" {
		t.Fatalf("slot after booking: %v", r.body["status"])
	}
}

func TestFaultsAreWired(t *testing.T) {
	srv := startServer(t)
	srv.Faults().Set(faults.Config{ErrorRate: 1, ErrorStatus: 429, RetryAfter: 2 * time.Second, OnlyPaths: "/fhir/metadata"})
	r := call(t, "GET", srv.FHIRBase()+"/metadata", "", nil)
	if r.status != 429 || r.header.Get("Retry-After") != "2" {
		t.Fatalf("injected fault: %d %v", r.status, r.header)
	}
	srv.Faults().Set(faults.Config{})
	if r := call(t, "GET", srv.FHIRBase()+"/metadata", "", nil); r.status != 200 {
		t.Fatalf("after reset: %d", r.status)
	}
}

func TestDataFileSurvivesRestart(t *testing.T) {
	path := t.TempDir() + "/practice.db"
	cfg := Config{DataFile: path, PasswordCost: 64}
	fixtures, _ := filepath.Glob(filepath.Join("..", "..", "shared", "fixtures", "synthea", "Arla_Lang_*.json"))
	cfg.Load = fixtures // loaded once, though named at both starts
	ctx := context.Background()
	var invited []string
	counts := func(srv *Server) [2]int {
		_, obs, _ := srv.Store().Search(ctx, "Observation", storeCount())
		_, pats, _ := srv.Store().Search(ctx, "Patient", storeCount())
		inv, err := srv.InviteLoadedPatients(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range inv {
			invited = append(invited, i.PatientID)
		}
		return [2]int{obs, pats}
	}
	srv, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	before := counts(srv)
	srv.Close()
	srv, err = New(ctx, cfg)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer srv.Close()
	after := counts(srv)
	if before[0] == 0 || after != before {
		t.Fatalf("observations and patients %v then %v", before, after)
	}
	if len(fixtures) > 0 && (len(invited) != 2 || invited[0] != invited[1]) {
		t.Fatalf("patients invited at the two starts: %v", invited)
	}
	if _, err := url.Parse(srv.URL()); err != nil {
		t.Fatal(err)
	}
}

func storeCount() store.Query { return store.Query{CountOnly: true} }

// TestScalePatient: Config.Scale (--scale) adds a patient with about
// Scale×1,000 resources and an account that opens that chart.
func TestScalePatient(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a large chart")
	}
	srv, err := New(context.Background(), Config{Scale: 2, PasswordCost: 64, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	tok := signIn(t, srv, "scale", synth.ScalePatientID).AccessToken
	r := call(t, "GET", srv.FHIRBase()+"/Patient/"+synth.ScalePatientID+"/$everything?_count=1", tok, nil)
	if total, _ := r.body["total"].(float64); r.status != 200 || total < 2000 || total > 2500 {
		t.Fatalf("$everything of the scale patient: %d, total %v", r.status, r.body["total"])
	}
}

// poll calls check every 20ms until it returns true or 20 seconds pass.
func poll(t *testing.T, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20 seconds", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func ref(r string) map[string]any { return map[string]any{"reference": r} }

// TestStaffOverHTTP: what the app sees of the simulated staff, through the
// API with the patient's token: a message marked received (read receipt)
// and answered, a refill request accepted and completed with a renewed
// prescription.
func TestStaffOverHTTP(t *testing.T) {
	srv := startServer(t)
	base := srv.FHIRBase()
	tok := signIn(t, srv, "maya", synth.MayaID).AccessToken
	maya := "Patient/" + synth.MayaID

	var thread string
	for _, c := range entries(call(t, "GET", base+"/Communication?_count=100", tok, nil).body) {
		if c["partOf"] == nil {
			thread = "Communication/" + c["id"].(string)
			break
		}
	}
	if thread == "" {
		t.Fatal("Maya has no message thread")
	}
	r := call(t, "POST", base+"/Communication", tok, map[string]any{
		"resourceType": "Communication", "status": "completed",
		"subject": ref(maya), "sender": ref(maya), "partOf": []any{ref(thread)},
		"recipient": []any{ref("Practitioner/dr-park")},
		"sent":      time.Now().UTC().Format(time.RFC3339),
		"payload":   []any{map[string]any{"contentString": "Is my appointment still on?"}},
	})
	if r.status != 201 {
		t.Fatalf("send message: %d %v", r.status, r.body)
	}
	msg := r.body["id"].(string)
	poll(t, "read receipt", func() bool {
		return call(t, "GET", base+"/Communication/"+msg, tok, nil).body["received"] != nil
	})
	poll(t, "reply", func() bool {
		for _, c := range entries(call(t, "GET", base+"/Communication?part-of="+thread+"&_count=100", tok, nil).body) {
			for _, irt := range asList(c["inResponseTo"]) {
				if irt.(map[string]any)["reference"] == "Communication/"+msg {
					if c["sender"].(map[string]any)["reference"] != "Practitioner/dr-park" {
						t.Fatalf("reply sent by %v", c["sender"])
					}
					return true
				}
			}
		}
		return false
	})

	var med string
	for _, m := range entries(call(t, "GET", base+"/MedicationRequest?status=active&_count=100", tok, nil).body) {
		if strings.Contains(fmt.Sprint(m["medicationCodeableConcept"]), "Lisinopril") {
			med = "MedicationRequest/" + m["id"].(string)
		}
	}
	if med == "" {
		t.Fatal("Maya has no active Lisinopril prescription")
	}
	r = call(t, "POST", base+"/Task", tok, map[string]any{
		"resourceType": "Task", "status": "requested", "intent": "order",
		"code": map[string]any{"coding": []any{map[string]any{"system": rules.RequestTypeSystem, "code": rules.RequestRefill}}},
		"for":  ref(maya), "requester": ref(maya), "focus": ref(med),
		"authoredOn": time.Now().UTC().Format(time.RFC3339),
	})
	if r.status != 201 {
		t.Fatalf("refill request: %d %v", r.status, r.body)
	}
	task := "Task/" + r.body["id"].(string)
	var done map[string]any
	poll(t, "refill completed", func() bool {
		done = call(t, "GET", base+"/"+task, tok, nil).body
		return done["status"] == "completed" || done["status"] == "rejected"
	})
	if done["status"] != "completed" {
		t.Fatalf("refill %v: %v", done["status"], done["statusReason"])
	}
	renewed := asList(done["output"])[0].(map[string]any)["valueReference"].(map[string]any)["reference"].(string)
	r = call(t, "GET", base+"/"+renewed, tok, nil)
	if r.status != 200 || r.body["status"] != "active" || r.body["priorPrescription"].(map[string]any)["reference"] != med {
		t.Fatalf("renewed prescription: %d %v", r.status, r.body)
	}
	if r := call(t, "GET", base+"/"+med, tok, nil); r.body["status"] != "completed" {
		t.Errorf("the old prescription is %v", r.body["status"])
	}
	// The doctor's review is in the practice's log of Maya's record.
	audited := false
	for _, ev := range auditLog(t, srv, signInScopes(t, srv, "maya", synth.MayaID, auditScopes).AccessToken, synth.MayaID) {
		if who, _, _, _ := agentWho(ev); who == "Practitioner/dr-park" && ev["action"] == "U" && slices.Contains(entityRefs(ev), task) {
			audited = true
		}
	}
	if !audited {
		t.Error("the review of the refill request is not in the audit log")
	}
}

func asList(v any) []any { l, _ := v.([]any); return l }

// TestTransactionWithRulesIsAllOrNothing: a transaction that books a slot
// (the rules mark it busy in the same store transaction) and then fails on
// a later entry leaves the slot free and writes nothing.
func TestTransactionWithRulesIsAllOrNothing(t *testing.T) {
	srv := startServer(t)
	base := srv.FHIRBase()
	tok := signIn(t, srv, "maya", synth.MayaID).AccessToken
	maya := "Patient/" + synth.MayaID
	from := time.Now().Add(72 * time.Hour).UTC().Format("2006-01-02")
	slots := entries(call(t, "GET", base+"/Slot?status=free&start=ge"+from+"&_count=1&_sort=-start", tok, nil).body)
	if len(slots) != 1 {
		t.Fatal("no free slot")
	}
	slot := slots[0]
	slotID := slot["id"].(string)
	sched := call(t, "GET", base+"/"+slot["schedule"].(map[string]any)["reference"].(string), tok, nil)
	actor := sched.body["actor"].([]any)[0].(map[string]any)["reference"].(string)
	booking := map[string]any{
		"fullUrl": "urn:uuid:7d3c1a8e-0000-4000-8000-000000000001",
		"request": map[string]any{"method": "POST", "url": "Appointment"},
		"resource": map[string]any{
			"resourceType": "Appointment", "status": "booked", "start": slot["start"], "end": slot["end"],
			"slot": []any{ref("Slot/" + slotID)},
			"participant": []any{
				map[string]any{"actor": ref(maya), "status": "accepted"},
				map[string]any{"actor": ref(actor), "status": "accepted"},
			},
		},
	}
	note := func(text string) map[string]any {
		return map[string]any{
			"request": map[string]any{"method": "POST", "url": "Communication"},
			"resource": map[string]any{
				"resourceType": "Communication", "status": "completed", "subject": ref(maya), "sender": ref(maya),
				"recipient": []any{ref("Practitioner/dr-park")}, "topic": map[string]any{"text": "About my new appointment"},
				"about":   []any{ref("urn:uuid:7d3c1a8e-0000-4000-8000-000000000001")},
				"payload": []any{map[string]any{"contentString": text}},
			},
		}
	}
	_, before, _ := srv.Store().Search(context.Background(), "Appointment", store.Query{CountOnly: true})
	tx := func(second map[string]any) result {
		return call(t, "POST", base, tok, map[string]any{"resourceType": "Bundle", "type": "transaction",
			"entry": []any{booking, second}})
	}
	// An empty message is refused by the practice's rules, after the
	// booking went through them: the whole transaction is refused.
	r := tx(note(" "))
	if r.status != 422 || !strings.Contains(fmt.Sprint(r.body["issue"]), "entry 1: A message can't be empty") {
		t.Fatalf("bad transaction: %d %v", r.status, r.body)
	}
	if got := call(t, "GET", base+"/Slot/"+slotID, tok, nil).body["status"]; got != "free" {
		t.Fatalf("slot is %v after a failed transaction", got)
	}
	if _, after, _ := srv.Store().Search(context.Background(), "Appointment", store.Query{CountOnly: true}); after != before {
		t.Fatalf("%d appointments after a failed transaction, %d before", after, before)
	}
	r = tx(note("I booked it online."))
	if r.status != 200 {
		t.Fatalf("transaction: %d %v", r.status, r.body)
	}
	if got := call(t, "GET", base+"/Slot/"+slotID, tok, nil).body["status"]; got != "busy" {
		t.Fatalf("slot is %v after booking", got)
	}
	msg := asList(r.body["entry"])[1].(map[string]any)["resource"].(map[string]any)
	appt := asList(r.body["entry"])[0].(map[string]any)["resource"].(map[string]any)
	if asList(msg["about"])[0].(map[string]any)["reference"] != "Appointment/"+appt["id"].(string) {
		t.Errorf("urn:uuid not resolved: %v", msg["about"])
	}
}
