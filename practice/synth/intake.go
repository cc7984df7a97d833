package synth

import (
	"fmt"
	"time"
)

// IntakeQuestionnaireID is the id of the Questionnaire the practice asks
// new patients to answer before their first visit. The practice's booking
// rules (practice/rules) name it in a new-patient Appointment's
// supportingInformation.
const IntakeQuestionnaireID = "new-patient-intake"

// IntakeQuestionnaireURL is its canonical URL: the practice's canonical
// URLs end with the resource's id.
const IntakeQuestionnaireURL = "http://carebook.app/fhir/Questionnaire/" + IntakeQuestionnaireID

// sysIntakeSmoking is the code system of the smoking question's answers.
const sysIntakeSmoking = "http://carebook.app/fhir/CodeSystem/intake-smoking"

// newPatientProviders see new patients: their last times of the day are
// new-patient visits.
var newPatientProviders = []string{"dr-park", "dr-olsen"}

// buildNewPatientSchedules adds the new-patient Schedules of
// newPatientProviders and their Slots on the coming business days,
// 16:30–17:30 (two visits), about a quarter of them already busy. They use
// their own random stream, so the other slots stay as they were.
func (g *generator) buildNewPatientSchedules(s *set) {
	rnd := g.rng("schedules/new-patient")
	v := visitNewPatient
	horizon := obj{"start": fhirInstant(g.now), "end": fhirInstant(g.now.AddDate(0, 0, slotDays))}
	for _, id := range newPatientProviders {
		p := practitionerByID(id)
		s.add("Schedule", scheduleID(p.id, v), obj{
			"active":          true,
			"serviceType":     []any{concept(sysServiceType, v.code, v.display)},
			"specialty":       []any{concept(sysNUCC, p.specialtyCode, p.specialty)},
			"actor":           []any{refDisplay("Practitioner", p.id, p.display()), ref("Location", p.location)},
			"planningHorizon": horizon,
			"comment":         v.display + " with " + p.display(),
		})
	}
	today := atClock(g.now, 0, 0)
	for day := 1; day <= slotDays; day++ {
		date := today.AddDate(0, 0, day)
		if wd := date.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		for _, id := range newPatientProviders {
			for start := atClock(date, 16, 30); start.Before(atClock(date, 17, 30)); start = start.Add(time.Duration(v.minutes) * time.Minute) {
				status := "free"
				if rnd.IntN(4) == 0 {
					status = "busy"
				}
				s.add("Slot", fmt.Sprintf("slot-%s-%s", id, start.Format("20060102-1504")), obj{
					"schedule":    ref("Schedule", scheduleID(id, v)),
					"serviceType": []any{concept(sysServiceType, v.code, v.display)},
					"status":      status,
					"start":       fhirInstant(start),
					"end":         fhirInstant(start.Add(time.Duration(v.minutes) * time.Minute)),
				})
			}
		}
	}
}

// addIntakeQuestionnaire publishes the new-patient questionnaire: a few
// plain FHIR R4 items (text, boolean, choice, date), one of them asked
// only when an earlier answer is yes (enableWhen).
func addIntakeQuestionnaire(s *set) {
	s.add("Questionnaire", IntakeQuestionnaireID, obj{
		"url":         IntakeQuestionnaireURL,
		"version":     "1",
		"name":        "NewPatientIntake",
		"title":       "Before your first visit",
		"status":      "active",
		"subjectType": []any{"Patient"},
		"publisher":   "Riverside Family Medicine",
		"description": "A few questions the practice asks new patients before their first visit.",
		"item": []any{
			obj{"linkId": "reason", "type": "text", "required": true,
				"text": "What would you like to talk about at your first visit?"},
			obj{"linkId": "takes-medicines", "type": "boolean", "required": true,
				"text": "Do you take any medicines, vitamins or supplements?"},
			obj{"linkId": "medicines", "type": "text", "required": true,
				"text":       "Which ones, and how often do you take them?",
				"enableWhen": []any{obj{"question": "takes-medicines", "operator": "=", "answerBoolean": true}}},
			obj{"linkId": "allergies", "type": "string",
				"text": "Allergies to medicines or foods (leave empty if none)"},
			obj{"linkId": "smoking", "type": "choice", "required": true,
				"text": "Do you smoke?",
				"answerOption": []any{
					obj{"valueCoding": coding(sysIntakeSmoking, "never", "Never smoked")},
					obj{"valueCoding": coding(sysIntakeSmoking, "former", "Used to smoke")},
					obj{"valueCoding": coding(sysIntakeSmoking, "current", "Smoke now")},
				}},
			obj{"linkId": "last-checkup", "type": "date",
				"text": "When was your last check-up, roughly?"},
		},
	})
}
