package fhirserver

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/carebook/carebook/practice/access"
	"github.com/carebook/carebook/practice/store"
)

// requiredElements are the elements the server needs to index and
// authorize a resource; a write without them is answered 422.
var requiredElements = map[string][]string{
	"AllergyIntolerance": {"patient"},
	"Appointment":        {"status", "participant"},
	"CarePlan":           {"status", "intent", "subject"},
	"Communication":      {"status"},
	"Condition":          {"subject"},
	"Coverage":           {"status", "beneficiary", "payor"},
	"DiagnosticReport":   {"status", "code"},
	"DocumentReference":  {"status", "content"},
	"Encounter":          {"status", "class"},
	"Goal":               {"lifecycleStatus", "description", "subject"},
	"Immunization":       {"status", "vaccineCode", "patient"},
	"MedicationRequest":  {"status", "intent", "subject"},
	"Observation":        {"status", "code"},
	"Procedure":          {"status", "subject"},
	"RelatedPerson":      {"patient"},
	"Schedule":           {"actor"},
	"Slot":               {"schedule", "status", "start", "end"},
	"Task":               {"status", "intent"},
}

// checkRequired refuses a resource missing an element the server relies on.
func checkRequired(typ string, m map[string]any) error {
	for _, el := range requiredElements[typ] {
		v, ok := m[el]
		if !ok || v == nil || v == "" {
			return outcomeErr(http.StatusUnprocessableEntity, "required", "%s.%s is required", typ, el)
		}
		if list, isList := v.([]any); isList && len(list) == 0 {
			return outcomeErr(http.StatusUnprocessableEntity, "required", "%s.%s is required", typ, el)
		}
	}
	return nil
}

// walkReferences calls fn for every Reference.reference string in v
// (contained resources excepted).
func walkReferences(v any, fn func(ref string)) {
	switch x := v.(type) {
	case map[string]any:
		if r, ok := x["reference"].(string); ok {
			fn(r)
		}
		for k, child := range x {
			if k != "contained" {
				walkReferences(child, fn)
			}
		}
	case []any:
		for _, child := range x {
			walkReferences(child, fn)
		}
	}
}

// writeCheck is one write to check: the server's own rules, then the hook.
type writeCheck struct {
	method  string
	typ, id string
	m       map[string]any  // the new resource; nil for DELETE
	old     *store.Resource // the current version, nil if none
	base    string          // this server's FHIR base URL
	pending map[string]bool // "Type/id" written by the same transaction
	grant   access.Grant
	patient string // the grant's confinement, "" = none
}

// check runs the server's checks on a write inside tx, then the hook, and
// returns what to write: body (c.m encoded, nil for a DELETE), or the
// hook's adjusted version of it (see WriteAdjuster).
func (s *Server) check(ctx context.Context, tx *store.Tx, c writeCheck, body []byte) ([]byte, error) {
	if c.m != nil {
		if err := checkRequired(c.typ, c.m); err != nil {
			return nil, err
		}
		targets, err := referenceTargets(c)
		if err != nil {
			return nil, err
		}
		if c.patient != "" {
			if err := checkOwnRecord(c); err != nil {
				return nil, err
			}
		}
		if err := checkTargetsExist(ctx, tx, c, targets); err != nil {
			return nil, err
		}
	}
	if s.cfg.Hook == nil {
		return body, nil
	}
	w := Write{Method: c.method, Type: c.typ, ID: c.id, Old: c.old, New: body, Grant: c.grant}
	if err := s.cfg.Hook.BeforeWrite(ctx, tx, w); err != nil {
		return nil, err
	}
	adj, ok := s.cfg.Hook.(WriteAdjuster)
	if !ok || body == nil {
		return body, nil
	}
	changed, err := adj.AdjustWrite(ctx, tx, w)
	if err != nil || changed == nil {
		return body, err
	}
	// What the practice added must still be a resource of the same type
	// and id: only its content may change.
	m, err := store.DecodeResource(changed, c.typ)
	if err != nil {
		return nil, err
	}
	m["id"] = c.id
	return store.EncodeResource(m)
}

// checkOwnRecord keeps a patient-confined write inside the patient's own
// record: no shared practice data, no other patient's compartment, no
// reference to another patient.
func checkOwnRecord(c writeCheck) error {
	if store.SharedType(c.typ) {
		return outcomeErr(http.StatusForbidden, "forbidden", "%s resources are maintained by the practice", c.typ)
	}
	if c.typ == "Patient" && c.id != c.patient {
		return outcomeErr(http.StatusForbidden, "forbidden", "A patient's token may only change its own Patient resource")
	}
	comp := store.Compartment(c.typ, c.id, c.m)
	if len(comp) == 0 {
		return outcomeErr(http.StatusForbidden, "forbidden", "The %s must refer to your patient (subject, patient or for)", c.typ)
	}
	for _, p := range comp {
		if p != c.patient {
			return outcomeErr(http.StatusForbidden, "forbidden", "The %s refers to another patient", c.typ)
		}
	}
	var other bool
	walkReferences(c.m, func(ref string) {
		if t, id, ok := store.SplitReference(ref); ok && t == "Patient" && id != c.patient {
			other = true
		}
	})
	if other {
		return outcomeErr(http.StatusForbidden, "forbidden", "The %s refers to another patient", c.typ)
	}
	return nil
}

// referenceTargets returns the local resources ("Type/id") the resource
// refers to, refusing malformed and unresolved references (422).
func referenceTargets(c writeCheck) ([][2]string, error) {
	var refs []string
	walkReferences(c.m, func(ref string) { refs = append(refs, ref) })
	slices.Sort(refs)
	refs = slices.Compact(refs)
	var out [][2]string
	for _, ref := range refs {
		target := ref
		switch {
		case strings.HasPrefix(ref, "#"):
			continue // a contained resource
		case strings.HasPrefix(ref, c.base+"/"):
			target = strings.TrimPrefix(ref, c.base+"/")
		case strings.HasPrefix(ref, "http://") || strings.HasPrefix(ref, "https://"):
			continue // another server's resource: not ours to check
		case strings.HasPrefix(ref, "urn:"):
			return nil, outcomeErr(http.StatusUnprocessableEntity, "invalid", "A %s reference is not resolved (urn references only work inside a transaction Bundle)", c.typ)
		}
		typ, id, ok := store.SplitReference(target)
		if !ok || strings.Contains(target, "://") {
			return nil, outcomeErr(http.StatusUnprocessableEntity, "invalid", "The %s has a malformed reference (expected Type/id)", c.typ)
		}
		out = append(out, [2]string{typ, id})
	}
	return out, nil
}

// checkTargetsExist refuses references to resources that do not exist or
// that the grant may not see (both 422 with the same message, so ids do not
// leak).
func checkTargetsExist(ctx context.Context, tx *store.Tx, c writeCheck, targets [][2]string) error {
	for _, t := range targets {
		typ, id := t[0], t[1]
		if c.pending[typ+"/"+id] || (typ == c.typ && id == c.id) {
			continue
		}
		_, err := tx.Read(ctx, typ, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrGone) {
			return err
		}
		visible := err == nil
		if visible {
			if visible, err = visibleIn(ctx, tx, c.grant, typ, id); err != nil {
				return err
			}
		}
		if !visible {
			return outcomeErr(http.StatusUnprocessableEntity, "invalid", "The %s refers to a %s that does not exist", c.typ, typ)
		}
	}
	return nil
}

// writeResult is what a write produced, for the reply.
type writeResult struct {
	res     store.Resource
	status  int // 200 or 201
	deleted bool
}

// doCreate creates m as typ/id (id already chosen), or for a conditional
// create (ifNoneExist) returns the one existing match.
func (s *Server) doCreate(ctx context.Context, tx *store.Tx, c writeCheck, ifNoneExist string) (writeResult, error) {
	if ifNoneExist != "" {
		restrict := c.patient
		if store.SharedType(c.typ) {
			restrict = ""
		}
		existing, err := tx.FindOne(ctx, c.typ, ifNoneExist, restrict)
		if err == nil {
			return writeResult{res: existing, status: http.StatusOK}, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return writeResult{}, err
		}
	}
	c.method, c.old = "POST", nil
	c.m["id"] = c.id
	body, err := store.EncodeResource(c.m)
	if err != nil {
		return writeResult{}, err
	}
	body, err = s.check(ctx, tx, c, body)
	if err != nil {
		return writeResult{}, err
	}
	res, err := tx.Put(ctx, c.typ, c.id, body)
	if err != nil {
		return writeResult{}, err
	}
	return writeResult{res: res, status: http.StatusCreated}, nil
}

// doUpdate updates (or creates) typ/id with m, checking ifMatch.
func (s *Server) doUpdate(ctx context.Context, tx *store.Tx, c writeCheck, ifMatch string) (writeResult, error) {
	old, err := tx.Read(ctx, c.typ, c.id)
	exists := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrGone) {
		return writeResult{}, err
	}
	if exists || errors.Is(err, store.ErrGone) {
		ok, err := visibleIn(ctx, tx, c.grant, c.typ, c.id)
		if err != nil {
			return writeResult{}, err
		}
		if !ok {
			return writeResult{}, notFound()
		}
	}
	if !exists {
		if ifMatch != "" {
			return writeResult{}, notFound()
		}
		if err := checkAllowed(c.grant, c.typ, access.Create); err != nil {
			return writeResult{}, err
		}
		if c.patient != "" && c.typ != "Patient" {
			return writeResult{}, outcomeErr(http.StatusForbidden, "forbidden", "Create new resources with POST; the server chooses their id")
		}
	}
	if exists && ifMatch != "" && ifMatch != old.VersionID {
		return writeResult{}, outcomeErr(http.StatusPreconditionFailed, "conflict", "The resource was changed since version %s (now %s)", truncate(ifMatch), old.VersionID)
	}
	c.method = "PUT"
	if exists {
		c.old = &old
	}
	body, err := store.EncodeResource(c.m)
	if err != nil {
		return writeResult{}, err
	}
	body, err = s.check(ctx, tx, c, body)
	if err != nil {
		return writeResult{}, err
	}
	res, err := tx.Put(ctx, c.typ, c.id, body)
	if err != nil {
		return writeResult{}, err
	}
	status := http.StatusOK
	if !exists {
		status = http.StatusCreated
	}
	return writeResult{res: res, status: status}, nil
}

// doDelete deletes typ/id. Deleting a deleted resource succeeds and does
// nothing; a resource that never existed (or is not visible) is 404 unless
// missingOK.
func (s *Server) doDelete(ctx context.Context, tx *store.Tx, c writeCheck, missingOK bool) (writeResult, error) {
	old, err := tx.Read(ctx, c.typ, c.id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if missingOK {
			return writeResult{status: http.StatusNoContent, deleted: true}, nil
		}
		return writeResult{}, notFound()
	case err != nil && !errors.Is(err, store.ErrGone):
		return writeResult{}, err
	}
	ok, verr := visibleIn(ctx, tx, c.grant, c.typ, c.id)
	if verr != nil {
		return writeResult{}, verr
	}
	if !ok {
		if missingOK {
			return writeResult{status: http.StatusNoContent, deleted: true}, nil
		}
		return writeResult{}, notFound()
	}
	if errors.Is(err, store.ErrGone) {
		return writeResult{status: http.StatusNoContent, deleted: true}, nil
	}
	c.method, c.m, c.old = "DELETE", nil, &old
	if _, err := s.check(ctx, tx, c, nil); err != nil {
		return writeResult{}, err
	}
	if err := tx.Delete(ctx, c.typ, c.id); err != nil {
		return writeResult{}, err
	}
	return writeResult{status: http.StatusNoContent, deleted: true}, nil
}

// parseIfMatch reads an If-Match header: W/"3" or "3".
func parseIfMatch(h string) (string, error) {
	if h == "" {
		return "", nil
	}
	v := strings.TrimPrefix(strings.TrimSpace(h), "W/")
	v = strings.Trim(v, `"`)
	if v == "" || strings.ContainsAny(v, `", `) {
		return "", outcomeErr(http.StatusBadRequest, "invalid", `If-Match must be a version ETag such as W/"3"`)
	}
	return v, nil
}

func (s *Server) newCheck(r *http.Request, g access.Grant, typ, id string, m map[string]any) (writeCheck, error) {
	patient, err := confinedTo(g)
	if err != nil {
		return writeCheck{}, err
	}
	return writeCheck{typ: typ, id: id, m: m, base: baseURL(r), grant: g, patient: patient}, nil
}

// create serves POST [type].
func (s *Server) create(w http.ResponseWriter, r *http.Request, g access.Grant, typ string) {
	if err := checkAllowed(g, typ, access.Create); err != nil {
		s.writeError(w, err)
		return
	}
	body, err := readBody(r)
	if err != nil {
		s.writeError(w, err)
		return
	}
	m, err := store.DecodeResource(body, typ)
	if err != nil {
		s.writeError(w, err)
		return
	}
	c, err := s.newCheck(r, g, typ, store.NewID(), m)
	if err != nil {
		s.writeError(w, err)
		return
	}
	var res writeResult
	err = s.st.InTx(r.Context(), func(tx *store.Tx) (err error) {
		res, err = s.doCreate(r.Context(), tx, c, r.Header.Get("If-None-Exist"))
		return err
	})
	if err != nil {
		s.writeError(w, err)
		return
	}
	s.writeWriteResult(w, r, res)
}

// update serves PUT [type]/[id].
func (s *Server) update(w http.ResponseWriter, r *http.Request, g access.Grant, typ, id string) {
	if err := checkAllowed(g, typ, access.Update); err != nil {
		s.writeError(w, err)
		return
	}
	ifMatch, err := parseIfMatch(r.Header.Get("If-Match"))
	if err != nil {
		s.writeError(w, err)
		return
	}
	body, err := readBody(r)
	if err != nil {
		s.writeError(w, err)
		return
	}
	m, err := store.DecodeResource(body, typ)
	if err != nil {
		s.writeError(w, err)
		return
	}
	switch m["id"] {
	case nil:
		s.writeError(w, outcomeErr(http.StatusBadRequest, "required", "The resource must carry its id for an update"))
		return
	case id:
	default:
		s.writeError(w, outcomeErr(http.StatusBadRequest, "invalid", "The resource id does not match the id in the URL"))
		return
	}
	c, err := s.newCheck(r, g, typ, id, m)
	if err != nil {
		s.writeError(w, err)
		return
	}
	var res writeResult
	err = s.st.InTx(r.Context(), func(tx *store.Tx) (err error) {
		res, err = s.doUpdate(r.Context(), tx, c, ifMatch)
		return err
	})
	if err != nil {
		s.writeError(w, err)
		return
	}
	s.writeWriteResult(w, r, res)
}

// delete serves DELETE [type]/[id].
func (s *Server) delete(w http.ResponseWriter, r *http.Request, g access.Grant, typ, id string) {
	if err := checkAllowed(g, typ, access.Delete); err != nil {
		s.writeError(w, err)
		return
	}
	c, err := s.newCheck(r, g, typ, id, nil)
	if err != nil {
		s.writeError(w, err)
		return
	}
	err = s.st.InTx(r.Context(), func(tx *store.Tx) error {
		_, err := s.doDelete(r.Context(), tx, c, false)
		return err
	})
	if err != nil {
		s.writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// writeWriteResult answers a create or update: Location, ETag,
// Last-Modified, and the resource unless "Prefer: return=minimal".
func (s *Server) writeWriteResult(w http.ResponseWriter, r *http.Request, res writeResult) {
	loc := baseURL(r) + "/" + res.res.Type + "/" + res.res.ID + "/_history/" + res.res.VersionID
	w.Header().Set("Location", loc)
	if res.status == http.StatusCreated {
		w.Header().Set("Content-Location", loc)
	}
	setVersionHeaders(w, res.res)
	if strings.Contains(r.Header.Get("Prefer"), "return=minimal") {
		w.WriteHeader(res.status)
		return
	}
	writeBody(w, res.status, res.res.JSON)
}
