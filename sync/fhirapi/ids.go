package fhirapi

// ValidID reports whether id is a FHIR id: 1 to 64 characters, each a
// letter, digit, '-' or '.' (FHIR R4 datatype id). Ids a server sends are
// checked before they are stored or put into a URL: a path-like or huge id
// is refused, not trusted.
func ValidID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !isLetter(c) && !isDigit(c) && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// ValidType reports whether typ can be a FHIR resource type name: an
// upper-case ASCII letter followed by at most 63 letters (every R4 and R5
// resource type has this form, so a server's newer types still pass).
func ValidType(typ string) bool {
	if len(typ) == 0 || len(typ) > 64 || typ[0] < 'A' || typ[0] > 'Z' {
		return false
	}
	for i := 1; i < len(typ); i++ {
		if !isLetter(typ[i]) {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
