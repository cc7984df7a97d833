// Command practice runs the reference practice server on its own: the FHIR
// R4 API under /fhir/ and the SMART authorization server under /auth/, with
// the synthetic demo practice, its simulated staff and optional faults.
//
//	go run ./cmd/practice --addr 127.0.0.1:8085
//
// It prints the FHIR base URL and the demo accounts, and serves until
// interrupted. Patients loaded from FHIR Bundles (for example Synthea's)
// with --load FILE have no portal account: it prints a one-time activation
// code and the birth date for each, to enroll with at /auth/enroll.
//
//	go run ./cmd/practice --load ../shared/fixtures/synthea/Arla_Lang_0c89b627-646b-40ff-a620-c8509a10912c.json
package main
