// Package rules is the practice's policy on writes made through its FHIR
// API by patients and their proxies: what they may book, send, request and
// change online, and what needs a call to the office.
//
// Vocabulary:
//   - a Request is one write (create, update or delete) with the Grant of the
//     access token that asks for it; Old is the current version, if any.
//   - a Refusal is the practice saying no: an HTTP status (403, 409 or 422),
//     a FHIR issue code and a message written for the patient. Messages never
//     contain patient data.
//   - a Tx is the store's write transaction the request runs in: the rules
//     read the resources a write depends on (the Slot, the thread, the
//     prescription) and write what it implies (a Slot turning busy or free)
//     through it, so both commit or roll back together.
//
// The rules:
//   - Appointment: a new one must be "booked" or "proposed", include the
//     token's patient as a participant and be for exactly one free Slot in
//     the future whose start and end it repeats; the Slot becomes busy (a
//     second booking of it is a 409 Conflict). An update may cancel it or
//     move it to another free Slot, but not within CancelNotice (24 hours)
//     of its start (422); the old Slot becomes free again.
//   - What the practice adds to a booking it accepted (Policy.Adjust, the
//     fhirserver.WriteAdjuster of the hook): a visit type the office
//     approves by hand (annual physical) is stored "pending" until the
//     staff confirm it; a video visit (telehealth) gets a join link in the
//     VirtualServiceExtension (the R5 Appointment.virtualService carried
//     in R4 as its cross-version extension: sub-extension addressUrl); a
//     visit type that asks questions first (VisitQuestionnaires: a
//     new-patient visit) names its Questionnaire in supportingInformation;
//     and patientInstruction says what to bring. The visit type is the
//     Slot's.
//   - QuestionnaireResponse (answers before a visit): created only, status
//     completed, subject the patient, author (if any) the signed-in user,
//     questionnaire the canonical URL of a Questionnaire the practice
//     publishes (ending with its id), answering only its questions and
//     every required one asked unconditionally; the Appointment it answers
//     for, if named (the core extension event-basedOn), must be the
//     patient's. Answers are not changed afterwards.
//   - Communication: status in-progress or completed; subject the patient;
//     sender the signed-in user (or the patient); recipients the practice
//     (Organization, Practitioner, PractitionerRole, CareTeam) that exist;
//     partOf, if given, a thread of the same patient and then a non-empty
//     payload within the limits of Policy.Messages (DefaultMessagePolicy:
//     MaxMessageText, MaxAttachmentBytes, MaxPayloads, and attachments of
//     the MIME types it lists);
//     without partOf it starts a thread and needs a topic or payload.
//     "received" is the practice's read receipt and can't be set. Messages
//     are not edited afterwards.
//   - Task: a patient request, status "requested", code from
//     RequestTypeSystem (refill, lab-report-copy, referral,
//     record-correction); "for" the patient; requester the signed-in user; a
//     refill's focus a MedicationRequest of the patient; a record correction
//     says what is wrong. The only later change is cancelling a request that
//     is not yet under way.
//   - Patient: an update of the token's own patient may change telecom,
//     address, communication (language), contact and maritalStatus only;
//     name, birthDate, identifier and gender need the office (422).
//   - Anything else (other types, every DELETE) is refused with 403: clinical
//     data is never edited by the patient.
//
// Hook adapts Policy to the FHIR API's write hook: fhirserver.Config{Hook:
// rules.Hook{}}. StoreTx adapts the practice store's transaction to Tx.
//
// Threading: a Policy holds no state and may be shared; Check runs on the
// goroutine that owns the transaction. The package must not import the
// app's packages (app, ui, sync, storage).
package rules
