package ui

import (
	"reflect"
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
