package rules

// updateRelatedPerson lets a patient end a family member's or caregiver's
// access to their own record: the only change allowed is active from true
// (or absent) to false, by the patient themselves. Giving access back, or
// anything else about the person, goes through the office.
func (w *write) updateRelatedPerson() error {
	if w.userRef() != w.patientRef() {
		return forbidden("Only the patient can end someone's access to their record.")
	}
	if ref, _ := w.oldRes["patient"].(map[string]any); ref == nil || ref["reference"] != w.patientRef() {
		return forbidden("You can only change who has access to your own record.")
	}
	for k := range w.oldRes {
		if k != "active" && !isIgnored(k) && !sameJSON(w.oldRes[k], w.newRes[k]) {
			return businessRule("Only someone's access can be ended online; please ask the office for other changes.")
		}
	}
	for k := range w.newRes {
		if _, had := w.oldRes[k]; !had && k != "active" && !isIgnored(k) {
			return businessRule("Only someone's access can be ended online; please ask the office for other changes.")
		}
	}
	if active, ok := w.newRes["active"].(bool); !ok || active {
		if was, ok := w.oldRes["active"].(bool); ok && !was {
			return businessRule("Access can be given back by the office; please send them a message.")
		}
		return businessRule("To end someone's access, mark them inactive.")
	}
	return nil
}

func isIgnored(k string) bool {
	for _, ig := range patientIgnored {
		if k == ig {
			return true
		}
	}
	return false
}
