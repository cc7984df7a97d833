package rules

import (
	"context"
	"strings"
)

// VisitQuestionnaires maps the practice's visit types to the Questionnaire
// (its id) the patient is asked to answer before such a visit. Adjust
// names it in the booked Appointment's supportingInformation, a plain R4
// element ("additional information to support the appointment") that any
// FHIR server stores and returns, so a client learns what to answer from
// the Appointment alone.
var VisitQuestionnaires = map[string]string{
	"new-patient": "new-patient-intake",
}

// BasedOnExtension is the FHIR core extension (event-basedOn) a
// QuestionnaireResponse uses to name the Appointment it answers for: R4's
// QuestionnaireResponse.basedOn admits only CarePlan and ServiceRequest.
const BasedOnExtension = "http://hl7.org/fhir/StructureDefinition/event-basedOn"

// createQuestionnaireResponse checks a patient's answers: completed, about
// the token's patient, to a questionnaire the practice published (its
// canonical URL ends with the Questionnaire's id), answering only its
// questions and every required one that is always asked, and, when it
// names an Appointment, one of the patient's.
func (w *write) createQuestionnaireResponse(ctx context.Context) error {
	qr := w.newRes
	if str(qr, "status") != "completed" {
		return invalid(`Answers must have the status "completed".`)
	}
	if s := refs(qr, "subject"); len(s) != 1 || s[0] != w.patientRef() {
		return businessRule("Answers must be about your own record (subject).")
	}
	if a := refOf(qr["author"]); a != "" && a != w.userRef() && a != w.patientRef() {
		return businessRule("Answers must come from you (author).")
	}
	canonical := str(qr, "questionnaire")
	base, _, _ := strings.Cut(canonical, "|")
	id := base[strings.LastIndex(base, "/")+1:]
	var q map[string]any
	found := false
	if id != "" && !strings.ContainsAny(id, "?#") {
		var err error
		if q, found, err = w.read(ctx, "Questionnaire", id); err != nil {
			return err
		}
	}
	if !found || (str(q, "url") != base && base != "Questionnaire/"+id) {
		return invalid("The practice does not know the questionnaire these answers are for.")
	}
	asked := map[string]map[string]any{}
	for _, it := range list(q, "item") {
		if im, ok := it.(map[string]any); ok {
			asked[str(im, "linkId")] = im
		}
	}
	answered := map[string]bool{}
	for _, it := range list(qr, "item") {
		im, _ := it.(map[string]any)
		link := str(im, "linkId")
		if asked[link] == nil {
			return invalid("The answers include a question the questionnaire does not ask.")
		}
		if len(list(im, "answer")) > 0 {
			answered[link] = true
		}
	}
	for link, im := range asked {
		if req, _ := im["required"].(bool); req && len(list(im, "enableWhen")) == 0 && !answered[link] {
			return invalid("Please answer every question marked as needed.")
		}
	}
	for _, e := range list(qr, "extension") {
		em, _ := e.(map[string]any)
		if str(em, "url") != BasedOnExtension {
			continue
		}
		typ, apptID, ok := splitRef(refOf(em["valueReference"]))
		if !ok || typ != "Appointment" {
			return invalid("Answers can be linked to one of your appointments only.")
		}
		appt, found, err := w.read(ctx, "Appointment", apptID)
		if err != nil {
			return err
		}
		if !found || !belongsTo(appt, w.Grant.PatientID) {
			return businessRule("Answers can be linked to one of your appointments only.")
		}
	}
	return nil
}

// questionnaireFor adds to appointment m the questionnaire its visit type
// asks for (supportingInformation), when the practice publishes it and m
// does not name it yet. It reports whether m changed.
func (w *write) questionnaireFor(ctx context.Context, m map[string]any, visit string) (bool, error) {
	id, ok := VisitQuestionnaires[visit]
	if !ok {
		return false, nil
	}
	ref := "Questionnaire/" + id
	for _, s := range list(m, "supportingInformation") {
		if refOf(s) == ref {
			return false, nil
		}
	}
	q, found, err := w.read(ctx, "Questionnaire", id)
	if err != nil || !found {
		return false, err
	}
	m["supportingInformation"] = append(list(m, "supportingInformation"), map[string]any{
		"reference": ref, "display": firstNonEmpty(str(q, "title"), "Questions before your visit"),
	})
	return true, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
