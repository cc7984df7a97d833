package fhirserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/carebook/carebook/practice/access"
	"github.com/carebook/carebook/practice/store"
)

// bundle serves POST [base] with a transaction or batch Bundle.
func (s *Server) bundle(w http.ResponseWriter, r *http.Request, g access.Grant) {
	body, err := readBody(r)
	if err != nil {
		s.writeError(w, err)
		return
	}
	b, err := store.ParseBundle(body)
	if err != nil {
		s.writeError(w, err)
		return
	}
	patient, err := confinedTo(g)
	if err != nil {
		s.writeError(w, err)
		return
	}
	minimal := strings.Contains(r.Header.Get("Prefer"), "return=minimal")
	switch b.Type {
	case "transaction":
		s.transaction(w, r, g, patient, b.Entries, minimal)
	case "batch":
		s.batch(w, r, g, patient, b.Entries, minimal)
	default:
		s.writeError(w, outcomeErr(http.StatusBadRequest, "invalid", "POST to the base needs a transaction or batch Bundle"))
	}
}

// entryInteraction is the scope letter an entry's method needs.
func entryInteraction(method string) rune {
	switch method {
	case "POST":
		return access.Create
	case "PUT":
		return access.Update
	case "DELETE":
		return access.Delete
	}
	return access.Read
}

// transaction applies all entries in one store transaction: all or nothing.
func (s *Server) transaction(w http.ResponseWriter, r *http.Request, g access.Grant, patient string, entries []store.Entry, minimal bool) {
	for _, e := range entries {
		if err := checkAllowed(g, e.Type, entryInteraction(e.Method)); err != nil {
			s.writeError(w, &store.EntryError{Index: e.Index, Err: err})
			return
		}
	}
	base := baseURL(r)
	results := make([]map[string]any, len(entries))
	err := s.st.InTx(r.Context(), func(tx *store.Tx) error {
		if err := tx.ResolveConditional(r.Context(), entries, patient); err != nil {
			return err
		}
		store.ResolveReferences(entries)
		pending := map[string]bool{}
		for _, e := range entries {
			if e.Method == "POST" || e.Method == "PUT" {
				pending[e.Type+"/"+e.ID] = true
			}
		}
		for _, e := range store.TransactionOrder(entries) {
			res, err := s.applyEntry(r.Context(), tx, g, patient, base, e, pending)
			if err != nil {
				return &store.EntryError{Index: e.Index, Err: err}
			}
			results[e.Index] = s.responseEntry(base, e, res, minimal)
		}
		return nil
	})
	if err != nil {
		s.writeError(w, err)
		return
	}
	b := newBundle("transaction-response", s.st.SafeTime(), -1, "", "")
	delete(b.m, "link")
	for _, e := range results {
		b.addEntry(e)
	}
	writeJSON(w, http.StatusOK, b.m)
}

// batch applies each entry on its own; a failed entry gets its
// OperationOutcome in the response and the others go ahead.
func (s *Server) batch(w http.ResponseWriter, r *http.Request, g access.Grant, patient string, entries []store.Entry, minimal bool) {
	base := baseURL(r)
	store.ResolveReferences(entries)
	b := newBundle("batch-response", s.st.SafeTime(), -1, "", "")
	delete(b.m, "link")
	for _, e := range entries {
		var entry map[string]any
		err := checkAllowed(g, e.Type, entryInteraction(e.Method))
		if err == nil {
			err = s.st.InTx(r.Context(), func(tx *store.Tx) error {
				one := []store.Entry{e}
				if err := tx.ResolveConditional(r.Context(), one, patient); err != nil {
					return err
				}
				if one[0].Existing != nil {
					one[0].ID = one[0].Existing.ID
				}
				res, err := s.applyEntry(r.Context(), tx, g, patient, base, one[0], nil)
				if err != nil {
					return err
				}
				entry = s.responseEntry(base, one[0], res, minimal)
				return nil
			})
		}
		if err != nil {
			oe := s.asOutcome(err)
			entry = map[string]any{"response": map[string]any{
				"status":  strconv.Itoa(oe.Status) + " " + http.StatusText(oe.Status),
				"outcome": operationOutcome("error", oe.Code, oe.Message),
			}}
		}
		b.addEntry(entry)
	}
	writeJSON(w, http.StatusOK, b.m)
}

// applyEntry runs one resolved bundle entry inside tx.
func (s *Server) applyEntry(ctx context.Context, tx *store.Tx, g access.Grant, patient, base string, e store.Entry, pending map[string]bool) (writeResult, error) {
	c := writeCheck{typ: e.Type, id: e.ID, m: e.Resource, base: base, pending: pending, grant: g, patient: patient}
	switch e.Method {
	case "POST":
		if e.Existing != nil {
			return writeResult{res: *e.Existing, status: http.StatusOK}, nil
		}
		return s.doCreate(ctx, tx, c, "")
	case "PUT":
		ifMatch, err := parseIfMatch(e.IfMatch)
		if err != nil {
			return writeResult{}, err
		}
		return s.doUpdate(ctx, tx, c, ifMatch)
	case "DELETE":
		return s.doDelete(ctx, tx, c, true)
	case "GET":
		if e.ID == "" || len(e.Query) > 0 {
			return writeResult{}, outcomeErr(http.StatusBadRequest, "not-supported", "Only reads (GET Type/id) are supported inside a Bundle")
		}
		ok, err := visibleIn(ctx, tx, g, e.Type, e.ID)
		if err != nil {
			return writeResult{}, err
		}
		if !ok {
			return writeResult{}, notFound()
		}
		res, err := tx.Read(ctx, e.Type, e.ID)
		if err != nil {
			return writeResult{}, err
		}
		return writeResult{res: res, status: http.StatusOK}, nil
	}
	return writeResult{}, fmt.Errorf("%w: unsupported method", store.ErrInvalid)
}

// responseEntry is the response Bundle entry for one applied entry.
func (s *Server) responseEntry(base string, e store.Entry, res writeResult, minimal bool) map[string]any {
	if res.deleted {
		return map[string]any{"response": map[string]any{"status": "204 No Content"}}
	}
	resp := map[string]any{
		"status":       strconv.Itoa(res.status) + " " + http.StatusText(res.status),
		"etag":         `W/"` + res.res.VersionID + `"`,
		"lastModified": store.FormatInstant(res.res.LastUpdated),
	}
	if e.Method != "GET" {
		resp["location"] = res.res.Type + "/" + res.res.ID + "/_history/" + res.res.VersionID
	}
	entry := map[string]any{
		"fullUrl":  base + "/" + res.res.Type + "/" + res.res.ID,
		"response": resp,
	}
	if !minimal || e.Method == "GET" {
		entry["resource"] = json.RawMessage(res.res.JSON)
	}
	return entry
}
