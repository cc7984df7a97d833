package rules

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
)

// VisitTypeSystem is the code system of the practice's visit types (the
// serviceType of its Schedules and Slots).
const VisitTypeSystem = "http://carebook.app/fhir/CodeSystem/visit-type"

// VirtualServiceExtension carries a video visit's join link on an R4
// Appointment. FHIR R4 has no element for it (R5 added
// Appointment.virtualService); this is the standard cross-version
// extension for that R5 element, its VirtualServiceDetail written as
// sub-extensions named after the R5 elements: "addressUrl" (valueUrl, the
// link the patient opens) and "channelType" (valueCoding).
const VirtualServiceExtension = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.virtualService"

// The visit types with something of the practice's own added on booking.
var (
	// approvedVisitTypes are booked as "pending": the front desk checks
	// them (an annual physical depends on the insurance plan) and then
	// confirms them (the staff set them "booked").
	approvedVisitTypes = []string{"annual-physical"}
	// videoVisitTypes are held by video: the booking gets a join link.
	videoVisitTypes = []string{"telehealth"}
)

// Instructions the practice gives the patient with a booking
// (Appointment.patientInstruction): the "to bring" list.
const (
	instructionInPerson = "Please bring your insurance card, a photo ID and a list of the medicines you take " +
		"(or the bottles). Arrive 10 minutes early."
	instructionVideo = "Join from a quiet, well-lit place with your camera and microphone on. " +
		"Have a list of the medicines you take at hand."
)

// Adjust returns what the practice stores for a write the Policy accepted,
// or nil to store it as sent. For Appointments that are not cancelled: a
// visit type the office approves is booked "pending" (creates only); a
// video visit gets its join link (under videoBase, a new random room); a
// visit type with a questionnaire (VisitQuestionnaires) names it in
// supportingInformation; and the patient's instructions are added when
// missing. The visit type is the
// Slot's, not what the patient wrote. tx reads the Slot.
func (p Policy) Adjust(ctx context.Context, tx Tx, r Request) ([]byte, error) {
	if r.Type != "Appointment" || r.New == nil {
		return nil, nil
	}
	m, err := decode(r.New)
	if err != nil {
		return nil, nil // Check refused it already
	}
	if st := str(m, "status"); st == "cancelled" || st == "noshow" || st == "entered-in-error" {
		return nil, nil
	}
	w := write{Request: r, tx: tx, now: p.now(), newRes: m}
	slotIDs, refusal := oneSlot(m)
	if refusal != nil {
		return nil, nil
	}
	slot, found, err := w.read(ctx, "Slot", slotIDs)
	if err != nil || !found {
		return nil, err
	}
	visit := visitTypeOf(slot)
	changed := false
	if r.Old == nil && slices.Contains(approvedVisitTypes, visit) && str(m, "status") == "booked" {
		m["status"] = "pending"
		changed = true
	}
	video := slices.Contains(videoVisitTypes, visit)
	if video && joinLink(m) == "" && p.VideoBase != "" {
		room, err := newRoom()
		if err != nil {
			return nil, err
		}
		m["extension"] = append(list(m, "extension"), map[string]any{
			"url": VirtualServiceExtension,
			"extension": []any{
				map[string]any{"url": "channelType", "valueCoding": map[string]any{
					"system": "http://hl7.org/fhir/virtual-service-type", "code": "video", "display": "Video visit"}},
				map[string]any{"url": "addressUrl", "valueUrl": p.VideoBase + "/" + room},
			},
		})
		changed = true
	}
	if asked, err := w.questionnaireFor(ctx, m, visit); err != nil {
		return nil, err
	} else if asked {
		changed = true
	}
	if str(m, "patientInstruction") == "" {
		m["patientInstruction"] = instructionInPerson
		if video {
			m["patientInstruction"] = instructionVideo
		}
		changed = true
	}
	if !changed {
		return nil, nil
	}
	body, err := encode(m)
	if err != nil {
		return nil, fmt.Errorf("rules: encode Appointment: %w", err)
	}
	return body, nil
}

// visitTypeOf is the practice's visit type code of a Slot.
func visitTypeOf(slot map[string]any) string {
	for _, st := range list(slot, "serviceType") {
		cc, _ := st.(map[string]any)
		for _, c := range list(cc, "coding") {
			cm, _ := c.(map[string]any)
			if str(cm, "system") == VisitTypeSystem {
				return str(cm, "code")
			}
		}
	}
	return ""
}

// joinLink is the addressUrl of an Appointment's virtual service, or "".
func joinLink(appt map[string]any) string {
	for _, e := range list(appt, "extension") {
		em, _ := e.(map[string]any)
		if str(em, "url") != VirtualServiceExtension {
			continue
		}
		for _, sub := range list(em, "extension") {
			sm, _ := sub.(map[string]any)
			if str(sm, "url") == "addressUrl" {
				return str(sm, "valueUrl")
			}
		}
	}
	return ""
}

// newRoom is a random, unguessable video room name.
func newRoom() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("rules: video room: %w", err)
	}
	return hex.EncodeToString(b), nil
}
