// Command practice runs the reference practice server on its own: the FHIR
// R4 API under /fhir/ and the SMART authorization server under /auth/, with
// the synthetic demo practice, its simulated staff and optional faults.
//
//	go run ./cmd/practice --addr 127.0.0.1:8085
//
// It prints the FHIR base URL and the demo accounts, and serves until
// interrupted.
package main
