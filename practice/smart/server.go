package smart

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/carebook/carebook/practice/access"
)

// CarebookClientID is the public client pre-registered by New. It accepts
// any loopback redirect URI (RFC 8252): http://127.0.0.1:{port}/...,
// http://localhost:{port}/... and http://[::1]:{port}/....
const CarebookClientID = "carebook"

// Default lifetimes used when Config leaves them zero.
const (
	DefaultAccessTokenTTL  = time.Hour
	DefaultRefreshTokenTTL = 90 * 24 * time.Hour
	codeTTL                = 60 * time.Second
	sessionTTL             = 30 * time.Minute
	activationCodeTTL      = 30 * 24 * time.Hour
)

// Config configures a Server.
type Config struct {
	// Issuer is the server's base URL, e.g. "http://127.0.0.1:8085".
	Issuer string
	// FHIRBase is "{Issuer}/fhir", the aud a client must send.
	FHIRBase string
	// AccessTokenTTL is the lifetime of access tokens (default 1h).
	AccessTokenTTL time.Duration
	// RefreshTokenTTL is the lifetime of refresh tokens (default 90 days).
	RefreshTokenTTL time.Duration
	// PasswordCost is the Argon2id memory cost in KiB for new password
	// hashes; 0 means the production cost (64 MiB, 3 passes). Tests pass a
	// small value such as 64.
	PasswordCost int
	// PracticeName is shown on the pages.
	PracticeName string
	// Now returns the current time; nil means time.Now. Tests move time.
	Now func() time.Time
}

// Relation is how a user is related to a patient whose chart they may reach.
type Relation string

// The relations a user may have to a patient.
const (
	RelationSelf      Relation = "self"
	RelationParent    Relation = "parent"
	RelationCaregiver Relation = "caregiver"
)

// Server is the SMART authorization server. Create it with New.
type Server struct {
	db       *sql.DB
	patients access.PatientDirectory
	cfg      Config
	key      *ecdsa.PrivateKey
	keyID    string
	issuer   *url.URL

	mu      sync.Mutex
	clients map[string][]string // client_id → exact redirect URIs
	dummy   string              // see dummyHash
}

// Errors returned by the user-management methods.
var (
	// ErrUserExists is returned by CreateUser for a taken username.
	ErrUserExists = errors.New("smart: username already taken")
	// ErrUnknownUser is returned for a username that does not exist.
	ErrUnknownUser = errors.New("smart: unknown user")
	// ErrInvalidRelation is returned by AddAccess for a Relation it does not know.
	ErrInvalidRelation = errors.New("smart: invalid relation")
)

// New creates the server's auth_* tables in db when missing and returns a
// Server. patients is used to name patients and apply the family rules.
func New(db *sql.DB, patients access.PatientDirectory, cfg Config) (*Server, error) {
	if db == nil || patients == nil {
		return nil, errors.New("smart: new: db and patients are required")
	}
	iss, err := url.Parse(cfg.Issuer)
	if err != nil || iss.Scheme == "" || iss.Host == "" {
		return nil, fmt.Errorf("smart: new: issuer must be an absolute URL")
	}
	if cfg.FHIRBase == "" {
		cfg.FHIRBase = strings.TrimSuffix(cfg.Issuer, "/") + "/fhir"
	}
	if cfg.AccessTokenTTL <= 0 {
		cfg.AccessTokenTTL = DefaultAccessTokenTTL
	}
	if cfg.RefreshTokenTTL <= 0 {
		cfg.RefreshTokenTTL = DefaultRefreshTokenTTL
	}
	if cfg.PracticeName == "" {
		cfg.PracticeName = "Practice portal"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{db: db, patients: patients, cfg: cfg, issuer: iss, clients: map[string][]string{}}
	ctx := context.Background()
	if err := s.migrate(ctx); err != nil {
		return nil, fmt.Errorf("smart: new: %w", err)
	}
	if err := s.loadSigningKey(ctx); err != nil {
		return nil, fmt.Errorf("smart: new: %w", err)
	}
	return s, nil
}

var schema = []string{
	`CREATE TABLE IF NOT EXISTS auth_users (
		username TEXT PRIMARY KEY,
		password_hash TEXT NOT NULL,
		fhir_user TEXT NOT NULL,
		failed_logins INTEGER NOT NULL DEFAULT 0,
		locked_until INTEGER NOT NULL DEFAULT 0,
		created_at INTEGER NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS auth_access (
		username TEXT NOT NULL REFERENCES auth_users(username),
		patient_id TEXT NOT NULL,
		relation TEXT NOT NULL,
		fhir_user TEXT NOT NULL DEFAULT '', -- '' = the user's own fhirUser
		PRIMARY KEY (username, patient_id))`,
	`CREATE TABLE IF NOT EXISTS auth_activation_codes (
		code_hash TEXT PRIMARY KEY,
		patient_id TEXT NOT NULL,
		expires_at INTEGER NOT NULL,
		failed_attempts INTEGER NOT NULL DEFAULT 0,
		used_at INTEGER)`,
	`CREATE TABLE IF NOT EXISTS auth_sessions (
		id_hash TEXT PRIMARY KEY,
		csrf TEXT NOT NULL,
		request TEXT NOT NULL DEFAULT '',
		username TEXT NOT NULL DEFAULT '',
		patient_id TEXT NOT NULL DEFAULT '',
		enroll_code_hash TEXT NOT NULL DEFAULT '',
		expires_at INTEGER NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS auth_codes (
		code_hash TEXT PRIMARY KEY,
		client_id TEXT NOT NULL,
		redirect_uri TEXT NOT NULL,
		challenge TEXT NOT NULL,
		username TEXT NOT NULL,
		patient_id TEXT NOT NULL,
		scope TEXT NOT NULL,
		expires_at INTEGER NOT NULL,
		used_at INTEGER,
		family_id TEXT NOT NULL DEFAULT '')`,
	`CREATE TABLE IF NOT EXISTS auth_families (
		id TEXT PRIMARY KEY,
		client_id TEXT NOT NULL,
		username TEXT NOT NULL,
		patient_id TEXT NOT NULL,
		scope TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		revoked_at INTEGER)`,
	`CREATE INDEX IF NOT EXISTS auth_families_user ON auth_families(username, patient_id)`,
	`CREATE TABLE IF NOT EXISTS auth_tokens (
		token_hash TEXT PRIMARY KEY,
		kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
		family_id TEXT NOT NULL REFERENCES auth_families(id),
		scope TEXT NOT NULL,
		expires_at INTEGER NOT NULL,
		used_at INTEGER,
		revoked_at INTEGER)`,
	`CREATE INDEX IF NOT EXISTS auth_tokens_family ON auth_tokens(family_id)`,
	`CREATE TABLE IF NOT EXISTS auth_keys (
		id TEXT PRIMARY KEY,
		pkcs8 BLOB NOT NULL,
		created_at INTEGER NOT NULL)`,
}

func (s *Server) migrate(ctx context.Context) error {
	for _, stmt := range schema {
		if _, err := s.db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("create auth tables: %w", err)
		}
	}
	return nil
}

// now returns the server's current time.
func (s *Server) now() time.Time { return s.cfg.Now() }

// RegisterClient registers (or replaces) a public client that may only use
// exactly the given redirect URIs.
func (s *Server) RegisterClient(clientID string, redirectURIs []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[clientID] = append([]string(nil), redirectURIs...)
}

// validRedirect reports whether redirectURI is registered for clientID.
func (s *Server) validRedirect(clientID, redirectURI string) bool {
	if clientID == CarebookClientID {
		s.mu.Lock()
		_, replaced := s.clients[clientID]
		s.mu.Unlock()
		if !replaced {
			return isLoopbackRedirect(redirectURI)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.clients[clientID] {
		if u == redirectURI {
			return true
		}
	}
	return false
}

// knownClient reports whether clientID may use this server.
func (s *Server) knownClient(clientID string) bool {
	if clientID == CarebookClientID {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.clients[clientID]
	return ok
}

// isLoopbackRedirect accepts http redirect URIs on a loopback host with any
// port (RFC 8252 §7.3), without user info or fragment.
func isLoopbackRedirect(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return false
	}
	switch u.Hostname() {
	case "127.0.0.1", "localhost", "::1":
		return true
	}
	return false
}

// Handler returns the handler of the pages and endpoints under /auth/.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /auth/authorize", s.handleAuthorize)
	mux.HandleFunc("POST /auth/authorize", s.handleAuthorize) // "authorize-post" capability
	mux.HandleFunc("GET /auth/login", s.handleLoginPage)
	mux.HandleFunc("POST /auth/login", s.handleLogin)
	mux.HandleFunc("GET /auth/picker", s.handlePickerPage)
	mux.HandleFunc("POST /auth/picker", s.handlePicker)
	mux.HandleFunc("GET /auth/consent", s.handleConsentPage)
	mux.HandleFunc("POST /auth/consent", s.handleConsent)
	mux.HandleFunc("GET /auth/enroll", s.handleEnrollPage)
	mux.HandleFunc("POST /auth/enroll", s.handleEnroll)
	mux.HandleFunc("GET /auth/enroll/account", s.handleAccountPage)
	mux.HandleFunc("POST /auth/enroll/account", s.handleAccount)
	mux.HandleFunc("GET /auth/terms", s.handleTerms)
	mux.HandleFunc("POST /auth/token", s.handleToken)
	mux.HandleFunc("POST /auth/revoke", s.handleRevoke)
	mux.HandleFunc("GET /auth/jwks", s.handleJWKS)
	return securityHeaders(mux)
}

// securityHeaders adds headers every /auth/ response carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Pragma", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		// No form-action: Chromium applies it to the redirect to the
		// client's loopback redirect_uri after the consent form.
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
		next.ServeHTTP(w, r)
	})
}

// Configuration returns the SMART configuration document served at
// {FHIRBase}/.well-known/smart-configuration.
func (s *Server) Configuration() map[string]any {
	base := strings.TrimSuffix(s.cfg.Issuer, "/")
	return map[string]any{
		"issuer":                                base,
		"jwks_uri":                              base + "/auth/jwks",
		"authorization_endpoint":                base + "/auth/authorize",
		"token_endpoint":                        base + "/auth/token",
		"revocation_endpoint":                   base + "/auth/revoke",
		"token_endpoint_auth_methods_supported": []string{"none"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token"},
		"response_types_supported":              []string{"code"},
		"code_challenge_methods_supported":      []string{"S256"},
		"scopes_supported":                      supportedScopes(),
		// An app may send a patient with an activation code straight to
		// enrollment (OpenID Connect prompt=create), and show the terms.
		"prompt_values_supported": []string{"create"},
		"op_tos_uri":              base + "/auth/terms",
		"capabilities": []string{
			"launch-standalone",
			"client-public",
			"context-standalone-patient",
			"permission-patient",
			"permission-offline",
			"permission-v2",
			"permission-v1",
			"sso-openid-connect",
			"authorize-post",
		},
	}
}

// randomToken returns a fresh unguessable token (256 bits, base64url).
func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("smart: crypto/rand failed: %v", err)) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is how every secret token is stored: its SHA-256 in hex.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
