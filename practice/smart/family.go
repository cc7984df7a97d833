package smart

import (
	"slices"
	"strings"
	"time"

	"github.com/carebook/carebook/practice/access"
)

// TeenProxyTypes are the resource types a parent may still reach in the
// chart of a child aged 12 to 17.
var TeenProxyTypes = []string{
	"Patient", "Immunization", "AllergyIntolerance", "Appointment", "Slot",
	"Schedule", "Practitioner", "PractitionerRole", "Organization",
	"Location", "Account", "Invoice", "Coverage", "RelatedPerson",
}

// TeenProxyReason is what the practice says when a parent's token asks for
// a part of a teenager's chart the family rules keep from them.
const TeenProxyReason = "From a patient's 12th birthday, the practice shares only their appointments, " +
	"immunizations, allergies and billing with a parent; the rest of the record is the patient's own."

// narrowScope returns scope with its resource scopes limited to types (a
// parent's view of a teenager's chart): a wildcard becomes one scope per
// allowed type, scopes of other types are dropped, the rest is kept. So
// the token response tells the app what it may read (SMART lets a server
// grant less than asked).
func narrowScope(scope string, types []string) string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, raw := range strings.Fields(scope) {
		sc, ok := access.ParseScope(raw)
		if !ok {
			add(raw)
			continue
		}
		perm := raw[strings.LastIndexByte(raw, '.')+1:]
		switch {
		case sc.ResourceType == "*":
			for _, t := range types {
				add(sc.Context + "/" + t + "." + perm)
			}
		case slices.Contains(types, sc.ResourceType):
			add(raw)
		}
	}
	return strings.Join(out, " ")
}

// Ages at which a parent's access narrows and ends.
const (
	teenAge  = 12
	adultAge = 18
)

// accessLevel is what a relation allows on one patient's chart today.
type accessLevel struct {
	allowed bool
	// types limits the resource types when non-nil (a parent of a teen).
	types []string
}

// familyRule applies the practice's family rules to a relation, given the
// patient's birth date and the current time.
func familyRule(rel Relation, birthDate, now time.Time) accessLevel {
	switch rel {
	case RelationSelf, RelationCaregiver:
		return accessLevel{allowed: true}
	case RelationParent:
		age := ageOn(birthDate, now)
		switch {
		case age < teenAge:
			return accessLevel{allowed: true}
		case age < adultAge:
			return accessLevel{allowed: true, types: append([]string(nil), TeenProxyTypes...)}
		}
	}
	return accessLevel{}
}

// ageOn returns the age in whole years on the calendar date of now, of
// someone born on birthDate (a birthday on 29 February counts on 1 March
// in other years). A zero birth date counts as an adult's: without a known
// age no child rule can apply, so a parent gets no access.
func ageOn(birthDate, now time.Time) int {
	if birthDate.IsZero() {
		return adultAge
	}
	by, bm, bd := birthDate.Date()
	ny, nm, nd := now.In(birthDate.Location()).Date()
	age := ny - by
	if nm < bm || (nm == bm && nd < bd) {
		age--
	}
	return age
}
