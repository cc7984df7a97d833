package fhirserver

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/carebook/carebook/practice/access"
	"github.com/carebook/carebook/practice/audit"
	"github.com/carebook/carebook/practice/store"
)

// AuditScope is the scope a patient's app needs to read the AuditEvents
// about the record it was granted (patient/*.rs is not enough: the log is
// the practice's, shared only when asked for by name).
const AuditScope = "patient/AuditEvent.rs"

// statusWriter remembers the status of a reply.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// auditKind returns the subtype of a request on path and the "Type/id" it
// reaches ("" for a search); ok is false for requests that reach no chart.
func auditKind(r *http.Request, path string) (subtype, what string, ok bool) {
	parts := strings.Split(path, "/")
	switch {
	case path == "":
		return audit.Batch, "", r.Method == http.MethodPost
	case parts[0] == "_history":
		return audit.History, "", true
	case len(parts) == 1 && r.Method == http.MethodPost:
		return audit.Create, "", true
	case len(parts) == 1 || (len(parts) == 2 && parts[1] == "_search"):
		return audit.SearchType, "", true
	case len(parts) == 2 && parts[1] == "_history":
		return audit.History, "", true
	case len(parts) == 2:
		switch r.Method {
		case http.MethodPut:
			return audit.Update, parts[0] + "/" + parts[1], true
		case http.MethodDelete:
			return audit.Delete, parts[0] + "/" + parts[1], true
		}
		return audit.Read, parts[0] + "/" + parts[1], true
	case len(parts) == 3 && parts[2] == "$everything":
		return audit.Operation, "", true
	case len(parts) == 3:
		return audit.History, parts[0] + "/" + parts[1], true
	case len(parts) == 4:
		return audit.VRead, parts[0] + "/" + parts[1], true
	}
	return "", "", false
}

// record stores the AuditEvent of one request on a patient's chart (at
// most one per request), at the time the request arrived: it is recorded
// once the reply has gone, and by then the practice's staff may already
// have read (and logged reading) what the request wrote. A failure to
// record is logged, not answered: the reply has gone out already.
func (s *Server) record(ctx context.Context, r *http.Request, w *statusWriter, path string, g access.Grant, arrived time.Time) {
	if s.cfg.Audit == nil || g.PatientID == "" || g.FHIRUser == "" {
		return
	}
	subtype, what, ok := auditKind(r, path)
	if !ok {
		return
	}
	if subtype == audit.Create && w.status < 300 {
		// The new resource's id is in Location: base/Type/id/_history/v.
		if loc := w.Header().Get("Location"); loc != "" {
			rest := strings.Split(strings.TrimPrefix(loc, baseURL(r)+"/"), "/")
			if len(rest) >= 2 {
				what = rest[0] + "/" + rest[1]
			}
		}
	}
	err := s.cfg.Audit.Record(context.WithoutCancel(ctx), audit.Event{
		Time:     arrived,
		Subtype:  subtype,
		Outcome:  w.status,
		Who:      g.FHIRUser,
		ClientID: g.ClientID,
		Patient:  g.PatientID,
		What:     what,
	})
	if err != nil {
		s.logf("fhirserver: audit: %v", err)
	}
}

// auditEvents serves the AuditEvent endpoint: search only, for the record
// the token was granted, with AuditScope. It records nothing (looking at the
// log must not grow it).
func (s *Server) auditEvents(w http.ResponseWriter, r *http.Request, g access.Grant, parts []string) {
	if s.cfg.Audit == nil {
		s.writeError(w, outcomeErr(http.StatusNotFound, "not-supported", "This practice does not share its audit log"))
		return
	}
	var params url.Values
	switch {
	case len(parts) == 1 && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		params = r.URL.Query()
	case len(parts) == 2 && parts[1] == "_search" && r.Method == http.MethodPost:
		if err := r.ParseForm(); err != nil {
			s.writeError(w, outcomeErr(http.StatusBadRequest, "invalid", "Malformed form body"))
			return
		}
		params = r.Form
	default:
		s.writeError(w, outcomeErr(http.StatusMethodNotAllowed, "not-supported", "AuditEvent offers search only"))
		return
	}
	if !auditAllowed(g) {
		s.writeError(w, outcomeErr(http.StatusForbidden, "forbidden", "The access token does not allow reading the practice's audit log (scope %s)", AuditScope))
		return
	}
	patient := g.PatientID
	for k, vals := range params {
		switch k {
		case "patient", "entity":
			for _, v := range vals {
				id, ok := audit.PatientParam(v)
				if !ok {
					s.writeError(w, outcomeErr(http.StatusBadRequest, "invalid", "%s must name a Patient", k))
					return
				}
				if id != g.PatientID {
					s.writeError(w, outcomeErr(http.StatusForbidden, "forbidden", "You may only see who looked at the record you signed in for"))
					return
				}
			}
		case "_count", "_offset", "_format", "_pretty":
		default:
			s.writeError(w, outcomeErr(http.StatusBadRequest, "not-supported", "Unsupported AuditEvent search parameter %q", truncate(k)))
			return
		}
	}
	count, err := countParam(params.Get("_count"))
	if err != nil {
		s.writeError(w, err)
		return
	}
	if count == 0 {
		count = store.DefaultCount
	}
	offset, err := offsetParam(params.Get("_offset"))
	if err != nil {
		s.writeError(w, err)
		return
	}
	asOf := s.st.SafeTime()
	events, total, err := s.cfg.Audit.ForPatient(r.Context(), patient, count, offset)
	if err != nil {
		s.writeError(w, err)
		return
	}
	base := baseURL(r)
	q := url.Values{"patient": {"Patient/" + patient}, "_count": {strconv.Itoa(count)}}
	self := base + "/AuditEvent" + encodeQuery(cloneValues(q), offset)
	next := ""
	if offset+len(events) < total && len(events) > 0 {
		next = base + "/AuditEvent" + encodeQuery(cloneValues(q), offset+len(events))
	}
	b := newBundle("searchset", asOf, total, self, next)
	for _, ev := range events {
		id := ""
		if m, err := store.DecodeResource(ev, "AuditEvent"); err == nil {
			id, _ = m["id"].(string)
		}
		b.addEntry(map[string]any{"fullUrl": base + "/AuditEvent/" + id, "resource": ev, "search": map[string]any{"mode": "match"}})
	}
	writeJSON(w, http.StatusOK, b.m)
}

// auditAllowed: a grant for one patient with a scope naming AuditEvent
// (a wildcard is not enough) that allows search.
func auditAllowed(g access.Grant) bool {
	if g.PatientID == "" || !g.Allows("AuditEvent", access.Search) {
		return false
	}
	for _, sc := range g.Scopes {
		if sc.Context == "patient" && sc.ResourceType == "AuditEvent" && strings.ContainsRune(sc.Interactions, access.Search) {
			return true
		}
	}
	return false
}
