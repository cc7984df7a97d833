package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixturesDir finds ../shared/fixtures next to the module root, or skips.
func fixturesDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("no go.mod above the test directory")
		}
		dir = parent
	}
	fx := filepath.Join(dir, "..", "shared", "fixtures")
	if _, err := os.Stat(fx); err != nil {
		t.Skipf("FHIR fixtures not found at %s (they live outside the repository): %v", fx, err)
	}
	return fx
}

// countEntries counts a bundle's entries by resource type.
func countEntries(t *testing.T, body []byte) map[string]int {
	t.Helper()
	var b struct {
		Entry []struct {
			Resource struct {
				ResourceType string `json:"resourceType"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, e := range b.Entry {
		out[e.Resource.ResourceType]++
	}
	return out
}

func TestLoadSyntheaFixtures(t *testing.T) {
	ctx := context.Background()
	files, _ := filepath.Glob(filepath.Join(fixturesDir(t), "synthea", "*.json"))
	if len(files) == 0 {
		t.Skip("no Synthea fixtures")
	}
	s := openTest(t) // one store for all: their ids must not collide
	want := map[string]int{}
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		expect := countEntries(t, body)
		got, err := s.LoadBundle(ctx, bytes.NewReader(body))
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
		for typ, n := range expect {
			if got[typ] != n {
				t.Errorf("%s: %s loaded %d, bundle has %d", filepath.Base(f), typ, got[typ], n)
			}
			want[typ] += n
		}
		// The patient's records are all in its compartment, with no
		// urn:uuid reference left.
		q := Query{CountOnly: true}
		_, pats, _ := s.Search(ctx, "Patient", q)
		if pats == 0 {
			t.Fatal("no Patient loaded")
		}
	}
	for typ, n := range want {
		_, total, err := s.Search(ctx, typ, Query{CountOnly: true})
		if err != nil || total != n {
			t.Errorf("store has %d %s, bundles have %d (%v)", total, typ, n, err)
		}
	}
	// Every resource is in exactly one patient's $everything: the clinical
	// ones in the compartment, the practitioners and organizations (each
	// bundle has its own copies) as resources its records refer to.
	pats, _, _ := s.Search(ctx, "Patient", Query{Count: MaxCount})
	inEverything := 0
	for _, p := range pats {
		_, n, _, err := s.Everything(ctx, EverythingQuery{Patient: p.ID, Count: 1})
		if err != nil {
			t.Fatal(err)
		}
		inEverything += n
	}
	all := 0
	for _, n := range want {
		all += n
	}
	if inEverything != all {
		t.Errorf("%d resources in the patients' $everything, want %d", inEverything, all)
	}
	rs, _, _ := s.Search(ctx, "Observation", Query{Count: 20})
	for _, r := range rs {
		if strings.Contains(string(r.JSON), "urn:uuid:") {
			t.Fatalf("unresolved urn:uuid in %s/%s", r.Type, r.ID)
		}
	}
}

func TestLoadHL7Batch(t *testing.T) {
	ctx := context.Background()
	body, err := os.ReadFile(filepath.Join(fixturesDir(t), "hl7-r4-examples", "patient-example.batch.json"))
	if err != nil {
		t.Skipf("HL7 examples missing: %v", err)
	}
	s := openTest(t)
	got, err := s.LoadBundle(ctx, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for typ, n := range countEntries(t, body) {
		if got[typ] != n {
			t.Errorf("%s: loaded %d, want %d", typ, got[typ], n)
		}
	}
	// PUT entries keep their ids.
	if _, err := s.Read(ctx, "Patient", "example"); err != nil {
		t.Fatalf("Patient/example: %v", err)
	}
	// Loading again updates in place: version 2.
	if _, err := s.LoadBundle(ctx, bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	r, _ := s.Read(ctx, "Patient", "example")
	if r.VersionID != "2" {
		t.Fatalf("reload: version %s", r.VersionID)
	}
}

func TestLoadBundleTransactionAllOrNothing(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	bad := `{"resourceType":"Bundle","type":"transaction","entry":[
		{"fullUrl":"urn:uuid:1","resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}},
		{"resource":{"resourceType":"Observation","id":"x","subject":{"reference":"urn:uuid:1"}},"request":{"method":"PUT","url":"Observation/x"}},
		{"request":{"method":"PUT","url":"Observation/y"}}]}`
	_, err := s.LoadBundle(ctx, strings.NewReader(bad))
	var ee *EntryError
	if !errors.As(err, &ee) || ee.Index != 2 || !errors.Is(err, ErrInvalid) {
		t.Fatalf("got %v, want an EntryError for entry 2", err)
	}
	if _, total, _ := s.Search(ctx, "Patient", Query{}); total != 0 {
		t.Fatal("a failed transaction left a Patient")
	}
	good := strings.Replace(bad, `,
		{"request":{"method":"PUT","url":"Observation/y"}}`, "", 1)
	counts, err := s.LoadBundle(ctx, strings.NewReader(good))
	if err != nil || counts["Patient"] != 1 || counts["Observation"] != 1 {
		t.Fatalf("good transaction: %v %v", counts, err)
	}
	obs, _ := s.Read(ctx, "Observation", "x")
	pats, _, _ := s.Search(ctx, "Patient", Query{})
	if !strings.Contains(string(obs.JSON), `"Patient/`+pats[0].ID+`"`) {
		t.Fatalf("reference not resolved: %s", obs.JSON)
	}
}

func TestLoadBundleConditionalCreate(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	b := `{"resourceType":"Bundle","type":"transaction","entry":[
		{"fullUrl":"urn:uuid:org","resource":{"resourceType":"Organization","identifier":[{"system":"urn:npi","value":"42"}]},
		 "request":{"method":"POST","url":"Organization","ifNoneExist":"identifier=urn:npi|42"}},
		{"fullUrl":"urn:uuid:p","resource":{"resourceType":"Patient","managingOrganization":{"reference":"urn:uuid:org"}},
		 "request":{"method":"POST","url":"Patient"}}]}`
	for i := 0; i < 2; i++ {
		if _, err := s.LoadBundle(ctx, strings.NewReader(b)); err != nil {
			t.Fatal(err)
		}
	}
	orgs, n, _ := s.Search(ctx, "Organization", Query{})
	if n != 1 {
		t.Fatalf("%d organizations after two conditional creates", n)
	}
	pats, _, _ := s.Search(ctx, "Patient", Query{})
	for _, p := range pats {
		if !strings.Contains(string(p.JSON), "Organization/"+orgs[0].ID) {
			t.Fatalf("patient does not point at the existing organization: %s", p.JSON)
		}
	}
}

func TestParseBundleErrors(t *testing.T) {
	tests := []struct{ name, body string }{
		{"not json", `{`},
		{"not a bundle", `{"resourceType":"Patient"}`},
		{"no type", `{"resourceType":"Bundle"}`},
		{"no request", `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient"}}]}`},
		{"bad method", `{"resourceType":"Bundle","type":"batch","entry":[{"resource":{"resourceType":"Patient"},"request":{"method":"PATCH","url":"Patient/1"}}]}`},
		{"type mismatch", `{"resourceType":"Bundle","type":"batch","entry":[{"resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Observation"}}]}`},
		{"id mismatch", `{"resourceType":"Bundle","type":"batch","entry":[{"resource":{"resourceType":"Patient","id":"a"},"request":{"method":"PUT","url":"Patient/b"}}]}`},
		{"unknown type", `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"DELETE","url":"Foo/b"}}]}`},
		{"bad resource", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":3}}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseBundle([]byte(tt.body)); !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
		})
	}
}

func FuzzLoadBundle(f *testing.F) {
	f.Add(`{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:1","resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}},{"resource":{"resourceType":"Observation","subject":{"reference":"urn:uuid:1"}},"request":{"method":"POST","url":"Observation"}}]}`)
	f.Add(`{"resourceType":"Bundle","type":"batch","entry":[{"resource":{"resourceType":"Patient","id":"p"},"request":{"method":"PUT","url":"Patient/p"}},{"request":{"method":"DELETE","url":"Patient/p"}}]}`)
	f.Add(`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"p","birthDate":"2000"}}]}`)
	f.Add(`{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Organization"},"request":{"method":"POST","url":"Organization","ifNoneExist":"identifier=x"}}]}`)
	s, err := Open("")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	f.Fuzz(func(t *testing.T, body string) {
		counts, err := s.LoadBundle(context.Background(), strings.NewReader(body))
		if err != nil {
			var ee *EntryError
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrVersionConflict) &&
				!errors.Is(err, ErrPreconditionFailed) && !errors.As(err, &ee) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		for typ, n := range counts {
			if !IsResourceType(typ) || n < 0 {
				t.Fatalf("bad count %s=%d", typ, n)
			}
		}
	})
}
