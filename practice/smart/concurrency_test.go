package smart

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"golang.org/x/oauth2"
)

// TestConcurrentCodeRedemption: of many simultaneous redemptions of one
// code, exactly one gets tokens.
func TestConcurrentCodeRedemption(t *testing.T) {
	e := newTestEnv(t)
	cfg := e.oauthConfig()
	verifier := oauth2.GenerateVerifier()
	u, err := SignIn(context.Background(), e.browser(), e.authURL(cfg, "s", verifier), "ana", testPassword, "")
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	results := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := cfg.Exchange(context.Background(), u.Query().Get("code"), oauth2.VerifierOption(verifier))
			results <- err
		}()
	}
	wg.Wait()
	close(results)
	var ok int
	for err := range results {
		if err == nil {
			ok++
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d redemptions succeeded, want exactly 1", ok, n)
	}
}

// TestAuthorizePost: the authorization request may be a form POST
// (capability authorize-post).
func TestAuthorizePost(t *testing.T) {
	e := newTestEnv(t)
	cfg := e.oauthConfig()
	verifier := oauth2.GenerateVerifier()
	authURL, err := url.Parse(e.authURL(cfg, "post-state", verifier))
	if err != nil {
		t.Fatal(err)
	}
	resp := e.post(e.browser(), "/auth/authorize", authURL.Query())
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/auth/login" {
		t.Fatalf("POST authorize: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func BenchmarkVerify(b *testing.B) {
	e := newTestEnv(b)
	tok := e.signIn(e.oauthConfig(), "maya", "ana")
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.srv.Verify(ctx, tok.AccessToken); err != nil {
			b.Fatal(err)
		}
	}
}
