package fhirserver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/practice/access"
	"github.com/carebook/carebook/practice/store"
)

// testVerifier maps fixed tokens to grants (tests only; the real one is
// package smart).
type testVerifier map[string]access.Grant

func (v testVerifier) Verify(ctx context.Context, token string) (access.Grant, error) {
	if id, ok := strings.CutPrefix(token, "patient-rs:"); ok {
		return access.Grant{PatientID: id, Scopes: scopes("patient/*.rs")}, nil
	}
	g, ok := v[token]
	if !ok {
		return access.Grant{}, access.ErrInvalidToken
	}
	return g, nil
}

func scopes(ss ...string) []access.Scope {
	var out []access.Scope
	for _, s := range ss {
		sc, ok := access.ParseScope(s)
		if !ok {
			panic("bad scope " + s)
		}
		out = append(out, sc)
	}
	return out
}

var tokens = testVerifier{
	"tok-a":     {PatientID: "a", FHIRUser: "Patient/a", Scopes: scopes("patient/*.cruds")},
	"tok-b":     {PatientID: "b", FHIRUser: "Patient/b", Scopes: scopes("patient/*.cruds")},
	"tok-a-obs": {PatientID: "a", Scopes: scopes("patient/Observation.rs")},
	"tok-a-teen": {PatientID: "a", Scopes: scopes("patient/*.rs"),
		AllowedTypes: []string{"Patient", "Immunization"}},
	"tok-admin":     {Scopes: scopes("system/*.cruds")},
	"tok-nopatient": {Scopes: scopes("patient/*.rs")},
}

type hookFunc func(ctx context.Context, tx *store.Tx, w Write) error

func (f hookFunc) BeforeWrite(ctx context.Context, tx *store.Tx, w Write) error { return f(ctx, tx, w) }

type env struct {
	t     *testing.T
	st    *store.Store
	srv   *httptest.Server
	base  string
	hook  hookFunc
	calls []Write
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := store.Open("")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, st: st}
	fs, err := New(Config{
		Store:    st,
		Verifier: tokens,
		Hook: hookFunc(func(ctx context.Context, tx *store.Tx, w Write) error {
			e.calls = append(e.calls, w)
			if e.hook != nil {
				return e.hook(ctx, tx, w)
			}
			return nil
		}),
		SMARTConfiguration: func() map[string]any {
			return map[string]any{
				"authorization_endpoint": "http://example.test/auth/authorize",
				"token_endpoint":         "http://example.test/auth/token",
				"revocation_endpoint":    "http://example.test/auth/revoke",
			}
		},
		MaxBodyBytes: 1 << 20,
		Logf:         t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/fhir/", fs.Handler())
	e.srv = httptest.NewServer(mux)
	e.base = e.srv.URL + "/fhir"
	t.Cleanup(func() { e.srv.Close(); st.Close() })
	e.seed()
	return e
}

// seed stores two patients, a practitioner and records of both.
func (e *env) seed() {
	e.t.Helper()
	ctx := context.Background()
	for _, r := range []struct{ typ, id, body string }{
		{"Patient", "a", `{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"A1"}]}`},
		{"Patient", "b", `{"resourceType":"Patient"}`},
		{"Practitioner", "doc", `{"resourceType":"Practitioner"}`},
		{"Observation", "oa", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/a"},"effectiveDateTime":"2024-01-01"}`},
		{"Observation", "ob", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/b"}}`},
		{"Immunization", "ia", `{"resourceType":"Immunization","status":"completed","vaccineCode":{"text":"flu"},"patient":{"reference":"Patient/a"}}`},
	} {
		if _, err := e.st.Put(ctx, r.typ, r.id, []byte(r.body)); err != nil {
			e.t.Fatal(err)
		}
	}
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (r reply) outcomeCode() string {
	issues, _ := r.body["issue"].([]any)
	if len(issues) == 0 {
		return ""
	}
	return issues[0].(map[string]any)["code"].(string)
}

func (e *env) do(method, path, token string, body any, headers ...string) reply {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, _ := json.Marshal(b)
		rd = bytes.NewReader(data)
	}
	u := path
	if !strings.HasPrefix(path, "http") {
		u = e.base + path
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			e.t.Fatalf("%s %s: reply is not JSON: %v: %s", method, path, err, raw)
		}
	}
	return r
}

func entryIDs(b map[string]any) []string {
	var out []string
	entries, _ := b["entry"].([]any)
	for _, e := range entries {
		res, _ := e.(map[string]any)["resource"].(map[string]any)
		if res == nil {
			out = append(out, "-")
			continue
		}
		out = append(out, res["resourceType"].(string)+"/"+res["id"].(string))
	}
	return out
}

func link(b map[string]any, rel string) string {
	links, _ := b["link"].([]any)
	for _, l := range links {
		m := l.(map[string]any)
		if m["relation"] == rel {
			return m["url"].(string)
		}
	}
	return ""
}

func TestMetadataAndDiscoveryNeedNoToken(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/metadata", "", nil)
	if r.status != 200 || r.body["resourceType"] != "CapabilityStatement" || r.body["fhirVersion"] != "4.0.1" {
		t.Fatalf("metadata: %d %s", r.status, r.raw)
	}
	if !strings.Contains(string(r.raw), "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris") ||
		!strings.Contains(string(r.raw), "SMART-on-FHIR") || !strings.Contains(string(r.raw), "http://example.test/auth/revoke") {
		t.Errorf("metadata lacks the SMART security section: %s", r.raw[:300])
	}
	if !strings.Contains(string(r.raw), `"everything"`) || !strings.Contains(string(r.raw), `"Appointment:actor"`) {
		t.Error("metadata lacks $everything or _include")
	}
	r = e.do("GET", "/.well-known/smart-configuration", "", nil)
	if r.status != 200 || r.body["token_endpoint"] != "http://example.test/auth/token" {
		t.Fatalf("smart-configuration: %d %s", r.status, r.raw)
	}
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, token, wantAuth string
	}{
		{"missing", "", `Bearer realm="fhir"`},
		{"invalid", "nope", `error="invalid_token"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("GET", "/Patient/a", tt.token, nil)
			if r.status != 401 || !strings.Contains(r.header.Get("WWW-Authenticate"), tt.wantAuth) || r.outcomeCode() != "login" {
				t.Fatalf("got %d %q %s", r.status, r.header.Get("WWW-Authenticate"), r.raw)
			}
		})
	}
	r := e.do("GET", "/Patient/a", "tok-nopatient", nil)
	if r.status != 403 {
		t.Fatalf("patient scopes without patient: %d", r.status)
	}
}

func TestReadAuthorization(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		path, token string
		want        int
	}{
		{"/Patient/a", "tok-a", 200},
		{"/Patient/b", "tok-a", 404}, // B's chart does not exist for A
		{"/Observation/oa", "tok-a", 200},
		{"/Observation/ob", "tok-a", 404},
		{"/Observation/ob", "tok-b", 200},
		{"/Practitioner/doc", "tok-a", 200}, // shared practice data
		{"/Observation/oa", "tok-a-obs", 200},
		{"/Immunization/ia", "tok-a-obs", 403}, // not in its scopes
		{"/Immunization/ia", "tok-a-teen", 200},
		{"/Observation/oa", "tok-a-teen", 403}, // limited proxy access
		{"/Observation/ob", "tok-admin", 200},
		{"/Observation/none", "tok-a", 404},
		{"/Foo/1", "tok-a", 404},
		{"/Observation/oa/_history/1", "tok-a", 200},
		{"/Observation/oa/_history/2", "tok-a", 404},
		{"/Observation/ob/_history/1", "tok-a", 404},
		{"/Patient/b/$everything", "tok-a", 404},
		{"/Observation?patient=b", "tok-a", 200}, // an empty bundle
	}
	for _, tt := range tests {
		t.Run(tt.path+"@"+tt.token, func(t *testing.T) {
			r := e.do("GET", tt.path, tt.token, nil)
			if r.status != tt.want {
				t.Fatalf("got %d, want %d: %s", r.status, tt.want, r.raw)
			}
			if tt.want == 200 && r.body["resourceType"] == "Bundle" && len(entryIDs(r.body)) != 0 {
				t.Fatalf("A's search for B's data returned %v", entryIDs(r.body))
			}
			if tt.want == 404 && r.body["resourceType"] != "OperationOutcome" {
				t.Fatalf("404 without OperationOutcome: %s", r.raw)
			}
		})
	}
}

func TestReadHeadersAndGone(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/Observation/oa", "tok-a", nil)
	if r.header.Get("ETag") != `W/"1"` || r.header.Get("Last-Modified") == "" ||
		!strings.HasPrefix(r.header.Get("Content-Type"), "application/fhir+json") {
		t.Fatalf("headers %v", r.header)
	}
	if r := e.do("DELETE", "/Observation/oa", "tok-admin", nil); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.raw)
	}
	if r := e.do("GET", "/Observation/oa", "tok-a", nil); r.status != 410 {
		t.Fatalf("read deleted: %d", r.status)
	}
	if r := e.do("GET", "/Observation/oa/_history/2", "tok-a", nil); r.status != 410 {
		t.Fatalf("vread deletion: %d", r.status)
	}
	if r := e.do("GET", "/Observation/oa/_history/1", "tok-a", nil); r.status != 200 {
		t.Fatalf("vread old version: %d", r.status)
	}
}

func TestSearchCompartmentAndParams(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		query, token string
		want         string
	}{
		{"/Observation", "tok-a", "Observation/oa"},
		{"/Observation", "tok-b", "Observation/ob"},
		{"/Observation", "tok-admin", "Observation/oa,Observation/ob"},
		{"/Patient", "tok-a", "Patient/a"},
		{"/Patient?identifier=urn:mrn|A1", "tok-b", ""},
		{"/Observation?date=ge2023-06-01", "tok-a", "Observation/oa"},
		{"/Observation?_id=ob", "tok-a", ""},
		{"/Practitioner", "tok-a", "Practitioner/doc"},
	}
	for _, tt := range tests {
		t.Run(tt.query+"@"+tt.token, func(t *testing.T) {
			r := e.do("GET", tt.query, tt.token, nil)
			if r.status != 200 || r.body["type"] != "searchset" {
				t.Fatalf("%d %s", r.status, r.raw)
			}
			if got := strings.Join(entryIDs(r.body), ","); got != tt.want {
				t.Fatalf("got [%s], want [%s]", got, tt.want)
			}
		})
	}
	if r := e.do("GET", "/Observation?foo=1", "tok-a", nil); r.status != 400 {
		t.Fatalf("unknown param: %d", r.status)
	}
	if r := e.do("GET", "/Observation?foo=1", "tok-a", nil, "Prefer", "handling=lenient"); r.status != 200 {
		t.Fatalf("unknown param, lenient: %d", r.status)
	}
	r := e.do("POST", "/Observation/_search", "tok-a", "status=final", "Content-Type", "application/x-www-form-urlencoded")
	if r.status != 200 || strings.Join(entryIDs(r.body), ",") != "Observation/oa" {
		t.Fatalf("POST _search: %d %s", r.status, r.raw)
	}
	if r := e.do("GET", "/Immunization", "tok-a-obs", nil); r.status != 403 {
		t.Fatalf("search outside scopes: %d", r.status)
	}
}

func TestPagingFollowsNextLinks(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 7; i++ {
		r := e.do("POST", "/Observation", "tok-a", map[string]any{"resourceType": "Observation", "status": "final",
			"code": map[string]any{"text": "x"}, "subject": map[string]any{"reference": "Patient/a"}})
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.raw)
		}
	}
	// Sorted searches page by offset, the default order by cursor.
	for _, first := range []string{"/Observation?_count=3&_sort=_lastUpdated", "/Observation?_count=3"} {
		pageThrough(t, e, e.base+first)
	}
}

func pageThrough(t *testing.T, e *env, next string) {
	t.Helper()
	var all []string
	pages := 0
	for next != "" {
		r := e.do("GET", next, "tok-a", nil)
		if r.status != 200 {
			t.Fatalf("page %d: %d %s", pages, r.status, r.raw)
		}
		if r.body["total"].(float64) != 8 {
			t.Fatalf("total %v", r.body["total"])
		}
		all = append(all, entryIDs(r.body)...)
		next = link(r.body, "next")
		if next != "" {
			u, _ := url.Parse(next)
			if u.Scheme+"://"+u.Host != e.srv.URL {
				t.Fatalf("next link on another host: %s", next)
			}
		}
		pages++
	}
	if pages != 3 || len(all) != 8 {
		t.Fatalf("%d pages, %d entries", pages, len(all))
	}
	seen := map[string]bool{}
	for _, id := range all {
		if seen[id] {
			t.Fatalf("%s twice", id)
		}
		seen[id] = true
	}
}

func TestLastUpdatedCheckpoint(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/Observation", "tok-a", nil)
	checkpoint := r.body["meta"].(map[string]any)["lastUpdated"].(string)
	created := e.do("POST", "/Observation", "tok-a", map[string]any{"resourceType": "Observation", "status": "final",
		"code": map[string]any{"text": "x"}, "subject": map[string]any{"reference": "Patient/a"}})
	r = e.do("GET", "/Observation?_lastUpdated=gt"+url.QueryEscape(checkpoint), "tok-a", nil)
	ids := entryIDs(r.body)
	if len(ids) != 1 || ids[0] != "Observation/"+created.body["id"].(string) {
		t.Fatalf("changes since checkpoint: %v", ids)
	}
}

func TestCreateUpdateDelete(t *testing.T) {
	e := newEnv(t)
	obs := map[string]any{"resourceType": "Observation", "status": "final", "code": map[string]any{"text": "x"},
		"subject":    map[string]any{"reference": "Patient/a"},
		"identifier": []any{map[string]any{"system": "urn:carebook", "value": "42"}}}
	r := e.do("POST", "/Observation", "tok-a", obs, "If-None-Exist", "identifier=urn:carebook|42")
	if r.status != 201 || r.header.Get("ETag") != `W/"1"` || !strings.HasPrefix(r.header.Get("Location"), e.base+"/Observation/") {
		t.Fatalf("create: %d %v %s", r.status, r.header, r.raw)
	}
	id := r.body["id"].(string)
	// The same conditional create again: the existing one, 200.
	r = e.do("POST", "/Observation", "tok-a", obs, "If-None-Exist", "identifier=urn:carebook|42")
	if r.status != 200 || r.body["id"] != id {
		t.Fatalf("conditional create again: %d %s", r.status, r.raw)
	}
	// Two matches: 412.
	if _, err := e.st.Create(context.Background(), "Observation", []byte(`{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/a"},"identifier":[{"system":"urn:carebook","value":"42"}]}`)); err != nil {
		t.Fatal(err)
	}
	if r := e.do("POST", "/Observation", "tok-a", obs, "If-None-Exist", "identifier=urn:carebook|42"); r.status != 412 {
		t.Fatalf("conditional create, two matches: %d", r.status)
	}
	obs["id"] = id
	obs["status"] = "amended"
	r = e.do("PUT", "/Observation/"+id, "tok-a", obs, "If-Match", `W/"1"`)
	if r.status != 200 || r.header.Get("ETag") != `W/"2"` {
		t.Fatalf("update: %d %s", r.status, r.raw)
	}
	if r := e.do("PUT", "/Observation/"+id, "tok-a", obs, "If-Match", `W/"1"`); r.status != 412 {
		t.Fatalf("stale If-Match: %d", r.status)
	}
	if r := e.do("DELETE", "/Observation/"+id, "tok-a", nil); r.status != 204 {
		t.Fatalf("delete: %d", r.status)
	}
	if r := e.do("DELETE", "/Observation/"+id, "tok-a", nil); r.status != 204 {
		t.Fatalf("delete again: %d", r.status)
	}
	var methods []string
	for _, c := range e.calls {
		methods = append(methods, c.Method)
		if c.Grant.PatientID != "a" {
			t.Errorf("hook got grant %+v", c.Grant)
		}
	}
	if strings.Join(methods, ",") != "POST,PUT,DELETE" {
		t.Errorf("hook calls %v", methods)
	}
}

func TestWriteValidation(t *testing.T) {
	e := newEnv(t)
	good := `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/a"}}`
	tests := []struct {
		name, method, path, token, body string
		want                            int
	}{
		{"malformed JSON", "POST", "/Observation", "tok-a", `{"resourceType":`, 400},
		{"wrong resourceType", "POST", "/Observation", "tok-a", `{"resourceType":"Patient"}`, 400},
		{"unknown type", "POST", "/Foo", "tok-a", `{"resourceType":"Foo"}`, 404},
		{"missing status", "POST", "/Observation", "tok-a", `{"resourceType":"Observation","code":{"text":"x"},"subject":{"reference":"Patient/a"}}`, 422},
		{"dangling reference", "POST", "/Observation", "tok-a", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/a"},"performer":[{"reference":"Practitioner/nobody"}]}`, 422},
		{"malformed reference", "POST", "/Observation", "tok-a", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/a"},"performer":[{"reference":"not a ref"}]}`, 422},
		{"urn reference", "POST", "/Observation", "tok-a", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"urn:uuid:1"}}`, 422},
		{"other patient", "POST", "/Observation", "tok-a", strings.Replace(good, "Patient/a", "Patient/b", 1), 403},
		{"other patient in focus", "POST", "/Observation", "tok-a", strings.Replace(good, `"status"`, `"focus":[{"reference":"Patient/b"}],"status"`, 1), 403},
		{"no patient", "POST", "/Observation", "tok-a", `{"resourceType":"Observation","status":"final","code":{"text":"x"}}`, 403},
		{"shared type", "POST", "/Practitioner", "tok-a", `{"resourceType":"Practitioner"}`, 403},
		{"read-only scope", "POST", "/Observation", "tok-a-obs", good, 403},
		{"id mismatch", "PUT", "/Observation/oa", "tok-a", strings.Replace(good, `"status"`, `"id":"zz","status"`, 1), 400},
		{"id missing", "PUT", "/Observation/oa", "tok-a", good, 400},
		{"update other's", "PUT", "/Observation/ob", "tok-a", strings.Replace(good, `"status"`, `"id":"ob","status"`, 1), 404},
		{"put new id", "PUT", "/Observation/mine", "tok-a", strings.Replace(good, `"status"`, `"id":"mine","status"`, 1), 403},
		{"delete other's", "DELETE", "/Observation/ob", "tok-a", "", 404},
		{"bad If-Match", "PUT", "/Observation/oa", "tok-a", strings.Replace(good, `"status"`, `"id":"oa","status"`, 1), 400},
		{"empty body", "POST", "/Observation", "tok-a", "", 400},
		{"too large", "POST", "/Observation", "tok-a", `{"resourceType":"Observation","note":[{"text":"` + strings.Repeat("x", 1<<20) + `"}]}`, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body any
			if tt.body != "" {
				body = tt.body
			}
			headers := []string{}
			if tt.name == "bad If-Match" {
				headers = []string{"If-Match", `"1", "2"`}
			}
			r := e.do(tt.method, tt.path, tt.token, body, headers...)
			if r.status != tt.want || r.body["resourceType"] != "OperationOutcome" {
				t.Fatalf("got %d, want %d: %s", r.status, tt.want, r.raw)
			}
		})
	}
	// Nothing above was written.
	_, n, _ := e.st.Search(context.Background(), "Observation", store.Query{CountOnly: true})
	if n != 2 {
		t.Fatalf("%d observations after refused writes, want 2", n)
	}
}

func TestHookRefusal(t *testing.T) {
	e := newEnv(t)
	e.hook = func(ctx context.Context, tx *store.Tx, w Write) error {
		// The hook's own writes commit or roll back with the write.
		if _, err := tx.Put(ctx, "Basic", "side-effect", []byte(`{"resourceType":"Basic"}`)); err != nil {
			return err
		}
		return &OperationOutcomeError{Status: 409, Code: "conflict", Message: "That slot was just taken"}
	}
	r := e.do("POST", "/Observation", "tok-a", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/a"}}`)
	if r.status != 409 || r.outcomeCode() != "conflict" || !strings.Contains(string(r.raw), "just taken") {
		t.Fatalf("got %d %s", r.status, r.raw)
	}
	if _, err := e.st.Read(context.Background(), "Basic", "side-effect"); err == nil {
		t.Fatal("the hook's write survived the refusal")
	}
}

func TestHistoryShowsDeletes(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/Observation", "tok-a", nil)
	since := r.body["meta"].(map[string]any)["lastUpdated"].(string)
	time.Sleep(time.Millisecond)
	if r := e.do("DELETE", "/Observation/oa", "tok-admin", nil); r.status != 204 {
		t.Fatal(r.status)
	}
	if r := e.do("DELETE", "/Observation/ob", "tok-admin", nil); r.status != 204 {
		t.Fatal(r.status)
	}
	for _, path := range []string{"/Observation/_history?_since=" + url.QueryEscape(since), "/_history?_since=" + url.QueryEscape(since)} {
		r = e.do("GET", path, "tok-a", nil)
		if r.status != 200 || r.body["type"] != "history" {
			t.Fatalf("%s: %d %s", path, r.status, r.raw)
		}
		entries := r.body["entry"].([]any)
		if len(entries) != 1 {
			t.Fatalf("%s: %d entries (B's deletion must not show): %s", path, len(entries), r.raw)
		}
		en := entries[0].(map[string]any)
		req := en["request"].(map[string]any)
		resp := en["response"].(map[string]any)
		if req["method"] != "DELETE" || req["url"] != "Observation/oa" || resp["status"] != "410 Gone" || en["resource"] != nil {
			t.Fatalf("%s: deletion entry %v", path, en)
		}
	}
	r = e.do("GET", "/Observation/oa/_history", "tok-a", nil)
	if len(r.body["entry"].([]any)) != 2 {
		t.Fatalf("instance history: %s", r.raw)
	}
	if r := e.do("GET", "/_history?_since=yesterday", "tok-a", nil); r.status != 400 {
		t.Fatalf("bad _since: %d", r.status)
	}
}

func TestEverything(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/Patient/a/$everything", "tok-a", nil)
	if got := strings.Join(entryIDs(r.body), ","); got != "Patient/a,Observation/oa,Immunization/ia" {
		t.Fatalf("everything: %d %s", r.status, got)
	}
	since := r.body["meta"].(map[string]any)["lastUpdated"].(string)
	created := e.do("POST", "/Observation", "tok-a", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/a"}}`)
	r = e.do("GET", "/Patient/a/$everything?_since="+url.QueryEscape(since), "tok-a", nil)
	if got := strings.Join(entryIDs(r.body), ","); got != "Observation/"+created.body["id"].(string) {
		t.Fatalf("everything _since: %s", got)
	}
	r = e.do("GET", "/Patient/a/$everything?_type=Immunization,Observation", "tok-a-teen", nil)
	if got := strings.Join(entryIDs(r.body), ","); got != "Immunization/ia" {
		t.Fatalf("everything for limited access: %s", got)
	}
	r = e.do("GET", "/Patient/a/$everything?_count=1", "tok-a", nil)
	pages := 1
	for next := link(r.body, "next"); next != ""; next = link(r.body, "next") {
		r = e.do("GET", next, "tok-a", nil)
		pages++
		if pages > 20 {
			t.Fatal("next links never end")
		}
	}
	if pages != 4 {
		t.Fatalf("everything paging: %d pages", pages)
	}
}

func TestInclude(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.st.Put(ctx, "Appointment", "ap", []byte(`{"resourceType":"Appointment","status":"booked","participant":[{"actor":{"reference":"Patient/a"}},{"actor":{"reference":"Practitioner/doc"}}]}`))
	r := e.do("GET", "/Appointment?_include=Appointment:actor", "tok-a", nil)
	if got := strings.Join(entryIDs(r.body), ","); got != "Appointment/ap,Patient/a,Practitioner/doc" {
		t.Fatalf("include: %s", got)
	}
}

func TestTransaction(t *testing.T) {
	e := newEnv(t)
	tx := map[string]any{"resourceType": "Bundle", "type": "transaction", "entry": []any{
		map[string]any{"fullUrl": "urn:uuid:c1", "resource": map[string]any{"resourceType": "Communication", "status": "in-progress",
			"subject": map[string]any{"reference": "Patient/a"}, "recipient": []any{map[string]any{"reference": "Practitioner/doc"}}},
			"request": map[string]any{"method": "POST", "url": "Communication"}},
		map[string]any{"resource": map[string]any{"resourceType": "Communication", "status": "completed",
			"subject": map[string]any{"reference": "Patient/a"}, "partOf": []any{map[string]any{"reference": "urn:uuid:c1"}}},
			"request": map[string]any{"method": "POST", "url": "Communication"}},
	}}
	r := e.do("POST", "", "tok-a", tx)
	if r.status != 200 || r.body["type"] != "transaction-response" {
		t.Fatalf("transaction: %d %s", r.status, r.raw)
	}
	entries := r.body["entry"].([]any)
	first := entries[0].(map[string]any)["resource"].(map[string]any)["id"].(string)
	second := entries[1].(map[string]any)["resource"].(map[string]any)
	if entries[0].(map[string]any)["response"].(map[string]any)["status"] != "201 Created" ||
		second["partOf"].([]any)[0].(map[string]any)["reference"] != "Communication/"+first {
		t.Fatalf("transaction response: %s", r.raw)
	}
	// One bad entry: nothing is written.
	bad := map[string]any{"resourceType": "Bundle", "type": "transaction", "entry": []any{
		tx["entry"].([]any)[0],
		map[string]any{"resource": map[string]any{"resourceType": "Observation", "status": "final", "code": map[string]any{"text": "x"},
			"subject": map[string]any{"reference": "Patient/b"}}, "request": map[string]any{"method": "POST", "url": "Observation"}},
	}}
	r = e.do("POST", "", "tok-a", bad)
	if r.status != 403 || !strings.Contains(string(r.raw), "entry 1") {
		t.Fatalf("bad transaction: %d %s", r.status, r.raw)
	}
	_, n, _ := e.st.Search(context.Background(), "Communication", store.Query{CountOnly: true})
	if n != 2 {
		t.Fatalf("%d communications after a failed transaction, want 2", n)
	}
	// A batch applies what it can.
	batch := map[string]any{"resourceType": "Bundle", "type": "batch", "entry": bad["entry"]}
	r = e.do("POST", "", "tok-a", batch)
	if r.status != 200 || r.body["type"] != "batch-response" {
		t.Fatalf("batch: %d %s", r.status, r.raw)
	}
	be := r.body["entry"].([]any)
	if be[0].(map[string]any)["response"].(map[string]any)["status"] != "201 Created" ||
		be[1].(map[string]any)["response"].(map[string]any)["status"] != "403 Forbidden" {
		t.Fatalf("batch response: %s", r.raw)
	}
	if r := e.do("POST", "", "tok-a", `{"resourceType":"Bundle","type":"collection"}`); r.status != 400 {
		t.Fatalf("collection posted: %d", r.status)
	}
}

// TestTransactionRefusals: a transaction refused for a stale If-Match or
// a malformed entry is answered with what is wrong, once, and writes
// nothing.
func TestTransactionRefusals(t *testing.T) {
	e := newEnv(t)
	obs := func(id string) map[string]any {
		m := map[string]any{"resourceType": "Observation", "status": "amended", "code": map[string]any{"text": "x"},
			"subject": map[string]any{"reference": "Patient/a"}}
		if id != "" {
			m["id"] = id
		}
		return m
	}
	create := map[string]any{"fullUrl": "urn:uuid:c1", "request": map[string]any{"method": "POST", "url": "Observation"},
		"resource": obs("")}
	tests := []struct {
		name    string
		entries []any
		status  int
		message string
	}{
		{"stale If-Match", []any{create, map[string]any{"resource": obs("oa"),
			"request": map[string]any{"method": "PUT", "url": "Observation/oa", "ifMatch": `W/"7"`}}},
			412, "Bundle entry 1: The resource was changed since version 7 (now 1)"},
		{"request missing", []any{create, map[string]any{"resource": obs("")}},
			400, "Bundle entry 1: request missing in a transaction"},
		{"fullUrl twice", []any{create, create},
			400, "Bundle entry 1: fullUrl is the same as an earlier entry's"},
		{"bad conditional create", []any{create, map[string]any{"resource": obs(""),
			"request": map[string]any{"method": "POST", "url": "Observation", "ifNoneExist": "nonsense=1"}}},
			400, `Bundle entry 1: unsupported search parameter "nonsense" for Observation`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", "", "tok-a", map[string]any{"resourceType": "Bundle", "type": "transaction", "entry": tt.entries})
			var diagnostics any
			if issues := asSlice(r.body["issue"]); len(issues) > 0 {
				diagnostics = issues[0].(map[string]any)["diagnostics"]
			}
			if r.status != tt.status || diagnostics != tt.message {
				t.Fatalf("got %d %s", r.status, r.raw)
			}
		})
	}
	if r := e.do("GET", "/Observation/oa", "tok-a", nil); r.header.Get("ETag") != `W/"1"` {
		t.Errorf("Observation/oa changed: %s", r.header.Get("ETag"))
	}
	if _, n, _ := e.st.Search(context.Background(), "Observation", store.Query{CountOnly: true}); n != 2 {
		t.Errorf("%d observations after refused transactions, want 2", n)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	e := newEnv(t)
	if r := e.do("PATCH", "/Observation/oa", "tok-a", "{}"); r.status != 405 {
		t.Fatalf("PATCH: %d", r.status)
	}
	if r := e.do("DELETE", "/Observation", "tok-a", nil); r.status != 405 {
		t.Fatalf("DELETE type: %d", r.status)
	}
	if r := e.do("POST", "/Observation", "tok-a", "<Observation/>", "Content-Type", "application/fhir+xml"); r.status != 415 {
		t.Fatalf("XML body: %d", r.status)
	}
}

// TestCapabilityStatementIsTruthful tries everything the CapabilityStatement
// claims: every listed type can be searched with every listed search
// parameter and _include, and the SMART endpoints are the configuration's.
func TestCapabilityStatementIsTruthful(t *testing.T) {
	e := newEnv(t)
	cs := e.do("GET", "/metadata", "", nil).body
	rest := cs["rest"].([]any)[0].(map[string]any)
	values := map[string]string{"token": "x", "reference": "a", "date": "ge2024-01-01"}
	resources := rest["resource"].([]any)
	if len(resources) < 100 {
		t.Fatalf("%d resource types listed", len(resources))
	}
	for _, r := range resources {
		res := r.(map[string]any)
		typ := res["type"].(string)
		var queries []string
		for _, p := range res["searchParam"].([]any) {
			pm := p.(map[string]any)
			v, ok := values[pm["type"].(string)]
			if !ok {
				t.Errorf("%s.%s: search parameter type %v", typ, pm["name"], pm["type"])
				continue
			}
			queries = append(queries, url.Values{pm["name"].(string): {v}}.Encode())
			if pm["type"] == "date" && !strings.HasPrefix(pm["name"].(string), "_") {
				queries = append(queries, "_sort=-"+pm["name"].(string))
			}
		}
		for _, inc := range asSlice(res["searchInclude"]) {
			queries = append(queries, url.Values{"_include": {inc.(string)}}.Encode())
		}
		for _, q := range queries {
			if r := e.do("GET", "/"+typ+"?"+q, "tok-admin", nil); r.status != 200 || r.body["type"] != "searchset" {
				t.Errorf("%s?%s: %d %s", typ, q, r.status, r.raw)
			}
		}
		for _, want := range []string{"read", "vread", "update", "create", "search-type", "history-type", "history-instance", "delete"} {
			found := false
			for _, in := range res["interaction"].([]any) {
				found = found || in.(map[string]any)["code"] == want
			}
			if !found {
				t.Errorf("%s: interaction %s not listed", typ, want)
			}
		}
	}
	// The interactions, on one type: create, read, vread, update, the
	// histories, delete.
	created := e.do("POST", "/Basic", "tok-admin", `{"resourceType":"Basic","code":{"text":"x"}}`)
	id, _ := created.body["id"].(string)
	for _, step := range []struct {
		method, path, body string
		want               int
	}{
		{"GET", "/Basic/" + id, "", 200},
		{"PUT", "/Basic/" + id, `{"resourceType":"Basic","id":"` + id + `","code":{"text":"y"}}`, 200},
		{"GET", "/Basic/" + id + "/_history/1", "", 200},
		{"GET", "/Basic/" + id + "/_history", "", 200},
		{"GET", "/Basic/_history", "", 200},
		{"GET", "/_history", "", 200},
		{"PUT", "/Basic/new-one", `{"resourceType":"Basic","id":"new-one","code":{"text":"z"}}`, 201}, // updateCreate
		{"DELETE", "/Basic/" + id, "", 204},
	} {
		var body any
		if step.body != "" {
			body = step.body
		}
		if r := e.do(step.method, step.path, "tok-admin", body); r.status != step.want {
			t.Errorf("%s %s: %d, want %d: %s", step.method, step.path, r.status, step.want, r.raw)
		}
	}
	if created.status != 201 {
		t.Errorf("create: %d", created.status)
	}
	var oauth []any
	for _, ext := range rest["security"].(map[string]any)["extension"].([]any) {
		oauth = ext.(map[string]any)["extension"].([]any)
	}
	want := map[string]string{"authorize": "http://example.test/auth/authorize", "token": "http://example.test/auth/token",
		"revoke": "http://example.test/auth/revoke"}
	if len(oauth) != len(want) {
		t.Errorf("oauth-uris %v", oauth)
	}
	for _, u := range oauth {
		m := u.(map[string]any)
		if want[m["url"].(string)] != m["valueUri"] {
			t.Errorf("oauth-uris %s = %v", m["url"], m["valueUri"])
		}
	}
}

func asSlice(v any) []any { l, _ := v.([]any); return l }
