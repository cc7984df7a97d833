package app

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/smart"
)

// TestRemoveProfileRevokesGrant: removing a signed-in profile asks the
// practice to revoke its tokens (RFC 7009) before the crypto-shred: the
// refresh token the profile held is refused by the practice afterwards
// (before the removal it still worked).
func TestRemoveProfileRevokesGrant(t *testing.T) {
	ctx := context.Background()
	practice := startDemo(t)
	core, err := Open(Config{
		DataDir:     t.TempDir(),
		Storage:     storage.Options{KDF: cheapKDF, NoKeyring: true},
		IdleTimeout: -1,
		Demo:        func(context.Context) (DemoPractice, error) { return practice, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Close()
	if err := core.Setup(ctx, "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	p, err := core.ConnectDemo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := core.store.Secret(ctx, p.ID, smart.SecretToken)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		RefreshToken string `json:"refresh_token"`
		TokenURL     string `json:"token_url"`
		ClientID     string `json:"client_id"`
	}
	if err := json.Unmarshal(raw, &tok); err != nil || tok.RefreshToken == "" {
		t.Fatalf("stored token: %v", err)
	}
	// refresh spends a refresh token at the practice and returns the
	// status and the next refresh token.
	refresh := func(rt string) (int, string) {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {tok.ClientID}}
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Post(tok.TokenURL, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			RefreshToken string `json:"refresh_token"`
		}
		json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body.RefreshToken
	}
	// The grant works before the removal; what it rotated to is stored, as
	// the app would have.
	status, next := refresh(tok.RefreshToken)
	if status != http.StatusOK || next == "" {
		t.Fatalf("refresh before removal: HTTP %d", status)
	}
	tok.RefreshToken = next
	var saved map[string]any
	if err := json.Unmarshal(raw, &saved); err != nil {
		t.Fatal(err)
	}
	saved["refresh_token"] = next
	raw, _ = json.Marshal(saved)
	if err := core.store.PutSecret(ctx, p.ID, smart.SecretToken, raw); err != nil {
		t.Fatal(err)
	}

	if err := core.RemoveProfile(ctx, p.ID, RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if status, _ := refresh(tok.RefreshToken); status != http.StatusBadRequest {
		t.Fatalf("refresh after removal: HTTP %d, want 400 (revoked)", status)
	}
}
