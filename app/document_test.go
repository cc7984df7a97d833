package app

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/storage"
)

// TestOpenDocument: a visit note's PDF and a lab report's PDF open in the
// viewer once, from memory, with their own content; what is not a
// document is a clear error.
func TestOpenDocument(t *testing.T) {
	ctx := context.Background()
	opened := make(chan string, 1)
	core, err := Open(Config{
		DataDir:     t.TempDir(),
		Storage:     storage.Options{KDF: cheapKDF, NoKeyring: true},
		IdleTimeout: -1,
		OpenBrowser: func(u string) error { opened <- u; return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Close()
	if err := core.Setup(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	p, err := core.store.CreateProfile(ctx, storage.Profile{PracticeURL: "http://127.0.0.1:1/fhir", PatientID: "p1", Label: "Test"})
	if err != nil {
		t.Fatal(err)
	}
	note := []byte("%PDF-1.4\n% the visit note\n")
	report := []byte("%PDF-1.4\n% the lab report\n")
	letter := []byte("%PDF-1.4\n% a letter sent with a message\n")
	pdf := func(b []byte) string {
		return fmt.Sprintf(`{"contentType":"application/pdf","data":%q}`, base64.StdEncoding.EncodeToString(b))
	}
	err = core.store.Put(ctx, p.ID,
		storage.Resource{Type: "DocumentReference", ID: "doc1", LastUpdated: time.Now(),
			JSON: []byte(`{"resourceType":"DocumentReference","id":"doc1","status":"current","content":[{"attachment":` + pdf(note) + `}]}`)},
		storage.Resource{Type: "DiagnosticReport", ID: "rep1", LastUpdated: time.Now(),
			JSON: []byte(`{"resourceType":"DiagnosticReport","id":"rep1","status":"final","code":{"text":"Lipids"},"presentedForm":[` + pdf(report) + `]}`)},
		storage.Resource{Type: "Communication", ID: "msg1", LastUpdated: time.Now(),
			JSON: []byte(`{"resourceType":"Communication","id":"msg1","status":"completed","payload":[{"contentString":"See the letter."},{"contentAttachment":` + pdf(letter) + `}]}`)},
		storage.Resource{Type: "Observation", ID: "obs1", LastUpdated: time.Now(),
			JSON: []byte(`{"resourceType":"Observation","id":"obs1","status":"final","code":{"text":"LDL"}}`)},
	)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		ref  string
		want []byte
	}{
		{"DocumentReference/doc1", note},
		{"DiagnosticReport/rep1", report},
		{"Communication/msg1", letter},
	} {
		if err := core.OpenDocument(ctx, p.ID, tc.ref, 0); err != nil {
			t.Fatalf("OpenDocument(%s): %v", tc.ref, err)
		}
		u := <-opened
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(body) != string(tc.want) || resp.Header.Get("Content-Type") != "application/pdf" {
			t.Errorf("%s: viewer got %d %q (%s), want the PDF", tc.ref, resp.StatusCode, body, resp.Header.Get("Content-Type"))
		}
		// Served once: a second fetch (another program guessing the
		// address later) gets nothing.
		if again, err := http.Get(u); err == nil {
			if again.StatusCode == http.StatusOK {
				t.Errorf("%s: served twice", tc.ref)
			}
			again.Body.Close()
		}
	}

	for _, tc := range []struct {
		ref string
		n   int
	}{
		{"Observation/obs1", 0},
		{"DocumentReference/missing", 0},
		{"DocumentReference/doc1", 1},
		{"doc1", 0},
	} {
		if err := core.OpenDocument(ctx, p.ID, tc.ref, tc.n); !errors.Is(err, ErrNoDocument) {
			t.Errorf("OpenDocument(%s, %d) = %v, want ErrNoDocument", tc.ref, tc.n, err)
		}
	}
}

// TestServedDocumentIsSandboxed: what the browser gets from serveOnce (an
// HTML attachment here) comes with a CSP sandbox (no scripts, forms or
// navigation of other windows), form-action 'none', nosniff and no
// referrer.
func TestServedDocumentIsSandboxed(t *testing.T) {
	page := []byte(`<html><body><form action="https://evil.example/"><input name=x></form><script>alert(1)</script></body></html>`)
	u, err := serveOnce(page, "text/html; charset=utf-8", "note.html")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"sandbox", "default-src 'none'", "form-action 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "allow-") || strings.Contains(csp, "script-src") {
		t.Errorf("Content-Security-Policy %q lets something through", csp)
	}
	for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "Content-Type": "text/html; charset=utf-8"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}
