package smart

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/carebook/carebook/sync/fhirapi"
)

// ErrNoEndpoints means the server advertises no SMART authorization
// endpoints (neither .well-known/smart-configuration nor oauth-uris).
var ErrNoEndpoints = errors.New("smart: server advertises no SMART endpoints")

// Endpoints are a server's SMART authorization endpoints.
type Endpoints struct {
	AuthorizeURL string
	TokenURL     string
	// Capabilities are the smart-configuration "capabilities" (empty when
	// discovered from the CapabilityStatement).
	Capabilities []string
	// PKCEMethods are code_challenge_methods_supported.
	PKCEMethods []string
	// PromptValues are the OpenID Connect prompt values the server
	// supports ("create" starts with account enrollment).
	PromptValues []string
	// RevocationURL is the RFC 7009 token revocation endpoint
	// (revocation_endpoint), "" where the server offers none.
	RevocationURL string
	// TermsURL and PolicyURL are the practice's terms of use and privacy
	// policy pages (op_tos_uri, op_policy_uri), "" where not published.
	TermsURL, PolicyURL string
}

// Discover finds the SMART endpoints of the FHIR base: first
// {base}/.well-known/smart-configuration, then the CapabilityStatement's
// oauth-uris security extension. hc may be nil (fhirapi.NewHTTPClient);
// its redirects follow fhirapi.SecureRedirect in any case.
// The base and both endpoints must be https (http only on a loopback
// host): codes and tokens never travel in clear (fhirapi.ErrInsecure).
func Discover(ctx context.Context, hc *http.Client, base string) (Endpoints, error) {
	hc = fhirapi.WithPolicy(hc, fhirapi.SecureRedirect)
	base = strings.TrimRight(base, "/")
	if err := fhirapi.CheckSecureURL(base); err != nil {
		return Endpoints{}, fmt.Errorf("smart discovery: FHIR base: %w", err)
	}
	ep, err := discover(ctx, hc, base)
	if err != nil {
		return ep, err
	}
	if err := fhirapi.CheckSecureURL(ep.AuthorizeURL); err != nil {
		return Endpoints{}, fmt.Errorf("smart discovery: authorization endpoint: %w", err)
	}
	if err := fhirapi.CheckSecureURL(ep.TokenURL); err != nil {
		return Endpoints{}, fmt.Errorf("smart discovery: token endpoint: %w", err)
	}
	return ep, nil
}

func discover(ctx context.Context, hc *http.Client, base string) (Endpoints, error) {
	var ep Endpoints
	body, err := getJSON(ctx, hc, base+"/.well-known/smart-configuration")
	if err == nil {
		var conf struct {
			AuthorizationEndpoint string   `json:"authorization_endpoint"`
			TokenEndpoint         string   `json:"token_endpoint"`
			RevocationEndpoint    string   `json:"revocation_endpoint"`
			Capabilities          []string `json:"capabilities"`
			CodeChallengeMethods  []string `json:"code_challenge_methods_supported"`
			PromptValues          []string `json:"prompt_values_supported"`
			TermsURL              string   `json:"op_tos_uri"`
			PolicyURL             string   `json:"op_policy_uri"`
		}
		if json.Unmarshal(body, &conf) == nil && conf.AuthorizationEndpoint != "" && conf.TokenEndpoint != "" {
			ep = Endpoints{AuthorizeURL: conf.AuthorizationEndpoint, TokenURL: conf.TokenEndpoint,
				RevocationURL: conf.RevocationEndpoint,
				Capabilities:  conf.Capabilities, PKCEMethods: conf.CodeChallengeMethods, PromptValues: conf.PromptValues,
				TermsURL: webPage(conf.TermsURL), PolicyURL: webPage(conf.PolicyURL)}
			return ep, nil
		}
	} else if errors.Is(err, fhirapi.ErrNetwork) || errors.Is(err, fhirapi.ErrInsecure) || ctx.Err() != nil {
		return ep, fmt.Errorf("smart discovery: %w", err)
	}
	body, err = getJSON(ctx, hc, base+"/metadata")
	if err != nil {
		return ep, fmt.Errorf("smart discovery: capability statement: %w", err)
	}
	caps, err := fhirapi.ParseCapabilities(body)
	if err != nil {
		return ep, fmt.Errorf("smart discovery: %w", err)
	}
	if caps.AuthorizeURL == "" || caps.TokenURL == "" {
		return ep, ErrNoEndpoints
	}
	return Endpoints{AuthorizeURL: caps.AuthorizeURL, TokenURL: caps.TokenURL}, nil
}

// webPage returns u when it is an http(s) address, else "": a page the app
// shows as a link must not be a javascript: or file: URL.
func webPage(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return ""
	}
	return u
}

func getJSON(ctx context.Context, hc *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json, application/fhir+json")
	resp, err := hc.Do(req)
	if errors.Is(err, fhirapi.ErrInsecure) || errors.Is(err, fhirapi.ErrRedirectRefused) {
		return nil, err // a redirect the HTTP policy refused
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", fhirapi.ErrNetwork, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 4<<20))
}
