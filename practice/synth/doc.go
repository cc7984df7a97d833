// Package synth generates the demo practice's data: a deterministic,
// realistic set of FHIR R4 (US Core shaped) resources and the portal accounts
// that go with them.
//
// Vocabulary:
//   - the practice: Riverside Family Medicine, its Organization, four
//     clinicians (Practitioner + PractitionerRole), two Locations, the visit
//     types it offers (HealthcareService), a Schedule per clinician and visit
//     type, and Slots for the coming four weeks of business days.
//   - a persona: one demo patient and everything in their chart (visits with
//     vitals, lab panels and visit summaries, medicines, allergies, problems,
//     immunizations, procedures, care plan and goals, care team, coverage,
//     statements, message threads, appointments, an open refill request).
//   - an account: a portal login (Account) for the authorization server:
//     "maya" (self), "amara" (parent of Leo, 8, and Nia, 14), "nia" (self),
//     "jose" (self) and "lucia" (caregiver of her father José), all with the
//     password DemoPassword; "scale" with Options.Scale > 1.
//   - the scale patient: ScalePatientID, with about Scale×1,000 resources,
//     for benchmarks.
//
// Every bundle is a FHIR transaction of PUT entries with stable ids (for
// example Patient/demo-maya), so loading it again changes nothing, and every
// reference is relative ("Practitioner/dr-park") and points at a resource of
// the generated set. Load the bundles in the order Generate returns them.
//
// Determinism: the output is a pure function of Options.Seed and
// Options.Now (byte-identical JSON); each part of the data has its own
// random stream, so adding the scale patient changes nothing else. Dates lie
// before Now (history) or after it (slots, booked appointments), on the
// practice's wall clock, a fixed UTC-6 offset.
//
// Task codes of patient requests use RequestTypeSystem
// (http://carebook.app/fhir/CodeSystem/request-type) with the codes refill,
// lab-report-copy, referral and record-correction.
//
// Threading: Generate is safe to call from several goroutines; it shares no
// state between calls. The package has no I/O and must not import the app's
// packages (app, ui, sync, storage) nor the practice server's.
package synth
