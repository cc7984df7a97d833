// Package access is the contract between the practice server's SMART
// authorization server (package practice/smart) and its FHIR API (package
// practice/fhirserver): what an access token grants, and how a request is
// checked against it.
//
// Vocabulary:
//   - a Grant is what one access token allows: whose chart (PatientID), who is
//     acting (FHIRUser, a Patient or RelatedPerson reference), which SMART
//     scopes, and, for limited proxy access (a parent of a teenager), which
//     resource types at most.
//   - a Scope is one parsed SMART scope, v2 ("patient/Observation.rs") or v1
//     ("patient/*.read").
package access
