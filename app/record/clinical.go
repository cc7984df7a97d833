package record

import (
	"strings"

	"github.com/carebook/carebook/internal/i18n"
)

// DiagnosticReport is a panel or report: a lab panel grouping Observations,
// an imaging report, a pathology report.
type DiagnosticReport struct {
	Entry
	Code          Concept
	Name          string   // the panel name
	Categories    []string // lower-cased category codes, e.g. "lab"
	Status        string   // lower-cased
	Effective     Date
	Issued        Date
	Results       []Ref  // the Observations it groups
	Conclusion    string // the provider's comment
	Codes         []string
	PresentedForm []Attachment // the report as a document (PDF, HTML, text)
	Performers    []Ref
}

// Date is when the report's specimens or images were taken, falling back to
// when it was issued.
func (r DiagnosticReport) Date() Date { return firstDate(r.Effective, r.Issued) }

type wDiagnosticReport struct {
	wBase
	Status            string        `json:"status"`
	Category          []wConcept    `json:"category"`
	Code              wConcept      `json:"code"`
	EffectiveDateTime string        `json:"effectiveDateTime"`
	EffectivePeriod   wPeriod       `json:"effectivePeriod"`
	Issued            string        `json:"issued"`
	Result            []wRef        `json:"result"`
	Conclusion        string        `json:"conclusion"`
	ConclusionCode    []wConcept    `json:"conclusionCode"`
	PresentedForm     []wAttachment `json:"presentedForm"`
	Performer         []wRef        `json:"performer"`
}

// DecodeDiagnosticReport decodes a DiagnosticReport tolerantly; it never fails.
// Its files are in their presented forms' Data.
func DecodeDiagnosticReport(r Resource) DiagnosticReport { return decodeDiagnosticReport(r, false) }

// decodeDiagnosticReport is DecodeDiagnosticReport; listing leaves large
// files out (see Attachment.Cached).
func decodeDiagnosticReport(r Resource, listing bool) DiagnosticReport {
	var w wDiagnosticReport
	d := begin(r, &w)
	d.listing = listing
	rep := DiagnosticReport{
		Code:          d.concept(w.Code),
		Categories:    d.codes(w.Category),
		Status:        lower(w.Status),
		Effective:     firstDate(d.date(w.EffectiveDateTime), d.date(w.EffectivePeriod.Start)),
		Issued:        d.date(w.Issued),
		Results:       d.refs(w.Result),
		Conclusion:    strings.TrimSpace(w.Conclusion),
		Codes:         d.conceptNames(w.ConclusionCode),
		PresentedForm: d.attachments(w.PresentedForm),
		Performers:    d.refs(w.Performer),
	}
	rep.Name = rep.Code.String()
	if rep.Effective.IsZero() {
		rep.Effective = d.fallbackDate("effectiveDateTime", "start", "issued")
	}
	rep.Entry = d.entry()
	return rep
}

// Condition is a problem or diagnosis.
type Condition struct {
	Entry
	Code               Concept
	Name               string
	ClinicalStatus     string // lower-cased: "active", "resolved", "inactive", …
	VerificationStatus string // lower-cased: "confirmed", "provisional", …
	Categories         []string
	Onset              Date
	OnsetText          string // onsetString or onsetAge, when no date was given
	Abatement          Date
	AbatementText      string
	Recorded           Date
	Notes              []string
}

// Active reports whether the condition is current (active, recurrence,
// relapse, or no status at all without an abatement date).
func (c Condition) Active() bool {
	switch c.ClinicalStatus {
	case "active", "recurrence", "relapse":
		return true
	case "":
		return c.Abatement.IsZero() && c.AbatementText == ""
	}
	return false
}

type wAge struct {
	Value wNumber `json:"value"`
	Unit  string  `json:"unit"`
}

type wCondition struct {
	wBase
	ClinicalStatus     wConcept      `json:"clinicalStatus"`
	VerificationStatus wConcept      `json:"verificationStatus"`
	Category           []wConcept    `json:"category"`
	Code               wConcept      `json:"code"`
	OnsetDateTime      string        `json:"onsetDateTime"`
	OnsetPeriod        wPeriod       `json:"onsetPeriod"`
	OnsetString        string        `json:"onsetString"`
	OnsetAge           *wAge         `json:"onsetAge"`
	AbatementDateTime  string        `json:"abatementDateTime"`
	AbatementPeriod    wPeriod       `json:"abatementPeriod"`
	AbatementString    string        `json:"abatementString"`
	AbatementAge       *wAge         `json:"abatementAge"`
	AbatementBoolean   *bool         `json:"abatementBoolean"`
	RecordedDate       string        `json:"recordedDate"`
	Note               []wAnnotation `json:"note"`
}

// DecodeCondition decodes a Condition tolerantly; it never fails.
func DecodeCondition(r Resource) Condition {
	var w wCondition
	d := begin(r, &w)
	c := Condition{
		Code:               d.concept(w.Code),
		ClinicalStatus:     statusCode(d.concept(w.ClinicalStatus)),
		VerificationStatus: statusCode(d.concept(w.VerificationStatus)),
		Categories:         d.codes(w.Category),
		Onset:              firstDate(d.date(w.OnsetDateTime), d.date(w.OnsetPeriod.Start)),
		OnsetText:          firstNonEmpty(strings.TrimSpace(w.OnsetString), ageText(w.OnsetAge)),
		Abatement:          firstDate(d.date(w.AbatementDateTime), d.date(w.AbatementPeriod.End), d.date(w.AbatementPeriod.Start)),
		AbatementText:      firstNonEmpty(strings.TrimSpace(w.AbatementString), ageText(w.AbatementAge)),
		Recorded:           d.date(w.RecordedDate),
		Notes:              d.notes(w.Note),
	}
	if w.AbatementBoolean != nil && *w.AbatementBoolean && c.AbatementText == "" && c.Abatement.IsZero() {
		c.AbatementText = i18n.L("Resolved")
	}
	c.Name = c.Code.String()
	if c.Onset.IsZero() {
		c.Onset = d.fallbackDate("onsetDateTime", "recordedDate")
	}
	c.Entry = d.entry()
	return c
}

// statusCode reads a status held in a CodeableConcept: its code, else its
// text, lower-cased.
func statusCode(c Concept) string {
	return lower(firstNonEmpty(c.Code(""), c.Text))
}

func ageText(a *wAge) string {
	if a == nil || !a.Value.OK {
		return ""
	}
	return i18n.L("age {{.Age}}", map[string]any{"Age": strings.TrimSpace(formatNumber(a.Value.Value) + " " + a.Unit)})
}

// AllergyIntolerance is an allergy or intolerance.
type AllergyIntolerance struct {
	Entry
	Code               Concept
	Substance          string
	Type               string   // lower-cased: "allergy" or "intolerance"
	Categories         []string // lower-cased: "food", "medication", …
	Criticality        string   // lower-cased: "low", "high", "unable-to-assess"
	ClinicalStatus     string   // lower-cased: "active", "inactive", "resolved"
	VerificationStatus string
	Reactions          []Reaction
	Onset              Date
	Recorded           Date
	Notes              []string
}

// Reaction is one reaction to an allergen.
type Reaction struct {
	Substance      string
	Manifestations []string
	Severity       string // lower-cased: "mild", "moderate", "severe"
	Description    string
}

type wAllergy struct {
	wBase
	ClinicalStatus     wConcept `json:"clinicalStatus"`
	VerificationStatus wConcept `json:"verificationStatus"`
	Type               string   `json:"type"`
	Category           []string `json:"category"`
	Criticality        string   `json:"criticality"`
	Code               wConcept `json:"code"`
	OnsetDateTime      string   `json:"onsetDateTime"`
	OnsetPeriod        wPeriod  `json:"onsetPeriod"`
	RecordedDate       string   `json:"recordedDate"`
	Reaction           []struct {
		Substance     wConcept   `json:"substance"`
		Manifestation []wConcept `json:"manifestation"`
		Severity      string     `json:"severity"`
		Description   string     `json:"description"`
	} `json:"reaction"`
	Note []wAnnotation `json:"note"`
}

// DecodeAllergyIntolerance decodes an AllergyIntolerance tolerantly; it never fails.
func DecodeAllergyIntolerance(r Resource) AllergyIntolerance {
	var w wAllergy
	d := begin(r, &w)
	a := AllergyIntolerance{
		Code:               d.concept(w.Code),
		Type:               lower(w.Type),
		Criticality:        lower(w.Criticality),
		ClinicalStatus:     statusCode(d.concept(w.ClinicalStatus)),
		VerificationStatus: statusCode(d.concept(w.VerificationStatus)),
		Onset:              firstDate(d.date(w.OnsetDateTime), d.date(w.OnsetPeriod.Start)),
		Recorded:           d.date(w.RecordedDate),
		Notes:              d.notes(w.Note),
	}
	a.Substance = a.Code.String()
	for _, c := range w.Category {
		a.Categories = append(a.Categories, lower(c))
	}
	for _, rx := range w.Reaction {
		a.Reactions = append(a.Reactions, Reaction{
			Substance:      d.concept(rx.Substance).String(),
			Manifestations: d.conceptNames(rx.Manifestation),
			Severity:       lower(rx.Severity),
			Description:    strings.TrimSpace(rx.Description),
		})
	}
	if a.Recorded.IsZero() {
		a.Recorded = d.fallbackDate("recordedDate", "onsetDateTime")
	}
	a.Entry = d.entry()
	return a
}

// Immunization is a vaccine given (or recorded as not given).
type Immunization struct {
	Entry
	VaccineCode Concept
	Vaccine     string
	Status      string // lower-cased: "completed", "not-done", "entered-in-error"
	Date        Date
	DateText    string // occurrenceString, when no date was given
	Lot         string
	Performers  []Ref
	Location    Ref
	Notes       []string
}

type wImmunization struct {
	wBase
	Status             string   `json:"status"`
	VaccineCode        wConcept `json:"vaccineCode"`
	OccurrenceDateTime string   `json:"occurrenceDateTime"`
	OccurrenceString   string   `json:"occurrenceString"`
	LotNumber          string   `json:"lotNumber"`
	Location           wRef     `json:"location"`
	Performer          []struct {
		Actor wRef `json:"actor"`
	} `json:"performer"`
	Note []wAnnotation `json:"note"`
}

// DecodeImmunization decodes an Immunization tolerantly; it never fails.
func DecodeImmunization(r Resource) Immunization {
	var w wImmunization
	d := begin(r, &w)
	im := Immunization{
		VaccineCode: d.concept(w.VaccineCode),
		Status:      lower(w.Status),
		Date:        d.date(w.OccurrenceDateTime),
		DateText:    strings.TrimSpace(w.OccurrenceString),
		Lot:         strings.TrimSpace(w.LotNumber),
		Location:    d.ref(w.Location),
		Notes:       d.notes(w.Note),
	}
	for _, p := range w.Performer {
		if ref := d.ref(p.Actor); !ref.IsZero() {
			im.Performers = append(im.Performers, ref)
		}
	}
	im.Vaccine = im.VaccineCode.String()
	if im.Date.IsZero() {
		im.Date = d.fallbackDate("occurrenceDateTime", "recorded")
	}
	im.Entry = d.entry()
	return im
}

// Procedure is something done to or for the patient.
type Procedure struct {
	Entry
	Code       Concept
	Name       string
	Status     string // lower-cased
	Performed  Date
	Ended      Date
	Reasons    []string
	Performers []Ref
	Location   Ref
	Notes      []string
}

type wProcedure struct {
	wBase
	Status            string     `json:"status"`
	Code              wConcept   `json:"code"`
	PerformedDateTime string     `json:"performedDateTime"`
	PerformedPeriod   wPeriod    `json:"performedPeriod"`
	ReasonCode        []wConcept `json:"reasonCode"`
	ReasonReference   []wRef     `json:"reasonReference"`
	Performer         []struct {
		Actor wRef `json:"actor"`
	} `json:"performer"`
	Location wRef          `json:"location"`
	Note     []wAnnotation `json:"note"`
}

// DecodeProcedure decodes a Procedure tolerantly; it never fails.
func DecodeProcedure(r Resource) Procedure {
	var w wProcedure
	d := begin(r, &w)
	p := Procedure{
		Code:      d.concept(w.Code),
		Status:    lower(w.Status),
		Performed: firstDate(d.date(w.PerformedDateTime), d.date(w.PerformedPeriod.Start)),
		Ended:     d.date(w.PerformedPeriod.End),
		Reasons:   d.conceptNames(w.ReasonCode),
		Location:  d.ref(w.Location),
		Notes:     d.notes(w.Note),
	}
	for _, rr := range d.refs(w.ReasonReference) {
		if rr.Display != "" {
			p.Reasons = append(p.Reasons, rr.Display)
		}
	}
	for _, pf := range w.Performer {
		if ref := d.ref(pf.Actor); !ref.IsZero() {
			p.Performers = append(p.Performers, ref)
		}
	}
	p.Name = p.Code.String()
	if p.Performed.IsZero() {
		p.Performed = d.fallbackDate("performedDateTime", "start")
	}
	p.Entry = d.entry()
	return p
}
