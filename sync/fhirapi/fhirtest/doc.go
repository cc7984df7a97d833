// Package fhirtest is an in-memory FHIR R4 server for sync's tests: enough
// of search, paging, $everything, history, conditional create and
// conditional update to exercise a client, with switches for what its
// CapabilityStatement offers and hooks to inject faults.
//
// It is test support, never used by the app. It keeps every resource in
// memory and is safe for concurrent use.
package fhirtest
