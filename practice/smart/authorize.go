package smart

import (
	"errors"
	"log"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// handleAuthorize validates an authorization request (RFC 6749 §4.1.1 with
// PKCE S256 and SMART's aud), starts a fresh session holding it, and sends
// the browser to the sign-in page.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, "The sign-in link is not valid. Please start again from your app.")
		return
	}
	q := r.Form
	clientID, redirectURI := q.Get("client_id"), q.Get("redirect_uri")
	// Without a trustworthy client and redirect_uri, errors must not be
	// sent anywhere (RFC 6749 §4.1.2.1): show them here.
	if clientID == "" || !s.knownClient(clientID) {
		s.errorPage(w, http.StatusBadRequest, "This app is not known to the practice.")
		return
	}
	if redirectURI == "" || !s.validRedirect(clientID, redirectURI) {
		s.errorPage(w, http.StatusBadRequest, "This app's return address is not registered with the practice.")
		return
	}
	state := q.Get("state")
	fail := func(code, desc string) { redirectError(w, r, redirectURI, state, code, desc) }
	switch {
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", "only response_type=code is supported")
		return
	case state == "":
		fail("invalid_request", "state is required")
		return
	case q.Get("code_challenge") == "":
		fail("invalid_request", "PKCE code_challenge is required")
		return
	case q.Get("code_challenge_method") != "S256":
		fail("invalid_request", "code_challenge_method must be S256")
		return
	case !validChallenge(q.Get("code_challenge")):
		fail("invalid_request", "code_challenge is not a base64url SHA-256 value")
		return
	case strings.TrimSuffix(q.Get("aud"), "/") != strings.TrimSuffix(s.cfg.FHIRBase, "/"):
		fail("invalid_request", "aud must be this server's FHIR base URL")
		return
	}
	granted := grantScopes(q.Get("scope"))
	if len(resourceScopes(strings.Join(granted, " "))) == 0 {
		fail("invalid_scope", "no patient resource scope that this server grants was requested")
		return
	}
	ctx := r.Context()
	if err := s.deleteExpired(ctx); err != nil {
		s.internalError(w, err)
		return
	}
	req := &authRequest{
		ClientID:    clientID,
		RedirectURI: redirectURI,
		Scope:       strings.Join(granted, " "),
		State:       state,
		Challenge:   q.Get("code_challenge"),
	}
	prompt := strings.Fields(q.Get("prompt"))
	// A browser still signed in here (a parent adding a second child)
	// goes on to the picker without signing in again, unless the app asks
	// for a fresh sign-in (prompt=login) or an enrollment.
	if old, err := s.loadSession(r); err == nil && old.Username != "" &&
		!slices.Contains(prompt, "login") && !slices.Contains(prompt, "create") {
		old.Request, old.PatientID, old.EnrollCodeHash = req, "", ""
		if err := s.rotateSession(ctx, w, old); err != nil {
			s.internalError(w, err)
			return
		}
		s.continueAfterSignIn(w, r, old)
		return
	}
	sess, err := s.newSession(ctx, w)
	if err != nil {
		s.internalError(w, err)
		return
	}
	sess.Request = req
	if err := s.saveSession(ctx, sess); err != nil {
		s.internalError(w, err)
		return
	}
	// prompt=create (OpenID Connect "Initiating User Registration"): the
	// patient has an activation code and no account yet.
	next := "/auth/login"
	if slices.Contains(prompt, "create") {
		next = "/auth/enroll"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// validChallenge accepts a 43-character base64url value, the size of an
// unpadded SHA-256 (RFC 7636 §4.2).
func validChallenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	for _, r := range c {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// redirectError sends an OAuth error response to the client's redirect URI.
func redirectError(w http.ResponseWriter, r *http.Request, redirectURI, state, code, desc string) {
	v := url.Values{"error": {code}}
	if desc != "" {
		v.Set("error_description", desc)
	}
	if state != "" {
		v.Set("state", state)
	}
	http.Redirect(w, r, withQuery(redirectURI, v), http.StatusSeeOther)
}

// withQuery adds v to the query of raw (a validated redirect URI).
func withQuery(raw string, v url.Values) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	for k, vals := range v {
		q[k] = vals
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// pendingSession loads the session and its pending authorization, or shows
// an error page and returns nil.
func (s *Server) pendingSession(w http.ResponseWriter, r *http.Request) *session {
	sess, err := s.loadSession(r)
	if errors.Is(err, errNoSession) || (err == nil && sess.Request == nil) {
		s.errorPage(w, http.StatusBadRequest, "Your sign-in has expired or was already completed. Please start again from your app.")
		return nil
	}
	if err != nil {
		s.internalError(w, err)
		return nil
	}
	return sess
}

// postedSession is pendingSession for a form POST, also checking its CSRF
// token.
func (s *Server) postedSession(w http.ResponseWriter, r *http.Request) *session {
	sess := s.pendingSession(w, r)
	if sess == nil {
		return nil
	}
	if !checkCSRF(r, sess) {
		s.errorPage(w, http.StatusForbidden, "This form has expired. Please go back, reload the page and try again.")
		return nil
	}
	return sess
}

func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	sess := s.pendingSession(w, r)
	if sess == nil {
		return
	}
	s.render(w, http.StatusOK, "login", pageData{Title: "Sign in", CSRF: sess.CSRF})
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	sess := s.postedSession(w, r)
	if sess == nil {
		return
	}
	username := strings.TrimSpace(r.PostFormValue("username"))
	err := s.authenticate(r.Context(), username, r.PostFormValue("password"))
	if errors.Is(err, errBadCredentials) {
		s.render(w, http.StatusUnauthorized, "login", pageData{
			Title: "Sign in", CSRF: sess.CSRF, Username: username,
			Error: "The username or password is not right, or the account is locked for a few minutes after too many tries.",
		})
		return
	}
	if err != nil {
		s.internalError(w, err)
		return
	}
	sess.Username = username
	sess.PatientID = ""
	if err := s.rotateSession(r.Context(), w, sess); err != nil {
		s.internalError(w, err)
		return
	}
	s.continueAfterSignIn(w, r, sess)
}

// continueAfterSignIn picks the chart when only one is open to the user, or
// shows the picker.
func (s *Server) continueAfterSignIn(w http.ResponseWriter, r *http.Request, sess *session) {
	charts, err := s.charts(r.Context(), sess.Username)
	if err != nil {
		s.internalError(w, err)
		return
	}
	switch len(charts) {
	case 0:
		req := sess.Request
		sess.Request = nil
		if err := s.saveSession(r.Context(), sess); err != nil {
			s.internalError(w, err)
			return
		}
		redirectError(w, r, req.RedirectURI, req.State, "access_denied", "this account has no chart it may open")
	case 1:
		sess.PatientID = charts[0].Patient.ID
		if err := s.saveSession(r.Context(), sess); err != nil {
			s.internalError(w, err)
			return
		}
		http.Redirect(w, r, "/auth/consent", http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/auth/picker", http.StatusSeeOther)
	}
}

// signedInSession is pendingSession (or postedSession for a POST) that
// also requires a signed-in user.
func (s *Server) signedInSession(w http.ResponseWriter, r *http.Request) *session {
	var sess *session
	if r.Method == http.MethodPost {
		sess = s.postedSession(w, r)
	} else {
		sess = s.pendingSession(w, r)
	}
	if sess == nil {
		return nil
	}
	if sess.Username == "" {
		http.Redirect(w, r, "/auth/login", http.StatusSeeOther)
		return nil
	}
	return sess
}

func (s *Server) handlePickerPage(w http.ResponseWriter, r *http.Request) {
	sess := s.signedInSession(w, r)
	if sess == nil {
		return
	}
	s.showPicker(w, r, sess, http.StatusOK, "")
}

func (s *Server) showPicker(w http.ResponseWriter, r *http.Request, sess *session, status int, msg string) {
	charts, err := s.charts(r.Context(), sess.Username)
	if err != nil {
		s.internalError(w, err)
		return
	}
	data := pageData{Title: "Whose record?", CSRF: sess.CSRF, Error: msg}
	for i, c := range charts {
		data.Charts = append(data.Charts, pickerItem{
			ID:      c.Patient.ID,
			Name:    c.Patient.Name,
			Detail:  relationWords(c.Relation, c.Level),
			Checked: c.Patient.ID == sess.PatientID || (sess.PatientID == "" && i == 0),
		})
	}
	s.render(w, status, "picker", data)
}

// relationWords describes a chart in the picker.
func relationWords(rel Relation, lvl accessLevel) string {
	switch {
	case rel == RelationSelf:
		return "Your own record"
	case rel == RelationParent && lvl.types != nil:
		return "Your child (limited access from age 12)"
	case rel == RelationParent:
		return "Your child"
	default:
		return "Shared with you as a caregiver"
	}
}

func (s *Server) handlePicker(w http.ResponseWriter, r *http.Request) {
	sess := s.signedInSession(w, r)
	if sess == nil {
		return
	}
	choice := r.PostFormValue("patient")
	lvl, err := s.accessNow(r.Context(), sess.Username, choice)
	if err != nil {
		s.internalError(w, err)
		return
	}
	if choice == "" || !lvl.allowed {
		s.showPicker(w, r, sess, http.StatusBadRequest, "Please choose one of the records listed.")
		return
	}
	sess.PatientID = choice
	if err := s.saveSession(r.Context(), sess); err != nil {
		s.internalError(w, err)
		return
	}
	http.Redirect(w, r, "/auth/consent", http.StatusSeeOther)
}

func (s *Server) handleConsentPage(w http.ResponseWriter, r *http.Request) {
	sess := s.signedInSession(w, r)
	if sess == nil {
		return
	}
	if sess.PatientID == "" {
		http.Redirect(w, r, "/auth/picker", http.StatusSeeOther)
		return
	}
	info, err := s.patients.Patient(r.Context(), sess.PatientID)
	if err != nil {
		s.internalError(w, err)
		return
	}
	s.render(w, http.StatusOK, "consent", pageData{
		Title:      "Allow access?",
		CSRF:       sess.CSRF,
		ClientID:   sess.Request.ClientID,
		ChartName:  info.Name,
		Items:      consentItems(sess.Request.Scope),
		OwnChart:   s.isSelf(r, sess),
		Scopes:     sess.Request.Scope,
		SignedInAs: sess.Username,
	})
}

// isSelf reports whether the chosen chart is the user's own.
func (s *Server) isSelf(r *http.Request, sess *session) bool {
	var rel string
	err := s.db.QueryRowContext(r.Context(), `SELECT relation FROM auth_access WHERE username = ? AND patient_id = ?`,
		sess.Username, sess.PatientID).Scan(&rel)
	return err == nil && Relation(rel) == RelationSelf
}

func (s *Server) handleConsent(w http.ResponseWriter, r *http.Request) {
	sess := s.signedInSession(w, r)
	if sess == nil {
		return
	}
	if sess.PatientID == "" {
		http.Redirect(w, r, "/auth/picker", http.StatusSeeOther)
		return
	}
	req := *sess.Request
	// The authorization ends here either way: the session cannot be
	// replayed into a second code.
	sess.Request = nil
	if err := s.saveSession(r.Context(), sess); err != nil {
		s.internalError(w, err)
		return
	}
	if r.PostFormValue("decision") != "approve" {
		redirectError(w, r, req.RedirectURI, req.State, "access_denied", "the user denied access")
		return
	}
	lvl, err := s.accessNow(r.Context(), sess.Username, sess.PatientID)
	if err != nil {
		s.internalError(w, err)
		return
	}
	if !lvl.allowed {
		redirectError(w, r, req.RedirectURI, req.State, "access_denied", "access to this chart has ended")
		return
	}
	code, err := s.issueCode(r.Context(), req, sess.Username, sess.PatientID)
	if err != nil {
		s.internalError(w, err)
		return
	}
	http.Redirect(w, r, withQuery(req.RedirectURI, url.Values{"code": {code}, "state": {req.State}}), http.StatusSeeOther)
}

// internalError logs err (which never carries a secret or patient data)
// and shows a generic page.
func (s *Server) internalError(w http.ResponseWriter, err error) {
	log.Printf("smart: internal error: %v", err)
	s.errorPage(w, http.StatusInternalServerError, "Something went wrong on our side. Please try again in a moment.")
}
