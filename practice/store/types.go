package store

import "strings"

// r4Types are the FHIR R4 resource types the store accepts. Bundle,
// Parameters and OperationOutcome are not stored: they are messages, not
// records.
var r4Types = func() map[string]bool {
	names := strings.Fields(`Account ActivityDefinition AdverseEvent
	AllergyIntolerance Appointment AppointmentResponse AuditEvent Basic Binary
	BiologicallyDerivedProduct BodyStructure CapabilityStatement CarePlan
	CareTeam CatalogEntry ChargeItem ChargeItemDefinition Claim ClaimResponse
	ClinicalImpression CodeSystem Communication CommunicationRequest
	CompartmentDefinition Composition ConceptMap Condition Consent Contract
	Coverage CoverageEligibilityRequest CoverageEligibilityResponse
	DetectedIssue Device DeviceDefinition DeviceMetric DeviceRequest
	DeviceUseStatement DiagnosticReport DocumentManifest DocumentReference
	EffectEvidenceSynthesis Encounter Endpoint EnrollmentRequest
	EnrollmentResponse EpisodeOfCare EventDefinition Evidence EvidenceVariable
	ExampleScenario ExplanationOfBenefit FamilyMemberHistory Flag Goal
	GraphDefinition Group GuidanceResponse HealthcareService ImagingStudy
	Immunization ImmunizationEvaluation ImmunizationRecommendation
	ImplementationGuide InsurancePlan Invoice Library Linkage List Location
	Measure MeasureReport Media Medication MedicationAdministration
	MedicationDispense MedicationKnowledge MedicationRequest
	MedicationStatement MedicinalProduct MedicinalProductAuthorization
	MedicinalProductContraindication MedicinalProductIndication
	MedicinalProductIngredient MedicinalProductInteraction
	MedicinalProductManufactured MedicinalProductPackaged
	MedicinalProductPharmaceutical MedicinalProductUndesirableEffect
	MessageDefinition MessageHeader MolecularSequence NamingSystem
	NutritionOrder Observation ObservationDefinition OperationDefinition
	Organization OrganizationAffiliation Patient PaymentNotice
	PaymentReconciliation Person PlanDefinition Practitioner PractitionerRole
	Procedure Provenance Questionnaire QuestionnaireResponse RelatedPerson
	RequestGroup ResearchDefinition ResearchElementDefinition ResearchStudy
	ResearchSubject RiskAssessment RiskEvidenceSynthesis Schedule
	SearchParameter ServiceRequest Slot Specimen SpecimenDefinition
	StructureDefinition StructureMap Subscription Substance
	SubstanceNucleicAcid SubstancePolymer SubstanceProtein
	SubstanceReferenceInformation SubstanceSourceMaterial
	SubstanceSpecification SupplyDelivery SupplyRequest Task
	TerminologyCapabilities TestReport TestScript ValueSet VerificationResult
	VisionPrescription`)
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}()

// IsResourceType reports whether typ is a FHIR R4 resource type the store
// keeps.
func IsResourceType(typ string) bool { return r4Types[typ] }

// ResourceTypes returns the resource types the store keeps, sorted.
func ResourceTypes() []string {
	out := make([]string, 0, len(r4Types))
	for t := range r4Types {
		out = append(out, t)
	}
	sortStrings(out)
	return out
}

// ValidID reports whether id is a valid FHIR logical id:
// [A-Za-z0-9\-\.]{1,64}.
func ValidID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
