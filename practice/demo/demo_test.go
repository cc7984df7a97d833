package demo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"

	"golang.org/x/oauth2"

	"github.com/carebook/carebook/practice/smart"
	"github.com/carebook/carebook/practice/synth"
)

// TestSignInAndRestart: the demo practice signs the demo patient in from an
// app's authorization URL, and starts again on the same data file.
func TestSignInAndRestart(t *testing.T) {
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "demo.db")
	for run := 0; run < 2; run++ {
		p, err := Start(ctx, Options{DataFile: data, PasswordCost: 64})
		if err != nil {
			t.Fatalf("start %d: %v", run, err)
		}
		cfg := oauth2.Config{
			ClientID:    smart.CarebookClientID,
			RedirectURL: "http://127.0.0.1:9/callback",
			Scopes:      []string{"openid", "fhirUser", "launch/patient", "offline_access", "patient/*.rs"},
			Endpoint: oauth2.Endpoint{AuthURL: p.srv.URL() + "/auth/authorize", TokenURL: p.srv.URL() + "/auth/token",
				AuthStyle: oauth2.AuthStyleInParams},
		}
		verifier := oauth2.GenerateVerifier()
		redirect, err := p.SignIn(ctx, cfg.AuthCodeURL("demo-state", oauth2.S256ChallengeOption(verifier),
			oauth2.SetAuthURLParam("aud", p.FHIRBase())))
		if err != nil {
			t.Fatalf("run %d: sign in: %v", run, err)
		}
		if redirect.Query().Get("state") != "demo-state" {
			t.Fatalf("redirect %v", redirect)
		}
		tok, err := cfg.Exchange(ctx, redirect.Query().Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		if tok.Extra("patient") != synth.MayaID {
			t.Errorf("run %d: patient %v", run, tok.Extra("patient"))
		}
		req, _ := http.NewRequest("GET", p.FHIRBase()+"/Patient/"+synth.MayaID, nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("run %d: read the chart: %d", run, resp.StatusCode)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestKeepsItsAddress: with a port file the demo practice listens on the
// same address at the next start, and on another one when that port is
// taken meanwhile.
func TestKeepsItsAddress(t *testing.T) {
	ctx := context.Background()
	portFile := filepath.Join(t.TempDir(), "demo.port")
	first, err := Start(ctx, Options{PortFile: portFile, PasswordCost: 64})
	if err != nil {
		t.Fatal(err)
	}
	addr := first.FHIRBase()
	first.Close()
	second, err := Start(ctx, Options{PortFile: portFile, PasswordCost: 64})
	if err != nil {
		t.Fatal(err)
	}
	if second.FHIRBase() != addr {
		t.Errorf("second start at %s, want %s", second.FHIRBase(), addr)
	}
	// second still holds the port: a third start moves and says where.
	third, err := Start(ctx, Options{PortFile: portFile, PasswordCost: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	second.Close()
	if third.FHIRBase() == addr {
		t.Fatal("two practices on one port")
	}
	if got := "http://127.0.0.1:" + fmt.Sprint(savedPort(portFile)) + "/fhir"; got != third.FHIRBase() {
		t.Errorf("port file says %s, practice at %s", got, third.FHIRBase())
	}
}

// TestAccountsAndSignInAs: the demo offers each of the practice's people,
// and a parent picks each child in the picker, the second time without
// signing in again.
func TestAccountsAndSignInAs(t *testing.T) {
	ctx := context.Background()
	p, err := Start(ctx, Options{PasswordCost: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	got := map[string][]string{}
	p.Accounts(func(username, description string, patients []string) {
		if description == "" {
			t.Errorf("%s has no description", username)
		}
		got[username] = patients
	})
	for _, want := range []string{"maya", "amara", "jose", "lucia"} {
		if len(got[want]) == 0 {
			t.Errorf("accounts %v lack %s", got, want)
		}
	}
	if len(got["amara"]) != 2 {
		t.Errorf("amara's charts = %v, want Leo and Nia", got["amara"])
	}
	cfg := oauth2.Config{
		ClientID: smart.CarebookClientID, RedirectURL: "http://127.0.0.1:9/callback",
		Scopes: []string{"openid", "fhirUser", "launch/patient", "offline_access", "patient/*.rs"},
		Endpoint: oauth2.Endpoint{AuthURL: p.srv.URL() + "/auth/authorize", TokenURL: p.srv.URL() + "/auth/token",
			AuthStyle: oauth2.AuthStyleInParams},
	}
	for _, child := range got["amara"] {
		verifier := oauth2.GenerateVerifier()
		redirect, err := p.SignInAs(ctx, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier),
			oauth2.SetAuthURLParam("aud", p.FHIRBase())), "amara", child)
		if err != nil {
			t.Fatalf("%s: %v", child, err)
		}
		tok, err := cfg.Exchange(ctx, redirect.Query().Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		if tok.Extra("patient") != child {
			t.Errorf("picked %s, token for %v", child, tok.Extra("patient"))
		}
	}
	if _, err := p.SignInAs(ctx, "http://127.0.0.1:9/", "nobody", ""); !errors.Is(err, ErrUnknownAccount) {
		t.Errorf("unknown account: %v", err)
	}
}
