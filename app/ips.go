package app

// The International Patient Summary (HL7 IPS): a FHIR document Bundle
// whose first entry is a Composition coded LOINC 60591-5, followed by
// every resource the Composition points to and every resource those point
// to in turn, so that each reference resolves inside the Bundle: a doctor
// abroad can read it with no access to the practice.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"maps"
	"slices"
	"strings"
	"unicode"

	"github.com/carebook/carebook/app/locfmt"
	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/internal/i18n"
	"github.com/carebook/carebook/storage"
)

// IPS codes.
const (
	LOINCPatientSummary = "60591-5"
	LOINCAllergies      = "48765-2"
	LOINCMedications    = "10160-0"
	LOINCProblems       = "11450-4"
	LOINCImmunizations  = "11369-6"
	LOINCResults        = "30954-2"
)

// ipsFollow are the types a reference may lead to that are carried along
// (who prescribed, which medication, which practice); a reference to
// anything else (a visit, a plan) keeps only its display words, so no
// reference points outside the Bundle.
var ipsFollow = map[string]bool{
	"Practitioner": true, "PractitionerRole": true, "Organization": true,
	"Medication": true, "Location": true, "RelatedPerson": true,
}

// ipsSection is one section of the Composition.
type ipsSection struct {
	title string         // in the patient's language
	code  map[string]any // the LOINC coding IPS requires, its display as LOINC has it
	empty string         // the narrative of an empty section
	items []SummaryItem
}

// ipsBuilder collects the Bundle's entries.
type ipsBuilder struct {
	a       *App
	ctx     context.Context
	subject string                   // the patient's fullUrl
	urls    map[string]string        // "profileID|Type/id" -> fullUrl of an included resource
	entries []json.RawMessage        // in order; the Composition is put first at the end
	charts  map[string]*record.Chart // each profile's SupportTypes: the patient, names
	// name is the name the profile's record gives the resource reference
	// points to (see recordName), "" when none.
	name  func(profileID, reference string) (string, error)
	names map[string]string // "profileID|reference" -> name
}

func newIPSBuilder(ctx context.Context, a *App) *ipsBuilder {
	return &ipsBuilder{a: a, ctx: ctx, urls: map[string]string{}, charts: map[string]*record.Chart{}, names: map[string]string{}}
}

// WriteIPS writes the summary s as an IPS document Bundle (JSON).
func (a *App) WriteIPS(ctx context.Context, w io.Writer, s HealthSummary) error {
	if len(s.Sources) == 0 {
		return fmt.Errorf("patient summary: %w: no record", ErrInvalidInput)
	}
	b := newIPSBuilder(ctx, a)
	types := map[string][]string{} // the types each profile's record holds, once a urn:uuid needs them
	b.name = func(profileID, reference string) (string, error) {
		c, err := b.chart(profileID)
		if err != nil {
			return "", err
		}
		held := func() ([]string, error) {
			if ts, ok := types[profileID]; ok {
				return ts, nil
			}
			counts, err := a.store.Counts(ctx, profileID)
			if err != nil {
				return nil, fmt.Errorf("patient summary: %w", err)
			}
			types[profileID] = slices.Sorted(maps.Keys(counts))
			return types[profileID], nil
		}
		return a.recordName(ctx, profileID, c, held, reference)
	}
	return b.write(w, s)
}

// write writes the summary s as an IPS document Bundle.
func (b *ipsBuilder) write(w io.Writer, s HealthSummary) error {
	// The subject is the patient of the first record; the same person's
	// Patient in the other records is that one too.
	first := s.Sources[0].ProfileID
	c, err := b.chart(first)
	if err != nil {
		return err
	}
	p, ok := c.Patient()
	if !ok {
		return fmt.Errorf("patient summary: %w: the record has no patient yet (sync first)", ErrNoDocument)
	}
	b.subject = fullURL(first, "Patient/"+p.ID)
	if _, err := b.include(first, "Patient/"+p.ID); err != nil {
		return err
	}
	device := fullURL("carebook", "Device/carebook")
	b.entries = append(b.entries, entryJSON(device, map[string]any{
		"resourceType": "Device", "id": uuidOf(device),
		"deviceName": []any{map[string]any{"name": "Carebook", "type": "user-friendly-name"}},
		"type":       map[string]any{"text": i18n.L("Patient's health record app")},
	}))
	sections := []ipsSection{
		{i18n.L("Allergies and intolerances"), map[string]any{"system": record.LOINC, "code": LOINCAllergies, "display": "Allergies and adverse reactions Document"},
			i18n.L("No allergies or intolerances are recorded."), s.Allergies},
		{i18n.L("Medication list"), map[string]any{"system": record.LOINC, "code": LOINCMedications, "display": "History of Medication use Narrative"},
			i18n.L("No active medications are recorded."), s.Medications},
		{i18n.L("Problem list"), map[string]any{"system": record.LOINC, "code": LOINCProblems, "display": "Problem list - Reported"},
			i18n.L("No current health problems are recorded."), s.Problems},
		{i18n.L("Immunizations"), map[string]any{"system": record.LOINC, "code": LOINCImmunizations, "display": "History of Immunization Narrative"},
			"", s.Immunizations},
		{i18n.L("Results"), map[string]any{"system": record.LOINC, "code": LOINCResults, "display": "Relevant diagnostic tests/laboratory data Narrative"},
			"", resultItems(s.Results)},
	}
	var secs []any
	for _, sec := range sections {
		m, err := b.section(sec)
		if err != nil {
			return err
		}
		if m != nil {
			secs = append(secs, m)
		}
	}
	comp := map[string]any{
		"resourceType": "Composition",
		"status":       "final",
		"type": map[string]any{"coding": []any{map[string]any{
			"system": record.LOINC, "code": LOINCPatientSummary, "display": "Patient summary Document"}}},
		"subject":         map[string]any{"reference": b.subject, "display": s.Name},
		"date":            s.Made.UTC().Format("2006-01-02T15:04:05Z"),
		"author":          []any{map[string]any{"reference": device, "display": "Carebook"}},
		"title":           i18n.L("Patient summary of {{.Name}} as of {{.Date}}", map[string]any{"Name": s.Name, "Date": locfmt.Current().Date(s.Made)}),
		"confidentiality": "N",
		"section":         secs,
	}
	compURL := "urn:uuid:" + randomUUID()
	comp["id"] = strings.TrimPrefix(compURL, "urn:uuid:")
	bundleID := randomUUID()
	bundle := map[string]any{
		"resourceType": "Bundle",
		"id":           bundleID,
		"identifier":   map[string]any{"system": "urn:ietf:rfc:3986", "value": "urn:uuid:" + bundleID},
		"type":         "document",
		"timestamp":    s.Made.UTC().Format("2006-01-02T15:04:05Z"),
		"entry":        append([]json.RawMessage{entryJSON(compURL, comp)}, b.entries...),
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(bundle); err != nil {
		return fmt.Errorf("patient summary: %w", err)
	}
	return nil
}

// resultItems are the Observations of the latest results.
func resultItems(rs []SummaryResult) []SummaryItem {
	var out []SummaryItem
	for _, r := range rs {
		if len(r.Points) == 0 || r.ProfileID == "" {
			continue
		}
		last := r.Points[len(r.Points)-1]
		out = append(out, SummaryItem{Text: r.Name, Detail: joinNonBlank(" · ", r.Value, r.Flag), Date: r.Date, Source: r.Source,
			Ref: "Observation/" + last.ObservationID, ProfileID: r.ProfileID})
	}
	return out
}

// section builds one Composition section, including its entries. An
// empty optional section (empty == "") is left out; an empty required one
// says so in its narrative and with an emptyReason.
func (b *ipsBuilder) section(sec ipsSection) (map[string]any, error) {
	var refs []any
	var lis []string
	for _, it := range sec.items {
		u, err := b.include(it.ProfileID, it.Ref)
		if err != nil {
			return nil, err
		}
		if u == "" {
			continue
		}
		refs = append(refs, map[string]any{"reference": u})
		lis = append(lis, "<li>"+xhtmlText(joinNonBlank(" — ", it.Text, it.Detail))+
			" <i>("+xhtmlText(joinNonBlank(", ", longDay(it.Date), it.Source))+")</i></li>")
	}
	if len(refs) == 0 && sec.empty == "" {
		return nil, nil
	}
	m := map[string]any{
		"title": sec.title,
		"code":  map[string]any{"coding": []any{sec.code}},
	}
	div := `<div xmlns="http://www.w3.org/1999/xhtml">`
	if len(refs) == 0 {
		m["text"] = map[string]any{"status": "generated", "div": div + "<p>" + xhtmlText(sec.empty) + "</p></div>"}
		m["emptyReason"] = map[string]any{
			"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/list-empty-reason", "code": "unavailable", "display": "Unavailable"}},
			"text":   sec.empty,
		}
		return m, nil
	}
	m["text"] = map[string]any{"status": "generated", "div": div + "<ul>" + strings.Join(lis, "") + "</ul></div>"}
	m["entry"] = refs
	return m, nil
}

// xhtmlText escapes text for the narrative, which must be well-formed
// XHTML: markup escaped, and the control characters XML forbids dropped.
func xhtmlText(s string) string {
	return html.EscapeString(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\t' && r != '\n' {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD")))
}

func (b *ipsBuilder) chart(profileID string) (*record.Chart, error) {
	if c := b.charts[profileID]; c != nil {
		return c, nil
	}
	// The patient and those names are most often given for: the rest of
	// the record stays sealed (see recordName).
	c, err := b.a.ChartOf(b.ctx, profileID, "Patient")
	if err != nil {
		return nil, fmt.Errorf("patient summary: %w", err)
	}
	b.charts[profileID] = c
	return c, nil
}

// recordName is the name profileID's whole record gives the resource
// reference points to (record.Refs.Lookup), reading only that resource:
// support is the profile's chart of SupportTypes. For a urn:uuid, which
// names no type, the resource of that id of any type the record holds
// (types, sorted; of several, the last type's, as in the whole record; a
// result's last).
func (a *App) recordName(ctx context.Context, profileID string, support *record.Chart, types func() ([]string, error), reference string) (string, error) {
	nameOf := func(typ, id string) (string, error) {
		r, err := a.store.Get(ctx, profileID, typ, id)
		if errors.Is(err, storage.ErrNotFound) {
			return "", nil
		}
		if err != nil {
			return "", fmt.Errorf("patient summary: %w", err)
		}
		return record.Load([]record.Resource{record.Resource(r)}).Refs.Lookup(reference), nil
	}
	if id, ok := strings.CutPrefix(reference, "urn:uuid:"); ok {
		held, err := types()
		if err != nil {
			return "", err
		}
		name, result := "", ""
		for _, typ := range held {
			n, err := nameOf(typ, id)
			if err != nil {
				return "", err
			}
			switch {
			case n == "":
			case typ == "Observation":
				result = n
			default:
				name = n
			}
		}
		if name == "" {
			name = result
		}
		return name, nil
	}
	typ, id := record.SplitRef(reference)
	switch {
	case typ == "":
		return "", nil
	case slices.Contains(SupportTypes, typ):
		return support.Refs.Lookup(reference), nil
	}
	return nameOf(typ, id)
}

// include adds the resource ref ("Type/id") of a profile's record, with
// what it refers to, and returns its fullUrl; "" when the cache does not
// hold it.
func (b *ipsBuilder) include(profileID, ref string) (string, error) {
	key := profileID + "|" + ref
	if u, ok := b.urls[key]; ok {
		return u, nil
	}
	typ, id, _ := strings.Cut(ref, "/")
	if typ == "Patient" && b.subject != "" && len(b.entries) > 0 {
		return b.subject, nil
	}
	r, err := b.a.store.Get(b.ctx, profileID, typ, id)
	if errors.Is(err, storage.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("patient summary: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(r.JSON, &m); err != nil {
		return "", nil // damaged: left out rather than sent broken
	}
	u := fullURL(profileID, ref)
	b.urls[key] = u
	m["id"] = uuidOf(u)
	delete(m, "meta") // versions and tags of the practice's server mean nothing here
	if err := b.rewrite(profileID, m); err != nil {
		return "", err
	}
	b.entries = append(b.entries, entryJSON(u, m))
	return u, nil
}

// rewrite points every reference in v to an entry of the Bundle: the
// subject, a resource carried along, or none (display words only).
func (b *ipsBuilder) rewrite(profileID string, v any) error {
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["reference"].(string); ok && !strings.HasPrefix(ref, "#") {
			if err := b.resolve(profileID, x, ref); err != nil {
				return err
			}
		}
		for k, e := range x {
			if k == "reference" {
				continue
			}
			if err := b.rewrite(profileID, e); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := b.rewrite(profileID, e); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *ipsBuilder) resolve(profileID string, m map[string]any, ref string) error {
	r := record.Ref{Reference: ref}
	typ := r.TargetType()
	id := ref[strings.LastIndex(ref, "/")+1:]
	if i := strings.Index(ref, "/_history/"); i >= 0 {
		rest := ref[:i]
		id = rest[strings.LastIndex(rest, "/")+1:]
	}
	target := ""
	switch {
	case typ == "Patient" && b.subject != "":
		target = b.subject
	case ipsFollow[typ] && id != "":
		u, err := b.include(profileID, typ+"/"+id)
		if err != nil {
			return err
		}
		target = u
	}
	if target != "" {
		m["reference"] = target
		return nil
	}
	delete(m, "reference")
	if d, _ := m["display"].(string); strings.TrimSpace(d) == "" {
		key := profileID + "|" + ref
		name, ok := b.names[key]
		if !ok {
			var err error
			if name, err = b.name(profileID, ref); err != nil {
				return err
			}
			b.names[key] = name
		}
		if name != "" {
			m["display"] = name
		}
	}
	if len(m) == 0 {
		m["display"] = record.Label(typ)
	}
	return nil
}

// fullURL names a resource of a profile's record inside the Bundle: a
// urn:uuid made from the profile and reference, so the same resource has
// the same name in every export and two practices' ids never collide.
func fullURL(profileID, ref string) string {
	return "urn:uuid:" + uuidOf(profileID+"|"+ref)
}

// uuidOf makes a name-based UUID (version 5 layout, SHA-256) of s; a
// urn:uuid's own UUID is returned as is.
func uuidOf(s string) string {
	if u, ok := strings.CutPrefix(s, "urn:uuid:"); ok {
		return u
	}
	h := sha256.Sum256([]byte("carebook-ips|" + s))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

func randomUUID() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

func entryJSON(fullURL string, resource map[string]any) json.RawMessage {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // the narrative's markup stays readable
	enc.Encode(map[string]any{"fullUrl": fullURL, "resource": resource})
	return bytes.TrimSpace(buf.Bytes())
}
