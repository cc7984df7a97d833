package access

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Interaction letters of SMART v2 scopes: create, read, update, delete, search.
const (
	Create = 'c'
	Read   = 'r'
	Update = 'u'
	Delete = 'd'
	Search = 's'
)

// ErrInvalidToken is returned by a Verifier for an unknown, expired or revoked
// access token. The FHIR API answers it with 401.
var ErrInvalidToken = errors.New("access: invalid or expired access token")

// Scope is one parsed SMART resource scope such as "patient/*.rs".
type Scope struct {
	Context      string // "patient", "user" or "system"
	ResourceType string // a FHIR type, or "*"
	Interactions string // a subset of "cruds", in that order
}

// ParseScope parses a SMART v2 ("patient/Observation.rs") or v1
// ("patient/Observation.read", ".write", ".*") resource scope. ok is false for
// anything else (openid, fhirUser, launch/patient, offline_access, ...).
func ParseScope(s string) (scope Scope, ok bool) {
	ctx, rest, found := strings.Cut(s, "/")
	if !found || (ctx != "patient" && ctx != "user" && ctx != "system") {
		return Scope{}, false
	}
	typ, perms, found := strings.Cut(rest, ".")
	if !found || typ == "" {
		return Scope{}, false
	}
	// SMART v2 allows query parameters after '?'; they narrow a scope and
	// are not supported here, so such a scope grants nothing.
	if strings.Contains(perms, "?") {
		return Scope{}, false
	}
	switch perms {
	case "read":
		perms = "rs"
	case "write":
		perms = "cud"
	case "*":
		perms = "cruds"
	default:
		last := -1
		for _, r := range perms {
			i := strings.IndexRune("cruds", r)
			if i <= last { // unknown letter, repeated or out of order
				return Scope{}, false
			}
			last = i
		}
	}
	return Scope{Context: ctx, ResourceType: typ, Interactions: perms}, true
}

// Grant is what one access token allows.
type Grant struct {
	// PatientID is the id of the Patient whose compartment the token may
	// reach (the token response's "patient" value).
	PatientID string
	// FHIRUser is the signed-in person, "Patient/123" or "RelatedPerson/9".
	FHIRUser string
	// ClientID is the OAuth client the token was issued to.
	ClientID string
	// Scopes are the resource scopes granted (non-resource scopes dropped).
	Scopes []Scope
	// AllowedTypes, when non-nil, limits the token to these resource types
	// whatever the scopes say (a parent's narrowed access to a teenager's
	// chart). nil means no such limit.
	AllowedTypes []string
	// LimitReason is the practice's words for AllowedTypes, said to the
	// client when it asks for a type outside them ("" for none).
	LimitReason string
	// ExpiresAt is when the access token stops working.
	ExpiresAt time.Time
}

// Allows reports whether the grant permits interaction (one of Create, Read,
// Update, Delete, Search) on resources of type resourceType.
func (g Grant) Allows(resourceType string, interaction rune) bool {
	if g.AllowedTypes != nil && !contains(g.AllowedTypes, resourceType) {
		return false
	}
	for _, s := range g.Scopes {
		if s.ResourceType != "*" && s.ResourceType != resourceType {
			continue
		}
		if strings.ContainsRune(s.Interactions, interaction) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Verifier turns a bearer access token into the Grant it carries. It returns
// ErrInvalidToken (possibly wrapped) for a token that must be refused.
type Verifier interface {
	Verify(ctx context.Context, accessToken string) (Grant, error)
}

// PatientInfo is what the authorization server needs to know of a patient
// to apply the practice's rules (the patient picker, age rules for proxies).
type PatientInfo struct {
	ID        string
	Name      string // display name, e.g. "Maya Rivera"
	BirthDate time.Time
}

// PatientDirectory looks patients up in the FHIR store for the
// authorization server. It returns an error wrapping ErrUnknownPatient when
// there is no such patient.
type PatientDirectory interface {
	Patient(ctx context.Context, id string) (PatientInfo, error)
}

// ProxyDirectory is a PatientDirectory that also knows whether the
// RelatedPerson a proxy acts as is still active: a patient ends a
// caregiver's access by making it inactive (through the FHIR API, as any
// server's RelatedPerson.active says whether the relation is in force).
type ProxyDirectory interface {
	PatientDirectory
	ProxyActive(ctx context.Context, relatedPersonID string) (bool, error)
}

// ErrUnknownPatient is returned by a PatientDirectory for an unknown id.
var ErrUnknownPatient = errors.New("access: unknown patient")
