package synth

import (
	"encoding/base64"
	"math"
	"time"
)

// obj is one JSON object under construction. encoding/json writes map keys in
// sorted order, which keeps the output byte-for-byte deterministic.
type obj = map[string]any

// Code systems used by the generated data.
const (
	sysLOINC          = "http://loinc.org"
	sysSNOMED         = "http://snomed.info/sct"
	sysRxNorm         = "http://www.nlm.nih.gov/research/umls/rxnorm"
	sysCVX            = "http://hl7.org/fhir/sid/cvx"
	sysUCUM           = "http://unitsofmeasure.org"
	sysNUCC           = "http://nucc.org/provider-taxonomy"
	sysObsCategory    = "http://terminology.hl7.org/CodeSystem/observation-category"
	sysInterpretation = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
	sysActCode        = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	sysRoleCode       = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
	sysV20074         = "http://terminology.hl7.org/CodeSystem/v2-0074"
	sysV20203         = "http://terminology.hl7.org/CodeSystem/v2-0203"
	sysCondClinical   = "http://terminology.hl7.org/CodeSystem/condition-clinical"
	sysCondVer        = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
	sysCondCategory   = "http://terminology.hl7.org/CodeSystem/condition-category"
	sysAllergyClin    = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
	sysAllergyVer     = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
	sysSubscriberRel  = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"
	sysClaimType      = "http://terminology.hl7.org/CodeSystem/claim-type"
	sysAdjudication   = "http://terminology.hl7.org/CodeSystem/adjudication"
	sysUSCoreDocCat   = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
	sysBCP47          = "urn:ietf:bcp:47"
	sysMRN            = "http://carebook.app/fhir/sid/riverside-mrn"
	sysMemberID       = "http://carebook.app/fhir/sid/member-id"
	sysProviderNPI    = "http://hl7.org/fhir/sid/us-npi"
	sysServiceType    = "http://carebook.app/fhir/CodeSystem/visit-type"
	sysCarePlanCat    = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"
	sysProcedureCode  = "http://www.ama-assn.org/go/cpt"
)

// RequestTypeSystem is the CodeSystem of Task.code used by the practice for
// patient requests; its codes are RequestRefill, RequestLabReportCopy,
// RequestReferral and RequestRecordCorrection.
const RequestTypeSystem = "http://carebook.app/fhir/CodeSystem/request-type"

// RequestInputSystem is the CodeSystem of Task.input.type the app uses for
// what goes with a request; InputPharmacy is the pharmacy a refill goes to
// (valueReference: an Organization).
const (
	RequestInputSystem = "http://carebook.app/fhir/CodeSystem/request-input"
	InputPharmacy      = "pharmacy"
)

// PreferredPharmacyURL is the HL7 extension (FHIR extensions pack) that
// names a patient's preferred pharmacy: sub-extensions "pharmacy"
// (valueReference to an Organization) and "type" (valueCodeableConcept).
const PreferredPharmacyURL = "http://hl7.org/fhir/StructureDefinition/patient-preferredPharmacy"

// The request types of RequestTypeSystem.
const (
	RequestRefill           = "refill"
	RequestLabReportCopy    = "lab-report-copy"
	RequestReferral         = "referral"
	RequestRecordCorrection = "record-correction"
)

func ref(typ, id string) obj { return obj{"reference": typ + "/" + id} }

func refDisplay(typ, id, display string) obj {
	return obj{"reference": typ + "/" + id, "display": display}
}

func coding(system, code, display string) obj {
	return obj{"system": system, "code": code, "display": display}
}

// concept is a CodeableConcept with one coding; its text repeats the display.
func concept(system, code, display string) obj {
	return obj{"coding": []any{coding(system, code, display)}, "text": display}
}

func textConcept(text string) obj { return obj{"text": text} }

func quantity(value float64, unit, ucum string) obj {
	return obj{"value": value, "unit": unit, "system": sysUCUM, "code": ucum}
}

func money(value float64) obj { return obj{"value": round(value, 2), "currency": "USD"} }

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}

// fhirDate formats a FHIR date (no time) in the practice's time zone.
func fhirDate(t time.Time) string { return t.In(practiceZone).Format("2006-01-02") }

// fhirInstant formats a FHIR instant/dateTime with seconds and offset.
func fhirInstant(t time.Time) string { return t.In(practiceZone).Format(time.RFC3339) }

func period(start, end time.Time) obj {
	return obj{"start": fhirInstant(start), "end": fhirInstant(end)}
}

func b64(s []byte) string { return base64.StdEncoding.EncodeToString(s) }

func category(system, code, display string) []any {
	return []any{concept(system, code, display)}
}

// practiceZone is the practice's wall clock: a fixed UTC-6 offset, so the
// generated data does not depend on the machine's time zone database.
var practiceZone = time.FixedZone("practice", -6*60*60)

// atClock returns the day of t in the practice zone at hour:minute.
func atClock(t time.Time, hour, minute int) time.Time {
	t = t.In(practiceZone)
	return time.Date(t.Year(), t.Month(), t.Day(), hour, minute, 0, 0, practiceZone)
}
