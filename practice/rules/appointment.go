package rules

import (
	"context"
	"net/http"
	"slices"
	"time"
)

// Messages of appointment refusals, shown to the patient.
const (
	msgSlotTaken     = "This time was just taken by someone else. Please choose another time."
	msgTooLate       = "Appointments can't be cancelled online less than 24 hours before they start. Please call the office."
	msgTooLateMove   = "Appointments can't be moved online less than 24 hours before they start. Please call the office."
	msgSlotPast      = "This time has already passed. Please choose another time."
	msgSlotUnknown   = "This time is no longer offered. Please choose another time."
	msgNotYours      = "An appointment must include you (or the person you book for) as a participant."
	msgOneSlot       = "An appointment must be for exactly one of the offered times (slot)."
	msgTimesDiffer   = "The appointment's start and end must match the chosen time."
	msgBookStatus    = "A new appointment must have the status \"booked\" or \"proposed\"."
	msgClosed        = "This appointment can no longer be changed online. Please call the office."
	msgOnlyCancel    = "An appointment can only be cancelled or moved to another time online."
	msgCancelAndMove = "Cancel the appointment or move it to another time, not both at once."
)

// createAppointment books a new appointment: it must be for exactly one
// free, future Slot, which becomes busy in the same transaction.
func (w *write) createAppointment(ctx context.Context) error {
	if st := str(w.newRes, "status"); st != "booked" && st != "proposed" {
		return invalid(msgBookStatus)
	}
	if !w.hasPatientParticipant(w.newRes) {
		return businessRule(msgNotYours)
	}
	slotIDs, refusal := oneSlot(w.newRes)
	if refusal != nil {
		return refusal
	}
	return w.takeSlot(ctx, slotIDs)
}

// updateAppointment lets the patient cancel an appointment or move it to
// another slot, both at least CancelNotice before it starts.
func (w *write) updateAppointment(ctx context.Context) error {
	oldStatus, newStatus := str(w.oldRes, "status"), str(w.newRes, "status")
	if oldStatus != "booked" && oldStatus != "proposed" && oldStatus != "pending" {
		return businessRule(msgClosed)
	}
	if !w.hasPatientParticipant(w.oldRes) || !w.hasPatientParticipant(w.newRes) {
		return businessRule(msgNotYours)
	}
	oldSlots, newSlots := refs(w.oldRes, "slot"), refs(w.newRes, "slot")
	moved := !slices.Equal(oldSlots, newSlots)
	start, hasStart := instant(w.oldRes, "start")
	tooLate := hasStart && start.Sub(w.now) < CancelNotice

	switch {
	case newStatus == "cancelled":
		if moved {
			return businessRule(msgCancelAndMove)
		}
		if tooLate {
			return businessRule(msgTooLate)
		}
		return w.releaseSlots(ctx, oldSlots)
	case newStatus != oldStatus:
		return businessRule(msgOnlyCancel)
	case moved:
		if tooLate {
			return businessRule(msgTooLateMove)
		}
		slotIDs, refusal := oneSlot(w.newRes)
		if refusal != nil {
			return refusal
		}
		if err := w.takeSlot(ctx, slotIDs); err != nil {
			return err
		}
		return w.releaseSlots(ctx, oldSlots)
	default:
		// Same slot, same status: a change of comment or the like. The
		// times must still match the slot.
		if len(newSlots) == 1 {
			if _, id, ok := splitRef(newSlots[0]); ok {
				slot, found, err := w.read(ctx, "Slot", id)
				if err != nil {
					return err
				}
				if found && !w.timesMatch(slot) {
					return invalid(msgTimesDiffer)
				}
			}
		}
		return nil
	}
}

func (w *write) hasPatientParticipant(appt map[string]any) bool {
	for _, p := range list(appt, "participant") {
		pm, _ := p.(map[string]any)
		if refOf(pm["actor"]) == w.patientRef() {
			return true
		}
	}
	return false
}

// oneSlot returns the id of the appointment's only Slot.
func oneSlot(appt map[string]any) (string, *Refusal) {
	slots := refs(appt, "slot")
	if len(slots) != 1 {
		return "", invalid(msgOneSlot)
	}
	typ, id, ok := splitRef(slots[0])
	if !ok || typ != "Slot" {
		return "", invalid(msgOneSlot)
	}
	return id, nil
}

// takeSlot checks that Slot id is free and in the future, that the new
// appointment's times match it, and marks it busy.
func (w *write) takeSlot(ctx context.Context, id string) error {
	slot, found, err := w.read(ctx, "Slot", id)
	if err != nil {
		return err
	}
	if !found {
		return businessRule(msgSlotUnknown)
	}
	start, ok := instant(slot, "start")
	if !ok || !start.After(w.now) {
		return businessRule(msgSlotPast)
	}
	if str(slot, "status") != "free" {
		return refuse(http.StatusConflict, "conflict", msgSlotTaken)
	}
	if !w.timesMatch(slot) {
		return invalid(msgTimesDiffer)
	}
	slot["status"] = "busy"
	return w.put(ctx, "Slot", id, slot)
}

// timesMatch reports whether the new appointment's start and end are the
// slot's (a proposed appointment may leave them out).
func (w *write) timesMatch(slot map[string]any) bool {
	_, hasStart := w.newRes["start"]
	_, hasEnd := w.newRes["end"]
	if !hasStart && !hasEnd && str(w.newRes, "status") == "proposed" {
		return true
	}
	return sameInstant(w.newRes, slot, "start") && sameInstant(w.newRes, slot, "end")
}

func sameInstant(a, b map[string]any, key string) bool {
	ta, okA := instant(a, key)
	tb, okB := instant(b, key)
	return okA && okB && ta.Equal(tb)
}

// releaseSlots makes the slots of a cancelled or moved appointment free
// again, if they are still ahead.
func (w *write) releaseSlots(ctx context.Context, slotRefs []string) error {
	for _, r := range slotRefs {
		typ, id, ok := splitRef(r)
		if !ok || typ != "Slot" {
			continue
		}
		slot, found, err := w.read(ctx, "Slot", id)
		if err != nil {
			return err
		}
		if !found || str(slot, "status") != "busy" {
			continue
		}
		if start, ok := instant(slot, "start"); ok && !start.After(w.now.Add(time.Minute)) {
			continue
		}
		slot["status"] = "free"
		if err := w.put(ctx, "Slot", id, slot); err != nil {
			return err
		}
	}
	return nil
}
