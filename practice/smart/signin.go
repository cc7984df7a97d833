package smart

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/html"
)

// ErrSignIn is wrapped by every SignIn failure that comes from the pages
// (wrong password, no such chart, an unexpected page).
var ErrSignIn = errors.New("smart: sign-in failed")

// AuthorizationError is returned by SignIn when the server sent the
// browser back to the client with an OAuth error (for example
// access_denied); the redirect URL is returned with it.
type AuthorizationError struct {
	Code        string // the "error" parameter, e.g. "access_denied"
	Description string
}

func (e *AuthorizationError) Error() string {
	return "smart: authorization refused: " + e.Code + ": " + e.Description
}

// maxSignInSteps bounds the pages SignIn walks through.
const maxSignInSteps = 20

// SignIn plays the browser for tests and for the app's built-in demo: given
// an http.Client with a cookie jar, it GETs authorizeURL, submits the login
// form, picks patientID in the picker when shown ("" = the first one),
// approves consent, and returns the final redirect URL (the client's
// redirect_uri with code and state). SignIn follows redirects itself and
// never requests the client's redirect_uri; a client without a jar gets a
// private one. When the server redirects with an OAuth error, the URL is
// returned with an *AuthorizationError.
func SignIn(ctx context.Context, client *http.Client, authorizeURL, username, password, patientID string) (*url.URL, error) {
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	c := *client // a copy, so the caller's redirect policy is not changed
	if c.Jar == nil {
		jar, err := cookiejar.New(nil)
		if err != nil {
			return nil, fmt.Errorf("smart: sign in: %w", err)
		}
		c.Jar = jar
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	start, err := url.Parse(authorizeURL)
	if err != nil {
		return nil, fmt.Errorf("smart: sign in: authorize URL: %w", err)
	}
	authPrefix := start.Scheme + "://" + start.Host + "/auth/"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authorizeURL, nil)
	if err != nil {
		return nil, fmt.Errorf("smart: sign in: %w", err)
	}
	submitted := map[string]bool{}
	for step := 0; step < maxSignInSteps; step++ {
		resp, err := c.Do(req)
		if err != nil {
			return nil, fmt.Errorf("smart: sign in: %w", err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("smart: sign in: read page: %w", err)
		}
		if loc := resp.Header.Get("Location"); resp.StatusCode >= 300 && resp.StatusCode < 400 && loc != "" {
			next, err := resp.Request.URL.Parse(loc)
			if err != nil {
				return nil, fmt.Errorf("smart: sign in: redirect: %w", err)
			}
			if !strings.HasPrefix(next.String(), authPrefix) {
				return finalRedirect(next)
			}
			if req, err = http.NewRequestWithContext(ctx, http.MethodGet, next.String(), nil); err != nil {
				return nil, fmt.Errorf("smart: sign in: %w", err)
			}
			continue
		}
		doc, err := html.Parse(strings.NewReader(string(body)))
		if err != nil {
			return nil, fmt.Errorf("smart: sign in: parse page: %w", err)
		}
		f := findForm(doc)
		if f == nil {
			return nil, fmt.Errorf("%w: page without a known form (HTTP %d)", ErrSignIn, resp.StatusCode)
		}
		if submitted[f.id] && (f.id == "login" || resp.StatusCode != http.StatusOK) {
			return nil, fmt.Errorf("%w: the %s form was refused (HTTP %d)", ErrSignIn, f.id, resp.StatusCode)
		}
		submitted[f.id] = true
		switch f.id {
		case "login":
			f.values.Set("username", username)
			f.values.Set("password", password)
		case "picker":
			if patientID != "" {
				if !f.hasOption("patient", patientID) {
					return nil, fmt.Errorf("%w: the requested patient is not offered in the picker", ErrSignIn)
				}
				f.values.Set("patient", patientID)
			} else if f.values.Get("patient") == "" && len(f.options["patient"]) > 0 {
				f.values.Set("patient", f.options["patient"][0])
			}
		case "consent":
			f.values.Set("decision", "approve")
		default:
			return nil, fmt.Errorf("%w: unexpected %s form", ErrSignIn, f.id)
		}
		target, err := resp.Request.URL.Parse(f.action)
		if err != nil {
			return nil, fmt.Errorf("smart: sign in: form action: %w", err)
		}
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, target.String(), strings.NewReader(f.values.Encode()))
		if err != nil {
			return nil, fmt.Errorf("smart: sign in: %w", err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return nil, fmt.Errorf("%w: too many steps", ErrSignIn)
}

// finalRedirect returns the redirect to the client, with an
// *AuthorizationError when it carries an OAuth error.
func finalRedirect(u *url.URL) (*url.URL, error) {
	q := u.Query()
	if code := q.Get("error"); code != "" {
		return u, &AuthorizationError{Code: code, Description: q.Get("error_description")}
	}
	if q.Get("code") == "" {
		return u, fmt.Errorf("%w: redirect without code", ErrSignIn)
	}
	return u, nil
}

// form is one parsed HTML form of the pages.
type form struct {
	id, action string
	values     url.Values          // hidden fields and checked radios
	options    map[string][]string // radio values by field name
}

func (f *form) hasOption(name, value string) bool {
	for _, v := range f.options[name] {
		if v == value {
			return true
		}
	}
	return false
}

// findForm returns the first form of the document with an id.
func findForm(n *html.Node) *form {
	if n.Type == html.ElementNode && n.Data == "form" && attr(n, "id") != "" {
		f := &form{id: attr(n, "id"), action: attr(n, "action"), values: url.Values{}, options: map[string][]string{}}
		collectInputs(n, f)
		return f
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := findForm(c); f != nil {
			return f
		}
	}
	return nil
}

func collectInputs(n *html.Node, f *form) {
	if n.Type == html.ElementNode && n.Data == "input" {
		name, value := attr(n, "name"), attr(n, "value")
		_, checked := attrOK(n, "checked")
		switch attr(n, "type") {
		case "hidden":
			f.values.Set(name, value)
		case "radio":
			f.options[name] = append(f.options[name], value)
			if checked {
				f.values.Set(name, value)
			}
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		collectInputs(c, f)
	}
}

func attr(n *html.Node, key string) string {
	v, _ := attrOK(n, key)
	return v
}

func attrOK(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}
