package record

import "strings"

// MedicationRequest is a prescription or medication order.
type MedicationRequest struct {
	Entry
	Medication    string  // the medication's name, "" when it cannot be found
	Code          Concept // medicationCodeableConcept (RxNorm…); empty when named by reference
	MedicationRef Ref     // medicationReference, when the name comes from elsewhere
	Status        string  // lower-cased: "active", "stopped", "completed", "on-hold", …
	Intent        string
	Dosage        []string // dosageInstruction[].text (or patientInstruction)
	Requester     Ref      // the prescriber
	AuthoredOn    Date
	Refills       int  // dispenseRequest.numberOfRepeatsAllowed
	HasRefills    bool // Refills was given
	Dispenser     Ref  // dispenseRequest.performer: the pharmacy it goes to
	Prior         Ref  // priorPrescription: the one this renews
	Reasons       []string
	Notes         []string
}

// Active reports whether the prescription is current.
func (m MedicationRequest) Active() bool { return m.Status == "active" }

type wMedicationRequest struct {
	wBase
	Status                    string     `json:"status"`
	Intent                    string     `json:"intent"`
	MedicationCodeableConcept *wConcept  `json:"medicationCodeableConcept"`
	MedicationReference       *wRef      `json:"medicationReference"`
	AuthoredOn                string     `json:"authoredOn"`
	Requester                 wRef       `json:"requester"`
	ReasonCode                []wConcept `json:"reasonCode"`
	ReasonReference           []wRef     `json:"reasonReference"`
	DosageInstruction         []struct {
		Text               string `json:"text"`
		PatientInstruction string `json:"patientInstruction"`
	} `json:"dosageInstruction"`
	DispenseRequest struct {
		NumberOfRepeatsAllowed wNumber `json:"numberOfRepeatsAllowed"`
		Performer              wRef    `json:"performer"`
	} `json:"dispenseRequest"`
	PriorPrescription wRef          `json:"priorPrescription"`
	Note              []wAnnotation `json:"note"`
}

// DecodeMedicationRequest decodes a MedicationRequest tolerantly; it never
// fails. A medication named by reference is resolved here when it is
// contained; Chart resolves references to Medication resources.
func DecodeMedicationRequest(r Resource) MedicationRequest {
	var w wMedicationRequest
	d := begin(r, &w)
	m := MedicationRequest{
		Status:     lower(w.Status),
		Intent:     lower(w.Intent),
		Requester:  d.ref(w.Requester),
		AuthoredOn: d.date(w.AuthoredOn),
		Reasons:    d.conceptNames(w.ReasonCode),
		Notes:      d.notes(w.Note),
		Dispenser:  d.ref(w.DispenseRequest.Performer),
		Prior:      d.ref(w.PriorPrescription),
	}
	if w.MedicationCodeableConcept != nil {
		m.Code = d.concept(*w.MedicationCodeableConcept)
		m.Medication = m.Code.String()
	}
	if w.MedicationReference != nil {
		m.MedicationRef = d.ref(*w.MedicationReference)
		if m.Medication == "" {
			m.Medication = m.MedicationRef.Display
		}
	}
	for _, rr := range d.refs(w.ReasonReference) {
		if rr.Display != "" {
			m.Reasons = append(m.Reasons, rr.Display)
		}
	}
	for _, di := range w.DosageInstruction {
		if t := firstNonEmpty(strings.TrimSpace(di.Text), strings.TrimSpace(di.PatientInstruction)); t != "" {
			m.Dosage = append(m.Dosage, t)
		}
	}
	if n := w.DispenseRequest.NumberOfRepeatsAllowed; n.Set {
		if n.OK && n.Value >= 0 && n.Value < maxExactInt {
			m.Refills, m.HasRefills = int(n.Value), true
		} else {
			d.incomplete = true
		}
	}
	if m.AuthoredOn.IsZero() {
		m.AuthoredOn = d.fallbackDate("authoredOn")
	}
	m.Entry = d.entry()
	return m
}
