package synth

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// labTest is one laboratory test with its reference range and the usual
// value of a healthy adult (mean, sd).
type labTest struct {
	loinc, display, short string
	unit, ucum            string
	low, high             float64 // NaN when the range has no such bound
	mean, sd              float64
	decimals              int
}

// panel is a group of tests reported together by one DiagnosticReport.
type panel struct {
	loinc, display, short string
	tests                 []labTest
	advice                string // added to the conclusion when a value is out of range
}

var none = math.NaN()

var (
	panelCBC = panel{loinc: "58410-2", display: "CBC panel - Blood by Automated count", short: "blood count",
		advice: "We will recheck your blood count at the next visit.",
		tests: []labTest{
			{"6690-2", "Leukocytes [#/volume] in Blood by Automated count", "white blood cells", "10*3/uL", "10*3/uL", 4.5, 11.0, 6.8, 1.2, 1},
			{"718-7", "Hemoglobin [Mass/volume] in Blood", "hemoglobin", "g/dL", "g/dL", 12.0, 17.5, 14.0, 0.8, 1},
			{"4544-3", "Hematocrit [Volume Fraction] of Blood by Automated count", "hematocrit", "%", "%", 36, 50, 42, 2.2, 1},
			{"777-3", "Platelets [#/volume] in Blood by Automated count", "platelets", "10*3/uL", "10*3/uL", 150, 400, 255, 35, 0},
		}}
	panelLipid = panel{loinc: "57698-3", display: "Lipid panel with direct LDL - Serum or Plasma", short: "lipid panel",
		advice: "Diet, exercise and your medicine all help; we will review your cholesterol at your next visit.",
		tests: []labTest{
			{"2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "total cholesterol", "mg/dL", "mg/dL", none, 200, 178, 12, 0},
			{"2571-8", "Triglyceride [Mass/volume] in Serum or Plasma", "triglycerides", "mg/dL", "mg/dL", none, 150, 110, 18, 0},
			{"2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma", "HDL cholesterol", "mg/dL", "mg/dL", 40, none, 56, 6, 0},
			{"18262-6", "Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay", "LDL cholesterol", "mg/dL", "mg/dL", none, 130, 102, 10, 0},
		}}
	panelCMP = panel{loinc: "24323-8", display: "Comprehensive metabolic 2000 panel - Serum or Plasma", short: "metabolic panel",
		advice: "We will look at this together at your next visit.",
		tests: []labTest{
			{"2345-7", "Glucose [Mass/volume] in Serum or Plasma", "glucose", "mg/dL", "mg/dL", 70, 99, 88, 5, 0},
			{"2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "creatinine", "mg/dL", "mg/dL", 0.6, 1.2, 0.9, 0.08, 2},
			{"2951-2", "Sodium [Moles/volume] in Serum or Plasma", "sodium", "mmol/L", "mmol/L", 136, 145, 140, 1.5, 0},
			{"2823-3", "Potassium [Moles/volume] in Serum or Plasma", "potassium", "mmol/L", "mmol/L", 3.5, 5.1, 4.2, 0.25, 1},
			{"17861-6", "Calcium [Mass/volume] in Serum or Plasma", "calcium", "mg/dL", "mg/dL", 8.6, 10.3, 9.4, 0.3, 1},
			{"1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "ALT", "U/L", "U/L", 7, 56, 24, 6, 0},
		}}
	panelA1c = panel{loinc: "4548-4", display: "Hemoglobin A1c/Hemoglobin.total in Blood", short: "A1c",
		advice: "Keep following the eating and activity plan we discussed; we will recheck it in six months.",
		tests: []labTest{
			{"4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "A1c", "%", "%", 4.0, 5.6, 5.2, 0.15, 1},
		}}
)

// flag returns the v3 ObservationInterpretation code for value in t's range.
func (t labTest) flag(value float64) (code, display string) {
	switch {
	case !math.IsNaN(t.high) && value > t.high:
		return "H", "High"
	case !math.IsNaN(t.low) && value < t.low:
		return "L", "Low"
	default:
		return "N", "Normal"
	}
}

func (t labTest) referenceRange() obj {
	rr := obj{}
	var text []string
	if !math.IsNaN(t.low) {
		rr["low"] = quantity(t.low, t.unit, t.ucum)
	}
	if !math.IsNaN(t.high) {
		rr["high"] = quantity(t.high, t.unit, t.ucum)
	}
	switch {
	case !math.IsNaN(t.low) && !math.IsNaN(t.high):
		text = append(text, formatFloat(t.low)+"–"+formatFloat(t.high))
	case !math.IsNaN(t.high):
		text = append(text, "below "+formatFloat(t.high))
	default:
		text = append(text, "above "+formatFloat(t.low))
	}
	rr["text"] = strings.Join(text, "") + " " + t.unit
	return rr
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// labValue is the patient's value of test t at fraction frac of the history:
// the persona's trend where it has one, the healthy mean otherwise.
func (b *patientBuilder) labValue(t labTest, frac float64) float64 {
	if trend, ok := b.p.labTrends[t.loinc]; ok {
		v := lerp(trend, frac)
		return round(v+b.rnd.NormFloat64()*math.Abs(v)*0.015, t.decimals)
	}
	return round(t.mean+b.rnd.NormFloat64()*t.sd, t.decimals)
}

// addLabPanel adds the Observations of one panel and their DiagnosticReport,
// whose conclusion is the clinician's comment; it returns that comment.
//
// A panel released before the clinician reviewed it (released) is sent as
// US practices must now release results: at once, with status
// "preliminary" on the report and its results, no conclusion and no notes.
// Reviewing it makes it "final" (and usually adds a conclusion): that is
// how any FHIR R4 server can tell a patient app a result was reviewed
// (see app/record/labs.go, Reviewed).
func (b *patientBuilder) addLabPanel(pn panel, encounterID string, at time.Time, interpreter string, frac float64, released bool) string {
	status := "final"
	if released {
		status = "preliminary"
	}
	collected := at.Add(20 * time.Minute)
	issued := collected.Add(26 * time.Hour)
	var results []any
	var high, low []string
	for _, t := range pn.tests {
		value := b.labValue(t, frac)
		code, display := t.flag(value)
		switch code {
		case "H":
			high = append(high, t.short)
		case "L":
			low = append(low, t.short)
		}
		id := b.newID("obs")
		body := obj{
			"status":            status,
			"category":          category(sysObsCategory, "laboratory", "Laboratory"),
			"code":              concept(sysLOINC, t.loinc, t.display),
			"subject":           b.patientRef(),
			"encounter":         ref("Encounter", encounterID),
			"effectiveDateTime": fhirInstant(collected),
			"issued":            fhirInstant(issued),
			"valueQuantity":     quantity(value, t.unit, t.ucum),
			"referenceRange":    []any{t.referenceRange()},
			"interpretation":    []any{concept(sysInterpretation, code, display)},
		}
		if t.loinc == "4548-4" && value >= 5.7 && value < 6.5 && !released {
			body["note"] = []any{obj{"text": "In the prediabetes range (5.7–6.4%)."}}
		}
		b.s.add("Observation", id, body)
		results = append(results, ref("Observation", id))
	}
	conclusion := labComment(pn, high, low)
	report := obj{
		"status":             status,
		"category":           category(sysV20074, "LAB", "Laboratory"),
		"code":               concept(sysLOINC, pn.loinc, pn.display),
		"subject":            b.patientRef(),
		"encounter":          ref("Encounter", encounterID),
		"effectiveDateTime":  fhirInstant(collected),
		"issued":             fhirInstant(issued),
		"performer":          []any{ref("Organization", PracticeOrgID)},
		"resultsInterpreter": []any{ref("Practitioner", interpreter)},
		"result":             results,
		"conclusion":         conclusion,
	}
	if released {
		delete(report, "conclusion")
		conclusion = ""
	}
	b.s.add("DiagnosticReport", b.newID("report"), report)
	return conclusion
}

// labComment is the clinician's comment on a panel given the names of its
// high and low results.
func labComment(pn panel, high, low []string) string {
	if len(high) == 0 && len(low) == 0 {
		if len(pn.tests) == 1 {
			return "Your " + pn.short + " is in the normal range. No changes needed."
		}
		return "All results of your " + pn.short + " are in the normal range. No changes needed."
	}
	var parts []string
	if len(high) > 0 {
		parts = append(parts, listWords(high)+verb(high)+" above the normal range")
	}
	if len(low) > 0 {
		parts = append(parts, listWords(low)+verb(low)+" below the normal range")
	}
	lead := "Your "
	if len(pn.tests) > 1 {
		lead = "In your " + pn.short + ", "
	}
	return lead + strings.Join(parts, ", and ") + ". " + pn.advice
}

func verb(names []string) string {
	if len(names) == 1 {
		return " is"
	}
	return " are"
}

// listWords joins names as "a", "a and b" or "a, b and c".
func listWords(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
