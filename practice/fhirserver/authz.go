package fhirserver

import (
	"context"
	"net/http"
	"slices"

	"github.com/carebook/carebook/practice/access"
	"github.com/carebook/carebook/practice/store"
)

// confinedTo returns the patient whose compartment the grant is confined to,
// or "" for a user- or system-level grant with no patient. A grant with
// patient scopes but no patient is refused.
func confinedTo(g access.Grant) (string, error) {
	if g.PatientID != "" {
		return g.PatientID, nil
	}
	for _, sc := range g.Scopes {
		if sc.Context == "patient" {
			return "", outcomeErr(http.StatusForbidden, "forbidden", "The access token has patient scopes but no patient")
		}
	}
	return "", nil
}

// checkAllowed refuses (403) an interaction the grant's scopes do not allow.
func checkAllowed(g access.Grant, typ string, interaction rune) error {
	if !g.Allows(typ, interaction) {
		if g.AllowedTypes != nil && !slices.Contains(g.AllowedTypes, typ) && g.LimitReason != "" {
			return outcomeErr(http.StatusForbidden, "forbidden", "%s", g.LimitReason)
		}
		return outcomeErr(http.StatusForbidden, "forbidden", "The access token does not allow %s on %s", interactionName(interaction), typ)
	}
	return nil
}

func interactionName(r rune) string {
	switch r {
	case access.Create:
		return "create"
	case access.Read:
		return "read"
	case access.Update:
		return "update"
	case access.Delete:
		return "delete"
	}
	return "search"
}

// allowedTypes returns the resource types the grant may read, or nil when it
// may read them all.
func allowedTypes(g access.Grant) []string {
	var out []string
	all := true
	for _, t := range store.ResourceTypes() {
		if g.Allows(t, access.Read) {
			out = append(out, t)
		} else {
			all = false
		}
	}
	if all {
		return nil
	}
	if out == nil {
		out = []string{} // nothing: callers must not read "all"
	}
	return out
}

// visible reports whether the grant may see resource typ/id: shared
// practice resources always, others when the grant is not confined or the
// resource (its current version, deleted or not) is in the patient's
// compartment.
func (s *Server) visible(ctx context.Context, g access.Grant, typ, id string) (bool, error) {
	patient, err := confinedTo(g)
	if err != nil {
		return false, err
	}
	if patient == "" || store.SharedType(typ) {
		return true, nil
	}
	return s.st.InCompartment(ctx, typ, id, patient)
}

// visibleIn is visible inside a transaction.
func visibleIn(ctx context.Context, tx *store.Tx, g access.Grant, typ, id string) (bool, error) {
	patient, err := confinedTo(g)
	if err != nil {
		return false, err
	}
	if patient == "" || store.SharedType(typ) {
		return true, nil
	}
	return tx.InCompartment(ctx, typ, id, patient)
}

// versionVisible checks a particular version's own compartment too, so an
// old version that belonged to someone else is not shown.
func versionVisible(g access.Grant, r store.Resource) bool {
	if g.PatientID == "" || store.SharedType(r.Type) || r.JSON == nil {
		return true
	}
	m, err := store.DecodeResource(r.JSON, r.Type)
	if err != nil {
		return false
	}
	return slices.Contains(store.Compartment(r.Type, r.ID, m), g.PatientID)
}

func notFound() error {
	return outcomeErr(http.StatusNotFound, "not-found", "Resource not found")
}
