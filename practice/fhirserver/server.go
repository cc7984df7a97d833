package fhirserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/carebook/carebook/practice/access"
	"github.com/carebook/carebook/practice/audit"
	"github.com/carebook/carebook/practice/store"
)

// DefaultMaxBodyBytes caps request bodies when Config.MaxBodyBytes is 0.
const DefaultMaxBodyBytes = 16 << 20

// WriteHook is the practice's policy on writes. The server calls it inside
// the write transaction, after its own checks and before writing; an error
// aborts the write (an *OperationOutcomeError is answered as it is).
type WriteHook interface {
	BeforeWrite(ctx context.Context, tx *store.Tx, w Write) error
}

// WriteAdjuster is a WriteHook that also changes what a write stores, the
// way a practice system fills in its own part of a patient's booking (a
// booking it approves by hand becomes "pending", a video visit gets its
// join link). AdjustWrite runs after BeforeWrite accepted w, inside the same
// transaction; it returns the resource to store instead of w.New, or nil to
// store w.New unchanged. The type and id cannot change.
type WriteAdjuster interface {
	AdjustWrite(ctx context.Context, tx *store.Tx, w Write) ([]byte, error)
}

// Write describes one write for a WriteHook.
type Write struct {
	Method   string          // "POST", "PUT" or "DELETE"
	Type, ID string          // the target (for a POST, the id it will get)
	Old      *store.Resource // the current version; nil if none (or deleted)
	New      []byte          // the resource to write; nil for DELETE
	Grant    access.Grant    // what the caller's token allows
}

// Config configures a Server.
type Config struct {
	Store    *store.Store
	Verifier access.Verifier
	// Hook, when not nil, is called for every write.
	Hook WriteHook
	// SMARTConfiguration, when not nil, returns the SMART configuration
	// document served at /fhir/.well-known/smart-configuration; its
	// endpoints also go into the CapabilityStatement.
	SMARTConfiguration func() map[string]any
	// Messages, when not nil, returns the practice's message policy, which
	// the CapabilityStatement publishes (see MessagePolicy).
	Messages func() MessagePolicy
	// Name is the server's name in the CapabilityStatement.
	Name string
	// PatientEditable, when not nil, lists the Patient elements a patient
	// may change, and PatientAsk who to ask for other changes; the
	// CapabilityStatement publishes both (see PatientEditableURL).
	PatientEditable []string
	PatientAsk      string
	// PaymentPage, when not empty, is the practice's page for paying a
	// bill online, published in the CapabilityStatement (PaymentPageURL).
	PaymentPage string
	// MaxBodyBytes caps request bodies (0 = DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// Audit, when not nil, records an AuditEvent for every request that
	// reaches a patient's chart and serves AuditEvent searches (see
	// AuditScope); nil means no audit log is kept or offered.
	Audit *audit.Log
	// Logf, when not nil, receives internal errors (never patient data).
	Logf func(format string, args ...any)
}

// Server is the FHIR REST API.
type Server struct {
	cfg Config
	st  *store.Store
}

// New returns a Server over cfg.Store that checks tokens with cfg.Verifier.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Verifier == nil {
		return nil, errors.New("fhirserver: Config.Store and Config.Verifier are required")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Name == "" {
		cfg.Name = "Carebook reference practice"
	}
	return &Server{cfg: cfg, st: cfg.Store}, nil
}

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Logf != nil {
		s.cfg.Logf(format, args...)
	}
}

// Handler returns the API's handler. It serves paths starting with /fhir/
// (mount it at "/fhir/" on a mux) and answers anything else with 404.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serve) }

type grantKey struct{}

// baseURL is the absolute FHIR base of this request, e.g.
// "http://127.0.0.1:8085/fhir": links in replies use the host the client
// used.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/fhir"
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, "/fhir")
	if !ok || (path != "" && path[0] != '/') {
		s.writeError(w, outcomeErr(http.StatusNotFound, "not-found", "Not a FHIR endpoint"))
		return
	}
	path = strings.Trim(path, "/")
	w.Header().Set("Cache-Control", "no-store")
	// Discovery needs no token.
	switch path {
	case "metadata":
		if !allow(w, r, http.MethodGet) {
			return
		}
		writeJSON(w, http.StatusOK, s.capabilityStatement(r))
		return
	case ".well-known/smart-configuration":
		if !allow(w, r, http.MethodGet) {
			return
		}
		if s.cfg.SMARTConfiguration == nil {
			s.writeError(w, outcomeErr(http.StatusNotFound, "not-found", "This server has no SMART configuration"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		writeJSONPlain(w, s.cfg.SMARTConfiguration())
		return
	}
	g, err := s.authenticate(r)
	if err != nil {
		if errors.Is(err, access.ErrInvalidToken) {
			realm := `Bearer realm="fhir"`
			if r.Header.Get("Authorization") != "" {
				realm += `, error="invalid_token", error_description="The access token is invalid or expired"`
			}
			w.Header().Set("WWW-Authenticate", realm)
			s.writeError(w, outcomeErr(http.StatusUnauthorized, "login", "A valid bearer access token is required"))
			return
		}
		s.writeError(w, err)
		return
	}
	ctx := context.WithValue(r.Context(), grantKey{}, g)
	r = r.WithContext(ctx)
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	}
	if parts := strings.Split(path, "/"); parts[0] == "AuditEvent" {
		s.auditEvents(w, r, g, parts)
		return
	}
	sw := &statusWriter{ResponseWriter: w}
	arrived := time.Now()
	s.route(sw, r, path, g)
	s.record(ctx, r, sw, path, g, arrived)
}

func writeJSONPlain(w http.ResponseWriter, v map[string]any) {
	body, err := store.EncodeResource(v)
	if err != nil {
		http.Error(w, "encoding failed", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// authenticate returns the Grant of the request's bearer token.
func (s *Server) authenticate(r *http.Request) (access.Grant, error) {
	h := r.Header.Get("Authorization")
	scheme, token, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return access.Grant{}, fmt.Errorf("no bearer token: %w", access.ErrInvalidToken)
	}
	g, err := s.cfg.Verifier.Verify(r.Context(), strings.TrimSpace(token))
	if err != nil {
		if errors.Is(err, access.ErrInvalidToken) {
			return access.Grant{}, err
		}
		return access.Grant{}, fmt.Errorf("verify token: %w", err)
	}
	return g, nil
}

// route dispatches an authenticated request by path and method.
func (s *Server) route(w http.ResponseWriter, r *http.Request, path string, g access.Grant) {
	parts := strings.Split(path, "/")
	if path == "" {
		if allow(w, r, http.MethodPost) {
			s.bundle(w, r, g)
		}
		return
	}
	if parts[0] == "_history" && len(parts) == 1 {
		if allow(w, r, http.MethodGet) {
			s.history(w, r, g, "", "")
		}
		return
	}
	typ := parts[0]
	if !store.IsResourceType(typ) {
		s.writeError(w, outcomeErr(http.StatusNotFound, "not-supported", "Unknown resource type"))
		return
	}
	switch {
	case len(parts) == 1:
		switch r.Method {
		case http.MethodGet:
			s.search(w, r, g, typ, r.URL.Query())
		case http.MethodPost:
			s.create(w, r, g, typ)
		default:
			methodNotAllowed(w, http.MethodGet, http.MethodPost)
		}
	case len(parts) == 2 && parts[1] == "_search":
		if allow(w, r, http.MethodPost) {
			s.postSearch(w, r, g, typ)
		}
	case len(parts) == 2 && parts[1] == "_history":
		if allow(w, r, http.MethodGet) {
			s.history(w, r, g, typ, "")
		}
	case len(parts) == 2:
		id := parts[1]
		if !store.ValidID(id) {
			s.writeError(w, outcomeErr(http.StatusNotFound, "not-found", "Resource not found"))
			return
		}
		switch r.Method {
		case http.MethodGet:
			s.read(w, r, g, typ, id, "")
		case http.MethodPut:
			s.update(w, r, g, typ, id)
		case http.MethodDelete:
			s.delete(w, r, g, typ, id)
		default:
			methodNotAllowed(w, http.MethodGet, http.MethodPut, http.MethodDelete)
		}
	case len(parts) == 3 && parts[2] == "_history":
		if allow(w, r, http.MethodGet) {
			s.history(w, r, g, typ, parts[1])
		}
	case len(parts) == 4 && parts[2] == "_history":
		if allow(w, r, http.MethodGet) {
			s.read(w, r, g, typ, parts[1], parts[3])
		}
	case len(parts) == 3 && typ == "Patient" && parts[2] == "$everything":
		if allow(w, r, http.MethodGet) {
			s.everything(w, r, g, parts[1])
		}
	default:
		s.writeError(w, outcomeErr(http.StatusNotFound, "not-supported", "Unknown FHIR endpoint"))
	}
}

func allow(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method || (method == http.MethodGet && r.Method == http.MethodHead) {
		return true
	}
	methodNotAllowed(w, method)
	return false
}

func methodNotAllowed(w http.ResponseWriter, methods ...string) {
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeJSON(w, http.StatusMethodNotAllowed, operationOutcome("error", "not-supported", "Method not allowed here"))
}

// readBody reads a request body within the size cap. Only JSON is
// accepted: an XML body is refused with 415.
func readBody(r *http.Request) ([]byte, error) {
	if strings.Contains(strings.ToLower(r.Header.Get("Content-Type")), "xml") {
		return nil, outcomeErr(http.StatusUnsupportedMediaType, "not-supported", "This server accepts FHIR JSON only (application/fhir+json)")
	}
	if r.Body == nil {
		return nil, outcomeErr(http.StatusBadRequest, "invalid", "Request body missing")
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, outcomeErr(http.StatusRequestEntityTooLarge, "too-costly", "Request body larger than %d bytes", mbe.Limit)
		}
		return nil, outcomeErr(http.StatusBadRequest, "invalid", "Could not read the request body")
	}
	if len(body) == 0 {
		return nil, outcomeErr(http.StatusBadRequest, "invalid", "Request body missing")
	}
	return body, nil
}
