package app

import (
	"strings"

	"github.com/carebook/carebook/internal/i18n"
)

// RequestState is where a request stands, as the patient sees it. The
// values are lowercase words, as the command line prints them.
type RequestState string

// The states of a request.
const (
	// RequestWaiting: stored on this device, not accepted by the practice
	// yet (offline, the practice busy, earlier items waiting).
	RequestWaiting RequestState = "waiting"
	// RequestSent: the practice has it; nobody there has looked at it yet.
	RequestSent RequestState = "sent"
	// RequestReceived: the office has seen it and taken it on.
	RequestReceived RequestState = "received"
	// RequestInProgress: someone is working on it (or it waits on something).
	RequestInProgress RequestState = "in-progress"
	// RequestDone: the practice did it; Outcomes says what it did.
	RequestDone RequestState = "done"
	// RequestDeclined: the practice said no; Words says why.
	RequestDeclined RequestState = "declined"
	// RequestCancelled: withdrawn, by the patient or the practice.
	RequestCancelled RequestState = "cancelled"
	// RequestFailed: the practice refused to take it (the outbox item
	// failed with its words) or could not carry it out.
	RequestFailed RequestState = "failed"
)

// Open reports whether a request in state s still awaits its outcome.
func (s RequestState) Open() bool {
	switch s {
	case RequestWaiting, RequestSent, RequestReceived, RequestInProgress:
		return true
	}
	return false
}

// Headline is the state in words for the screens.
func (s RequestState) Headline() string {
	switch s {
	case RequestWaiting:
		return i18n.L("Waiting to be sent")
	case RequestSent:
		return i18n.L("Sent to the practice")
	case RequestReceived:
		return i18n.L("Received by the office")
	case RequestInProgress:
		return i18n.L("In progress")
	case RequestDone:
		return i18n.L("Done")
	case RequestDeclined:
		return i18n.L("Declined")
	case RequestCancelled:
		return i18n.L("Cancelled")
	case RequestFailed:
		return i18n.L("Couldn't be done")
	}
	return i18n.L("Unknown")
}

// wordsFrom says which of the practice's fields give its words for a state,
// in order of preference.
type wordsFrom int

const (
	wordsBusinessStatus wordsFrom = iota // businessStatus, else statusReason
	wordsStatusReason                    // statusReason, else businessStatus
)

// taskStates maps FHIR R4 Task.status (every code of the TaskStatus value
// set) to what the patient sees, and whose words go with it. A status the
// table does not know is shown as in progress: the practice has the
// request, and its own words (businessStatus) still show.
var taskStates = map[string]struct {
	state RequestState
	words wordsFrom
}{
	"draft":            {RequestSent, wordsBusinessStatus},
	"requested":        {RequestSent, wordsBusinessStatus},
	"received":         {RequestReceived, wordsBusinessStatus},
	"accepted":         {RequestReceived, wordsBusinessStatus},
	"ready":            {RequestInProgress, wordsBusinessStatus},
	"in-progress":      {RequestInProgress, wordsBusinessStatus},
	"on-hold":          {RequestInProgress, wordsStatusReason},
	"completed":        {RequestDone, wordsBusinessStatus},
	"rejected":         {RequestDeclined, wordsStatusReason},
	"cancelled":        {RequestCancelled, wordsStatusReason},
	"failed":           {RequestFailed, wordsStatusReason},
	"entered-in-error": {RequestCancelled, wordsStatusReason},
}

// taskState maps the practice's Task status, businessStatus and
// statusReason (as text) to the state shown and the practice's own words
// about it ("" when it gave none).
func taskState(status, businessStatus, statusReason string) (RequestState, string) {
	status = strings.ToLower(strings.TrimSpace(status))
	businessStatus, statusReason = strings.TrimSpace(businessStatus), strings.TrimSpace(statusReason)
	rule, ok := taskStates[status]
	if !ok {
		rule.state, rule.words = RequestInProgress, wordsBusinessStatus
	}
	words := firstNonBlank(businessStatus, statusReason)
	if rule.words == wordsStatusReason {
		words = firstNonBlank(statusReason, businessStatus)
	}
	return rule.state, words
}

func firstNonBlank(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}
