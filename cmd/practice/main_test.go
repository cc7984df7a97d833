package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/carebook/carebook/practice"
	"github.com/carebook/carebook/practice/smart"
)

// smallestSynthea returns the smallest Synthea bundle of
// ../shared/fixtures/synthea, or skips when the fixtures are not there.
func smallestSynthea(t *testing.T) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "fixtures", "synthea", "*.json"))
	if len(files) == 0 {
		t.Skip("Synthea fixtures not found at ../shared/fixtures/synthea (they live outside the repository)")
	}
	sort.Slice(files, func(i, j int) bool {
		a, _ := os.Stat(files[i])
		b, _ := os.Stat(files[j])
		return a.Size() < b.Size()
	})
	return files[0]
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startRun runs the command with args until the test ends and returns the
// running server and what it printed on stdout once it serves.
func startRun(t *testing.T, args ...string) (*practice.Server, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	started := make(chan *practice.Server, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, args, &stdout, &stderr, func(s *practice.Server) { started <- s })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run returned %v", err)
		}
		if !strings.HasSuffix(stdout.String(), "practice: shutting down\n") {
			t.Errorf("no shutdown message: %q", stdout.String())
		}
	})
	select {
	case srv := <-started:
		return srv, &stdout
	case err := <-done:
		done <- err
		t.Fatalf("run ended before serving: %v; stderr: %s", err, stderr.String())
	case <-time.After(2 * time.Minute):
		t.Fatal("the practice did not start within 2 minutes")
	}
	return nil, nil
}

func get(t *testing.T, client *http.Client, u, token string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	var body map[string]any
	raw, _ := io.ReadAll(resp.Body)
	json.Unmarshal(raw, &body)
	return resp, body
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// postPage fetches page (for its CSRF token) and posts form to it.
func postPage(t *testing.T, c *http.Client, base, page string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(base + page)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfRE.FindSubmatch(html)
	if m == nil {
		t.Fatalf("%s has no CSRF token: %d %s", page, resp.StatusCode, html)
	}
	form.Set("csrf_token", string(m[1]))
	resp, err = c.PostForm(base+page, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// TestRunAlone is `go run ./cmd/practice --load FILE` with faults switched
// on by flags: it prints the demo accounts and an activation code for the
// loaded Synthea patient, who can enroll with it, sign in and read the
// whole bundle back, while writes to the faulty path (--fault-writes)
// answer 429 and its reads go through; the latency flags reach the
// practice's faults too.
func TestRunAlone(t *testing.T) {
	fixture := smallestSynthea(t)
	srv, stdout := startRun(t, "--addr", "127.0.0.1:0", "--quiet", "--load", fixture,
		"--error-rate", "1", "--error-status", "429", "--retry-after", "3s", "--fault-paths", "/fhir/Observation",
		"--fault-writes", "--latency", "1ms", "--reply-latency", "2ms")
	out := stdout.String()
	if fc := srv.Faults().Config(); fc.Latency != time.Millisecond || fc.ReplyLatency != 2*time.Millisecond {
		t.Errorf("--latency 1ms --reply-latency 2ms gave Latency %v, ReplyLatency %v", fc.Latency, fc.ReplyLatency)
	}
	if !strings.Contains(out, "FHIR base: "+srv.FHIRBase()+"\n") || !strings.Contains(out, "Demo accounts:\n") {
		t.Fatalf("output:\n%s", out)
	}
	if len(srv.DemoAccounts()) < 5 {
		t.Fatalf("%d demo accounts", len(srv.DemoAccounts()))
	}
	for _, a := range srv.DemoAccounts() {
		if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(a.Username) + ` +` + regexp.QuoteMeta(a.Password) + ` +\S`).MatchString(out) {
			t.Errorf("account %s is not printed with its password:\n%s", a.Username, out)
		}
	}

	// The activation code line: code, birth date, name.
	m := regexp.MustCompile(`(?m)^  ([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}) +(\d{4}-\d\d-\d\d) +(\S.*)$`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, srv.URL()+"/auth/enroll") {
		t.Fatalf("no activation code printed:\n%s", out)
	}
	code, birthDate := m[1], m[2]
	raw, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	var bundle struct {
		Entry []struct {
			Resource map[string]any `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(raw, &bundle); err != nil {
		t.Fatal(err)
	}
	for _, e := range bundle.Entry {
		if e.Resource["resourceType"] == "Patient" && e.Resource["birthDate"] != birthDate {
			t.Fatalf("printed birth date %s, the bundle's patient was born %v", birthDate, e.Resource["birthDate"])
		}
	}

	// Enroll with the code, as the patient would in a browser.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: time.Minute}
	resp, page := postPage(t, browser, srv.URL(), "/auth/enroll", url.Values{"activation_code": {code}, "birth_date": {birthDate}})
	if resp.Request.URL.Path != "/auth/enroll/account" {
		t.Fatalf("activation code refused: %d %s", resp.StatusCode, page)
	}
	const password = "synthea-patient-1"
	resp, page = postPage(t, browser, srv.URL(), "/auth/enroll/account", url.Values{"username": {"synthea1"},
		"password": {password}, "password_confirm": {password}, "accept_terms": {"yes"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Your account is ready") {
		t.Fatalf("account not created: %d %s", resp.StatusCode, page)
	}

	// Sign in with the new account and read the chart.
	ctx := context.Background()
	cfg := oauth2.Config{
		ClientID:    smart.CarebookClientID,
		RedirectURL: "http://127.0.0.1:9/callback",
		Scopes:      []string{"openid", "fhirUser", "launch/patient", "patient/*.rs"},
		Endpoint: oauth2.Endpoint{AuthURL: srv.URL() + "/auth/authorize", TokenURL: srv.URL() + "/auth/token",
			AuthStyle: oauth2.AuthStyleInParams},
	}
	verifier := oauth2.GenerateVerifier()
	redirect, err := smart.SignIn(ctx, &http.Client{}, cfg.AuthCodeURL("s1", oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("aud", srv.FHIRBase())), "synthea1", password, "")
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	tok, err := cfg.Exchange(ctx, redirect.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	patient, _ := tok.Extra("patient").(string)
	resp, body := get(t, http.DefaultClient, srv.FHIRBase()+"/Patient/"+patient+"/$everything?_count=1", tok.AccessToken)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("$everything: %d %v", resp.StatusCode, body)
	}
	// The patient's records and the practitioners and organizations they
	// refer to: everything the bundle had (urn:uuid references resolved).
	if total, _ := body["total"].(float64); int(total) != len(bundle.Entry) {
		t.Errorf("$everything total %v, the bundle has %d resources", body["total"], len(bundle.Entry))
	}

	// The fault flags: writes to Observation get 429 with Retry-After,
	// reads go through.
	req, err := http.NewRequest("POST", srv.FHIRBase()+"/Observation", strings.NewReader(`{"resourceType":"Observation"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Content-Type", "application/fhir+json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "3" {
		t.Errorf("write to the faulty path: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp, body = get(t, http.DefaultClient, srv.FHIRBase()+"/Observation", tok.AccessToken); resp.StatusCode != http.StatusOK {
		t.Errorf("read of the faulty path: %d %v", resp.StatusCode, body)
	}
	if resp, _ := get(t, http.DefaultClient, srv.FHIRBase()+"/metadata", ""); resp.StatusCode != http.StatusOK {
		t.Errorf("metadata: %d", resp.StatusCode)
	}
}

func TestRunRejectsBadArguments(t *testing.T) {
	for _, args := range [][]string{{"--no-such-flag"}, {"--scale", "many"}, {"stray.json"}} {
		var stderr bytes.Buffer
		err := run(context.Background(), args, io.Discard, &stderr, nil)
		if !errors.Is(err, errUsage) || stderr.Len() == 0 {
			t.Errorf("%v: err %v, stderr %q", args, err, stderr.String())
		}
	}
	if err := run(context.Background(), []string{"-h"}, io.Discard, io.Discard, nil); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
}
