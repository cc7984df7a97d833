package smart

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/carebook/carebook/sync/fhirapi"
)

// ErrNoRevocation means the practice offers no revocation endpoint: its
// grant ends only when its tokens expire.
var ErrNoRevocation = errors.New("smart: the practice offers no token revocation")

// Revoke ends a profile's grant at the practice (RFC 7009), before the
// profile is removed: the refresh token is revoked (which ends its whole
// grant at servers that, like ours, revoke the token family), then the
// access token. The endpoint comes from the server's SMART configuration
// (revocation_endpoint) and must be https (loopback aside); the call is a
// token call under the HTTP policy (hc may be nil). A profile without
// stored tokens has nothing to revoke (nil); a server without the endpoint
// is ErrNoRevocation.
func Revoke(ctx context.Context, st Store, profileID string, hc *http.Client) error {
	s, err := loadSaved(ctx, st, profileID)
	if errors.Is(err, ErrNeedsSignIn) {
		return nil
	}
	if err != nil {
		return err
	}
	ep, err := Discover(ctx, hc, s.FHIRBase)
	if err != nil {
		return fmt.Errorf("smart: revoke: %w", err)
	}
	if ep.RevocationURL == "" {
		return ErrNoRevocation
	}
	if err := fhirapi.CheckSecureURL(ep.RevocationURL); err != nil {
		return fmt.Errorf("smart: revoke: endpoint: %w", err)
	}
	hc = fhirapi.WithPolicy(hc, fhirapi.SameOriginRedirect)
	for _, t := range []struct{ token, hint string }{{s.RefreshToken, "refresh_token"}, {s.AccessToken, "access_token"}} {
		if t.token == "" {
			continue
		}
		if err := revokeToken(ctx, hc, ep.RevocationURL, s.ClientID, t.token, t.hint); err != nil {
			return err
		}
	}
	return nil
}

func revokeToken(ctx context.Context, hc *http.Client, endpoint, clientID, token, hint string) error {
	form := url.Values{"token": {token}, "token_type_hint": {hint}}
	if clientID != "" {
		form.Set("client_id", clientID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("smart: revoke: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("smart: revoke %s: %w", hint, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) //nolint:errcheck // the status says it all
	// RFC 7009 §2.2: 200 for a revoked token and for one the server did
	// not know (already expired or revoked).
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("smart: revoke %s: the revocation endpoint answered HTTP %d", hint, resp.StatusCode)
	}
	return nil
}
