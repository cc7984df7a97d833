// Package record turns the raw FHIR R4 JSON of a patient's cached resources
// into typed, display-ready values for the screens: the health record, lab
// results and trends, search, and the dashboard.
//
// # Vocabulary
//
//   - Resource: one FHIR resource as the cache keeps it (type, id,
//     lastUpdated, raw JSON). It has the same fields as storage.Resource,
//     so the app converts with record.Resource(r) without this package
//     importing storage.
//   - Entry: what every decoded value carries: type, id, lastUpdated and
//     Incomplete, which is true when part of the resource could not be read.
//   - Decoders (DecodeObservation, DecodePatient, …): one per resource type
//     the app shows. They never fail and never drop a resource.
//   - Chart: every resource of one patient decoded, by kind (Load).
//   - Refs: display names of the resources references point to.
//   - LabGroup: results shown together (a report's panel, or a day of
//     standalone lab results). Flag: the lab's interpretation, or our own
//     comparison with the reference range when it gave none (FlagSource
//     says which).
//   - Series: the numeric values of one code over time (Trends).
//   - Index: the in-memory search index (Build, Search).
//   - Date: a FHIR date with its precision ("2019" stays a year).
//
// # Tolerance, and the model library decision
//
// Real servers send imperfect data, and one bad field must not hide a
// patient's result. We evaluated the generated R4 models
// github.com/samply/golang-fhir-models v0.3.2: it decodes Synthea data
// well, but rejects a whole resource for one bad code (an Encounter with
// status "Finished", a Quantity comparator written as "\u003c"), because its
// code types are enums that fail to unmarshal unknown values. Its structs
// also carry every element of R4, which we would then have to reduce to what
// a screen shows anyway. We did not evaluate fastenhealth/gofhir-models in
// depth: any generated model would have to be checked for the same failure
// mode, and small structs of our own rule it out by construction. So we
// decode with
// encoding/json into our own small structs holding only what we display,
// codes as plain strings (compared lower-cased), every field optional:
//
//   - A field of the wrong type (a string where an object belongs) is
//     skipped; the rest of the resource is kept and the entry is marked
//     Incomplete. encoding/json already works this way.
//   - Numbers are also read from strings ("value": "5.4").
//   - Partial dates are kept at their precision; an unreadable date marks
//     the entry Incomplete.
//   - A resource whose JSON does not parse at all still yields an entry of
//     its type, Incomplete, with a date when one can be found in the text.
//
// The raw JSON stays in the cache, so nothing the server sent is lost.
//
// # Threading and side effects
//
// Everything here is pure computation over values the caller passes in: no
// I/O, no logging, no globals that change, no Fyne. Decoders and Load may
// run on any goroutine; a Chart, Refs or Index is read-only once built and
// safe for concurrent readers. Nothing here writes to disk: the search
// index lives in memory only.
//
// # What it must not do
//
// It must not import storage, the sync packages or Fyne, and it must not put
// patient data (names, codes, values, text) into errors or logs: it returns
// no errors that leave the process except from ParseDate, whose messages
// never include the input.
package record
