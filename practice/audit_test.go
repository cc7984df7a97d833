package practice

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/carebook/carebook/practice/smart"
	"github.com/carebook/carebook/practice/synth"
)

const auditScopes = allScopes + " patient/AuditEvent.rs"

// auditLog returns the AuditEvents about patient that token may see.
func auditLog(t *testing.T, srv *Server, token, patient string) []map[string]any {
	t.Helper()
	r := call(t, "GET", srv.FHIRBase()+"/AuditEvent?patient=Patient/"+patient+"&_count=1000", token, nil)
	if r.status != 200 {
		t.Fatalf("AuditEvent search: %d %v", r.status, r.body)
	}
	return entries(r.body)
}

func agentWho(ev map[string]any) (who, display string, requestor bool, client string) {
	for _, a := range asList(ev["agent"]) {
		a := a.(map[string]any)
		w, _ := a["who"].(map[string]any)
		if ref, ok := w["reference"].(string); ok {
			who, requestor = ref, a["requestor"] == true
			display, _ = w["display"].(string)
		}
		if id, ok := w["identifier"].(map[string]any); ok {
			client, _ = id["value"].(string)
		}
	}
	return who, display, requestor, client
}

func entityRefs(ev map[string]any) []string {
	var out []string
	for _, e := range asList(ev["entity"]) {
		out = append(out, e.(map[string]any)["what"].(map[string]any)["reference"].(string))
	}
	return out
}

func subtype(ev map[string]any) string {
	return asList(ev["subtype"])[0].(map[string]any)["code"].(string)
}

// TestAuditEvents: every request on a chart records one AuditEvent (who,
// what, action) that the patient can read with patient/AuditEvent.rs;
// reading the log records nothing, and the log is in no compartment.
func TestAuditEvents(t *testing.T) {
	srv := startServer(t)
	base := srv.FHIRBase()
	tok := signInScopes(t, srv, "maya", synth.MayaID, auditScopes).AccessToken
	maya := "Patient/" + synth.MayaID

	before := len(auditLog(t, srv, tok, synth.MayaID))
	if again := len(auditLog(t, srv, tok, synth.MayaID)); again != before {
		t.Fatalf("searching the log recorded events: %d then %d", before, again)
	}
	obs := entries(call(t, "GET", base+"/Observation?_count=1", tok, nil).body)[0]["id"].(string)
	if r := call(t, "GET", base+"/Observation/"+obs, tok, nil); r.status != 200 {
		t.Fatalf("read: %d", r.status)
	}
	r := call(t, "GET", base+"/Patient/"+synth.MayaID+"/$everything?_count=1000", tok, nil)
	for _, res := range entries(r.body) {
		if res["resourceType"] == "AuditEvent" {
			t.Fatal("$everything returned an AuditEvent")
		}
	}
	r = call(t, "GET", base+"/AuditEvent/x", tok, nil)
	if r.status != 405 {
		t.Fatalf("read of an AuditEvent: %d", r.status)
	}
	r = call(t, "POST", base+"/Communication", tok, map[string]any{
		"resourceType": "Communication", "status": "completed",
		"subject": ref(maya), "sender": ref(maya),
		"recipient": []any{ref("Practitioner/dr-park")},
		"sent":      time.Now().UTC().Format(time.RFC3339),
		"payload":   []any{map[string]any{"contentString": "Who read my chart?"}},
	})
	if r.status != 201 {
		t.Fatalf("send message: %d %v", r.status, r.body)
	}
	msg := "Communication/" + r.body["id"].(string)

	log := auditLog(t, srv, tok, synth.MayaID)
	if len(log) < before+4 {
		t.Fatalf("log grew from %d to %d, want 4 more", before, len(log))
	}
	want := []struct {
		subtype, action string
		what            string
	}{
		{"create", "C", msg},
		{"operation", "E", ""},
		{"read", "R", "Observation/" + obs},
		{"search-type", "E", ""},
	}
	// Newest first; the staff may have added their own meanwhile.
	var mine []map[string]any
	for _, ev := range log {
		if who, _, _, _ := agentWho(ev); who == maya {
			mine = append(mine, ev)
		}
	}
	for i, w := range want {
		ev := mine[i]
		who, _, requestor, client := agentWho(ev)
		if subtype(ev) != w.subtype || ev["action"] != w.action || who != maya || !requestor ||
			client != smart.CarebookClientID || ev["outcome"] != "0" {
			t.Errorf("event %d: %s %v by %s (requestor %v, client %q, outcome %v), want %s %s", i,
				subtype(ev), ev["action"], who, requestor, client, ev["outcome"], w.subtype, w.action)
		}
		refs := entityRefs(ev)
		if refs[0] != maya || (w.what != "" && !slices.Contains(refs, w.what)) {
			t.Errorf("event %d entities %v, want %s and %s", i, refs, maya, w.what)
		}
		if ev["resourceType"] != "AuditEvent" || ev["recorded"] == nil ||
			ev["type"].(map[string]any)["code"] != "rest" || ev["source"] == nil {
			t.Errorf("event %d is not a full AuditEvent: %v", i, ev)
		}
	}

	// The staff's answer is recorded as the practitioner.
	poll(t, "the doctor's access", func() bool {
		for _, ev := range auditLog(t, srv, tok, synth.MayaID) {
			who, display, requestor, _ := agentWho(ev)
			if who == "Practitioner/dr-park" && requestor && display != "" && subtype(ev) == "read" &&
				slices.Contains(entityRefs(ev), msg) {
				return true
			}
		}
		return false
	})

	refused := []struct{ name, token, query string }{
		{"someone else's log", tok, "patient=Patient/" + synth.LeoID},
		{"someone else's log by entity", tok, "entity=Patient/" + synth.LeoID},
		{"without the scope", signIn(t, srv, "maya", synth.MayaID).AccessToken, "patient=" + maya},
	}
	for _, tt := range refused {
		if r := call(t, "GET", base+"/AuditEvent?"+tt.query, tt.token, nil); r.status != 403 {
			t.Errorf("%s: %d", tt.name, r.status)
		}
	}

	// A parent sees her child's log, with her own access in it, and not
	// another patient's.
	amara := signInScopes(t, srv, "amara", synth.LeoID, auditScopes).AccessToken
	if r := call(t, "GET", base+"/Patient/"+synth.LeoID, amara, nil); r.status != 200 {
		t.Fatalf("parent reading child: %d", r.status)
	}
	leoLog := auditLog(t, srv, amara, synth.LeoID)
	if len(leoLog) == 0 {
		t.Fatal("Leo's log is empty")
	}
	if who, _, _, _ := agentWho(leoLog[0]); !slices.Contains([]string{"RelatedPerson", "Patient"}, refType(who)) ||
		subtype(leoLog[0]) != "read" {
		t.Errorf("Leo's newest event: %v", leoLog[0])
	}
	if r := call(t, "GET", base+"/AuditEvent?patient="+maya, amara, nil); r.status != 403 {
		t.Errorf("parent reading Maya's log: %d", r.status)
	}

	// The CapabilityStatement offers AuditEvent as a search only.
	cs := call(t, "GET", base+"/metadata", "", nil).body
	found := false
	for _, res := range asList(asList(cs["rest"])[0].(map[string]any)["resource"]) {
		res := res.(map[string]any)
		if res["type"] == "AuditEvent" {
			found = true
			if fmt.Sprint(res["interaction"]) != "[map[code:search-type]]" {
				t.Errorf("AuditEvent interactions %v", res["interaction"])
			}
		}
	}
	if !found {
		t.Error("the CapabilityStatement does not offer AuditEvent")
	}
}

func refType(ref string) string {
	for i := range ref {
		if ref[i] == '/' {
			return ref[:i]
		}
	}
	return ref
}
