package smart

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/carebook/carebook/practice/access"
)

// issueCode stores a fresh authorization code for req and returns it.
func (s *Server) issueCode(ctx context.Context, req authRequest, username, patientID string) (string, error) {
	code := randomToken()
	_, err := s.db.ExecContext(ctx, `INSERT INTO auth_codes (code_hash, client_id, redirect_uri, challenge, username, patient_id, scope, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		hashToken(code), req.ClientID, req.RedirectURI, req.Challenge, username, patientID, req.Scope,
		s.now().Add(codeTTL).UnixNano())
	if err != nil {
		return "", fmt.Errorf("store code: %w", err)
	}
	return code, nil
}

// oauthError is an error response of the token endpoint (RFC 6749 §5.2).
type oauthError struct {
	Code        string
	Description string
}

func (e *oauthError) Error() string { return "oauth: " + e.Code + ": " + e.Description }

func invalidGrant(desc string) error { return &oauthError{Code: "invalid_grant", Description: desc} }

// tokenResponse is the token endpoint's success body.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	Scope        string `json:"scope"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Patient      string `json:"patient"`
	IDToken      string `json:"id_token,omitempty"`
	NeedBanner   bool   `json:"need_patient_banner"`
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, &oauthError{Code: "invalid_request", Description: "malformed form body"})
		return
	}
	var resp *tokenResponse
	var err error
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		resp, err = s.exchangeCode(r.Context(), r.PostForm.Get("client_id"), r.PostForm.Get("code"),
			r.PostForm.Get("redirect_uri"), r.PostForm.Get("code_verifier"))
	case "refresh_token":
		resp, err = s.refresh(r.Context(), r.PostForm.Get("client_id"), r.PostForm.Get("refresh_token"), r.PostForm.Get("scope"))
	default:
		err = &oauthError{Code: "unsupported_grant_type", Description: "use authorization_code or refresh_token"}
	}
	var oe *oauthError
	if errors.As(err, &oe) {
		writeOAuthError(w, oe)
		return
	}
	if err != nil {
		log.Printf("smart: token endpoint: %v", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func writeOAuthError(w http.ResponseWriter, e *oauthError) {
	status := http.StatusBadRequest
	if e.Code == "invalid_client" {
		status = http.StatusUnauthorized
	}
	writeJSON(w, status, map[string]string{"error": e.Code, "error_description": e.Description})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		log.Printf("smart: write response: %v", err)
	}
}

// s256 is the PKCE S256 transform of a verifier.
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// exchangeCode redeems an authorization code (RFC 6749 §4.1.3, RFC 7636
// §4.6). A code presented a second time revokes what it was redeemed for.
func (s *Server) exchangeCode(ctx context.Context, clientID, code, redirectURI, verifier string) (*tokenResponse, error) {
	if code == "" || clientID == "" || verifier == "" {
		return nil, &oauthError{Code: "invalid_request", Description: "code, client_id and code_verifier are required"}
	}
	if !s.knownClient(clientID) {
		return nil, &oauthError{Code: "invalid_client", Description: "unknown client"}
	}
	h := hashToken(code)
	var c struct {
		clientID, redirectURI, challenge, username, patientID, scope, familyID string
		expires                                                                int64
		used                                                                   sql.NullInt64
	}
	err := s.db.QueryRowContext(ctx, `SELECT client_id, redirect_uri, challenge, username, patient_id, scope, expires_at, used_at, family_id
		FROM auth_codes WHERE code_hash = ?`, h).
		Scan(&c.clientID, &c.redirectURI, &c.challenge, &c.username, &c.patientID, &c.scope, &c.expires, &c.used, &c.familyID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, invalidGrant("unknown authorization code")
	}
	if err != nil {
		return nil, fmt.Errorf("look up code: %w", err)
	}
	now := s.now()
	// Mark the code used before anything else, atomically, so two
	// concurrent redemptions cannot both succeed.
	res, err := s.db.ExecContext(ctx, `UPDATE auth_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL`, now.UnixNano(), h)
	if err != nil {
		return nil, fmt.Errorf("use code: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if c.familyID != "" {
			if err := s.revokeFamily(ctx, c.familyID); err != nil {
				return nil, err
			}
		}
		return nil, invalidGrant("authorization code already used")
	}
	switch {
	case now.UnixNano() >= c.expires:
		return nil, invalidGrant("authorization code expired")
	case subtle.ConstantTimeCompare([]byte(clientID), []byte(c.clientID)) != 1:
		return nil, invalidGrant("code was issued to another client")
	case redirectURI != c.redirectURI:
		return nil, invalidGrant("redirect_uri does not match the authorization request")
	case subtle.ConstantTimeCompare([]byte(s256(verifier)), []byte(c.challenge)) != 1:
		return nil, invalidGrant("code_verifier does not match the code_challenge")
	}
	lvl, err := s.accessNow(ctx, c.username, c.patientID)
	if err != nil {
		return nil, err
	}
	if !lvl.allowed {
		return nil, invalidGrant("access to this chart has ended")
	}
	familyID := randomToken()
	if _, err := s.db.ExecContext(ctx, `INSERT INTO auth_families (id, client_id, username, patient_id, scope, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		familyID, c.clientID, c.username, c.patientID, c.scope, now.UnixNano()); err != nil {
		return nil, fmt.Errorf("store token family: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE auth_codes SET family_id = ? WHERE code_hash = ?`, familyID, h); err != nil {
		return nil, fmt.Errorf("link code: %w", err)
	}
	fam := family{id: familyID, clientID: c.clientID, username: c.username, patientID: c.patientID, scope: c.scope}
	return s.issueTokens(ctx, fam, c.scope)
}

// issueTokens creates an access token with scope (the family's or a
// narrower one), a refresh token when the family holds offline_access, and
// an id_token when scope holds openid and fhirUser.
func (s *Server) issueTokens(ctx context.Context, fam family, scope string) (*tokenResponse, error) {
	now := s.now()
	// The family rules may narrow what this token reaches (a teenager's
	// chart): the access token and the response say so.
	lvl, err := s.accessNow(ctx, fam.username, fam.patientID)
	if err != nil {
		return nil, err
	}
	if lvl.types != nil {
		scope = narrowScope(scope, lvl.types)
	}
	resp := &tokenResponse{
		AccessToken: randomToken(),
		TokenType:   "Bearer",
		ExpiresIn:   int64(s.cfg.AccessTokenTTL / time.Second),
		Scope:       scope,
		Patient:     fam.patientID,
		NeedBanner:  true,
	}
	if err := s.storeToken(ctx, resp.AccessToken, "access", fam.id, scope, now.Add(s.cfg.AccessTokenTTL)); err != nil {
		return nil, err
	}
	if hasScope(fam.scope, scopeOffline) {
		resp.RefreshToken = randomToken()
		if err := s.storeToken(ctx, resp.RefreshToken, "refresh", fam.id, fam.scope, now.Add(s.cfg.RefreshTokenTTL)); err != nil {
			return nil, err
		}
	}
	if hasScope(scope, scopeOpenID) && hasScope(scope, scopeFHIRUser) {
		ref, err := s.fhirUser(ctx, fam.username, fam.patientID)
		if err != nil {
			return nil, err
		}
		idt, err := s.signIDToken(fam.username, fam.clientID, ref, now)
		if err != nil {
			return nil, err
		}
		resp.IDToken = idt
	}
	return resp, nil
}

func (s *Server) storeToken(ctx context.Context, token, kind, familyID, scope string, expires time.Time) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO auth_tokens (token_hash, kind, family_id, scope, expires_at) VALUES (?, ?, ?, ?, ?)`,
		hashToken(token), kind, familyID, scope, expires.UnixNano())
	if err != nil {
		return fmt.Errorf("store %s token: %w", kind, err)
	}
	return nil
}

// revokeFamily revokes every token of a family.
func (s *Server) revokeFamily(ctx context.Context, familyID string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE auth_families SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`,
		s.now().UnixNano(), familyID); err != nil {
		return fmt.Errorf("revoke token family: %w", err)
	}
	return nil
}

// family is the chain of tokens issued from one authorization code.
type family struct {
	id, clientID, username, patientID string
	scope                             string // everything the user granted
	revoked                           bool
}

// storedToken is one access or refresh token as stored, with its family.
type storedToken struct {
	fam     family
	scope   string
	expires time.Time
	used    bool // a refresh token already rotated
	revoked bool // this token revoked on its own
}

// lookupToken finds a token of the given kind with its family. It returns
// sql.ErrNoRows for an unknown token.
func (s *Server) lookupToken(ctx context.Context, token, kind string) (storedToken, error) {
	var t storedToken
	var expires int64
	var usedAt, revokedAt, famRevoked sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT f.id, f.client_id, f.username, f.patient_id, f.scope, f.revoked_at,
			t.scope, t.expires_at, t.used_at, t.revoked_at
		FROM auth_tokens t JOIN auth_families f ON f.id = t.family_id
		WHERE t.token_hash = ? AND t.kind = ?`, hashToken(token), kind).
		Scan(&t.fam.id, &t.fam.clientID, &t.fam.username, &t.fam.patientID, &t.fam.scope, &famRevoked,
			&t.scope, &expires, &usedAt, &revokedAt)
	if err != nil {
		return storedToken{}, err
	}
	t.fam.revoked = famRevoked.Valid
	t.expires = time.Unix(0, expires)
	t.used = usedAt.Valid
	t.revoked = revokedAt.Valid
	return t, nil
}

// refresh rotates a refresh token (RFC 6749 §6 with OAuth 2.1 rotation):
// the old one stops working, and presenting a rotated one again revokes
// the whole family. The family rules are applied again.
func (s *Server) refresh(ctx context.Context, clientID, token, scope string) (*tokenResponse, error) {
	if token == "" || clientID == "" {
		return nil, &oauthError{Code: "invalid_request", Description: "refresh_token and client_id are required"}
	}
	t, err := s.lookupToken(ctx, token, "refresh")
	if errors.Is(err, sql.ErrNoRows) {
		return nil, invalidGrant("unknown refresh token")
	}
	if err != nil {
		return nil, fmt.Errorf("look up refresh token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(clientID), []byte(t.fam.clientID)) != 1 {
		return nil, invalidGrant("refresh token was issued to another client")
	}
	// A bad request leaves the token usable: checked before rotation.
	if scope != "" && !subsetScopes(scope, t.fam.scope) {
		return nil, &oauthError{Code: "invalid_scope", Description: "scope exceeds what was granted"}
	}
	now := s.now()
	res, err := s.db.ExecContext(ctx, `UPDATE auth_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL`,
		now.UnixNano(), hashToken(token))
	if err != nil {
		return nil, fmt.Errorf("rotate refresh token: %w", err)
	}
	fam := t.fam
	if n, err := res.RowsAffected(); err != nil || n == 0 || t.used {
		// A rotated token came back: someone else holds a copy.
		if err := s.revokeFamily(ctx, fam.id); err != nil {
			return nil, err
		}
		return nil, invalidGrant("refresh token already used; all tokens of this sign-in are revoked")
	}
	switch {
	case fam.revoked || t.revoked:
		return nil, invalidGrant("refresh token revoked")
	case !now.Before(t.expires):
		return nil, invalidGrant("refresh token expired")
	}
	lvl, err := s.accessNow(ctx, fam.username, fam.patientID)
	if err != nil {
		return nil, err
	}
	if !lvl.allowed {
		if err := s.revokeFamily(ctx, fam.id); err != nil {
			return nil, err
		}
		return nil, invalidGrant("access to this chart has ended")
	}
	granted := fam.scope
	if scope != "" {
		granted = strings.Join(strings.Fields(scope), " ")
	}
	// The new refresh token keeps the family's full scope: a narrower
	// request narrows only the new access token.
	return s.issueTokens(ctx, fam, granted)
}

// handleRevoke is the revocation endpoint (RFC 7009). Revoking a refresh
// token revokes its whole family; revoking an access token revokes that
// token. Unknown tokens get 200 too, as the RFC requires.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("token") == "" {
		writeOAuthError(w, &oauthError{Code: "invalid_request", Description: "token is required"})
		return
	}
	ctx := r.Context()
	token, clientID := r.PostForm.Get("token"), r.PostForm.Get("client_id")
	for _, kind := range []string{"refresh", "access"} {
		t, err := s.lookupToken(ctx, token, kind)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			log.Printf("smart: revoke: %v", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "server_error"})
			return
		}
		if clientID != "" && clientID != t.fam.clientID {
			writeOAuthError(w, &oauthError{Code: "invalid_client", Description: "token belongs to another client"})
			return
		}
		if kind == "refresh" {
			err = s.revokeFamily(ctx, t.fam.id)
		} else {
			_, err = s.db.ExecContext(ctx, `UPDATE auth_tokens SET revoked_at = ? WHERE token_hash = ?`, s.now().UnixNano(), hashToken(token))
		}
		if err != nil {
			log.Printf("smart: revoke: %v", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "server_error"})
			return
		}
		break
	}
	w.WriteHeader(http.StatusOK)
}

// Verify returns the Grant of a live access token, applying the family
// rules as of now. It returns an error wrapping access.ErrInvalidToken for
// an unknown, expired or revoked token, or one whose chart access ended.
func (s *Server) Verify(ctx context.Context, accessToken string) (access.Grant, error) {
	if accessToken == "" {
		return access.Grant{}, access.ErrInvalidToken
	}
	t, err := s.lookupToken(ctx, accessToken, "access")
	if errors.Is(err, sql.ErrNoRows) {
		return access.Grant{}, access.ErrInvalidToken
	}
	if err != nil {
		return access.Grant{}, fmt.Errorf("smart: verify: %w", err)
	}
	fam := t.fam
	if fam.revoked || t.revoked || !s.now().Before(t.expires) {
		return access.Grant{}, access.ErrInvalidToken
	}
	lvl, err := s.accessNow(ctx, fam.username, fam.patientID)
	if err != nil {
		return access.Grant{}, fmt.Errorf("smart: verify: %w", err)
	}
	if !lvl.allowed {
		return access.Grant{}, fmt.Errorf("smart: verify: chart access ended: %w", access.ErrInvalidToken)
	}
	ref, err := s.fhirUser(ctx, fam.username, fam.patientID)
	if err != nil {
		return access.Grant{}, fmt.Errorf("smart: verify: %w", err)
	}
	return access.Grant{
		PatientID:    fam.patientID,
		FHIRUser:     ref,
		ClientID:     fam.clientID,
		Scopes:       resourceScopes(t.scope),
		AllowedTypes: lvl.types,
		LimitReason:  limitReason(lvl),
		ExpiresAt:    t.expires,
	}, nil
}

// ExpireAccessTokens makes every live access token expired at once (fault
// injection: the app must refresh).
func (s *Server) ExpireAccessTokens() {
	now := s.now().UnixNano()
	if _, err := s.db.Exec(`UPDATE auth_tokens SET expires_at = ? WHERE kind = 'access' AND expires_at > ?`, now, now); err != nil {
		log.Printf("smart: expire access tokens: %v", err)
	}
}

// ExpireSignIns makes every live access and refresh token expired at once
// (fault injection: a sign-in that lapsed, as when the patient has not
// opened the app for months; the app must ask for a new one).
func (s *Server) ExpireSignIns() {
	now := s.now().UnixNano()
	if _, err := s.db.Exec(`UPDATE auth_tokens SET expires_at = ? WHERE expires_at > ?`, now, now); err != nil {
		log.Printf("smart: expire sign-ins: %v", err)
	}
}

// limitReason is the practice's words for a narrowed grant, "" for none.
func limitReason(lvl accessLevel) string {
	if lvl.types == nil {
		return ""
	}
	return TeenProxyReason
}
