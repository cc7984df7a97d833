package app

import "testing"

func TestTaskState(t *testing.T) {
	tests := []struct {
		status, business, reason string
		want                     RequestState
		wantWords                string
	}{
		{"requested", "", "", RequestSent, ""},
		{"draft", "", "", RequestSent, ""},
		{"Requested", "", "", RequestSent, ""}, // servers differ in case
		{"received", "At the front desk", "", RequestReceived, "At the front desk"},
		{"accepted", "Accepted by the office", "", RequestReceived, "Accepted by the office"},
		{"ready", "", "", RequestInProgress, ""},
		{"in-progress", "Waiting for Dr. Park to approve", "", RequestInProgress, "Waiting for Dr. Park to approve"},
		{"on-hold", "On hold", "Waiting for your insurer", RequestInProgress, "Waiting for your insurer"},
		{"completed", "Completed", "", RequestDone, "Completed"},
		{"completed", "", "", RequestDone, ""},
		{"rejected", "Not approved", "Controlled medicines can't be refilled online.", RequestDeclined, "Controlled medicines can't be refilled online."},
		{"rejected", "Not approved", "", RequestDeclined, "Not approved"},
		{"cancelled", "", "Withdrawn by the patient", RequestCancelled, "Withdrawn by the patient"},
		{"failed", "Could not reach the pharmacy", "The pharmacy is closed", RequestFailed, "The pharmacy is closed"},
		{"failed", "Could not reach the pharmacy", "", RequestFailed, "Could not reach the pharmacy"},
		{"entered-in-error", "", "", RequestCancelled, ""},
		{"some-new-status", "With the nurse", "", RequestInProgress, "With the nurse"},
		{"", "", "", RequestInProgress, ""},
	}
	for _, tt := range tests {
		t.Run(tt.status+"/"+tt.business+"/"+tt.reason, func(t *testing.T) {
			got, words := taskState(tt.status, "  "+tt.business+" ", tt.reason)
			if got != tt.want || words != tt.wantWords {
				t.Errorf("taskState(%q, %q, %q) = %q, %q; want %q, %q", tt.status, tt.business, tt.reason, got, words, tt.want, tt.wantWords)
			}
		})
	}
}

func TestRequestStateOpen(t *testing.T) {
	tests := []struct {
		state RequestState
		open  bool
	}{
		{RequestWaiting, true}, {RequestSent, true}, {RequestReceived, true}, {RequestInProgress, true},
		{RequestDone, false}, {RequestDeclined, false}, {RequestCancelled, false}, {RequestFailed, false},
	}
	for _, tt := range tests {
		if got := tt.state.Open(); got != tt.open {
			t.Errorf("%s.Open() = %v, want %v", tt.state, got, tt.open)
		}
		if tt.state.Headline() == "Unknown" {
			t.Errorf("%s has no headline", tt.state)
		}
	}
}
