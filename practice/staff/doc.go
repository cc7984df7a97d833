// Package staff simulates the practice's front desk and clinicians working
// the patient portal: they read and answer messages and handle requests.
//
// Vocabulary:
//   - a patient message is a Communication sent by a Patient or a
//     RelatedPerson with a payload; a thread is the header Communication its
//     partOf points to (or the message itself when it has no partOf).
//   - reading a message sets its "received" time: the read receipt the app
//     shows. Answering it (Delay after it was read, when it is still the
//     latest message of its thread) adds a Communication from the clinician
//     it was sent to (else the patient's general practitioner, else the
//     practice), inResponseTo the message, partOf the thread, with a polite
//     reply chosen from the message's words and, among equals, by Seed.
//   - a request is a Task whose code is from rules.RequestTypeSystem. Delay
//     after it is made it is accepted, or rejected with a statusReason (an
//     unknown type; a refill of a missing, no longer active or controlled
//     medicine); Delay after acceptance it is completed with an output:
//     refill: a new MedicationRequest (authoredOn now, RefillsOnRenewal
//     refills, valid a year, priorPrescription the old one), the old one
//     set to "completed"; lab-report-copy: a DocumentReference with a text
//     copy of the named DiagnosticReport or the three latest; referral: a
//     ServiceRequest; record-correction: a note (valueString).
//     Tasks of other code systems, and tasks in progress (the seeded demo
//     refill), are left alone.
//   - a booking waiting for the office is an Appointment with status
//     "pending" (the practice's rules book some visit types that way);
//     Delay after it was made it is confirmed: "booked".
//
// Time: Config.Now is the staff's clock. A request's age counts from the
// server's write time (or, once accepted, from the lastModified the staff
// set); a message's from the received time the staff set.
//
// Threading: Step and Run may be called from any goroutine; each action is
// its own store transaction that re-reads what it changes, so a patient
// cancelling a request at the same moment wins or loses cleanly. Run one
// Worker per store. Errors are returned by Step and logged by Run without
// patient data. The package writes only through practice/store; it must not
// import the app's packages (app, ui, sync, storage).
package staff
