// Package faults injects failures into the practice server's HTTP replies
// so tests can see how a client copes with a bad network or a struggling
// server.
//
// Vocabulary:
//   - an Injector is HTTP middleware (Wrap) whose Config can be changed at
//     any time (Set); its zero value injects nothing.
//   - the kinds of fault: Latency (every matching request waits first),
//     ReplyLatency (every matching request is handled at once, a write
//     committed, and its reply waits before it is sent: a client killed or
//     giving up meanwhile has lost the reply of a write that was done),
//     ErrorRate (the request is answered with ErrorStatus without reaching
//     the server; 429 and 503 carry Retry-After), DropReplyAfterCommitRate
//     (a write is carried out, then the connection is closed with no reply:
//     the client cannot know it succeeded), CutUploadRate (a write's
//     connection is closed before its body is read: nothing reaches the
//     server, and the client's upload is cut short), TruncateBodyRate (the reply
//     announces its full length but only the first half is sent before the
//     connection closes).
//   - OnlyPaths limits faults to request paths with that prefix, OnlyWrites
//     to writes (POST, PUT, PATCH, DELETE).
//
// Randomness comes from a generator seeded with Config.Seed, so a test sees
// the same sequence of faults for the same sequence of requests.
//
// Threading: an Injector is safe for concurrent use.
package faults
