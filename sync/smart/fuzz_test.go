package smart

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/carebook/carebook/sync/fhirapi"
)

// FuzzCallbackHandler: whatever query reaches the loopback redirect, a
// code is taken only with the right state, no error and a code present;
// anything else is an error, and the browser always gets a page.
func FuzzCallbackHandler(f *testing.F) {
	f.Add("state=S&code=abc")
	f.Add("state=S&error=access_denied")
	f.Add("state=T&code=abc")
	f.Add("code=abc")
	f.Add("state=S&state=T&code=x&code=y")
	f.Add("state=%zz&code=1")
	f.Fuzz(func(t *testing.T, query string) {
		results := make(chan callback, 1)
		h := callbackHandler("S", results)
		req := httptest.NewRequest(http.MethodGet, "/callback", nil)
		req.URL.RawQuery = query
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d", rec.Code)
		}
		cb := <-results
		q, _ := url.ParseQuery(query)
		good := q.Get("state") == "S" && q.Get("error") == "" && q.Get("code") != ""
		if good != (cb.err == nil) || (good && cb.code != q.Get("code")) || (!good && cb.code != "") {
			t.Fatalf("query %q: code %q, err %v", query, cb.code, cb.err)
		}
	})
}

// FuzzSmartConfiguration: whatever a server answers as its SMART
// configuration, discovery either fails or returns https (or loopback)
// authorization and token endpoints, and terms and policy links that are
// http(s) pages or empty.
func FuzzSmartConfiguration(f *testing.F) {
	f.Add(`{"authorization_endpoint":"https://a.example/authorize","token_endpoint":"https://a.example/token","op_tos_uri":"javascript:alert(1)"}`)
	f.Add(`{"authorization_endpoint":"http://a.example/authorize","token_endpoint":"https://a.example/token"}`)
	f.Add(`{"authorization_endpoint":"https://a.example/authorize","token_endpoint":"/token"}`)
	f.Add(`{"authorization_endpoint":"https://a.example/a","token_endpoint":"https://a.example/t","revocation_endpoint":"https://a.example/r","capabilities":["x"]}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, body string) {
		hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			status, b := http.StatusNotFound, ""
			if strings.HasSuffix(r.URL.Path, "/.well-known/smart-configuration") {
				status, b = http.StatusOK, body
			}
			return &http.Response{StatusCode: status, Body: io.NopCloser(strings.NewReader(b)), Header: http.Header{}, Request: r}, nil
		})}
		ep, err := Discover(context.Background(), hc, "https://ehr.example/fhir")
		if err != nil {
			return
		}
		if fhirapi.CheckSecureURL(ep.AuthorizeURL) != nil || fhirapi.CheckSecureURL(ep.TokenURL) != nil {
			t.Fatalf("insecure endpoints accepted: %+v", ep)
		}
		for _, page := range []string{ep.TermsURL, ep.PolicyURL} {
			if page != "" && !strings.HasPrefix(page, "http://") && !strings.HasPrefix(page, "https://") {
				t.Fatalf("page link %q accepted", page)
			}
		}
	})
}

// FuzzTokenResponse: whatever the token endpoint answers to a refresh,
// the source either fails (needing sign-in only for invalid_grant) or
// hands out the new access token after saving it.
func FuzzTokenResponse(f *testing.F) {
	f.Add(200, `{"access_token":"A1","refresh_token":"R1","token_type":"Bearer","expires_in":3600}`)
	f.Add(200, `{"access_token":"","token_type":"Bearer"}`)
	f.Add(400, `{"error":"invalid_grant"}`)
	f.Add(400, `{"error":"invalid_client"}`)
	f.Add(503, `<html>`)
	f.Add(200, `access_token=A2&token_type=bearer`)
	f.Add(200, `{"access_token":"A3","expires_in":"soon"}`)
	f.Fuzz(func(t *testing.T, status int, body string) {
		if status < 200 || status > 599 {
			return
		}
		st := newMemStore()
		putSaved(context.Background(), st, "p1", savedToken{AccessToken: "A0", RefreshToken: "R0", Expiry: time.Now().Add(-time.Hour),
			TokenURL: "https://auth.example/token", ClientID: "carebook", FHIRBase: "https://ehr.example/fhir"})
		hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			h := http.Header{"Content-Type": {"application/json"}}
			if strings.Contains(body, "=") && !strings.HasPrefix(body, "{") {
				h.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			return &http.Response{StatusCode: status, Body: io.NopCloser(strings.NewReader(body)), Header: h, Request: r}, nil
		})}
		ts := &TokenSource{st: st, profileID: "p1", hc: hc, now: time.Now, sem: make(chan struct{}, 1)}
		tok, err := ts.AccessToken(context.Background())
		if err != nil {
			if tok != "" {
				t.Fatalf("token %q with error %v", tok, err)
			}
			if errors.Is(err, ErrNeedsSignIn) && !strings.Contains(body, "invalid_grant") {
				t.Fatalf("sign-in asked for after HTTP %d %q", status, body)
			}
			return
		}
		if tok == "" || st.saved(t).AccessToken != tok {
			t.Fatalf("token %q handed out, saved %q", tok, st.saved(t).AccessToken)
		}
	})
}
