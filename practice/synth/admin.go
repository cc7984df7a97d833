package synth

import (
	"fmt"
	"time"
)

// visitCharge is what the practice bills for a visit type, with its CPT code.
var visitCharge = map[string]struct {
	cpt, display string
	amount       float64
}{
	"annual-physical": {"99396", "Preventive visit, established patient", 245},
	"well-child":      {"99393", "Preventive visit, established patient, child", 185},
	"sick-visit":      {"99213", "Office visit, established patient, low complexity", 145},
	"follow-up":       {"99214", "Office visit, established patient, moderate complexity", 175},
	"telehealth":      {"99213", "Office visit, established patient, low complexity", 120},
}

// addBilling adds the patient's Coverage and Account, and for the last three
// visits an ExplanationOfBenefit and an Invoice: the two older ones paid
// (status balanced), the newest still due (status issued).
func (b *patientBuilder) addBilling() {
	p := b.p
	subscriber, relationship := b.patientRef(), concept(sysSubscriberRel, "self", "Self")
	guarantor := b.patientRef()
	if len(p.proxies) > 0 && (p.kind == child || p.kind == teen) {
		subscriber = ref("RelatedPerson", p.proxies[0].id)
		relationship = concept(sysSubscriberRel, "child", "Child")
		guarantor = subscriber
	}
	coverageID := b.newID("coverage")
	b.s.add("Coverage", coverageID, obj{
		"status":       "active",
		"type":         concept(sysActCode, "HIP", "health insurance plan policy"),
		"subscriber":   subscriber,
		"subscriberId": p.memberID,
		"beneficiary":  b.patientRef(),
		"relationship": relationship,
		"period":       obj{"start": fhirDate(b.yearsAgo(float64(p.history) + 1))},
		"payor":        []any{ref("Organization", p.payer)},
		"class": []any{obj{
			"type":  concept("http://terminology.hl7.org/CodeSystem/coverage-class", "group", "Group"),
			"value": "RFM-GROUP-01", "name": "Riverside Family Medicine patients",
		}},
	})
	accountID := b.newID("account")
	b.s.add("Account", accountID, obj{
		"status":        "active",
		"type":          concept(sysActCode, "PBILLACCT", "patient billing account"),
		"name":          "Patient account " + p.mrn,
		"subject":       []any{b.patientRef()},
		"servicePeriod": obj{"start": fhirDate(b.yearsAgo(float64(p.history)))},
		"owner":         ref("Organization", PracticeOrgID),
		"coverage":      []any{obj{"coverage": ref("Coverage", coverageID), "priority": 1}},
		"guarantor":     []any{obj{"party": guarantor}},
	})
	first := max(0, len(b.visits)-3)
	for i, v := range b.visits[first:] {
		due := i == len(b.visits[first:])-1
		b.addClaim(v, coverageID, accountID, guarantor, due)
	}
}

func (b *patientBuilder) addClaim(v *visit, coverageID, accountID string, recipient obj, due bool) {
	charge := visitCharge[v.vt.code]
	paid := round(charge.amount*0.8, 2)
	owed := round(charge.amount-paid, 2)
	statementDate := v.at.AddDate(0, 0, 21)
	service := concept(sysProcedureCode, charge.cpt, charge.display)

	b.s.add("ExplanationOfBenefit", b.newID("eob"), obj{
		"status":         "active",
		"type":           concept(sysClaimType, "professional", "Professional"),
		"use":            "claim",
		"patient":        b.patientRef(),
		"billablePeriod": period(v.at, v.at.Add(time.Duration(v.vt.minutes)*time.Minute)),
		"created":        fhirInstant(v.at.AddDate(0, 0, 2)),
		"insurer":        ref("Organization", b.p.payer),
		"provider":       ref("Organization", PracticeOrgID),
		"outcome":        "complete",
		"insurance":      []any{obj{"focal": true, "coverage": ref("Coverage", coverageID)}},
		"item": []any{obj{
			"sequence":         1,
			"productOrService": service,
			"servicedDate":     fhirDate(v.at),
			"encounter":        []any{ref("Encounter", v.id)},
			"net":              money(charge.amount),
			"adjudication": []any{
				obj{"category": concept(sysAdjudication, "submitted", "Submitted Amount"), "amount": money(charge.amount)},
				obj{"category": concept(sysAdjudication, "benefit", "Benefit Amount"), "amount": money(paid)},
				obj{"category": concept(sysAdjudication, "copay", "CoPay"), "amount": money(owed)},
			},
		}},
		"total": []any{
			obj{"category": concept(sysAdjudication, "submitted", "Submitted Amount"), "amount": money(charge.amount)},
			obj{"category": concept(sysAdjudication, "benefit", "Benefit Amount"), "amount": money(paid)},
		},
		"payment": obj{"amount": money(paid), "date": fhirDate(v.at.AddDate(0, 0, 14))},
	})

	status, note := "balanced", fmt.Sprintf("Paid in full on %s. Thank you.", fhirDate(statementDate.AddDate(0, 0, 10)))
	if due {
		status, note = "issued", fmt.Sprintf("Balance due: $%.2f by %s.", owed, fhirDate(statementDate.AddDate(0, 0, 30)))
	}
	b.s.add("Invoice", b.newID("invoice"), obj{
		"status":    status,
		"type":      textConcept("Statement for the visit on " + fhirDate(v.at)),
		"subject":   b.patientRef(),
		"recipient": recipient,
		"date":      fhirInstant(statementDate),
		"issuer":    ref("Organization", PracticeOrgID),
		"account":   ref("Account", accountID),
		"lineItem": []any{obj{
			"sequence":                  1,
			"chargeItemCodeableConcept": service,
			"priceComponent": []any{
				obj{"type": "base", "amount": money(charge.amount)},
				obj{"type": "deduction", "code": textConcept("Insurance payment"), "amount": money(paid)},
			},
		}},
		"totalGross":   money(charge.amount),
		"totalNet":     money(owed),
		"paymentTerms": "Payable within 30 days of the statement date.",
		"note":         []any{obj{"text": note}},
	})
}

// addThreads adds the persona's message threads: a header Communication per
// thread and its messages (partOf the header, inResponseTo the previous
// message), alternating between the patient side and the practice.
func (b *patientBuilder) addThreads() {
	for _, th := range b.p.threads {
		patientSide := b.patientRef()
		if th.byProxy {
			patientSide = ref("RelatedPerson", b.p.proxies[0].id)
		}
		practice := refDisplay("Practitioner", b.p.gp, practitionerByID(b.p.gp).display())
		opener, other := patientSide, practice
		if !th.byPatient {
			opener, other = practice, patientSide
		}
		start := b.g.now.Add(-time.Duration(th.daysAgo * 24 * float64(time.Hour))).Truncate(time.Minute)
		threadID := b.newID("thread")
		b.s.add("Communication", threadID, obj{
			"status":    "completed",
			"subject":   b.patientRef(),
			"topic":     textConcept(th.topic),
			"sent":      fhirInstant(start),
			"sender":    opener,
			"recipient": []any{other},
		})
		sent := start
		prev := ""
		for i, text := range th.messages {
			from, to := opener, other
			if i%2 == 1 {
				from, to = other, opener
			}
			id := b.newID("msg")
			body := obj{
				"status":    "completed",
				"subject":   b.patientRef(),
				"partOf":    []any{ref("Communication", threadID)},
				"topic":     textConcept(th.topic),
				"sent":      fhirInstant(sent),
				"received":  fhirInstant(sent.Add(time.Duration(20+b.rnd.IntN(90)) * time.Minute)),
				"sender":    from,
				"recipient": []any{to},
				"payload":   []any{obj{"contentString": text}},
			}
			if prev != "" {
				body["inResponseTo"] = []any{ref("Communication", prev)}
			}
			b.s.add("Communication", id, body)
			prev = id
			sent = sent.Add(time.Duration(3+b.rnd.IntN(20)) * time.Hour)
		}
	}
}

// upcomingVisit says which demo patients have a booked appointment ahead,
// how many days from now, and of which type.
var upcomingVisit = map[string]struct {
	days int
	vt   visitType
}{
	MayaID: {9, visitFollowUp},
	LeoID:  {6, visitWellChild},
	JoseID: {12, visitFollowUp},
}

// addAppointments adds the fulfilled appointment of the last visit, and a
// booked one in a free slot of the coming weeks (the slot becomes busy).
func (b *patientBuilder) addAppointments() {
	last := b.visits[len(b.visits)-1]
	pr := practitionerByID(last.practitioner)
	pastID := b.newID("appt")
	b.s.add("Appointment", pastID, b.appointment("fulfilled", last.vt, pr, last.at,
		last.at.Add(time.Duration(last.vt.minutes)*time.Minute), "", last.at.AddDate(0, 0, -10)))
	for _, r := range b.s.list {
		if r.typ == "Encounter" && r.id == last.id {
			r.body["appointment"] = []any{ref("Appointment", pastID)}
		}
	}
	up, ok := upcomingVisit[b.p.id]
	if !ok {
		return
	}
	sl := b.g.bookSlot(b.p.gp, up.days, up.vt)
	b.s.add("Appointment", b.newID("appt"), b.appointment("booked", sl.visit, practitionerByID(sl.practitioner),
		sl.start, sl.end, sl.id, b.g.now.AddDate(0, 0, -5)))
}

func (b *patientBuilder) appointment(status string, vt visitType, pr practitioner, start, end time.Time, slotID string, created time.Time) obj {
	body := obj{
		"status":          status,
		"serviceType":     []any{concept(sysServiceType, vt.code, vt.display)},
		"description":     vt.display + " with " + pr.display(),
		"start":           fhirInstant(start),
		"end":             fhirInstant(end),
		"minutesDuration": int(end.Sub(start).Minutes()),
		"created":         fhirInstant(created),
		"participant": []any{
			obj{"actor": b.patientRef(), "required": "required", "status": "accepted"},
			obj{"actor": refDisplay("Practitioner", pr.id, pr.display()), "required": "required", "status": "accepted"},
			obj{"actor": ref("Location", pr.location), "required": "required", "status": "accepted"},
		},
	}
	if slotID != "" {
		body["slot"] = []any{ref("Slot", slotID)}
		body["patientInstruction"] = "Please arrive 10 minutes early and bring your insurance card."
	}
	return body
}

// addRefillTask adds the open refill request of the persona: the staff are
// working on it (status in-progress), so the simulated staff leave it alone.
func (b *patientBuilder) addRefillTask() {
	i := b.p.refillTaskMed
	if i < 0 {
		return
	}
	m := b.p.meds[i]
	authored := b.g.now.Add(-26 * time.Hour).Truncate(time.Minute)
	b.s.add("Task", b.newID("task"), obj{
		"status":         "in-progress",
		"businessStatus": textConcept("Waiting for " + practitionerByID(m.prescriber).display() + " to approve"),
		"intent":         "order",
		"priority":       "routine",
		"code":           concept(RequestTypeSystem, RequestRefill, "Prescription refill"),
		"description":    "Refill request: " + m.display,
		"focus":          ref("MedicationRequest", b.medIDs[i]),
		"for":            b.patientRef(),
		"authoredOn":     fhirInstant(authored),
		"lastModified":   fhirInstant(authored.Add(3 * time.Hour)),
		"requester":      b.patientRef(),
		"owner":          ref("Organization", PracticeOrgID),
		"note":           []any{obj{"text": "Please send it to the pharmacy on file. I have 5 tablets left."}},
	})
}
