package app

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/carebook/carebook/practice/rules"
)

// The codes the app sends are the ones the reference practice defines.
func TestRequestCodesMatchThePractice(t *testing.T) {
	pairs := [][2]string{
		{RequestTypeSystem, rules.RequestTypeSystem},
		{RequestInputSystem, rules.RequestInputSystem},
		{InputPharmacy, rules.InputPharmacy},
		{string(RequestRefill), rules.RequestRefill},
		{string(RequestLabReportCopy), rules.RequestLabReportCopy},
		{string(RequestReferral), rules.RequestReferral},
		{string(RequestCorrection), rules.RequestRecordCorrection},
	}
	for _, p := range pairs {
		if p[0] != p[1] {
			t.Errorf("app says %q, the practice %q", p[0], p[1])
		}
	}
}

func TestBuildTask(t *testing.T) {
	at := time.Date(2026, 12, 4, 18, 0, 0, 0, time.FixedZone("CST", -6*3600))
	tests := []struct {
		name string
		spec taskSpec
		want map[string]any // elements checked (JSON values)
		none []string       // elements that must be absent
	}{
		{"refill to a pharmacy",
			taskSpec{Kind: RequestRefill, Patient: "Patient/p1", Requester: "Patient/p1", Focus: "MedicationRequest/m1",
				FocusName: "Lisinopril", Description: "Refill: Lisinopril", Note: "5 tablets left",
				Pharmacy: "Organization/ph1", PharmacyName: "Riverside Pharmacy", AuthoredOn: at},
			map[string]any{
				"resourceType": "Task", "status": "requested", "intent": "order",
				"for":         map[string]any{"reference": "Patient/p1"},
				"requester":   map[string]any{"reference": "Patient/p1"},
				"focus":       map[string]any{"reference": "MedicationRequest/m1", "display": "Lisinopril"},
				"authoredOn":  "2026-12-05T00:00:00Z",
				"description": "Refill: Lisinopril",
				"code": map[string]any{"text": "Prescription refill", "coding": []any{map[string]any{
					"system": RequestTypeSystem, "code": "refill", "display": "Prescription refill"}}},
				"note": []any{map[string]any{"text": "5 tablets left", "time": "2026-12-05T00:00:00Z"}},
				"input": []any{map[string]any{
					"type": map[string]any{"text": "Pharmacy", "coding": []any{map[string]any{
						"system": RequestInputSystem, "code": "pharmacy", "display": "Pharmacy"}}},
					"valueReference": map[string]any{"reference": "Organization/ph1", "display": "Riverside Pharmacy"},
				}},
			}, []string{"id", "identifier", "output", "owner"}},
		{"referral by a parent, free text",
			taskSpec{Kind: RequestReferral, Patient: "Patient/leo", Requester: "RelatedPerson/amara", Description: "Referral: Dermatology", AuthoredOn: at},
			map[string]any{
				"requester": map[string]any{"reference": "RelatedPerson/amara"},
				"for":       map[string]any{"reference": "Patient/leo"},
			}, []string{"focus", "note", "input"}},
		{"correction of an item",
			taskSpec{Kind: RequestCorrection, Patient: "Patient/p1", Requester: "Patient/p1", Focus: "AllergyIntolerance/a1",
				Note: "What is wrong: x\nWhat it should say: y", AuthoredOn: at},
			map[string]any{
				"focus": map[string]any{"reference": "AllergyIntolerance/a1"},
				"note":  []any{map[string]any{"text": "What is wrong: x\nWhat it should say: y", "time": "2026-12-05T00:00:00Z"}},
			}, []string{"input"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := buildTask(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			for k, want := range tt.want {
				if !reflect.DeepEqual(got[k], want) {
					t.Errorf("%s = %#v\nwant %#v", k, got[k], want)
				}
			}
			for _, k := range tt.none {
				if _, ok := got[k]; ok {
					t.Errorf("%s is set: %v", k, got[k])
				}
			}
		})
	}
}

func TestRequesterRef(t *testing.T) {
	tests := []struct {
		fhirUser, want string
	}{
		{"", "Patient/p1"},
		{"RelatedPerson/rp1", "RelatedPerson/rp1"},
		{"https://practice.example/fhir/RelatedPerson/rp1", "RelatedPerson/rp1"},
	}
	for _, tt := range tests {
		if got := requesterRef(map[string]string{settingFHIRUser: tt.fhirUser}, "p1"); got != tt.want {
			t.Errorf("requesterRef(%q) = %q, want %q", tt.fhirUser, got, tt.want)
		}
	}
}
