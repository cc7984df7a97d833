// Package practice is the reference practice server: a small, honest FHIR R4
// and SMART App Launch 2 portal API used for Carebook's demo and tests.
//
// It is never linked into the shipped app except to run the built-in demo
// practice, and the app must never depend on anything in it that a real FHIR
// server would not offer. It does not import the app's packages (app, ui,
// sync, storage): it is a separate system that only talks HTTP.
package practice
