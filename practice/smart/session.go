package smart

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// sessionCookie is the name of the sign-in session cookie.
const sessionCookie = "practice_auth"

// authRequest is a validated authorization request waiting for the user.
type authRequest struct {
	ClientID    string `json:"client_id"`
	RedirectURI string `json:"redirect_uri"`
	Scope       string `json:"scope"` // the scopes that will be granted
	State       string `json:"state"`
	Challenge   string `json:"challenge"` // PKCE S256 code_challenge
}

// session is the browser's state on the /auth/ pages.
type session struct {
	id             string // the cookie value; only its hash is stored
	CSRF           string
	Request        *authRequest // nil when no authorization is pending
	Username       string       // "" until signed in
	PatientID      string       // "" until a chart is chosen
	EnrollCodeHash string       // a checked activation code during enrollment
}

// newSession starts a fresh session and sets its cookie.
func (s *Server) newSession(ctx context.Context, w http.ResponseWriter) (*session, error) {
	sess := &session{id: randomToken(), CSRF: randomToken()}
	if err := s.saveSession(ctx, sess); err != nil {
		return nil, err
	}
	s.setCookie(w, sess)
	return sess, nil
}

func (s *Server) setCookie(w http.ResponseWriter, sess *session) {
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    sess.id,
		Path:     "/auth/",
		MaxAge:   int(sessionTTL.Seconds()),
		HttpOnly: true,
		Secure:   s.issuer.Scheme == "https",
		SameSite: http.SameSiteLaxMode,
	})
}

// rotateSession gives sess a new id (after sign-in, against session
// fixation) and sets the new cookie.
func (s *Server) rotateSession(ctx context.Context, w http.ResponseWriter, sess *session) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM auth_sessions WHERE id_hash = ?`, hashToken(sess.id)); err != nil {
		return fmt.Errorf("rotate session: %w", err)
	}
	sess.id = randomToken()
	if err := s.saveSession(ctx, sess); err != nil {
		return err
	}
	s.setCookie(w, sess)
	return nil
}

// saveSession writes sess, extending its lifetime.
func (s *Server) saveSession(ctx context.Context, sess *session) error {
	var req string
	if sess.Request != nil {
		b, err := json.Marshal(sess.Request)
		if err != nil {
			return fmt.Errorf("save session: %w", err)
		}
		req = string(b)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO auth_sessions (id_hash, csrf, request, username, patient_id, enroll_code_hash, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id_hash) DO UPDATE SET csrf = excluded.csrf, request = excluded.request, username = excluded.username,
			patient_id = excluded.patient_id, enroll_code_hash = excluded.enroll_code_hash, expires_at = excluded.expires_at`,
		hashToken(sess.id), sess.CSRF, req, sess.Username, sess.PatientID, sess.EnrollCodeHash,
		s.now().Add(sessionTTL).UnixNano())
	if err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

// errNoSession means the request carries no live session cookie.
var errNoSession = errors.New("smart: no sign-in session")

// loadSession returns the request's live session, or errNoSession.
func (s *Server) loadSession(r *http.Request) (*session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, errNoSession
	}
	sess := &session{id: c.Value}
	var req string
	var expires int64
	err = s.db.QueryRowContext(r.Context(), `SELECT csrf, request, username, patient_id, enroll_code_hash, expires_at
		FROM auth_sessions WHERE id_hash = ?`, hashToken(c.Value)).
		Scan(&sess.CSRF, &req, &sess.Username, &sess.PatientID, &sess.EnrollCodeHash, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	if s.now().UnixNano() >= expires {
		return nil, errNoSession
	}
	if req != "" {
		sess.Request = new(authRequest)
		if err := json.Unmarshal([]byte(req), sess.Request); err != nil {
			return nil, fmt.Errorf("load session: %w", err)
		}
	}
	return sess, nil
}

// checkCSRF reports whether the posted form carries the session's token.
func checkCSRF(r *http.Request, sess *session) bool {
	got := r.PostFormValue("csrf_token")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRF)) == 1
}

// deleteExpired removes sessions, codes and tokens past their lifetime; it
// runs opportunistically when a new authorization starts.
func (s *Server) deleteExpired(ctx context.Context) error {
	now := s.now().UnixNano()
	if _, err := s.db.ExecContext(ctx, `DELETE FROM auth_sessions WHERE expires_at < ?`, now); err != nil {
		return fmt.Errorf("delete expired sessions: %w", err)
	}
	// Tokens are kept a day past expiry (a used refresh token until its
	// own expiry: reuse detection needs it).
	if _, err := s.db.ExecContext(ctx, `DELETE FROM auth_tokens WHERE expires_at < ?`, s.now().Add(-24*time.Hour).UnixNano()); err != nil {
		return fmt.Errorf("delete expired tokens: %w", err)
	}
	// Used codes are kept while young to detect a replay.
	if _, err := s.db.ExecContext(ctx, `DELETE FROM auth_codes WHERE expires_at < ?`, s.now().Add(-24*codeTTL).UnixNano()); err != nil {
		return fmt.Errorf("delete expired codes: %w", err)
	}
	return nil
}
