// Command carebook-cli is Carebook without a window: for people who script
// or back up their records, and for end-to-end tests. It uses the same
// encrypted cache and sync code as the app and never imports Fyne; it
// builds with CGO_ENABLED=0.
//
// Usage (flags follow the subcommand):
//
//	carebook-cli connect --data DIR --server URL [--client-id ID] [--label TEXT] [--no-browser]
//	carebook-cli connect --data DIR --server URL --open --patient ID
//	carebook-cli sync    --data DIR [--profile ID] [--full]
//	carebook-cli status  --data DIR [--json]
//	carebook-cli export  --data DIR --format bundle [--profile ID]
//	carebook-cli slots   --data DIR [--profile ID] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--type TEXT] [--provider TYPE/ID] [--json]
//	carebook-cli book    --data DIR [--profile ID] --slot SLOT_ID [--reason TEXT]
//	carebook-cli move    --data DIR [--profile ID] --appointment ID --slot SLOT_ID
//	carebook-cli cancel  --data DIR [--profile ID] --appointment ID [--reason TEXT]
//	carebook-cli appointments --data DIR [--profile ID] [--json]
//
// connect signs in with SMART App Launch (the system browser is opened with
// xdg-open, open or rundll32; the URL is also printed on stderr to open by
// hand), or, with --open, connects to a server that needs no authorization.
// sync sends the outbox and pulls every profile (or one), with progress on
// stderr. status lists profiles, last sync, counts by type and the outbox.
// export writes one profile's cached record as a FHIR Bundle of type
// collection on stdout. slots asks the practice for its free times now;
// book, move and cancel are actions (below); appointments lists the
// cached appointments with their states.
//
// --data is the cache folder (default: the app's, storage.DefaultDir).
// The cache is unlocked with the OS keyring, or with the passphrase in
// CAREBOOK_PASSPHRASE when set. On first use the cache is set up with that
// passphrase (and the keyring when one is available).
//
// Exit codes:
//
//	0  success
//	1  any other failure
//	2  bad input or usage
//	3  a profile needs sign-in again (its access was refused)
//	4  the network or the practice's server is unreachable or failing
//	5  the cache is locked: wrong or missing passphrase, no keyring
//	6  the practice refused an action (its words on stderr); the item is
//	   kept as failed. From signin and sync: the practice ended a parent's
//	   or caregiver's access to the record (kept until remove)
//
// An action (sending a message, booking, a request) is stored in the
// encrypted outbox before anything is sent. Exit 0 means the practice
// accepted it (stdout: its Type/id); 4 that it is stored and waits for
// the network or the practice (stdout: its local id, local-N; the next
// sync sends it); 3 that it is stored but the profile needs sign-in; 6
// that the practice refused it; 2 and 5 that nothing was stored.
//
// Nothing this command prints to stderr contains record contents or tokens;
// export (stdout) is the patient's own record, by request.
package main
