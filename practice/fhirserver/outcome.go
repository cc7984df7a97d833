package fhirserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/carebook/carebook/practice/store"
)

// OperationOutcomeError is an error the API answers with an HTTP status and
// an OperationOutcome. A WriteHook returns one to refuse a write. Message is
// shown to the user and must not contain patient data.
type OperationOutcomeError struct {
	Status  int    // HTTP status, e.g. 409
	Code    string // FHIR issue type code, e.g. "conflict", "business-rule"
	Message string // human-readable diagnostics
}

// Error returns the status, code and message.
func (e *OperationOutcomeError) Error() string {
	return fmt.Sprintf("fhir: %d %s: %s", e.Status, e.Code, e.Message)
}

func outcomeErr(status int, code, format string, args ...any) *OperationOutcomeError {
	return &OperationOutcomeError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// operationOutcome builds the OperationOutcome resource for e.
func operationOutcome(severity, code, message string) map[string]any {
	return map[string]any{
		"resourceType": "OperationOutcome",
		"issue": []any{map[string]any{
			"severity":    severity,
			"code":        code,
			"diagnostics": message,
		}},
	}
}

// asOutcome turns any error into the *OperationOutcomeError to answer with:
// store errors map to their FHIR statuses, anything unknown to a 500 whose
// message says nothing about the cause (it is logged instead).
func (s *Server) asOutcome(err error) *OperationOutcomeError {
	var oe *OperationOutcomeError
	var ee *store.EntryError
	prefix := ""
	if errors.As(err, &ee) {
		prefix = fmt.Sprintf("Bundle entry %d: ", ee.Index)
		if errors.As(ee.Err, &oe) {
			return &OperationOutcomeError{Status: oe.Status, Code: oe.Code, Message: prefix + oe.Message}
		}
		err = ee.Err // the prefix says which entry
	}
	if errors.As(err, &oe) {
		return oe
	}
	switch {
	case errors.Is(err, store.ErrInvalid):
		return outcomeErr(http.StatusBadRequest, "invalid", "%s%s", prefix, invalidText(err))
	case errors.Is(err, store.ErrNotFound):
		return outcomeErr(http.StatusNotFound, "not-found", "%sResource not found", prefix)
	case errors.Is(err, store.ErrGone):
		return outcomeErr(http.StatusGone, "deleted", "%sResource deleted", prefix)
	case errors.Is(err, store.ErrVersionConflict):
		return outcomeErr(http.StatusPreconditionFailed, "conflict", "%sThe resource was changed since the version given in If-Match", prefix)
	case errors.Is(err, store.ErrPreconditionFailed):
		return outcomeErr(http.StatusPreconditionFailed, "multiple-matches", "%sThe condition matched more than one resource", prefix)
	}
	s.logf("fhirserver: internal error: %v", err)
	return outcomeErr(http.StatusInternalServerError, "exception", "Internal server error")
}

// invalidText is the store's explanation of an ErrInvalid error. The store
// writes these messages about structure only (types, ids, parameter names),
// never resource contents.
func invalidText(err error) string {
	return strings.Replace(err.Error(), "store: invalid: ", "", 1)
}

// writeError answers err as an OperationOutcome.
func (s *Server) writeError(w http.ResponseWriter, err error) {
	oe := s.asOutcome(err)
	severity := "error"
	if oe.Status >= 500 {
		severity = "fatal"
	}
	writeJSON(w, oe.Status, operationOutcome(severity, oe.Code, oe.Message))
}

// writeJSON answers v as FHIR JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var body []byte
	var err error
	if m, ok := v.(map[string]any); ok {
		body, err = store.EncodeResource(m)
	} else {
		body, err = json.Marshal(v)
	}
	if err != nil {
		http.Error(w, "encoding failed", http.StatusInternalServerError)
		return
	}
	writeBody(w, status, body)
}

func writeBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/fhir+json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(body)
}
