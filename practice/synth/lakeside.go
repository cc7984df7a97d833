package synth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// DatasetLakeside names the second demo practice's data (practice.Config
// Dataset): Lakeside Health Center, a specialist clinic that also sees
// Maya. Its record of her overlaps the demo practice's, as two real
// practices' records of one person do: the same prescription, flu shot and
// allergy (same codes and dates), weights in pounds on other days and an
// A1c of its own, and things only it knows (a migraine, its prescription
// for it, a Tdap shot, an upcoming visit).
const DatasetLakeside = "lakeside"

// Stable ids of the second practice.
const (
	LakesideMayaID   = "lakeside-maya"
	LakesideOrgID    = "lakeside"
	LakesideDoctorID = "lakeside-dr-osei"
	LakesideName     = "Lakeside Health Center"
)

// lakesideDoctor is the clinician of the second practice.
const lakesideDoctor = "Dr. Kwame Osei, MD"

// Lakeside builds the second demo practice from the demo practice's
// bundles (Generate's output of the same day, so the shared items carry
// exactly the dates the demo practice shows) and now: one transaction
// Bundle and its one account, "maya" (password DemoPassword), who opens
// LakesideMayaID.
func Lakeside(demo [][]byte, now time.Time) ([][]byte, []Account, error) {
	maya, err := mayaResources(demo)
	if err != nil {
		return nil, nil, err
	}
	patient := maya.first("Patient", func(obj) bool { return true })
	if patient == nil {
		return nil, nil, fmt.Errorf("synth: lakeside: the demo data has no Maya")
	}
	s := &set{}
	s.add("Organization", LakesideOrgID, obj{
		"active": true, "name": LakesideName,
		"telecom": []any{obj{"system": "phone", "value": "(555) 310-4400", "use": "work"}},
		"address": []any{obj{"use": "work", "line": []any{"7 Lakeshore Drive"}, "city": "Lakeside", "state": "IA", "postalCode": "52340", "country": "US"}},
	})
	s.add("Practitioner", LakesideDoctorID, obj{
		"active": true,
		"name":   []any{humanName("Dr.", []string{"Kwame"}, "Osei", "MD")},
	})
	doctor := refDisplay("Practitioner", LakesideDoctorID, lakesideDoctor)
	me := ref("Patient", LakesideMayaID)

	s.add("Patient", LakesideMayaID, obj{
		"active": true,
		"identifier": []any{obj{"use": "usual", "type": concept(sysV20203, "MR", "Medical record number"),
			"system": "urn:oid:2.16.840.1.113883.3.9999.2", "value": "LHC-204519"}},
		"name":                 patient["name"],
		"gender":               patient["gender"],
		"birthDate":            patient["birthDate"],
		"telecom":              patient["telecom"],
		"address":              patient["address"],
		"generalPractitioner":  []any{doctor},
		"managingOrganization": refDisplay("Organization", LakesideOrgID, LakesideName),
	})

	// Shared with the demo practice: the same codes and dates.
	if m := maya.first("MedicationRequest", func(r obj) bool { return r["status"] == "active" }); m != nil {
		s.add("MedicationRequest", "lakeside-med-shared", obj{
			"status": "active", "intent": "order", "subject": me, "requester": doctor,
			"medicationCodeableConcept": m["medicationCodeableConcept"],
			"authoredOn":                m["authoredOn"],
			"dosageInstruction":         m["dosageInstruction"],
		})
	}
	if im := maya.last("Immunization", func(r obj) bool { return hasCode(r["vaccineCode"], vaxFlu.cvx) }); im != nil {
		s.add("Immunization", "lakeside-imm-flu", obj{
			"status": "completed", "patient": me, "primarySource": false,
			"vaccineCode":        im["vaccineCode"],
			"occurrenceDateTime": im["occurrenceDateTime"],
			"note":               []any{obj{"text": "Reported by the patient; given at her family practice."}},
		})
	}
	if a := maya.first("AllergyIntolerance", func(obj) bool { return true }); a != nil {
		copyOf := obj{"patient": me, "recorder": doctor}
		for _, k := range []string{"clinicalStatus", "verificationStatus", "type", "category", "criticality", "code", "onsetDateTime", "recordedDate", "reaction"} {
			if v, ok := a[k]; ok {
				copyOf[k] = v
			}
		}
		s.add("AllergyIntolerance", "lakeside-allergy-shared", copyOf)
	}

	// Its own.
	onset := now.AddDate(-2, -3, 0)
	s.add("Condition", "lakeside-cond-migraine", obj{
		"clinicalStatus":     concept(sysCondClinical, "active", "Active"),
		"verificationStatus": concept("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed", "Confirmed"),
		"category":           category("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item", "Problem List Item"),
		"code":               concept(sysSNOMED, "37796009", "Migraine"),
		"subject":            me, "onsetDateTime": fhirDate(onset), "recordedDate": fhirInstant(onset),
	})
	s.add("MedicationRequest", "lakeside-med-sumatriptan", obj{
		"status": "active", "intent": "order", "subject": me, "requester": doctor,
		"medicationCodeableConcept": textConcept("Sumatriptan 50 mg tablet"),
		"authoredOn":                fhirInstant(onset.AddDate(0, 0, 14)),
		"dosageInstruction":         []any{obj{"sequence": 1, "text": "1 tablet at the start of a migraine; may repeat once after 2 hours. No more than 4 in a day."}},
		"reasonReference":           []any{ref("Condition", "lakeside-cond-migraine")},
	})
	s.add("Immunization", "lakeside-imm-tdap", obj{
		"status": "completed", "patient": me, "primarySource": true,
		"vaccineCode":        concept("http://hl7.org/fhir/sid/cvx", vaxTdap.cvx, vaxTdap.display),
		"occurrenceDateTime": fhirInstant(atClock(now.AddDate(0, -7, -12), 10, 30)),
		"performer":          []any{obj{"actor": doctor}},
	})
	for _, monthsAgo := range []int{20, 11, 3} {
		at := atClock(now.AddDate(0, -monthsAgo, -9), 9, 15)
		// Her weight at the family practice nearest that day, on another
		// scale (half a kilo more, in clothes).
		lb := math.Round((maya.valueNear("29463-7", at)+0.5)*2.20462*10) / 10
		s.add("Observation", fmt.Sprintf("lakeside-weight-%d", monthsAgo), obj{
			"status":            "final",
			"category":          category(sysObsCategory, "vital-signs", "Vital Signs"),
			"code":              concept(sysLOINC, "29463-7", "Body weight"),
			"subject":           me,
			"effectiveDateTime": fhirInstant(at),
			"valueQuantity":     quantity(lb, "lb", "[lb_av]"),
		})
	}
	a1cAt := atClock(now.AddDate(0, -5, -2), 8, 40)
	s.add("Observation", "lakeside-a1c-1", obj{
		"status":            "final",
		"category":          category(sysObsCategory, "laboratory", "Laboratory"),
		"code":              concept(sysLOINC, "4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood"),
		"subject":           me,
		"effectiveDateTime": fhirInstant(a1cAt),
		"issued":            fhirInstant(a1cAt.Add(26 * time.Hour)),
		"valueQuantity":     quantity(5.8, "%", "%"),
		"referenceRange":    []any{obj{"low": quantity(4.0, "%", "%"), "high": quantity(5.6, "%", "%")}},
		"interpretation":    []any{concept("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "H", "High")},
	})
	visit := atClock(now.AddDate(0, 0, 9), 14, 0)
	s.add("Appointment", "lakeside-appt-1", obj{
		"status":      "booked",
		"serviceType": []any{textConcept("Headache follow-up")},
		"description": "Follow-up of migraines with Dr. Osei",
		"start":       fhirInstant(visit), "end": fhirInstant(visit.Add(30 * time.Minute)),
		"participant": []any{
			obj{"actor": me, "status": "accepted"},
			obj{"actor": doctor, "status": "accepted"},
		},
	})
	b, err := transactionBundle(s.list)
	if err != nil {
		return nil, nil, err
	}
	return [][]byte{b}, []Account{{
		Username: "maya", Password: DemoPassword,
		Description: "Maya Rivera, seen at Lakeside Health Center for migraines",
		PatientIDs:  []string{LakesideMayaID}, FHIRUser: "Patient/" + LakesideMayaID,
		Relations: map[string]string{LakesideMayaID: "self"},
	}}, nil
}

// patientResources is one patient's resources read back from bundles, by
// type in bundle order.
type patientResources map[string][]obj

// mayaResources reads Maya's resources from the demo practice's bundles.
func mayaResources(bundles [][]byte) (patientResources, error) {
	out := patientResources{}
	for _, b := range bundles {
		if !bytes.Contains(b, []byte(MayaID)) {
			continue
		}
		var bundle struct {
			Entry []struct {
				Resource obj `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(b, &bundle); err != nil {
			return nil, fmt.Errorf("synth: lakeside: read demo bundle: %w", err)
		}
		for _, e := range bundle.Entry {
			r := e.Resource
			typ, _ := r["resourceType"].(string)
			if (typ == "Patient" && r["id"] == MayaID) || refersTo(r["subject"], MayaID) || refersTo(r["patient"], MayaID) {
				out[typ] = append(out[typ], r)
			}
		}
	}
	return out, nil
}

func refersTo(v any, patientID string) bool {
	m, ok := v.(map[string]any)
	return ok && m["reference"] == "Patient/"+patientID
}

// hasCode reports whether a CodeableConcept (as decoded JSON) has code.
func hasCode(v any, code string) bool {
	m, _ := v.(map[string]any)
	codings, _ := m["coding"].([]any)
	for _, c := range codings {
		if cm, ok := c.(map[string]any); ok && cm["code"] == code {
			return true
		}
	}
	return false
}

func (p patientResources) first(typ string, ok func(obj) bool) obj {
	for _, r := range p[typ] {
		if ok(r) {
			return r
		}
	}
	return nil
}

func (p patientResources) last(typ string, ok func(obj) bool) obj {
	var out obj
	for _, r := range p[typ] {
		if ok(r) {
			out = r
		}
	}
	return out
}

// valueNear is the value of the Observation with the LOINC code taken
// nearest to at (70 when there is none).
func (p patientResources) valueNear(loinc string, at time.Time) float64 {
	v, best := 70.0, time.Duration(-1)
	for _, r := range p["Observation"] {
		q, _ := r["valueQuantity"].(map[string]any)
		when, _ := r["effectiveDateTime"].(string)
		t, err := time.Parse(time.RFC3339, when)
		f, ok := q["value"].(float64)
		if !ok || err != nil || !hasCode(r["code"], loinc) {
			continue
		}
		if d := t.Sub(at).Abs(); best < 0 || d < best {
			v, best = f, d
		}
	}
	return v
}
