package ui

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/carebook/carebook/app"
)

// TestKnownPractices: each practice on the device is offered once, the
// demo practice never (it has its own button).
func TestKnownPractices(t *testing.T) {
	tests := []struct {
		name string
		in   []app.ProfileInfo
		want []knownPractice
	}{
		{"none", nil, nil},
		{"demo only", []app.ProfileInfo{{Practice: "Demo practice", PracticeURL: "http://127.0.0.1:4000/fhir", Demo: true}}, nil},
		{"a family at one practice, and another practice", []app.ProfileInfo{
			{Label: "Amara", Practice: "portal.riverside.example", PracticeURL: "https://portal.riverside.example/fhir"},
			{Label: "Nia", Practice: "portal.riverside.example", PracticeURL: "https://portal.riverside.example/fhir"},
			{Label: "Amara", Practice: "fhir.hospital.example", PracticeURL: "https://fhir.hospital.example/r4"},
		}, []knownPractice{
			{"portal.riverside.example", "https://portal.riverside.example/fhir"},
			{"fhir.hospital.example", "https://fhir.hospital.example/r4"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := knownPractices(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("knownPractices = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestConnectErrorsInPlainWords: each way a sign-in fails is told in its
// own plain sentence, wrapped as the core wraps it.
func TestConnectErrorsInPlainWords(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("connect: %w", app.ErrBadAddress), "doesn't look like a web address"},
		{fmt.Errorf("connect: %w", app.ErrUnreachable), "couldn't reach that address"},
		{fmt.Errorf("sign in: %w", app.ErrCancelled), "Sign-in was cancelled"},
		{fmt.Errorf("sign in: %w", app.ErrProfileClosed), "This record has a lock of its own. Open it first"},
		{errors.New("something else"), "couldn't connect to the practice"},
	}
	for _, tt := range tests {
		if got := humanConnectError(tt.err); !strings.Contains(got, tt.want) {
			t.Errorf("humanConnectError(%v) = %q, want it to say %q", tt.err, got, tt.want)
		}
	}
}
