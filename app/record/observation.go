package record

import (
	"encoding/json"
	"strings"

	"github.com/carebook/carebook/internal/i18n"
)

// ValueKind says which of Value's fields hold the value.
type ValueKind uint8

// The kinds of value an Observation or component can carry.
const (
	ValueNone     ValueKind = iota
	ValueQuantity           // Quantity (valueQuantity, valueInteger)
	ValueText               // Text (valueString, valueCodeableConcept, valueDateTime, …)
	ValueBool               // Bool (valueBoolean); Text says "Yes"/"No"
)

// Value is an observed value. Text always holds a display form, so screens
// that only show it need not look at Kind.
type Value struct {
	Kind     ValueKind
	Quantity Quantity
	Concept  Concept // for valueCodeableConcept
	Bool     bool
	Text     string
}

// Number returns the numeric value and whether there is one.
func (v Value) Number() (float64, bool) {
	return v.Quantity.Value, v.Kind == ValueQuantity && v.Quantity.HasValue
}

// RefRange is a reference range; either bound may be missing.
type RefRange struct {
	Low  Quantity
	High Quantity
	Text string
}

// String formats the range as "3.5–5.0 mmol/L", "< 200 mg/dL", "> 40" or its text.
func (r RefRange) String() string {
	switch {
	case r.Low.HasValue && r.High.HasValue:
		s := formatNumber(r.Low.Value) + "–" + formatNumber(r.High.Value)
		if u := r.High.unit(); u != "" {
			s += " " + u
		}
		return s
	case r.High.HasValue:
		return "≤ " + r.High.String()
	case r.Low.HasValue:
		return "≥ " + r.Low.String()
	}
	return r.Text
}

// FlagSource says where an abnormal flag came from.
type FlagSource uint8

// Where a Flag comes from: nowhere, the lab's interpretation, or our own
// comparison of the value with the reference range.
const (
	FlagNone FlagSource = iota
	FlagFromInterpretation
	FlagComputed
)

// Flag is an interpretation of a result: Code is an HL7 v3
// ObservationInterpretation code in upper case ("H", "LL", "A", "N", …).
type Flag struct {
	Code     string
	Text     string // the lab's own words, when it gave some
	Abnormal bool
	Source   FlagSource
}

// Component is one part of a multi-part observation (systolic and diastolic
// blood pressure, for example).
type Component struct {
	Code  Concept
	Name  string
	Value Value
	Range *RefRange
	Flag  Flag
}

// Observation is a result or measurement: a lab value, a vital sign, a
// survey answer.
type Observation struct {
	Entry
	Code       Concept
	Name       string   // display name of Code
	Categories []string // lower-cased category codes: "laboratory", "vital-signs", …
	Status     string   // lower-cased: "final", "preliminary", "amended", …
	Effective  Date     // effectiveDateTime, effectivePeriod.start or effectiveInstant
	Issued     Date
	Value      Value
	Components []Component
	Range      *RefRange // the first reference range, if any
	Flag       Flag
	Notes      []string // note[].text: the provider's comments
	Performers []Ref
	Encounter  Ref
	Members    []Ref // hasMember (panels)
}

// HasCategory reports whether o is in category (e.g. "laboratory").
func (o Observation) HasCategory(category string) bool {
	for _, c := range o.Categories {
		if c == category {
			return true
		}
	}
	return false
}

// Date is when the observation was made, falling back to when it was issued.
func (o Observation) Date() Date { return firstDate(o.Effective, o.Issued) }

type wValue struct {
	ValueQuantity        *wQuantity `json:"valueQuantity"`
	ValueInteger         *wNumber   `json:"valueInteger"`
	ValueString          *string    `json:"valueString"`
	ValueBoolean         *bool      `json:"valueBoolean"`
	ValueCodeableConcept *wConcept  `json:"valueCodeableConcept"`
	ValueDateTime        string     `json:"valueDateTime"`
	ValueTime            string     `json:"valueTime"`
	ValuePeriod          *wPeriod   `json:"valuePeriod"`
	ValueRange           *wRange    `json:"valueRange"`
	ValueRatio           *struct {
		Numerator   *wQuantity `json:"numerator"`
		Denominator *wQuantity `json:"denominator"`
	} `json:"valueRatio"`
	ValueSampledData json.RawMessage `json:"valueSampledData"`
	DataAbsentReason *wConcept       `json:"dataAbsentReason"`
}

type wRefRange struct {
	Low  *wQuantity `json:"low"`
	High *wQuantity `json:"high"`
	Text string     `json:"text"`
}

type wComponent struct {
	wValue
	Code           wConcept    `json:"code"`
	Interpretation []wConcept  `json:"interpretation"`
	ReferenceRange []wRefRange `json:"referenceRange"`
}

type wObservation struct {
	wBase
	wValue
	Status            string        `json:"status"`
	Category          []wConcept    `json:"category"`
	Code              wConcept      `json:"code"`
	EffectiveDateTime string        `json:"effectiveDateTime"`
	EffectivePeriod   wPeriod       `json:"effectivePeriod"`
	EffectiveInstant  string        `json:"effectiveInstant"`
	Issued            string        `json:"issued"`
	Interpretation    []wConcept    `json:"interpretation"`
	Note              []wAnnotation `json:"note"`
	ReferenceRange    []wRefRange   `json:"referenceRange"`
	Component         []wComponent  `json:"component"`
	Performer         []wRef        `json:"performer"`
	Encounter         wRef          `json:"encounter"`
	HasMember         []wRef        `json:"hasMember"`
}

// DecodeObservation decodes an Observation tolerantly; it never fails.
func DecodeObservation(r Resource) Observation {
	var w wObservation
	d := begin(r, &w)
	o := Observation{
		Code:       d.concept(w.Code),
		Categories: d.codes(w.Category),
		Status:     lower(w.Status),
		Effective:  firstDate(d.date(w.EffectiveDateTime), d.date(w.EffectivePeriod.Start), d.date(w.EffectiveInstant)),
		Issued:     d.date(w.Issued),
		Value:      d.value(w.wValue),
		Notes:      d.notes(w.Note),
		Performers: d.refs(w.Performer),
		Encounter:  d.ref(w.Encounter),
		Members:    d.refs(w.HasMember),
	}
	o.Name = o.Code.String()
	o.Range = d.refRange(w.ReferenceRange)
	o.Flag = flagFor(d.concepts(w.Interpretation), o.Value, o.Range)
	for _, c := range w.Component {
		comp := Component{Code: d.concept(c.Code), Value: d.value(c.wValue), Range: d.refRange(c.ReferenceRange)}
		comp.Name = comp.Code.String()
		comp.Flag = flagFor(d.concepts(c.Interpretation), comp.Value, comp.Range)
		o.Components = append(o.Components, comp)
	}
	if o.Effective.IsZero() {
		o.Effective = d.fallbackDate("effectiveDateTime", "effectiveInstant", "start", "issued")
	}
	o.Entry = d.entry()
	return o
}

func (d *decoder) refRange(rs []wRefRange) *RefRange {
	if len(rs) == 0 {
		return nil
	}
	r := rs[0]
	return &RefRange{Low: d.quantity(r.Low), High: d.quantity(r.High), Text: strings.TrimSpace(r.Text)}
}

func (d *decoder) value(w wValue) Value {
	switch {
	case w.ValueQuantity != nil:
		q := d.quantity(w.ValueQuantity)
		return Value{Kind: ValueQuantity, Quantity: q, Text: q.String()}
	case w.ValueInteger != nil && w.ValueInteger.Set:
		if !w.ValueInteger.OK {
			d.incomplete = true
			return Value{}
		}
		q := Quantity{Value: w.ValueInteger.Value, HasValue: true}
		return Value{Kind: ValueQuantity, Quantity: q, Text: q.String()}
	case w.ValueString != nil:
		return Value{Kind: ValueText, Text: strings.TrimSpace(*w.ValueString)}
	case w.ValueBoolean != nil:
		t := i18n.L("No")
		if *w.ValueBoolean {
			t = i18n.L("Yes")
		}
		return Value{Kind: ValueBool, Bool: *w.ValueBoolean, Text: t}
	case w.ValueCodeableConcept != nil:
		c := d.concept(*w.ValueCodeableConcept)
		return Value{Kind: ValueText, Concept: c, Text: c.String()}
	case w.ValueDateTime != "":
		return Value{Kind: ValueText, Text: d.date(w.ValueDateTime).String()}
	case w.ValueTime != "":
		return Value{Kind: ValueText, Text: strings.TrimSpace(w.ValueTime)}
	case w.ValuePeriod != nil:
		p := d.period(*w.ValuePeriod)
		return Value{Kind: ValueText, Text: strings.TrimSpace(p.Start.String() + " – " + p.End.String())}
	case w.ValueRange != nil:
		r := RefRange{Low: d.quantity(w.ValueRange.Low), High: d.quantity(w.ValueRange.High)}
		return Value{Kind: ValueText, Text: r.String()}
	case w.ValueRatio != nil:
		n, dn := d.quantity(w.ValueRatio.Numerator), d.quantity(w.ValueRatio.Denominator)
		if n.String() == "" || dn.String() == "" {
			return Value{Kind: ValueText, Text: n.String()}
		}
		return Value{Kind: ValueText, Text: n.String() + " / " + dn.String()}
	case len(w.ValueSampledData) > 0:
		return Value{Kind: ValueText, Text: i18n.L("(sampled data)")}
	case w.DataAbsentReason != nil:
		return Value{Kind: ValueText, Text: i18n.L("No value: {{.Reason}}", map[string]any{"Reason": d.concept(*w.DataAbsentReason).String()})}
	}
	return Value{}
}

// abnormalCodes are the v3 ObservationInterpretation codes that mean
// "outside the normal range" (high, low, abnormal, critical, off scale).
var abnormalCodes = map[string]bool{
	"H": true, "HH": true, "HU": true, "H>": true, ">": true,
	"L": true, "LL": true, "LU": true, "L<": true, "<": true,
	"A": true, "AA": true, "POS": true, "DET": true, "R": true,
}

// interpretationWords maps the words labs write instead of codes.
var interpretationWords = map[string]string{
	"high": "H", "low": "L", "abnormal": "A", "normal": "N",
	"critical high": "HH", "critically high": "HH", "critical low": "LL", "critically low": "LL",
	"critical": "AA", "positive": "POS", "negative": "NEG", "detected": "DET", "not detected": "ND",
}

// flagFor derives the flag: the lab's interpretation when it gave one,
// otherwise our comparison of a plain numeric value with the range.
func flagFor(interp []Concept, v Value, r *RefRange) Flag {
	for _, c := range interp {
		code := strings.ToUpper(strings.TrimSpace(c.Code("")))
		text := c.String()
		if code == "" {
			code = interpretationWords[lower(text)]
		}
		if code == "" {
			continue
		}
		if strings.EqualFold(text, code) {
			text = ""
		}
		return Flag{Code: code, Text: text, Abnormal: abnormalCodes[code], Source: FlagFromInterpretation}
	}
	n, ok := v.Number()
	// A value with a comparator ("< 0.1") is not a plain number; we do not
	// guess its flag.
	if !ok || r == nil || v.Quantity.Comparator != "" || !sameUnit(v.Quantity, r) {
		return Flag{}
	}
	switch {
	case r.Low.HasValue && n < r.Low.Value:
		return Flag{Code: "L", Abnormal: true, Source: FlagComputed}
	case r.High.HasValue && n > r.High.Value:
		return Flag{Code: "H", Abnormal: true, Source: FlagComputed}
	case r.Low.HasValue || r.High.HasValue:
		return Flag{Code: "N", Source: FlagComputed}
	}
	return Flag{}
}

// sameUnit reports whether the range is in the value's unit (a range
// without a unit is taken to be in the value's unit).
func sameUnit(q Quantity, r *RefRange) bool {
	for _, b := range []Quantity{r.Low, r.High} {
		if b.HasValue && b.unit() != "" && q.unit() != "" && !strings.EqualFold(b.unit(), q.unit()) {
			return false
		}
	}
	return true
}
