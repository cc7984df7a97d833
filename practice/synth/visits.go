package synth

import (
	"fmt"
	"html"
	"math"
	"slices"
	"strings"
	"time"
)

// visit is one planned encounter of a patient.
type visit struct {
	id           string
	at           time.Time
	vt           visitType
	practitioner string
	sick         *sickReason
	panels       []panel
	vitals       vitalSigns
	diagnoses    []string // displays of conditions diagnosed at the visit
	labComments  []string
}

type vitalSigns struct {
	weight, height, bmi, systolic, diastolic, hr float64
	hasBP, hasBMI                                bool
}

// encounterType maps a visit type to the SNOMED code of Encounter.type.
var encounterType = map[string][2]string{
	"annual-physical": {"185349003", "Encounter for check up (procedure)"},
	"well-child":      {"410620009", "Well child visit (procedure)"},
	"sick-visit":      {"185345009", "Encounter for symptom (procedure)"},
	"follow-up":       {"390906007", "Follow-up encounter (procedure)"},
	"telehealth":      {"390906007", "Follow-up encounter (procedure)"},
}

// planVisits lays out the patient's visits over the history years: one
// annual visit a year, follow-ups, and the persona's sick visits.
func (b *patientBuilder) planVisits() []*visit {
	p := b.p
	var visits []*visit
	annual := visitPhysical
	if p.kind == child || p.kind == teen {
		annual = visitWellChild
	}
	for y := p.history - 1; y >= 0; y-- {
		v := &visit{at: b.yearsAgo(float64(y) + float64(35+b.rnd.IntN(20))/365), vt: annual, practitioner: p.gp}
		switch {
		case p.labsEveryPhysical:
			v.panels = []panel{panelCBC, panelLipid, panelCMP}
			if p.a1c {
				v.panels = append(v.panels, panelA1c)
			}
		case p.labTrends != nil && y < 2:
			v.panels = []panel{panelCBC}
		}
		visits = append(visits, v)
		for f := range p.followUpsPerYear {
			vt := visitFollowUp
			if f%2 == 1 {
				vt = visitTelehealth
			}
			fu := &visit{at: b.yearsAgo(float64(y) + float64(35+b.rnd.IntN(20))/365 - float64(f+1)/float64(p.followUpsPerYear+1)),
				vt: vt, practitioner: p.gp}
			if p.a1c && vt == visitFollowUp {
				fu.panels = []panel{panelA1c}
			}
			if fu.at.Before(b.g.now.AddDate(0, 0, -7)) {
				visits = append(visits, fu)
			}
		}
	}
	for i := range p.sick {
		s := &p.sick[i]
		pr := p.gp
		if i%2 == 1 && p.kind != child && p.kind != teen {
			pr = "np-natarajan"
		}
		visits = append(visits, &visit{at: b.yearsAgo(s.yearsAgo), vt: visitSick, practitioner: pr, sick: s})
	}
	slices.SortStableFunc(visits, func(a, c *visit) int { return a.at.Compare(c.at) })
	return visits
}

// addVisits generates the encounters with their vitals, lab reports, visit
// summaries, and what a sick visit produced (diagnosis, medicine, procedure).
func (b *patientBuilder) addVisits() {
	b.visits = b.planVisits()
	start := b.yearsAgo(float64(b.p.history))
	span := b.g.now.Sub(start).Hours()
	// The latest labs were released to the patient before the clinician
	// reviewed them: the practice has both kinds of results.
	latestLabs := -1
	for i, v := range b.visits {
		if len(v.panels) > 0 {
			latestLabs = i
		}
	}
	for i, v := range b.visits {
		v.id = b.newID("enc")
		frac := math.Max(0, math.Min(1, v.at.Sub(start).Hours()/span))
		b.s.add("Encounter", v.id, b.encounter(v))
		v.vitals = b.vitalSigns(v.at, frac)
		b.addVitals(v.id, v.at, v.vitals)
		for _, pn := range v.panels {
			if c := b.addLabPanel(pn, v.id, v.at, v.practitioner, frac, i == latestLabs); c != "" {
				v.labComments = append(v.labComments, c)
			}
		}
		if s := v.sick; s != nil {
			b.s.add("Condition", b.newID("cond"), b.conditionAt(s, v))
			v.diagnoses = append(v.diagnoses, s.display)
			if s.med != nil {
				m := *s.med
				m.status, m.prescriber = "completed", v.practitioner
				b.s.add("MedicationRequest", b.newID("med"), b.medicationRequest(m, v.at, v.at.AddDate(0, 0, 14), "", v.id))
			}
			if s.procedure != nil {
				b.procedure(*s.procedure, v.at.Add(30*time.Minute), v.id)
			}
		}
		b.addVisitSummary(v)
	}
}

func (b *patientBuilder) conditionAt(s *sickReason, v *visit) obj {
	c := b.condition(s.code, s.display, v.at, 0, "encounter-diagnosis")
	c["clinicalStatus"] = concept(sysCondClinical, "resolved", "Resolved")
	c["abatementDateTime"] = fhirInstant(v.at.AddDate(0, 0, 21))
	c["encounter"] = ref("Encounter", v.id)
	return c
}

func (b *patientBuilder) encounter(v *visit) obj {
	et := encounterType[v.vt.code]
	class := coding(sysActCode, "AMB", "ambulatory")
	if v.vt == visitTelehealth {
		class = coding(sysActCode, "VR", "virtual")
	}
	pr := practitionerByID(v.practitioner)
	body := obj{
		"status":      "finished",
		"class":       class,
		"type":        []any{concept(sysSNOMED, et[0], et[1])},
		"serviceType": concept(sysServiceType, v.vt.code, v.vt.display),
		"subject":     b.patientRef(),
		"participant": []any{obj{
			"type":       []any{concept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "PPRF", "primary performer")},
			"individual": refDisplay("Practitioner", pr.id, pr.display()),
		}},
		"period":          period(v.at, v.at.Add(time.Duration(v.vt.minutes)*time.Minute)),
		"serviceProvider": ref("Organization", PracticeOrgID),
	}
	if v.vt != visitTelehealth {
		body["location"] = []any{obj{"location": ref("Location", pr.location)}}
	}
	if v.sick != nil {
		body["reasonCode"] = []any{concept(sysSNOMED, v.sick.code, v.sick.display)}
	}
	return body
}

// childGrowth is a typical height (cm) and weight (kg) by age in years.
var childGrowth = [][3]float64{
	{0, 50, 3.4}, {1, 75, 9.6}, {2, 87, 12.2}, {3, 95, 14.3}, {4, 102, 16.3}, {5, 109, 18.4},
	{6, 115, 20.7}, {7, 121, 23.1}, {8, 127, 25.8}, {9, 133, 28.9}, {10, 138, 32.3},
	{11, 143, 36.1}, {12, 149, 40.5}, {13, 156, 45.3}, {14, 160, 49.4}, {15, 162, 52.3}, {18, 165, 57},
}

func growthAt(age float64) (height, weight float64) {
	for i := 1; i < len(childGrowth); i++ {
		lo, hi := childGrowth[i-1], childGrowth[i]
		if age <= hi[0] {
			f := (age - lo[0]) / (hi[0] - lo[0])
			return lo[1] + f*(hi[1]-lo[1]), lo[2] + f*(hi[2]-lo[2])
		}
	}
	last := childGrowth[len(childGrowth)-1]
	return last[1], last[2]
}

func lerp(pair [2]float64, f float64) float64 { return pair[0] + f*(pair[1]-pair[0]) }

// vitalSigns computes the vitals of a visit at fraction frac of the history.
func (b *patientBuilder) vitalSigns(at time.Time, frac float64) vitalSigns {
	p := b.p
	var vs vitalSigns
	noise := func(sd float64) float64 { return b.rnd.NormFloat64() * sd }
	if p.kind == child || p.kind == teen {
		age := at.Sub(p.birth).Hours() / (365.25 * 24)
		vs.height, vs.weight = growthAt(age)
		vs.height = round(vs.height+noise(0.4), 1)
		vs.weight = round(vs.weight*(1+noise(0.02)), 1)
	} else {
		vs.height = round(p.heightCm+noise(0.3), 1)
		vs.weight = round(lerp(p.weight, frac)+noise(0.6), 1)
	}
	vs.bmi = round(vs.weight/math.Pow(vs.height/100, 2), 1)
	vs.hasBMI = p.kind != child || at.Sub(p.birth) > 2*365*24*time.Hour
	bp := p.bp
	if bp == [2][2]float64{} {
		bp = [2][2]float64{{94, 58}, {102, 64}}
	}
	vs.hasBP = at.Sub(p.birth) > 3*365*24*time.Hour
	vs.systolic = math.Round(bp[0][0] + frac*(bp[1][0]-bp[0][0]) + noise(4))
	vs.diastolic = math.Round(bp[0][1] + frac*(bp[1][1]-bp[0][1]) + noise(3))
	hr := p.hr
	if hr == 0 {
		hr = 75
	}
	vs.hr = math.Round(hr + noise(5))
	return vs
}

func (b *patientBuilder) addVitals(encounterID string, at time.Time, vs vitalSigns) {
	add := func(code, display string, value obj, components []any) {
		body := obj{
			"status":            "final",
			"category":          category(sysObsCategory, "vital-signs", "Vital Signs"),
			"code":              concept(sysLOINC, code, display),
			"subject":           b.patientRef(),
			"encounter":         ref("Encounter", encounterID),
			"effectiveDateTime": fhirInstant(at),
			"issued":            fhirInstant(at.Add(10 * time.Minute)),
		}
		if value != nil {
			body["valueQuantity"] = value
		}
		if components != nil {
			body["component"] = components
		}
		b.s.add("Observation", b.newID("obs"), body)
	}
	add("29463-7", "Body weight", quantity(vs.weight, "kg", "kg"), nil)
	add("8302-2", "Body height", quantity(vs.height, "cm", "cm"), nil)
	if vs.hasBMI {
		add("39156-5", "Body mass index (BMI) [Ratio]", quantity(vs.bmi, "kg/m2", "kg/m2"), nil)
	}
	if vs.hasBP {
		add("85354-9", "Blood pressure panel with all children optional", nil, []any{
			obj{"code": concept(sysLOINC, "8480-6", "Systolic blood pressure"), "valueQuantity": quantity(vs.systolic, "mmHg", "mm[Hg]")},
			obj{"code": concept(sysLOINC, "8462-4", "Diastolic blood pressure"), "valueQuantity": quantity(vs.diastolic, "mmHg", "mm[Hg]")},
		})
	}
	add("8867-4", "Heart rate", quantity(vs.hr, "beats/minute", "/min"), nil)
}

// addVisitSummary adds the visit's clinical summary as a DocumentReference
// with the text inline: plain text, or HTML for every third visit.
func (b *patientBuilder) addVisitSummary(v *visit) {
	pr := practitionerByID(v.practitioner)
	var lines []string
	lines = append(lines,
		"Visit summary — Riverside Family Medicine",
		"Patient: "+b.displayName(),
		"Date: "+fhirDate(v.at),
		"Clinician: "+pr.display(),
		"Visit type: "+v.vt.display,
		"",
	)
	vitals := fmt.Sprintf("Vitals: weight %.1f kg, height %.1f cm, heart rate %.0f/min", v.vitals.weight, v.vitals.height, v.vitals.hr)
	if v.vitals.hasBP {
		vitals += fmt.Sprintf(", blood pressure %.0f/%.0f mmHg", v.vitals.systolic, v.vitals.diastolic)
	}
	lines = append(lines, vitals+".")
	switch {
	case v.sick != nil:
		lines = append(lines, "Reason for visit: "+strings.TrimSuffix(v.sick.display, " (disorder)")+".", "Assessment and plan: "+v.sick.note)
	case v.vt == visitPhysical || v.vt == visitWellChild:
		review := "history, examination and preventive screening reviewed"
		if v.vt == visitWellChild {
			review = "growth, development, vision and hearing reviewed"
		}
		lines = append(lines, "Assessment: routine "+strings.ToLower(v.vt.display)+"; "+review+".")
		if len(b.p.conditions) > 0 {
			var names []string
			for _, c := range b.p.conditions {
				names = append(names, strings.ToLower(withoutTag(c.display)))
			}
			lines = append(lines, "Ongoing problems reviewed: "+strings.Join(names, ", ")+".")
		}
		lines = append(lines, "Plan: continue current medicines; see you again in one year, sooner if needed.")
	default:
		lines = append(lines, "Assessment: follow-up of "+strings.ToLower(b.p.carePlan.title)+".",
			"Plan: "+strings.Join(b.p.carePlan.activities, "; ")+".")
	}
	for _, c := range v.labComments {
		lines = append(lines, "Lab results: "+c)
	}
	text := strings.Join(lines, "\n") + "\n"

	attachment := obj{"contentType": "text/plain; charset=utf-8", "language": "en-US", "title": v.vt.display + " summary",
		"creation": fhirInstant(v.at)}
	if b.counters["doc"]%3 == 2 {
		var sb strings.Builder
		sb.WriteString("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Visit summary</title></head><body>\n")
		for _, l := range lines {
			if l == "" {
				continue
			}
			sb.WriteString("<p>" + html.EscapeString(l) + "</p>\n")
		}
		sb.WriteString("</body></html>\n")
		text = sb.String()
		attachment["contentType"] = "text/html; charset=utf-8"
	}
	attachment["data"] = b64([]byte(text))
	attachment["size"] = len(text)
	b.addDocument(v, "11506-3", "Progress note", attachment)
}

// addDocument adds a clinical-note DocumentReference for visit v.
func (b *patientBuilder) addDocument(v *visit, loinc, display string, attachment obj) string {
	id := b.newID("doc")
	end := v.at.Add(time.Duration(v.vt.minutes) * time.Minute)
	b.s.add("DocumentReference", id, obj{
		"status":      "current",
		"docStatus":   "final",
		"type":        concept(sysLOINC, loinc, display),
		"category":    category(sysUSCoreDocCat, "clinical-note", "Clinical Note"),
		"subject":     b.patientRef(),
		"date":        fhirInstant(end.Add(2 * time.Hour)),
		"author":      []any{ref("Practitioner", v.practitioner)},
		"custodian":   ref("Organization", PracticeOrgID),
		"description": v.vt.display + " on " + fhirDate(v.at),
		"content":     []any{obj{"attachment": attachment}},
		"context": obj{
			"encounter": []any{ref("Encounter", v.id)},
			"period":    period(v.at, end),
		},
	})
	return id
}

// withoutTag is a SNOMED CT display as a clinician writes it in a letter:
// without the semantic tag ("Anemia (disorder)" → "Anemia").
func withoutTag(display string) string {
	for _, tag := range []string{" (disorder)", " (finding)", " (procedure)", " (situation)"} {
		if strings.HasSuffix(strings.ToLower(display), tag) {
			return display[:len(display)-len(tag)]
		}
	}
	return display
}
