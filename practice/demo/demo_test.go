package demo

import (
	"context"
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
