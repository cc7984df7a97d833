package synth

import (
	"fmt"
	"html"
	"math/rand/v2"
	"time"
)

// patientBuilder generates one persona's chart into its own set.
type patientBuilder struct {
	g            *generator
	p            persona
	s            *set
	rnd          *rand.Rand
	counters     map[string]int
	visits       []*visit
	conditionIDs []string
	medIDs       []string
}

// newID returns the next id of a kind of resource of this patient, such as
// "maya-obs-12".
func (b *patientBuilder) newID(kind string) string {
	b.counters[kind]++
	return fmt.Sprintf("%s-%s-%d", b.p.short, kind, b.counters[kind])
}

func (b *patientBuilder) patientRef() obj { return ref("Patient", b.p.id) }

func (b *patientBuilder) displayName() string {
	return b.p.given[0] + " " + b.p.family
}

// yearsAgo returns a weekday moment about y years before now, during office
// hours (9:00 to 15:30), so visits look like visits.
func (b *patientBuilder) yearsAgo(y float64) time.Time {
	t := b.g.now.Add(-time.Duration(y * 365.25 * 24 * float64(time.Hour)))
	return b.officeHours(t)
}

func (b *patientBuilder) officeHours(t time.Time) time.Time {
	t = atClock(t, 9, 0).Add(time.Duration(b.rnd.IntN(14)) * 30 * time.Minute)
	switch t.Weekday() {
	case time.Saturday:
		t = t.AddDate(0, 0, -1)
	case time.Sunday:
		t = t.AddDate(0, 0, -2)
	}
	return t
}

// buildPatient generates a demo patient's whole chart.
func (g *generator) buildPatient(p persona) *set {
	b := &patientBuilder{g: g, p: p, s: &set{}, rnd: g.rng("patient/" + p.id), counters: map[string]int{}}
	b.addPatient()
	b.addConditions()
	b.addVisits()
	if p.pdfHandout {
		b.addCarePlanPDF()
	}
	b.addMedications()
	b.addAllergies()
	b.addImmunizations()
	b.addRecommendations()
	b.addProcedures()
	b.addCarePlan()
	b.addCareTeam()
	b.addBilling()
	b.addThreads()
	b.addAppointments()
	b.addRefillTask()
	b.addEducation() // last: it draws no random numbers, the rest stays as it was
	return b.s
}

func (b *patientBuilder) addPatient() {
	p := b.p
	telecom := []any{obj{"system": "phone", "value": p.phone, "use": "mobile"}}
	if p.email != "" {
		telecom = append(telecom, obj{"system": "email", "value": p.email, "use": "home"})
	}
	var extensions []any
	if p.pharmacy != "" {
		extensions = append(extensions, preferredPharmacy(p.pharmacy))
	}
	patient := obj{
		"active": true,
		"identifier": []any{obj{
			"use":    "usual",
			"type":   concept(sysV20203, "MR", "Medical record number"),
			"system": sysMRN, "value": p.mrn,
		}},
		"name":      []any{humanName("", p.given, p.family, "")},
		"gender":    p.gender,
		"birthDate": fhirDate(p.birth),
		"telecom":   telecom,
		"address": []any{obj{"use": "home", "line": []any{p.street}, "city": "Riverside", "state": "IA",
			"postalCode": "52327", "country": "US"}},
		"communication": []any{obj{
			"language":  concept(sysBCP47, p.lang, p.langDisplay),
			"preferred": true,
		}},
		"generalPractitioner":  []any{refDisplay("Practitioner", p.gp, practitionerByID(p.gp).display())},
		"managingOrganization": ref("Organization", PracticeOrgID),
	}
	if len(extensions) > 0 {
		patient["extension"] = extensions
	}
	b.s.add("Patient", p.id, patient)
	for _, px := range p.proxies {
		b.s.add("RelatedPerson", px.id, obj{
			"active":       true,
			"patient":      b.patientRef(),
			"relationship": []any{concept(sysRoleCode, px.relCode, px.relDisplay)},
			"name":         []any{humanName("", []string{px.given}, px.family, "")},
			"gender":       px.gender,
			"telecom":      []any{obj{"system": "phone", "value": px.phone, "use": "mobile"}},
		})
	}
}

// preferredPharmacy is the HL7 patient-preferredPharmacy extension naming
// the pharmacy with id.
func preferredPharmacy(id string) obj {
	ph := pharmacyByID(id)
	return obj{"url": PreferredPharmacyURL, "extension": []any{
		obj{"url": "pharmacy", "valueReference": refDisplay("Organization", ph.id, ph.name)},
		obj{"url": "type", "valueCodeableConcept": concept(sysNUCC, ph.code, ph.display)},
	}}
}

func (b *patientBuilder) addConditions() {
	for _, c := range b.p.conditions {
		id := b.newID("cond")
		b.conditionIDs = append(b.conditionIDs, id)
		b.s.add("Condition", id, b.condition(c.code, c.display, b.yearsAgo(c.onsetYears), c.resolvedYears, "problem-list-item"))
	}
}

func (b *patientBuilder) condition(code, display string, onset time.Time, resolvedYears float64, cat string) obj {
	status := "active"
	body := obj{
		"verificationStatus": concept(sysCondVer, "confirmed", "Confirmed"),
		"category":           category(sysCondCategory, cat, map[string]string{"problem-list-item": "Problem List Item", "encounter-diagnosis": "Encounter Diagnosis"}[cat]),
		"code":               concept(sysSNOMED, code, display),
		"subject":            b.patientRef(),
		"onsetDateTime":      fhirInstant(onset),
		"recordedDate":       fhirInstant(onset),
	}
	if resolvedYears > 0 {
		status = "resolved"
		body["abatementDateTime"] = fhirInstant(b.yearsAgo(resolvedYears))
	}
	body["clinicalStatus"] = concept(sysCondClinical, status, map[string]string{"active": "Active", "resolved": "Resolved"}[status])
	return body
}

func (b *patientBuilder) addMedications() {
	for _, m := range b.p.meds {
		id := b.newID("med")
		b.medIDs = append(b.medIDs, id)
		var reason string
		if m.reason >= 0 && m.reason < len(b.conditionIDs) {
			reason = b.conditionIDs[m.reason]
		}
		end := time.Time{}
		if m.endYears > 0 {
			end = b.yearsAgo(m.endYears)
		}
		b.s.add("MedicationRequest", id, b.medicationRequest(m, b.yearsAgo(m.startYears), end, reason, ""))
	}
}

// medicationRequest builds a MedicationRequest; end (if set) closes its
// validity period, encounter (if set) links the visit it was written at.
func (b *patientBuilder) medicationRequest(m med, start, end time.Time, reasonID, encounterID string) obj {
	prescriber := m.prescriber
	if prescriber == "" {
		prescriber = b.p.gp
	}
	dispenser := m.pharmacy
	if dispenser == "" {
		dispenser = b.p.pharmacy
	}
	validity := obj{"start": fhirInstant(start)}
	if !end.IsZero() {
		validity["end"] = fhirInstant(end)
	}
	body := obj{
		"status":                    m.status,
		"intent":                    "order",
		"medicationCodeableConcept": concept(sysRxNorm, m.code, m.display),
		"subject":                   b.patientRef(),
		"authoredOn":                fhirInstant(start),
		"requester":                 refDisplay("Practitioner", prescriber, practitionerByID(prescriber).display()),
		"dosageInstruction":         []any{obj{"sequence": 1, "text": m.dosage}},
		"dispenseRequest": obj{
			"numberOfRepeatsAllowed": m.refills,
			"quantity":               obj{"value": m.quantity, "unit": m.unit},
			"validityPeriod":         validity,
		},
	}
	if dispenser != "" {
		body["dispenseRequest"].(obj)["performer"] = refDisplay("Organization", dispenser, pharmacyByID(dispenser).name)
	}
	if reasonID != "" {
		body["reasonReference"] = []any{ref("Condition", reasonID)}
	}
	if encounterID != "" {
		body["encounter"] = ref("Encounter", encounterID)
	}
	return body
}

func (b *patientBuilder) addAllergies() {
	for _, a := range b.p.allergies {
		b.s.add("AllergyIntolerance", b.newID("allergy"), obj{
			"clinicalStatus":     concept(sysAllergyClin, "active", "Active"),
			"verificationStatus": concept(sysAllergyVer, "confirmed", "Confirmed"),
			"type":               "allergy",
			"category":           []any{a.category},
			"criticality":        a.criticality,
			"code":               concept(sysSNOMED, a.code, a.display),
			"patient":            b.patientRef(),
			"recordedDate":       fhirInstant(b.yearsAgo(a.recordedYears)),
			"reaction": []any{obj{
				"manifestation": []any{concept(sysSNOMED, a.reactionCode, a.reaction)},
				"severity":      a.severity,
			}},
		})
	}
}

type vaccine struct{ cvx, display string }

var (
	vaxFlu      = vaccine{"140", "Influenza, seasonal, injectable, preservative free"}
	vaxTdap     = vaccine{"115", "Tdap"}
	vaxTd       = vaccine{"113", "Td (adult) preservative free"}
	vaxHepB     = vaccine{"08", "Hep B, adolescent or pediatric"}
	vaxDTaP     = vaccine{"20", "DTaP"}
	vaxIPV      = vaccine{"10", "IPV"}
	vaxPCV13    = vaccine{"133", "Pneumococcal conjugate PCV 13"}
	vaxHib      = vaccine{"49", "Hib (PRP-OMP)"}
	vaxMMR      = vaccine{"03", "MMR"}
	vaxVaricell = vaccine{"21", "varicella"}
	vaxHepA     = vaccine{"83", "Hep A, ped/adol, 2 dose"}
	vaxRota     = vaccine{"119", "rotavirus, monovalent"}
	vaxMCV4     = vaccine{"114", "meningococcal MCV4P"}
	vaxHPV      = vaccine{"62", "HPV, quadrivalent"}
	vaxPPSV23   = vaccine{"33", "pneumococcal polysaccharide vaccine, 23 valent"}
)

// childhoodSchedule is the routine series by age in months.
var childhoodSchedule = []struct {
	months int
	vax    vaccine
}{
	{0, vaxHepB}, {1, vaxHepB}, {2, vaxDTaP}, {2, vaxIPV}, {2, vaxPCV13}, {2, vaxHib}, {2, vaxRota},
	{4, vaxDTaP}, {4, vaxIPV}, {4, vaxPCV13}, {4, vaxHib}, {4, vaxRota},
	{6, vaxHepB}, {6, vaxDTaP}, {6, vaxIPV}, {6, vaxPCV13},
	{12, vaxPCV13}, {12, vaxHib}, {12, vaxMMR}, {12, vaxVaricell}, {12, vaxHepA},
	{15, vaxDTaP}, {18, vaxHepA},
	{54, vaxDTaP}, {54, vaxIPV}, {54, vaxMMR}, {54, vaxVaricell},
	{132, vaxTdap}, {132, vaxMCV4}, {132, vaxHPV}, {138, vaxHPV},
}

func (b *patientBuilder) addImmunizations() {
	p := b.p
	switch p.kind {
	case child, teen:
		for _, dose := range childhoodSchedule {
			at := p.birth.AddDate(0, dose.months, 3)
			if !at.Before(b.g.now) {
				continue
			}
			b.immunization(dose.vax, b.officeHours(at), "dr-brooks")
		}
	case adult:
		b.immunization(vaxTdap, b.yearsAgo(4.6), p.gp)
	case elder:
		b.immunization(vaxTd, b.yearsAgo(6.2), p.gp)
		b.immunization(vaxPCV13, b.yearsAgo(4.3), p.gp)
		b.immunization(vaxPPSV23, b.yearsAgo(3.2), p.gp)
	}
	// A flu shot every October of the history years.
	for y := p.history; y >= 0; y-- {
		at := atClock(b.g.now, 0, 0).AddDate(-y, 0, 0)
		at = time.Date(at.Year(), time.October, 6+b.rnd.IntN(20), 0, 0, 0, 0, practiceZone)
		if at.After(b.g.now) || at.Before(p.birth.AddDate(0, 6, 0)) {
			continue
		}
		b.immunization(vaxFlu, b.officeHours(at), p.gp)
	}
}

// sysForecastStatus is the code system of a recommendation's forecast.
const sysForecastStatus = "http://terminology.hl7.org/CodeSystem/immunization-recommendation-status"

// recommendations are the vaccines the practice forecasts as due for
// adults and elders (ImmunizationRecommendation): the practice's own
// preventive-care reminders, which the app shows before any general rule.
var recommendations = map[kind]struct {
	vax     vaccine
	disease obj
	note    string
}{
	adult: {vaccine{"309", "COVID-19 vaccine, 2026-2027 formula"}, concept(sysSNOMED, "840539006", "COVID-19"),
		"This season's COVID-19 vaccine; ask at your next visit or at your pharmacy."},
	elder: {vaccine{"187", "Zoster vaccine recombinant (shingles)"}, concept(sysSNOMED, "4740000", "Herpes zoster"),
		"Two doses, two to six months apart."},
}

// addRecommendations adds the practice's forecast of a vaccine due two
// weeks ago, for the kinds of patient that have one.
func (b *patientBuilder) addRecommendations() {
	rec, ok := recommendations[b.p.kind]
	if !ok {
		return
	}
	due := b.officeHours(b.g.now.AddDate(0, 0, -14))
	b.s.add("ImmunizationRecommendation", b.newID("immrec"), obj{
		"patient": b.patientRef(),
		"date":    fhirInstant(due.AddDate(0, 0, -7)),
		"recommendation": []any{obj{
			"vaccineCode":    []any{concept(sysCVX, rec.vax.cvx, rec.vax.display)},
			"targetDisease":  rec.disease,
			"forecastStatus": concept(sysForecastStatus, "due", "Due"),
			"dateCriterion": []any{obj{
				"code":  concept(sysLOINC, "30980-7", "Date vaccine due"),
				"value": fhirDate(due),
			}},
			"description": rec.note,
		}},
	})
}

func (b *patientBuilder) immunization(v vaccine, at time.Time, performer string) {
	b.s.add("Immunization", b.newID("imm"), obj{
		"status":             "completed",
		"vaccineCode":        concept(sysCVX, v.cvx, v.display),
		"patient":            b.patientRef(),
		"occurrenceDateTime": fhirInstant(at),
		"primarySource":      true,
		"lotNumber":          fmt.Sprintf("%s%05d", "LT", b.rnd.IntN(100000)),
		"location":           ref("Location", practitionerByID(performer).location),
		"performer":          []any{obj{"actor": ref("Practitioner", performer)}},
	})
}

func (b *patientBuilder) addProcedures() {
	for _, pr := range b.p.procedures {
		b.procedure(pr, b.yearsAgo(pr.yearsAgo), "")
	}
}

func (b *patientBuilder) procedure(pr procedure, at time.Time, encounterID string) {
	body := obj{
		"status":            "completed",
		"code":              concept(sysSNOMED, pr.code, pr.display),
		"subject":           b.patientRef(),
		"performedDateTime": fhirInstant(at),
		"performer":         []any{obj{"actor": ref("Practitioner", b.p.gp)}},
	}
	if encounterID != "" {
		body["encounter"] = ref("Encounter", encounterID)
	}
	b.s.add("Procedure", b.newID("proc"), body)
}

func (b *patientBuilder) addCarePlan() {
	cp := b.p.carePlan
	cond := b.p.conditions[cp.addresses]
	start := b.yearsAgo(min(cond.onsetYears, float64(b.p.history)))
	var goalRefs []any
	for _, gl := range cp.goals {
		id := b.newID("goal")
		goalRefs = append(goalRefs, ref("Goal", id))
		body := obj{
			"lifecycleStatus": "active",
			"description":     textConcept(gl.text),
			"subject":         b.patientRef(),
			"startDate":       fhirDate(start),
			"expressedBy":     ref("Practitioner", b.p.gp),
			"addresses":       []any{ref("Condition", b.conditionIDs[cp.addresses])},
		}
		if gl.loinc != "" {
			body["target"] = []any{obj{
				"measure":        concept(sysLOINC, gl.loinc, gl.measure),
				"detailQuantity": obj{"value": gl.value, "comparator": gl.comparator, "unit": gl.unit, "system": sysUCUM, "code": gl.ucum},
				"dueDate":        fhirDate(b.g.now.AddDate(1, 0, 0)),
			}}
		}
		b.s.add("Goal", id, body)
	}
	var activities []any
	for _, a := range cp.activities {
		activities = append(activities, obj{"detail": obj{"status": "in-progress", "description": a}})
	}
	b.s.add("CarePlan", b.newID("careplan"), obj{
		"text": obj{"status": "generated",
			"div": `<div xmlns="http://www.w3.org/1999/xhtml"><p><b>` + html.EscapeString(cp.title) + `</b></p><p>` +
				html.EscapeString(cp.description) + `</p></div>`},
		"status":      "active",
		"intent":      "plan",
		"category":    category(sysCarePlanCat, "assess-plan", "Assessment and Plan of Treatment"),
		"title":       cp.title,
		"description": cp.description,
		"subject":     b.patientRef(),
		"period":      obj{"start": fhirInstant(start)},
		"created":     fhirInstant(start),
		"author":      ref("Practitioner", b.p.gp),
		"addresses":   []any{ref("Condition", b.conditionIDs[cp.addresses])},
		"goal":        goalRefs,
		"activity":    activities,
	})
}

func (b *patientBuilder) addCareTeam() {
	participants := []any{
		obj{"role": []any{concept(sysSNOMED, "446050000", "Primary care physician")}, "member": ref("Practitioner", b.p.gp)},
		obj{"role": []any{concept(sysSNOMED, "224571005", "Nurse practitioner")}, "member": ref("Practitioner", "np-natarajan")},
	}
	for _, px := range b.p.proxies {
		participants = append(participants, obj{
			"role":   []any{concept(sysSNOMED, "133932002", "Caregiver")},
			"member": ref("RelatedPerson", px.id),
		})
	}
	b.s.add("CareTeam", b.newID("careteam"), obj{
		"status":               "active",
		"name":                 b.p.given[0] + "'s care team",
		"subject":              b.patientRef(),
		"participant":          participants,
		"managingOrganization": []any{ref("Organization", PracticeOrgID)},
	})
}
