package staff

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/carebook/carebook/practice/audit"
	"github.com/carebook/carebook/practice/rules"
	"github.com/carebook/carebook/practice/store"
)

// RefillsOnRenewal is the number of refills of a renewed prescription.
const RefillsOnRenewal = 3

// controlledWords name controlled substances (US DEA schedules II to V)
// whose refills need a visit; matched in the medicine's name.
var controlledWords = []string{
	"oxycodone", "hydrocodone", "morphine", "codeine", "tramadol", "fentanyl", "hydromorphone",
	"methadone", "buprenorphine", "tapentadol", "alprazolam", "lorazepam", "diazepam", "clonazepam",
	"temazepam", "zolpidem", "eszopiclone", "methylphenidate", "amphetamine", "lisdexamfetamine",
	"modafinil", "pregabalin", "phenobarbital", "testosterone", "carisoprodol",
}

// Reasons given to the patient for a rejected request.
const (
	reasonControlled = "Controlled medicines can't be refilled online. Please book a visit to talk about this medicine."
	reasonStopped    = "This medicine is no longer active in your record. Please book a visit or send a message if you still need it."
	reasonNoRx       = "We could not find this prescription in your record. Please send a message to the office."
	reasonUnknown    = "This kind of request can't be handled online. Please send a message to the office."
)

// reviewRequests accepts or rejects every request made at least Delay ago.
func (w *Worker) reviewRequests(ctx context.Context, now time.Time) error {
	tasks, err := w.searchAll(ctx, "Task", url.Values{"status": {"requested"}})
	errs := []error{err}
	for _, t := range tasks {
		if !w.due(t.LastUpdated, now) {
			continue
		}
		var events []audit.Event
		err := w.st.InTx(ctx, func(tx *store.Tx) error {
			r, m, err := readIn(ctx, tx, "Task", t.ID)
			if err != nil || str(m, "status") != "requested" || !isPatientRequest(m) {
				return err
			}
			events = reviewEvents(ctx, tx, m, "Task/"+t.ID, now)
			reason, err := w.refusalReason(ctx, tx, m)
			if err != nil {
				return err
			}
			m["lastModified"] = instant(now)
			if reason != "" {
				m["status"] = "rejected"
				m["statusReason"] = text(reason)
				m["businessStatus"] = text("Not approved")
			} else {
				m["status"] = "accepted"
				m["businessStatus"] = text("Accepted by the office")
				m["executionPeriod"] = map[string]any{"start": instant(now)}
			}
			return updateIn(ctx, tx, r, m)
		})
		if err == nil {
			err = w.audit(ctx, events)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// reviewEvents are the AuditEvents of the patient's clinician reviewing a
// request: reading what it is about, and updating the request.
func reviewEvents(ctx context.Context, tx *store.Tx, task map[string]any, taskRef string, now time.Time) []audit.Event {
	patientRef := firstOf(refs(task, "for"))
	patient, ok := strings.CutPrefix(patientRef, "Patient/")
	who := generalPractitioner(ctx, tx, patientRef)
	if !ok || who == "" {
		return nil
	}
	name := practitionerName(ctx, tx, who)
	what := firstOf(refs(task, "focus"))
	if what == "" {
		what = taskRef
	}
	return []audit.Event{
		{Time: now, Subtype: audit.Read, Who: who, WhoName: name, Patient: patient, What: what},
		{Time: now, Subtype: audit.Update, Who: who, WhoName: name, Patient: patient, What: taskRef},
	}
}

// isPatientRequest reports whether a Task is one of the practice's patient
// request types (other Tasks are not the front desk's business).
func isPatientRequest(m map[string]any) bool {
	codes, _ := m["code"].(map[string]any)
	list, _ := codes["coding"].([]any)
	for _, c := range list {
		cm, _ := c.(map[string]any)
		if str(cm, "system") == rules.RequestTypeSystem {
			return true
		}
	}
	return false
}

// refusalReason says why the practice turns a request down, "" if it does
// not: an unknown request type, or a refill of a missing, stopped or
// controlled medicine.
func (w *Worker) refusalReason(ctx context.Context, tx *store.Tx, task map[string]any) (string, error) {
	if f := refs(task, "for"); len(f) != 1 || !strings.HasPrefix(f[0], "Patient/") {
		return reasonUnknown, nil
	}
	switch rules.RequestType(task) {
	case rules.RequestLabReportCopy, rules.RequestReferral, rules.RequestRecordCorrection:
		return "", nil
	case rules.RequestRefill:
	default:
		return reasonUnknown, nil
	}
	_, rx, err := w.prescription(ctx, tx, task)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrGone) {
		return reasonNoRx, nil
	}
	if err != nil {
		return "", err
	}
	if str(rx, "status") != "active" {
		return reasonStopped, nil
	}
	if isControlled(rx) {
		return reasonControlled, nil
	}
	return "", nil
}

// prescription reads the MedicationRequest a refill Task is about.
func (w *Worker) prescription(ctx context.Context, tx *store.Tx, task map[string]any) (store.Resource, map[string]any, error) {
	focus := refs(task, "focus")
	if len(focus) != 1 {
		return store.Resource{}, nil, fmt.Errorf("staff: refill without focus: %w", store.ErrNotFound)
	}
	id, ok := strings.CutPrefix(focus[0], "MedicationRequest/")
	if !ok {
		return store.Resource{}, nil, fmt.Errorf("staff: refill focus is not a MedicationRequest: %w", store.ErrNotFound)
	}
	return readIn(ctx, tx, "MedicationRequest", id)
}

func isControlled(rx map[string]any) bool {
	var names []string
	med, _ := rx["medicationCodeableConcept"].(map[string]any)
	names = append(names, str(med, "text"))
	list, _ := med["coding"].([]any)
	for _, c := range list {
		cm, _ := c.(map[string]any)
		names = append(names, str(cm, "display"))
	}
	return containsAny(strings.ToLower(strings.Join(names, " ")), controlledWords)
}

// completeRequests finishes every request accepted at least Delay ago.
func (w *Worker) completeRequests(ctx context.Context, now time.Time) error {
	tasks, err := w.searchAll(ctx, "Task", url.Values{"status": {"accepted"}})
	errs := []error{err}
	for _, t := range tasks {
		// Accepted when the staff set lastModified (on their clock), or
		// else when the server last wrote it.
		accepted := t.LastUpdated
		if m, err := decode(t.JSON); err == nil {
			if lm, err := time.Parse(time.RFC3339, str(m, "lastModified")); err == nil {
				accepted = lm
			}
		}
		if !w.due(accepted, now) {
			continue
		}
		errs = append(errs, w.st.InTx(ctx, func(tx *store.Tx) error {
			r, m, err := readIn(ctx, tx, "Task", t.ID)
			if err != nil || str(m, "status") != "accepted" || !isPatientRequest(m) {
				return err
			}
			return w.complete(ctx, tx, r, m, now)
		}))
	}
	return errors.Join(errs...)
}

// complete does what an accepted request asks and marks it completed, with
// what it produced as its output.
func (w *Worker) complete(ctx context.Context, tx *store.Tx, r store.Resource, task map[string]any, now time.Time) error {
	reason, err := w.refusalReason(ctx, tx, task)
	if err != nil {
		return err
	}
	if reason != "" {
		// The request or its prescription changed since it was accepted.
		task["status"] = "rejected"
		task["statusReason"] = text(reason)
		task["businessStatus"] = text("Not approved")
		task["lastModified"] = instant(now)
		return updateIn(ctx, tx, r, task)
	}
	var output map[string]any
	switch rules.RequestType(task) {
	case rules.RequestRefill:
		rxRes, rx, err := w.prescription(ctx, tx, task)
		if err != nil {
			return err
		}
		id, err := renew(ctx, tx, rxRes, rx, rules.Pharmacy(task), now)
		if err != nil {
			return err
		}
		output = map[string]any{"type": text("Renewed prescription"), "valueReference": ref("MedicationRequest/" + id)}
	case rules.RequestLabReportCopy:
		id, err := labReportCopy(ctx, tx, task, now)
		if err != nil {
			return err
		}
		output = map[string]any{"type": text("Copy of lab report"), "valueReference": ref("DocumentReference/" + id)}
	case rules.RequestReferral:
		id, err := referral(ctx, tx, task, now)
		if err != nil {
			return err
		}
		output = map[string]any{"type": text("Referral"), "valueReference": ref("ServiceRequest/" + id)}
	case rules.RequestRecordCorrection:
		output = map[string]any{"type": text("Outcome"),
			"valueString": "The office reviewed your correction request and updated your record where needed. Thank you for telling us."}
	default:
		return nil // reviewRequests rejects unknown types before they get here
	}
	task["status"] = "completed"
	task["businessStatus"] = text("Completed")
	task["lastModified"] = instant(now)
	period, _ := task["executionPeriod"].(map[string]any)
	if period == nil {
		period = map[string]any{}
	}
	period["end"] = instant(now)
	task["executionPeriod"] = period
	task["output"] = []any{output}
	return updateIn(ctx, tx, r, task)
}

// renew completes the old prescription and writes its renewal: a new
// MedicationRequest with the same medicine, dosage and prescriber, authored
// now, RefillsOnRenewal refills, valid a year, priorPrescription the old one,
// dispensed by pharmacy when the patient chose one.
func renew(ctx context.Context, tx *store.Tx, oldRes store.Resource, old map[string]any, pharmacy string, now time.Time) (string, error) {
	renewed := map[string]any{}
	for k, v := range old {
		switch k {
		case "id", "meta", "text", "identifier", "encounter":
		default:
			renewed[k] = v
		}
	}
	renewed["status"] = "active"
	renewed["authoredOn"] = instant(now)
	renewed["priorPrescription"] = ref("MedicationRequest/" + oldRes.ID)
	dispense, _ := old["dispenseRequest"].(map[string]any)
	nd := map[string]any{}
	for k, v := range dispense {
		nd[k] = v
	}
	nd["numberOfRepeatsAllowed"] = RefillsOnRenewal
	nd["validityPeriod"] = map[string]any{"start": instant(now), "end": instant(now.AddDate(1, 0, 0))}
	if pharmacy != "" {
		nd["performer"] = ref(pharmacy)
	}
	renewed["dispenseRequest"] = nd
	id, err := createIn(ctx, tx, "MedicationRequest", renewed)
	if err != nil {
		return "", err
	}
	old["status"] = "completed"
	if err := updateIn(ctx, tx, oldRes, old); err != nil {
		return "", err
	}
	return id, nil
}

// referral writes the ServiceRequest of an accepted referral request.
func referral(ctx context.Context, tx *store.Tx, task map[string]any, now time.Time) (string, error) {
	what := strings.TrimSpace(str(task, "description"))
	if what == "" {
		what = "Referral to a specialist"
	}
	sr := map[string]any{
		"status":     "active",
		"intent":     "order",
		"category":   []any{map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": "3457005", "display": "Patient referral"}}, "text": "Referral"}},
		"code":       text(what),
		"subject":    ref(refs(task, "for")[0]),
		"authoredOn": instant(now),
		"note":       []any{text("Requested by the patient through the portal.")},
	}
	if gp := generalPractitioner(ctx, tx, refs(task, "for")[0]); gp != "" {
		sr["requester"] = ref(gp)
	}
	return createIn(ctx, tx, "ServiceRequest", sr)
}

// generalPractitioner returns the Patient's first generalPractitioner.
func generalPractitioner(ctx context.Context, tx *store.Tx, patientRef string) string {
	id, ok := strings.CutPrefix(patientRef, "Patient/")
	if !ok {
		return ""
	}
	_, p, err := readIn(ctx, tx, "Patient", id)
	if err != nil {
		return ""
	}
	if gp := refs(p, "generalPractitioner"); len(gp) > 0 {
		return gp[0]
	}
	return ""
}

// labReportCopy writes a DocumentReference holding a plain-text copy of the
// DiagnosticReport the Task names, or of the patient's three latest ones.
func labReportCopy(ctx context.Context, tx *store.Tx, task map[string]any, now time.Time) (string, error) {
	patient := refs(task, "for")[0]
	patientID := strings.TrimPrefix(patient, "Patient/")
	var reports []store.Resource
	if f := refs(task, "focus"); len(f) == 1 && strings.HasPrefix(f[0], "DiagnosticReport/") {
		r, err := tx.Read(ctx, "DiagnosticReport", strings.TrimPrefix(f[0], "DiagnosticReport/"))
		if err == nil {
			reports = append(reports, r)
		} else if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrGone) {
			return "", fmt.Errorf("staff: read DiagnosticReport: %w", err)
		}
	}
	if len(reports) == 0 {
		q, _, err := store.ParseQuery("DiagnosticReport", url.Values{"_sort": {"-date"}, "_count": {"3"}}, false)
		if err != nil {
			return "", fmt.Errorf("staff: search reports: %w", err)
		}
		q.Patient = patientID
		reports, _, err = tx.Search(ctx, "DiagnosticReport", q)
		if err != nil {
			return "", fmt.Errorf("staff: search reports: %w", err)
		}
	}
	var sb strings.Builder
	sb.WriteString("Copy of laboratory report\nPrepared by the office on " + now.UTC().Format("2006-01-02") + "\n")
	if len(reports) == 0 {
		sb.WriteString("\nNo laboratory reports are on file.\n")
	}
	for _, r := range reports {
		if err := writeReport(ctx, tx, &sb, r); err != nil {
			return "", err
		}
	}
	data := sb.String()
	doc := map[string]any{
		"status":      "current",
		"docStatus":   "final",
		"type":        map[string]any{"coding": []any{map[string]any{"system": "http://loinc.org", "code": "11502-2", "display": "Laboratory report"}}, "text": "Laboratory report"},
		"category":    []any{map[string]any{"coding": []any{map[string]any{"system": "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category", "code": "clinical-note", "display": "Clinical Note"}}}},
		"subject":     ref(patient),
		"date":        instant(now),
		"description": "Copy of lab report (requested online)",
		"content": []any{map[string]any{"attachment": map[string]any{
			"contentType": "text/plain; charset=utf-8",
			"title":       "Lab report copy",
			"creation":    instant(now),
			"data":        base64.StdEncoding.EncodeToString([]byte(data)),
			"size":        len(data),
		}}},
	}
	return createIn(ctx, tx, "DocumentReference", doc)
}

// writeReport renders one DiagnosticReport and its results as text.
func writeReport(ctx context.Context, tx *store.Tx, sb *strings.Builder, r store.Resource) error {
	m, err := decode(r.JSON)
	if err != nil {
		return fmt.Errorf("staff: decode DiagnosticReport: %w", err)
	}
	fmt.Fprintf(sb, "\n%s (%s)\n", conceptText(m["code"]), str(m, "effectiveDateTime"))
	for _, res := range refs(m, "result") {
		id, ok := strings.CutPrefix(res, "Observation/")
		if !ok {
			continue
		}
		o, err := tx.Read(ctx, "Observation", id)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrGone) {
			continue
		}
		if err != nil {
			return fmt.Errorf("staff: read Observation: %w", err)
		}
		om, err := decode(o.JSON)
		if err != nil {
			continue
		}
		line := "  " + conceptText(om["code"]) + ": "
		if q, ok := om["valueQuantity"].(map[string]any); ok {
			line += fmt.Sprint(q["value"]) + " " + str(q, "unit")
		} else if s := str(om, "valueString"); s != "" {
			line += s
		}
		if interp, ok := om["interpretation"].([]any); ok && len(interp) > 0 {
			if flag := conceptCode(interp[0]); flag != "" && flag != "N" {
				line += " [" + flag + "]"
			}
		}
		if rr, ok := om["referenceRange"].([]any); ok && len(rr) > 0 {
			rm, _ := rr[0].(map[string]any)
			if t := str(rm, "text"); t != "" {
				line += " (normal " + t + ")"
			}
		}
		sb.WriteString(line + "\n")
	}
	if c := str(m, "conclusion"); c != "" {
		sb.WriteString("  Comment: " + c + "\n")
	}
	return nil
}

func conceptText(v any) string {
	m, _ := v.(map[string]any)
	if t := str(m, "text"); t != "" {
		return t
	}
	list, _ := m["coding"].([]any)
	for _, c := range list {
		cm, _ := c.(map[string]any)
		if d := str(cm, "display"); d != "" {
			return d
		}
	}
	return "Result"
}

func conceptCode(v any) string {
	m, _ := v.(map[string]any)
	list, _ := m["coding"].([]any)
	for _, c := range list {
		cm, _ := c.(map[string]any)
		if code := str(cm, "code"); code != "" {
			return code
		}
	}
	return ""
}
