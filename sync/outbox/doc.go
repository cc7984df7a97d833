// Package outbox sends what the patient wrote — messages (Communication),
// bookings, cancellations and reschedules (Appointment), refill and other
// requests (Task), demographic changes (Patient) — so that nothing is lost
// or sent twice, online or off.
//
// Vocabulary:
//   - item: one storage.OutboxItem. It is written to storage (Enqueue) before
//     any attempt to send it, so a crash or a closed laptop loses nothing.
//   - identifier: every item has a client-generated urn:uuid. Creates carry
//     it in the resource (identifier system urn:ietf:rfc:3986) and are sent
//     with If-None-Exist: identifier=urn:ietf:rfc:3986|urn:uuid:..., so a
//     resend after a reply lost on the way back finds the first copy instead
//     of making a second. Where the server's CapabilityStatement does not
//     offer conditional create, a resend first searches by identifier.
//   - attempt: each try is counted and saved before the request leaves, so
//     after a crash the sender knows the server may already have the item.
//
// Outcomes: 2xx → sent (the server's resource is also written to the
// cache); 409 and 412 → conflict (shown to the patient; an update whose
// earlier reply was lost and that the server already applied counts as
// sent); other 4xx → failed with the server's message (kept sealed in
// storage), and the rest of the queue drains; 5xx, 429 and network errors →
// stays pending with NextAttempt pushed back (jittered exponential backoff,
// or Retry-After).
//
// Order: items of one resource type (a lane) are sent strictly in order,
// so a reply never overtakes the message it answers, nor a reschedule its
// booking; an item left pending holds back the later items of its lane.
// What is about one request (a 5xx reply to it, or an upload that could
// not go out in full in the time allowed, as a large attachment on a slow
// link) holds back only its lane: a refill request still goes. What is
// about the practice (no connection, no reply to a whole request, a 429)
// stops the drain at once, since the other items would fare no better.
// An upload cut short waits out its back-off even in a sync someone
// asked for (IgnoreWait), and a sync leaves it for after its pull
// (LeaveCut): the record does not wait for an upload the link may not
// carry; nor does a new action, whose send leaves it to the sync (the
// items of its lane still wait behind it).
// When no access token can be had (sign-in needed, the token endpoint
// refusing the client, a locked keyring) nothing is sent: the items stay
// pending and Send returns the error; a token endpoint that is down counts
// as a 5xx.
//
// Threading: Send is serialized per profile inside one process: a second
// Send for the same profile waits for the first (or for its ctx). Enqueue
// calls may happen at any time from any goroutine.
//
// This package does not import Fyne and never logs what the patient wrote.
package outbox
