package rules

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/carebook/carebook/practice/access"
	"github.com/carebook/carebook/practice/fhirserver"
	"github.com/carebook/carebook/practice/store"
)

// oneToken is a Verifier knowing a single token.
type oneToken access.Grant

func (g oneToken) Verify(_ context.Context, token string) (access.Grant, error) {
	if token != "t" {
		return access.Grant{}, access.ErrInvalidToken
	}
	return access.Grant(g), nil
}

// TestThroughTheFHIRAPI books, double-books and cancels over HTTP with the
// Hook wired into the FHIR API, as the practice server does.
func TestThroughTheFHIRAPI(t *testing.T) {
	st, err := store.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	start := time.Now().UTC().Add(72 * time.Hour).Truncate(time.Second)
	for _, r := range []struct {
		typ, id string
		body    obj
	}{
		{"Patient", "p1", obj{}},
		{"Practitioner", "dr-park", obj{}},
		{"Schedule", "s", obj{"actor": []any{obj{"reference": "Practitioner/dr-park"}}}},
		{"Slot", "s1", obj{"status": "free", "schedule": obj{"reference": "Schedule/s"},
			"start": start.Format(time.RFC3339), "end": start.Add(20 * time.Minute).Format(time.RFC3339)}},
	} {
		r.body["resourceType"] = r.typ
		if _, err := st.Put(ctx, r.typ, r.id, mustJSON(r.body)); err != nil {
			t.Fatal(err)
		}
	}
	grant := access.Grant{PatientID: "p1", FHIRUser: "Patient/p1", ClientID: "carebook",
		Scopes: []access.Scope{{Context: "patient", ResourceType: "*", Interactions: "cruds"}}, ExpiresAt: time.Now().Add(time.Hour)}
	fs, err := fhirserver.New(fhirserver.Config{Store: st, Verifier: oneToken(grant), Hook: Hook{}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fs.Handler())
	defer srv.Close()

	send := func(method, path string, body obj, header ...string) (*http.Response, obj) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, bytes.NewReader(mustJSON(body)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer t")
		req.Header.Set("Content-Type", "application/fhir+json")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out obj
		json.NewDecoder(resp.Body).Decode(&out)
		return resp, out
	}
	appt := appointment("s1", 0, "booked", "p1")
	appt["start"], appt["end"] = start.Format(time.RFC3339), start.Add(20*time.Minute).Format(time.RFC3339)

	resp, created := send("POST", "/fhir/Appointment", appt)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("booking: %d %v", resp.StatusCode, created)
	}
	resp, outcome := send("POST", "/fhir/Appointment", appt)
	if resp.StatusCode != http.StatusConflict || outcome["resourceType"] != "OperationOutcome" {
		t.Fatalf("second booking: %d %v", resp.StatusCode, outcome)
	}
	issue := outcome["issue"].([]any)[0].(map[string]any)
	if issue["code"] != "conflict" || issue["diagnostics"] != msgSlotTaken {
		t.Errorf("issue %v", issue)
	}
	cancelled := with(created, "status", "cancelled")
	resp, body := send("PUT", "/fhir/Appointment/"+created["id"].(string), cancelled)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("cancel: %d %v", resp.StatusCode, body)
	}
	r, err := st.Read(ctx, "Slot", "s1")
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := decode(r.JSON); str(m, "status") != "free" {
		t.Errorf("slot is %s after the cancellation", str(m, "status"))
	}
	resp, body = send("POST", "/fhir/Observation", obj{"resourceType": "Observation", "status": "final",
		"code": obj{"text": "x"}, "subject": obj{"reference": "Patient/p1"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("patient-written Observation: %d %v", resp.StatusCode, body)
	}
}
