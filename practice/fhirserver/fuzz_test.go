package fhirserver

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/carebook/carebook/practice/store"
)

// fuzzServer is a Server over a small store, called without a network.
func fuzzServer(f *testing.F) *Server {
	st, err := store.Open("")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	ctx := context.Background()
	st.Put(ctx, "Patient", "a", []byte(`{"resourceType":"Patient"}`))
	st.Put(ctx, "Observation", "o", []byte(`{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/a"}}`))
	srv, err := New(Config{Store: st, Verifier: tokens})
	if err != nil {
		f.Fatal(err)
	}
	return srv
}

// checkReply fails on a 5xx or a reply that is not FHIR JSON.
func checkReply(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
	}
	if rec.Body.Len() == 0 {
		return
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil || m["resourceType"] == nil {
		t.Fatalf("reply is not a FHIR resource: %v %q", err, rec.Body.String())
	}
}

// FuzzWrite posts arbitrary bodies as creates, updates and bundles: the
// server must answer with a resource or an OperationOutcome, never a 5xx.
func FuzzWrite(f *testing.F) {
	f.Add("POST", "Observation", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/a"}}`)
	f.Add("PUT", "Observation/o", `{"resourceType":"Observation","id":"o","status":"amended","code":{"text":"x"},"subject":{"reference":"Patient/a"}}`)
	f.Add("POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:1","resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/a"}},"request":{"method":"POST","url":"Observation"}}]}`)
	f.Add("POST", "", `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"DELETE","url":"Observation/o"}},{"request":{"method":"GET","url":"Patient/a"}}]}`)
	f.Add("POST", "Observation", `{"resourceType":"Observation","subject":{"reference":"Patient/b"}}`)
	f.Add("PUT", "Patient/a", `{"resourceType":"Patient","id":"a","meta":{"versionId":"x"}}`)
	f.Add("POST", "Observation", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/a"},"performer":[{"reference":"Practitioner/"}]}`)
	srv := fuzzServer(f)
	f.Fuzz(func(t *testing.T, method, path, body string) {
		if method != "POST" && method != "PUT" && method != "DELETE" {
			return
		}
		u, err := url.Parse("http://fhir.test/fhir/" + path)
		if err != nil {
			return
		}
		for _, token := range []string{"tok-a", "tok-admin"} {
			req := httptest.NewRequest(method, "http://fhir.test/", strings.NewReader(body))
			req.URL = u
			req.Header.Set("Authorization", "Bearer "+token)
			rec := httptest.NewRecorder()
			srv.Handler().ServeHTTP(rec, req)
			checkReply(t, rec)
		}
	})
}

// FuzzSearch runs arbitrary queries: never a 5xx, and a patient's token
// never sees another patient's Observation.
func FuzzSearch(f *testing.F) {
	for _, q := range []string{
		"Observation?code=x&_sort=-date&_count=1", "Observation?patient=b", "Patient?_id=a,b",
		"Observation?_lastUpdated=gt2020-01-01T00:00:00Z&_include=Observation:subject", "Patient/a/$everything?_since=2020-01-01T00:00:00Z",
		"_history?_count=2&_offset=1", "Observation/_history?_since=2020", "Slot?schedule=Schedule/1&start=ge2025&status=free",
		// Paging tokens carry a cursor, the first page's snapshot and its
		// total: forged ones must not reach another patient's records.
		"Observation?_count=1&_cursor=0.99.9", "Observation?patient=a&_cursor=1.2.3", "Patient/b/$everything?_count=1&_page=o0.99.9",
		"Patient/b/$everything?_page=s99.9.Practitioner/x", "Patient/a/$everything?_page=o1.2.3",
	} {
		f.Add(q)
	}
	srv := fuzzServer(f)
	f.Fuzz(func(t *testing.T, pathAndQuery string) {
		u, err := url.Parse("http://fhir.test/fhir/" + pathAndQuery)
		if err != nil {
			return
		}
		req := httptest.NewRequest("GET", "http://fhir.test/", nil)
		req.URL = u
		req.Header.Set("Authorization", "Bearer tok-b")
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		checkReply(t, rec)
		if strings.Contains(rec.Body.String(), `"Patient/a"`) {
			t.Fatalf("patient b's token saw patient a's data: %s", rec.Body.String())
		}
	})
}
