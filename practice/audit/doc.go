// Package audit is the practice's log of who reached a patient's chart: one
// FHIR R4 AuditEvent per request that read, searched or wrote a patient's
// record (through the FHIR API or by the simulated staff).
//
// The events live in their own table, not among the FHIR resources: they
// are in no patient's compartment, so $everything, per-type searches and
// history never return them (a sync would otherwise create one that the
// next sync pulls, and a cache would never settle). A patient reads the
// events about their record with a search the FHIR API serves from Log
// (AuditEvent?patient=...), which itself records nothing.
package audit
