package record

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// The w* types mirror the FHIR JSON shapes we read. Strings are plain Go
// strings: encoding/json skips a field of the wrong type, keeps decoding the
// rest and reports it, which is exactly the tolerance we want (the decoder
// then marks the entry Incomplete). Numbers use wNumber, which also accepts a
// number written as a string, because real servers send both.

type wNumber struct {
	Value float64
	Set   bool // the field was present and not null
	OK    bool // it held a number (or a string holding one)
}

func (n *wNumber) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	n.Set = true
	s := string(b)
	if b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return nil
		}
		s = strings.TrimSpace(s)
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		n.Value, n.OK = v, true
	}
	// Never an error: a bad number must not hide the rest of the resource.
	return nil
}

type wCoding struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display"`
}

type wConcept struct {
	Coding []wCoding `json:"coding"`
	Text   string    `json:"text"`
}

type wRef struct {
	Reference string `json:"reference"`
	Display   string `json:"display"`
}

type wQuantity struct {
	Value      wNumber `json:"value"`
	Comparator string  `json:"comparator"`
	Unit       string  `json:"unit"`
	System     string  `json:"system"`
	Code       string  `json:"code"`
	Currency   string  `json:"currency"` // Money shares this shape
}

type wPeriod struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

type wRange struct {
	Low  *wQuantity `json:"low"`
	High *wQuantity `json:"high"`
}

type wAnnotation struct {
	Text string `json:"text"`
}

type wAttachment struct {
	ContentType string  `json:"contentType"`
	Language    string  `json:"language"`
	Data        string  `json:"data"`
	URL         string  `json:"url"`
	Size        wNumber `json:"size"`
	Title       string  `json:"title"`
	Creation    string  `json:"creation"`
}

type wHumanName struct {
	Use    string   `json:"use"`
	Text   string   `json:"text"`
	Family string   `json:"family"`
	Given  []string `json:"given"`
	Prefix []string `json:"prefix"`
	Suffix []string `json:"suffix"`
}

type wIdentifier struct {
	System string   `json:"system"`
	Value  string   `json:"value"`
	Type   wConcept `json:"type"`
	Use    string   `json:"use"`
}

type wContactPoint struct {
	System string `json:"system"`
	Value  string `json:"value"`
	Use    string `json:"use"`
}

type wAddress struct {
	Use        string   `json:"use"`
	Text       string   `json:"text"`
	Line       []string `json:"line"`
	City       string   `json:"city"`
	District   string   `json:"district"`
	State      string   `json:"state"`
	PostalCode string   `json:"postalCode"`
	Country    string   `json:"country"`
}

// maxExactInt bounds counts and sizes read from JSON numbers, so a silly
// value cannot overflow an int.
const maxExactInt = 1 << 53

// wBase is what every resource shares.
type wBase struct {
	ID   string `json:"id"`
	Meta struct {
		LastUpdated string `json:"lastUpdated"`
	} `json:"meta"`
	Contained []json.RawMessage `json:"contained"`
}

// common lets begin find the wBase a wire struct embeds, so the common
// fields come out of the same unmarshal as the rest.
func (b *wBase) common() *wBase { return b }

type hasBase interface{ common() *wBase }

// wNamed reads the few fields that give any resource a display name, for
// contained resources and the reference index.
type wNamed struct {
	ResourceType string          `json:"resourceType"`
	ID           string          `json:"id"`
	Name         json.RawMessage `json:"name"`  // string or HumanName[]
	Title        string          `json:"title"` // some resources have a title
	Code         wConcept        `json:"code"`  // Medication, Device…
}

// decoder holds the state of decoding one resource: whether anything went
// wrong and the display names of its contained resources.
type decoder struct {
	res        Resource
	raw        []byte
	listing    bool // a chart's decoding: large files stay out of Attachment.Data
	incomplete bool
	broken     bool // the JSON did not parse at all
	base       wBase
	contained  map[string]string // contained id (without '#') → display name
}

// begin unmarshals r.JSON into w, a pointer to a wire struct embedding
// wBase. It never fails: problems only mark the entry Incomplete.
func begin(r Resource, w hasBase) *decoder {
	d := &decoder{res: r, raw: r.JSON}
	if err := json.Unmarshal(r.JSON, w); err != nil {
		d.incomplete = true
		// Unparseable input is a SyntaxError and nothing was decoded; a type
		// mismatch leaves every other field decoded.
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			d.broken = true
			return d
		}
	}
	d.base = *w.common()
	for _, raw := range d.base.Contained {
		// A contained resource only lends its name to references, so a
		// field of an unexpected shape in it does not make ours incomplete.
		var n wNamed
		_ = json.Unmarshal(raw, &n)
		if n.ID == "" {
			continue
		}
		if d.contained == nil {
			d.contained = map[string]string{}
		}
		d.contained[n.ID] = n.display()
	}
	return d
}

// entry builds the common Entry.
func (d *decoder) entry() Entry {
	e := Entry{Type: d.res.Type, ID: d.res.ID, LastUpdated: d.res.LastUpdated, Incomplete: d.incomplete}
	if e.ID == "" {
		e.ID = d.base.ID
	}
	if e.LastUpdated.IsZero() && d.base.Meta.LastUpdated != "" {
		if t, err := ParseDate(d.base.Meta.LastUpdated); err == nil {
			e.LastUpdated = t.Time
		}
	}
	return e
}

// date parses a FHIR date field; an unreadable non-empty value marks the
// entry incomplete.
func (d *decoder) date(s string) Date {
	if s == "" {
		return Date{}
	}
	t, err := ParseDate(s)
	if err != nil {
		d.incomplete = true
		return Date{}
	}
	return t
}

// fallbackDate looks for the first of keys in raw JSON that does not parse,
// so an unreadable resource can still be placed in time.
func (d *decoder) fallbackDate(keys ...string) Date {
	if !d.broken {
		return Date{}
	}
	for _, k := range keys {
		needle := []byte(`"` + k + `"`)
		i := bytes.Index(d.raw, needle)
		if i < 0 {
			continue
		}
		rest := bytes.TrimLeft(d.raw[i+len(needle):], " \t\r\n")
		if len(rest) == 0 || rest[0] != ':' {
			continue
		}
		rest = bytes.TrimLeft(rest[1:], " \t\r\n")
		if len(rest) == 0 || rest[0] != '"' {
			continue
		}
		end := bytes.IndexByte(rest[1:], '"')
		if end < 0 {
			continue
		}
		if t, err := ParseDate(string(rest[1 : 1+end])); err == nil {
			return t
		}
	}
	return Date{}
}

func (d *decoder) period(p wPeriod) Period {
	return Period{Start: d.date(p.Start), End: d.date(p.End)}
}

func (d *decoder) concept(c wConcept) Concept {
	out := Concept{Text: strings.TrimSpace(c.Text)}
	for _, cd := range c.Coding {
		out.Codings = append(out.Codings, Coding{System: strings.TrimSpace(cd.System), Code: strings.TrimSpace(cd.Code), Display: strings.TrimSpace(cd.Display)})
	}
	return out
}

func (d *decoder) concepts(cs []wConcept) []Concept {
	var out []Concept
	for _, c := range cs {
		out = append(out, d.concept(c))
	}
	return out
}

// conceptNames returns the display strings of cs, skipping empty ones.
func (d *decoder) conceptNames(cs []wConcept) []string {
	var out []string
	for _, c := range cs {
		if s := d.concept(c).String(); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// codes returns the first code of each concept, lower-cased (for category
// and status codes that are compared, not shown).
func (d *decoder) codes(cs []wConcept) []string {
	var out []string
	for _, c := range cs {
		if code := lower(d.concept(c).Code("")); code != "" {
			out = append(out, code)
		} else if t := lower(c.Text); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// ref converts a reference, filling the display of a contained one.
func (d *decoder) ref(r wRef) Ref {
	out := Ref{Reference: strings.TrimSpace(r.Reference), Display: strings.TrimSpace(r.Display)}
	if out.Display == "" && strings.HasPrefix(out.Reference, "#") {
		out.Display = d.contained[out.Reference[1:]]
	}
	return out
}

func (d *decoder) refs(rs []wRef) []Ref {
	var out []Ref
	for _, r := range rs {
		if x := d.ref(r); !x.IsZero() {
			out = append(out, x)
		}
	}
	return out
}

func (d *decoder) quantity(q *wQuantity) Quantity {
	if q == nil {
		return Quantity{}
	}
	if q.Value.Set && !q.Value.OK {
		d.incomplete = true
	}
	return Quantity{
		Value: q.Value.Value, HasValue: q.Value.OK,
		Comparator: strings.TrimSpace(q.Comparator),
		Unit:       strings.TrimSpace(q.Unit), System: strings.TrimSpace(q.System), Code: strings.TrimSpace(q.Code),
	}
}

func (d *decoder) money(q *wQuantity) (Money, bool) {
	if q == nil || !q.Value.Set {
		return Money{}, false
	}
	if !q.Value.OK {
		d.incomplete = true
		return Money{}, false
	}
	return Money{Value: q.Value.Value, Currency: strings.ToUpper(strings.TrimSpace(q.Currency))}, true
}

func (d *decoder) notes(as []wAnnotation) []string {
	var out []string
	for _, a := range as {
		if t := strings.TrimSpace(a.Text); t != "" {
			out = append(out, t)
		}
	}
	return out
}

func (d *decoder) attachment(a wAttachment) Attachment {
	out := Attachment{
		ContentType: mediaType(a.ContentType),
		Language:    a.Language,
		Title:       strings.TrimSpace(a.Title),
		URL:         strings.TrimSpace(a.URL),
		Created:     d.date(a.Creation),
	}
	if a.Size.OK && a.Size.Value >= 0 && a.Size.Value < maxExactInt {
		out.Size = int64(a.Size.Value)
	}
	if d.listing && len(a.Data) > listedFileMax && !textType(out.ContentType) {
		// A chart lists the file; opening it reads it (see Cached). One
		// pass over its base64 tells whether it will open, as decoding it
		// would, and its size.
		size, ok := base64Scan(a.Data)
		if !ok {
			d.incomplete = true
			out.IsPDF = out.ContentType == "application/pdf"
			return out
		}
		out.Cached = true
		if out.Size == 0 {
			out.Size = size
		}
		// Its first bytes, from the first 12 characters of base64 that
		// are not line breaks or indentation.
		head, _ := decodeBase64(firstBase64(a.Data, 12))
		out.IsPDF = out.ContentType == "application/pdf" || bytes.HasPrefix(head, []byte("%PDF-"))
		return out
	}
	if a.Data != "" {
		data, err := decodeBase64(a.Data)
		if err != nil {
			d.incomplete = true
		} else {
			out.Data, out.Cached = data, len(data) > 0
			if out.Size == 0 {
				out.Size = int64(len(data))
			}
		}
	}
	out.IsPDF = out.ContentType == "application/pdf" || bytes.HasPrefix(out.Data, []byte("%PDF-"))
	switch {
	case out.Data == nil:
	case out.ContentType == "text/html" || out.ContentType == "application/xhtml+xml":
		out.Text = HTMLText(string(out.Data))
	case out.ContentType == "text/plain" || (out.ContentType == "" && !out.IsPDF && isText(out.Data)):
		out.Text = strings.TrimSpace(strings.ToValidUTF8(string(out.Data), "\uFFFD"))
	}
	return out
}

// listedFileMax is the longest inline content (in base64) a chart
// decodes into Attachment.Data when it is not text: 64 KiB of base64,
// 48 KiB of file. Text is read for the screens and the search.
const listedFileMax = 64 << 10

// textType reports a content type whose inline content is read as text
// (Attachment.Text), or none (it may be text).
func textType(contentType string) bool {
	switch contentType {
	case "", "text/plain", "text/html", "application/xhtml+xml":
		return true
	}
	return false
}

// firstBase64 is the first n characters of the base64 in s that are not
// white space (fewer when s has fewer).
func firstBase64(s string, n int) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < n; i++ {
		switch s[i] {
		case '\n', '\r', ' ', '\t':
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// base64Scan reads the base64 in s as decodeBase64 does, without
// decoding it: the size of the content it holds, and whether it decodes
// (ok). It reads each character once, through a table: about as long as
// counting the size alone took (a few ms for a 3 MB photo), less than
// the JSON decoder's own pass over the same string.
func base64Scan(s string) (size int64, ok bool) {
	var n int
	var seen uint8
	for i := 0; i < len(s); i++ {
		c := base64Class[s[i]]
		n += int(c & b64Data)
		seen |= c
	}
	switch {
	case seen&b64Bad != 0, seen&(b64Std|b64URL) == b64Std|b64URL, n%4 == 1:
		return 0, false
	case seen&b64Pad != 0 && strings.IndexByte(strings.TrimRight(s, "=\n\r \t"), '=') >= 0:
		return 0, false // padding before the end
	}
	return int64(n) * 6 / 8, true
}

// The classes of characters base64Scan reads: a character of either
// alphabet (b64Data), of the standard or the URL one only, padding,
// and characters that are not base64 (white space has no class).
const (
	b64Data = 1 << iota
	b64Std
	b64URL
	b64Pad
	b64Bad
)

var base64Class = func() (t [256]uint8) {
	for i := range t {
		t[i] = b64Bad
	}
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789" {
		t[c] = b64Data
	}
	t['+'], t['/'] = b64Data|b64Std, b64Data|b64Std
	t['-'], t['_'] = b64Data|b64URL, b64Data|b64URL
	t['='] = b64Pad
	for _, c := range "\n\r \t" {
		t[c] = 0
	}
	return t
}()

func (d *decoder) attachments(as []wAttachment) []Attachment {
	var out []Attachment
	for _, a := range as {
		out = append(out, d.attachment(a))
	}
	return out
}

// decodeBase64 accepts standard and URL alphabets, padded or not, with
// line breaks (as some servers wrap base64 at 76 characters).
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s)
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// mediaType lower-cases a MIME type and drops parameters ("; charset=…").
func mediaType(s string) string {
	if i := strings.IndexByte(s, ';'); i >= 0 {
		s = s[:i]
	}
	return lower(s)
}

// display is the name a contained or indexed resource is shown by.
func (n wNamed) display() string {
	if name := nameFromRaw(n.Name); name != "" {
		return name
	}
	if t := strings.TrimSpace(n.Title); t != "" {
		return t
	}
	return conceptString(n.Code)
}

func conceptString(c wConcept) string {
	var d decoder
	return d.concept(c).String()
}

// nameFromRaw reads a "name" that is a string (Organization, Location) or
// HumanName objects (Patient, Practitioner), with the title prefix
// ("Dr.") kept as practices show it.
func nameFromRaw(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return strings.TrimSpace(s)
		}
	case '[':
		var names []wHumanName
		if json.Unmarshal(raw, &names) == nil {
			if n, ok := pickName(names); ok {
				return formatName(n, true)
			}
		}
	case '{':
		var n wHumanName
		if json.Unmarshal(raw, &n) == nil {
			return formatName(n, true)
		}
	}
	return ""
}

// pickName prefers the official name, then usual, then the first.
func pickName(names []wHumanName) (wHumanName, bool) {
	for _, use := range []string{"official", "usual", ""} {
		for _, n := range names {
			if (use == "" || lower(n.Use) == use) && formatName(n, false) != "" {
				return n, true
			}
		}
	}
	return wHumanName{}, false
}

func formatName(n wHumanName, withPrefix bool) string {
	if t := strings.TrimSpace(n.Text); t != "" {
		return t
	}
	var parts []string
	if withPrefix {
		parts = append(parts, n.Prefix...)
	}
	parts = append(parts, n.Given...)
	parts = append(parts, n.Family)
	parts = append(parts, n.Suffix...)
	return strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
}

// isText reports whether b looks like UTF-8 text (no NUL bytes, valid UTF-8).
func isText(b []byte) bool {
	return len(b) > 0 && bytes.IndexByte(b, 0) < 0 && strings.ToValidUTF8(string(b), "") == string(b)
}
