package store

import (
	"slices"
	"strings"
)

// ParamKind is the kind of a search parameter.
type ParamKind int

// Search parameter kinds the store indexes.
const (
	KindToken     ParamKind = iota + 1 // codes, Codings, CodeableConcepts, Identifiers, booleans
	KindReference                      // references to other resources
	KindDate                           // dates, dateTimes, instants, Periods
)

// paramDef defines one search parameter: where its values are in a
// resource (dot-separated JSON paths; arrays are walked through) and, for a
// reference, which target type it is limited to ("" = any).
type paramDef struct {
	Kind   ParamKind
	Paths  []string
	Target string
}

func tok(paths ...string) paramDef  { return paramDef{Kind: KindToken, Paths: paths} }
func date(paths ...string) paramDef { return paramDef{Kind: KindDate, Paths: paths} }
func ref(paths ...string) paramDef  { return paramDef{Kind: KindReference, Paths: paths} }
func refTo(target string, paths ...string) paramDef {
	return paramDef{Kind: KindReference, Paths: paths, Target: target}
}

// compartmentPaths are where a resource names the patients whose
// compartment it belongs to.
var compartmentPaths = []string{
	"subject", "patient", "for", "sender", "recipient", "participant.actor",
	"participant.individual", "participant.member", "beneficiary",
	"subscriber", "requester", "author",
}

// commonParams apply to every resource type (a type without the element
// simply has no value for it).
var commonParams = map[string]paramDef{
	"identifier": tok("identifier"),
	"status":     tok("status"),
	"patient":    refTo("Patient", compartmentPaths...),
	"subject":    ref("subject"),
	"category":   tok("category"),
	"code":       tok("code"),
	"encounter":  ref("encounter"),
}

// typeParams are the search parameters of particular types, after the US
// Core and FHIR R4 definitions, limited to what Carebook and the practice
// use.
var typeParams = map[string]map[string]paramDef{
	"AllergyIntolerance": {
		"clinical-status": tok("clinicalStatus"),
		"date":            date("recordedDate"),
	},
	"Appointment": {
		"date":         date("start"),
		"actor":        ref("participant.actor"),
		"practitioner": refTo("Practitioner", "participant.actor"),
		"location":     refTo("Location", "participant.actor"),
		"slot":         ref("slot"),
		"service-type": tok("serviceType"),
	},
	"CarePlan": {
		"date": date("period"),
	},
	"CareTeam": {
		"date": date("period"),
	},
	"Claim": {
		"created": date("created"),
	},
	"Communication": {
		"part-of":   ref("partOf"),
		"based-on":  ref("basedOn"),
		"sender":    ref("sender"),
		"recipient": ref("recipient"),
		"sent":      date("sent"),
		"received":  date("received"),
	},
	"Condition": {
		"clinical-status": tok("clinicalStatus"),
		"onset-date":      date("onsetDateTime", "onsetPeriod"),
		"recorded-date":   date("recordedDate"),
		"date":            date("onsetDateTime", "onsetPeriod", "recordedDate"),
	},
	"Coverage": {
		"beneficiary": ref("beneficiary"),
		"payor":       ref("payor"),
	},
	"DiagnosticReport": {
		"date": date("effectiveDateTime", "effectivePeriod"),
	},
	"DocumentReference": {
		"date":   date("date"),
		"type":   tok("type"),
		"period": date("context.period"),
	},
	"Encounter": {
		"date":  date("period"),
		"class": tok("class"),
		"type":  tok("type"),
	},
	"ExplanationOfBenefit": {
		"created": date("created"),
	},
	"Goal": {
		"lifecycle-status": tok("lifecycleStatus"),
		"target-date":      date("target.dueDate"),
	},
	"HealthcareService": {
		"organization": ref("providedBy"),
		"service-type": tok("type"),
		"location":     ref("location"),
	},
	"Immunization": {
		"date":         date("occurrenceDateTime"),
		"vaccine-code": tok("vaccineCode"),
	},
	"Invoice": {
		"recipient": ref("recipient"),
		"date":      date("date"),
	},
	"Account": {
		"period": date("servicePeriod"),
	},
	"MedicationRequest": {
		"authoredon": date("authoredOn"),
		"date":       date("authoredOn"),
		"intent":     tok("intent"),
		"medication": ref("medicationReference"),
		"requester":  ref("requester"),
		"code":       tok("medicationCodeableConcept"),
	},
	"Observation": {
		"date": date("effectiveDateTime", "effectivePeriod", "effectiveInstant"),
	},
	"Patient": {
		"birthdate":            date("birthDate"),
		"gender":               tok("gender"),
		"general-practitioner": ref("generalPractitioner"),
		"organization":         ref("managingOrganization"),
	},
	"PractitionerRole": {
		"practitioner": ref("practitioner"),
		"organization": ref("organization"),
		"location":     ref("location"),
		"specialty":    tok("specialty"),
		"service":      ref("healthcareService"),
	},
	"Procedure": {
		"date": date("performedDateTime", "performedPeriod"),
	},
	"Questionnaire": {
		"url":     tok("url"),
		"version": tok("version"),
	},
	"QuestionnaireResponse": {
		"authored": date("authored"),
		"author":   ref("author"),
	},
	"RelatedPerson": {
		"relationship": tok("relationship"),
	},
	"Schedule": {
		"actor":        ref("actor"),
		"service-type": tok("serviceType"),
		"active":       tok("active"),
		"date":         date("planningHorizon"),
	},
	"Slot": {
		"schedule":     ref("schedule"),
		"start":        date("start"),
		"service-type": tok("serviceType"),
	},
	"Task": {
		"focus":       ref("focus"),
		"owner":       ref("owner"),
		"requester":   ref("requester"),
		"part-of":     ref("partOf"),
		"based-on":    ref("basedOn"),
		"intent":      tok("intent"),
		"authored-on": date("authoredOn"),
		"modified":    date("lastModified"),
	},
}

// lookupParam returns the definition of search parameter name for typ.
func lookupParam(typ, name string) (paramDef, bool) {
	if d, ok := typeParams[typ][name]; ok {
		return d, true
	}
	d, ok := commonParams[name]
	return d, ok
}

// SearchParams returns the names and kinds of the search parameters the
// store supports for typ (besides _id and _lastUpdated), sorted by name.
func SearchParams(typ string) []SearchParam {
	seen := map[string]bool{}
	var out []SearchParam
	for name, d := range typeParams[typ] {
		seen[name] = true
		out = append(out, SearchParam{Name: name, Kind: d.Kind})
	}
	for name, d := range commonParams {
		if !seen[name] && typeHasElement(typ, d) {
			out = append(out, SearchParam{Name: name, Kind: d.Kind})
		}
	}
	slices.SortFunc(out, func(a, b SearchParam) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// SearchParam names one supported search parameter.
type SearchParam struct {
	Name string
	Kind ParamKind
}

// String returns the FHIR name of the kind ("token", "reference", "date").
func (k ParamKind) String() string {
	switch k {
	case KindToken:
		return "token"
	case KindReference:
		return "reference"
	case KindDate:
		return "date"
	}
	return "unknown"
}

// typeHasElement is a coarse filter so the CapabilityStatement does not
// list "code" for Patient and the like: common parameters are advertised
// for the clinical types that have them.
func typeHasElement(typ string, d paramDef) bool {
	switch d.Paths[0] {
	case "identifier":
		return true
	case "status":
		return !slices.Contains([]string{"Patient", "Practitioner", "Organization", "RelatedPerson", "PractitionerRole", "HealthcareService", "Schedule", "Group", "Person"}, typ)
	case "subject":
		return slices.Contains(subjectTypes, typ)
	case "category":
		return slices.Contains([]string{"Observation", "Condition", "DiagnosticReport", "CarePlan", "CareTeam", "Communication", "DocumentReference", "AllergyIntolerance", "MedicationRequest", "Goal", "Procedure", "ServiceRequest", "Flag", "ClinicalImpression", "Consent", "RiskAssessment"}, typ)
	case "code":
		return slices.Contains([]string{"Observation", "Condition", "DiagnosticReport", "Procedure", "AllergyIntolerance", "Medication", "Task", "ServiceRequest", "FamilyMemberHistory", "Flag", "Specimen", "DeviceRequest", "MedicationAdministration", "MedicationDispense", "MedicationStatement", "ClinicalImpression", "RiskAssessment"}, typ)
	case "encounter":
		return slices.Contains(subjectTypes, typ) && typ != "Goal" && typ != "CareTeam" && typ != "Account" && typ != "Invoice"
	}
	// "patient": any type that can be in a patient compartment.
	return typ != "Patient" && !SharedType(typ)
}

var subjectTypes = []string{"Observation", "Condition", "DiagnosticReport", "CarePlan", "CareTeam", "Communication", "DocumentReference", "Encounter", "Goal", "MedicationRequest", "Procedure", "ServiceRequest", "Account", "Invoice", "Flag", "ClinicalImpression", "RiskAssessment", "Media", "Specimen", "DeviceRequest", "MedicationAdministration", "MedicationDispense", "MedicationStatement", "NutritionOrder", "Consent", "QuestionnaireResponse", "List", "Composition", "Basic"}

// sharedTypes hold no patient data; any authorized client may read them.
var sharedTypes = []string{
	"Practitioner", "PractitionerRole", "Organization", "Location", "Schedule",
	"Slot", "Medication", "HealthcareService", "Questionnaire",
}

// SharedType reports whether resources of type typ are shared, non-PHI
// practice data (practitioners, organizations, locations, schedules, slots,
// medications, services, the questionnaires it asks patients to fill)
// rather than part of a patient's chart.
func SharedType(typ string) bool { return slices.Contains(sharedTypes, typ) }
