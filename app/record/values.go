package record

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/carebook/carebook/app/locfmt"
	"github.com/carebook/carebook/app/record/plainnames"
)

// Resource is one FHIR resource as the cache holds it: its type, server id,
// meta.lastUpdated and the raw JSON the server sent. It has the same fields as
// storage.Resource, so the app converts with record.Resource(r).
type Resource struct {
	Type        string
	ID          string
	LastUpdated time.Time
	JSON        []byte
}

// Entry is what every decoded record carries: where it came from and whether
// all of it could be read.
type Entry struct {
	Type        string    // FHIR resource type, e.g. "Observation"
	ID          string    // server id
	LastUpdated time.Time // from the cache, else meta.lastUpdated; zero if unknown
	// Incomplete is true when some of the resource could not be read (a
	// field of the wrong type, a bad date, or JSON that does not parse at all).
	// Screens show what was read plus "could not be read completely".
	Incomplete bool
}

// Key is the entry's relative reference, "Type/id".
func (e Entry) Key() string { return e.Type + "/" + e.ID }

// Coding is one code from a code system, kept as plain strings.
type Coding struct {
	System  string
	Code    string
	Display string
}

// Concept is a FHIR CodeableConcept: free text and any number of codings.
type Concept struct {
	Text    string
	Codings []Coding
}

// String is the best label for people: the plain name of the first coding
// that has one (app/record/plainnames) unless the text says something other
// than the codings' technical displays, else the text, else the first
// coding display, else the first code; SNOMED CT semantic tags
// ("(procedure)") removed.
func (c Concept) String() string {
	text := strings.TrimSpace(c.Text)
	if plain, ok := c.Plain(); ok && (text == "" || c.textIsDisplay(text)) {
		return plain
	}
	if text != "" {
		return plainnames.StripTag(text)
	}
	for _, cd := range c.Codings {
		if d := strings.TrimSpace(cd.Display); d != "" {
			return plainnames.StripTag(d)
		}
	}
	for _, cd := range c.Codings {
		if cd.Code != "" {
			return cd.Code
		}
	}
	return ""
}

// Plain returns the plain name of the first coding of c that has one.
func (c Concept) Plain() (string, bool) {
	for _, cd := range c.Codings {
		if n, ok := plainnames.Name(cd.System, cd.Code); ok {
			return n, true
		}
	}
	return "", false
}

// textIsDisplay reports whether text only repeats one of the codings'
// displays (as most EHRs and Synthea write it), rather than being the
// clinician's own words, which a plain name must not replace.
func (c Concept) textIsDisplay(text string) bool {
	t := plainnames.StripTag(text)
	for _, cd := range c.Codings {
		if strings.EqualFold(plainnames.StripTag(cd.Display), t) {
			return true
		}
	}
	return false
}

// Technical is the name as the practice's system wrote it, for people who
// want it (the patient's "technical name" one tap away from the plain
// one): the text or first display, semantic tag removed, followed by the
// code system and code ("Encounter for check up · SNOMED CT 185349003").
// It is "" when it would say nothing String does not.
func (c Concept) Technical() string {
	name := strings.TrimSpace(c.Text)
	for _, cd := range c.Codings {
		if name == "" {
			name = strings.TrimSpace(cd.Display)
		}
	}
	name = plainnames.StripTag(name)
	var codes []string
	for _, cd := range c.Codings {
		if cd.Code == "" {
			continue
		}
		if sys := plainnames.SystemName(cd.System); sys != "" {
			codes = append(codes, sys+" "+cd.Code)
		}
	}
	if len(codes) == 0 && name == c.String() {
		return ""
	}
	parts := []string{}
	if name != "" {
		parts = append(parts, name)
	}
	if len(codes) > 0 {
		parts = append(parts, strings.Join(codes, ", "))
	}
	return strings.Join(parts, " · ")
}

// Code returns the first code of c in system (compared case-insensitively),
// or "" when there is none. An empty system matches any coding.
func (c Concept) Code(system string) string {
	for _, cd := range c.Codings {
		if system == "" || strings.EqualFold(cd.System, system) {
			if cd.Code != "" {
				return cd.Code
			}
		}
	}
	return ""
}

// Has reports whether c carries code in system (code compared
// case-insensitively, an empty system matches any).
func (c Concept) Has(system, code string) bool {
	for _, cd := range c.Codings {
		if (system == "" || strings.EqualFold(cd.System, system)) && strings.EqualFold(cd.Code, code) {
			return true
		}
	}
	return false
}

// Ref is a FHIR Reference: a literal reference ("Practitioner/123",
// "urn:uuid:…", "#contained", an absolute URL) and/or a display text.
type Ref struct {
	Reference string
	Display   string
}

// IsZero reports whether r refers to nothing.
func (r Ref) IsZero() bool { return r.Reference == "" && r.Display == "" }

// TargetType returns the resource type named by a relative or absolute
// reference ("Practitioner/1" → "Practitioner"), or "" when it cannot tell
// (urn:uuid, contained).
func (r Ref) TargetType() string {
	typ, _ := splitRef(r.Reference)
	return typ
}

// Quantity is a measured amount. HasValue is false when no number could be
// read (absent, or not a number).
type Quantity struct {
	Value      float64
	HasValue   bool
	Comparator string // "<", "<=", ">=", ">" or ""
	Unit       string
	System     string
	Code       string
}

// String formats q as "< 5.4 mg/dL", or "" when there is no number.
func (q Quantity) String() string {
	if !q.HasValue {
		return ""
	}
	s := formatNumber(q.Value)
	if q.Comparator != "" {
		s = q.Comparator + " " + s
	}
	if u := q.unit(); u != "" {
		s += " " + u
	}
	return s
}

func (q Quantity) unit() string {
	if q.Unit != "" {
		return q.Unit
	}
	return q.Code
}

// Money is an amount in a currency (ISO 4217, e.g. "USD"; "" when not given).
type Money struct {
	Value    float64
	Currency string
}

// String formats m in the current locale (locfmt.Current): "$125.00" in
// en-US, "125,00 €" in de-DE.
func (m Money) String() string { return locfmt.Current().Money(m.Value, m.Currency) }

// Period is a start and end, either of which may be zero.
type Period struct {
	Start Date
	End   Date
}

// Attachment is content attached to a resource: inline data or a URL.
type Attachment struct {
	ContentType string // lower-cased MIME type without parameters, e.g. "text/html"
	Language    string
	Title       string
	URL         string // where to fetch the content when it is not inline
	Size        int64  // declared size in bytes, else the inline content's (0 when unknown)
	Data        []byte // inline content, decoded from base64 (see Cached)
	// Cached says the content is inline, in the cache: in Data, except
	// that a chart leaves a large file (an image, a PDF) out of Data, for
	// a screen lists files without holding them; it is read when opened
	// (DecodeCommunication, DecodeDocumentReference and
	// DecodeDiagnosticReport of the one resource hold it). Content whose
	// base64 does not decode is not Cached, and its entry is Incomplete,
	// in a chart as when the one resource is decoded.
	Cached bool
	// Text is readable text for inline text/plain and text/html content
	// (tags stripped, entities decoded, scripts and styles dropped).
	Text    string
	IsPDF   bool // content type or the data's magic bytes say PDF
	Created Date
}

// formatNumber shows a measured value the way a result sheet would, in the
// current locale: exact when short ("5.4"), else rounded to two decimals
// for values of 1 and more and to three significant digits below 1,
// without trailing zeros.
func formatNumber(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	dot := strings.IndexByte(s, '.')
	decimals := 0
	switch {
	case dot >= 0 && len(s)-dot-1 <= 3:
		decimals = len(s) - dot - 1
	case dot < 0:
	case v >= 1 || v <= -1:
		decimals = 2
	default:
		decimals = SignificantDecimals(v, 3)
	}
	return locfmt.Current().Number(v, decimals)
}

// SignificantDecimals is how many decimals show digits significant
// digits of v (|v| < 1): 0.012345 with 3 is 4 ("0.0123"); at most 12.
func SignificantDecimals(v float64, digits int) int {
	if v == 0 {
		return 0
	}
	d := digits - 1 - int(math.Floor(math.Log10(math.Abs(v))))
	return max(0, min(d, 12))
}

// lower normalises a code for comparison: trimmed and lower-cased.
func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
