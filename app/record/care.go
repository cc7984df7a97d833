package record

import (
	"net/url"
	"strings"
)

// Encounter is a visit: at the office, in hospital, by video.
type Encounter struct {
	Entry
	Type         string // the first type, e.g. "General examination"
	Technical    string // the first type as the practice's system names it (Concept.Technical)
	Class        string // the kind of visit in plain words: "Clinic visit", "Hospital stay", …
	Status       string // lower-cased: "finished", "in-progress", "cancelled", …
	Reasons      []string
	Period       Period
	Participants []Ref
	Locations    []Ref
	Provider     Ref // serviceProvider: the organization
}

// actCodeSystem is HL7 v3 ActCode, the code system of Encounter.class.
const actCodeSystem = "http://terminology.hl7.org/CodeSystem/v3-ActCode"

type wEncounter struct {
	wBase
	Status          string     `json:"status"`
	Class           wCoding    `json:"class"`
	Type            []wConcept `json:"type"`
	ReasonCode      []wConcept `json:"reasonCode"`
	ReasonReference []wRef     `json:"reasonReference"`
	Period          wPeriod    `json:"period"`
	Participant     []struct {
		Individual wRef `json:"individual"`
	} `json:"participant"`
	Location []struct {
		Location wRef `json:"location"`
	} `json:"location"`
	ServiceProvider wRef `json:"serviceProvider"`
}

// DecodeEncounter decodes an Encounter tolerantly; it never fails.
func DecodeEncounter(r Resource) Encounter {
	var w wEncounter
	d := begin(r, &w)
	e := Encounter{
		Status:   lower(w.Status),
		Reasons:  d.conceptNames(w.ReasonCode),
		Period:   d.period(w.Period),
		Provider: d.ref(w.ServiceProvider),
	}
	if types := d.concepts(w.Type); len(types) > 0 {
		e.Type, e.Technical = types[0].String(), types[0].Technical()
	}
	class := w.Class
	if strings.TrimSpace(class.System) == "" {
		class.System = actCodeSystem // the system R4 binds Encounter.class to
	}
	e.Class = d.concept(wConcept{Coding: []wCoding{class}}).String()
	for _, rr := range d.refs(w.ReasonReference) {
		if rr.Display != "" {
			e.Reasons = append(e.Reasons, rr.Display)
		}
	}
	for _, p := range w.Participant {
		if ref := d.ref(p.Individual); !ref.IsZero() {
			e.Participants = append(e.Participants, ref)
		}
	}
	for _, l := range w.Location {
		if ref := d.ref(l.Location); !ref.IsZero() {
			e.Locations = append(e.Locations, ref)
		}
	}
	if e.Period.Start.IsZero() {
		e.Period.Start = d.fallbackDate("start", "end")
	}
	e.Entry = d.entry()
	return e
}

// Appointment is a booked (or proposed, or cancelled) visit.
type Appointment struct {
	Entry
	Status        string // lower-cased: "booked", "pending", "cancelled", "fulfilled", …
	Start         Date
	End           Date
	ServiceTypes  []string
	Description   string
	Comment       string
	Reasons       []string
	Practitioners []Ref
	Locations     []Ref
	Others        []Ref // other participants (patient, devices, …)
	// Instruction is what the practice asks of the patient before the
	// visit (patientInstruction): what to bring, when to arrive.
	Instruction string
	// JoinURL is a video visit's join link ("" for an in-person visit):
	// the addressUrl of the VirtualServiceExtension.
	JoinURL string
	// Slots are the references of the booked Slots ("Slot/id").
	Slots []string
	// Questionnaires are the questions the practice asks to answer before
	// the visit: the Questionnaires among supportingInformation.
	Questionnaires []Ref
	// Identifiers are the business identifiers, "system|value" (the app's
	// client identifier among them for a booking made in Carebook).
	Identifiers []string
}

// VirtualServiceExtension carries a video visit's join link on an R4
// Appointment: R4 has no element for it (R5 added
// Appointment.virtualService), so it is that element's standard
// cross-version extension, its VirtualServiceDetail written as
// sub-extensions named after the R5 elements; "addressUrl" (valueUrl) is
// the link.
const VirtualServiceExtension = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.virtualService"

type wAppointment struct {
	wBase
	Status          string     `json:"status"`
	ServiceType     []wConcept `json:"serviceType"`
	AppointmentType wConcept   `json:"appointmentType"`
	ReasonCode      []wConcept `json:"reasonCode"`
	Description     string     `json:"description"`
	Comment         string     `json:"comment"`
	Start           string     `json:"start"`
	End             string     `json:"end"`
	Participant     []struct {
		Actor wRef       `json:"actor"`
		Type  []wConcept `json:"type"`
	} `json:"participant"`
	PatientInstruction    string `json:"patientInstruction"`
	Slot                  []wRef `json:"slot"`
	SupportingInformation []wRef `json:"supportingInformation"`
	Identifier            []struct {
		System string `json:"system"`
		Value  string `json:"value"`
	} `json:"identifier"`
	Extension []struct {
		URL       string `json:"url"`
		Extension []struct {
			URL      string `json:"url"`
			ValueURL string `json:"valueUrl"`
		} `json:"extension"`
	} `json:"extension"`
}

// DecodeAppointment decodes an Appointment tolerantly; it never fails.
func DecodeAppointment(r Resource) Appointment {
	var w wAppointment
	d := begin(r, &w)
	a := Appointment{
		Status:       lower(w.Status),
		Start:        d.date(w.Start),
		End:          d.date(w.End),
		ServiceTypes: d.conceptNames(w.ServiceType),
		Description:  strings.TrimSpace(w.Description),
		Comment:      strings.TrimSpace(w.Comment),
		Reasons:      d.conceptNames(w.ReasonCode),
		Instruction:  strings.TrimSpace(w.PatientInstruction),
	}
	for _, s := range w.Slot {
		if ref := d.ref(s); !ref.IsZero() && ref.Reference != "" {
			a.Slots = append(a.Slots, ref.Reference)
		}
	}
	for _, s := range w.SupportingInformation {
		if ref := d.ref(s); strings.HasPrefix(ref.Reference, "Questionnaire/") || strings.Contains(ref.Reference, "/Questionnaire/") {
			a.Questionnaires = append(a.Questionnaires, ref)
		}
	}
	for _, id := range w.Identifier {
		if id.Value != "" {
			a.Identifiers = append(a.Identifiers, id.System+"|"+id.Value)
		}
	}
	for _, e := range w.Extension {
		if e.URL != VirtualServiceExtension {
			continue
		}
		for _, sub := range e.Extension {
			if sub.URL == "addressUrl" && isWebLink(sub.ValueURL) {
				a.JoinURL = sub.ValueURL
			}
		}
	}
	if len(a.ServiceTypes) == 0 {
		if t := d.concept(w.AppointmentType).String(); t != "" {
			a.ServiceTypes = []string{t}
		}
	}
	for _, p := range w.Participant {
		ref := d.ref(p.Actor)
		if ref.IsZero() {
			continue
		}
		switch ref.TargetType() {
		case "Practitioner", "PractitionerRole":
			a.Practitioners = append(a.Practitioners, ref)
		case "Location", "HealthcareService":
			a.Locations = append(a.Locations, ref)
		default:
			a.Others = append(a.Others, ref)
		}
	}
	if a.Start.IsZero() {
		a.Start = d.fallbackDate("start")
	}
	a.Entry = d.entry()
	return a
}

// CarePlan is a treatment plan.
type CarePlan struct {
	Entry
	Title       string // title, else the first category
	Categories  []string
	Status      string // lower-cased: "active", "completed", "revoked", …
	Intent      string
	Description string
	Period      Period
	Activities  []Activity
	Addresses   []Ref // the conditions it treats
}

// Activity is one step of a care plan.
type Activity struct {
	Name   string
	Status string // lower-cased: "scheduled", "in-progress", "completed", …
}

type wCarePlan struct {
	wBase
	Status      string     `json:"status"`
	Intent      string     `json:"intent"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Category    []wConcept `json:"category"`
	Period      wPeriod    `json:"period"`
	Created     string     `json:"created"`
	Addresses   []wRef     `json:"addresses"`
	Activity    []struct {
		Reference wRef `json:"reference"`
		Detail    struct {
			Code        wConcept `json:"code"`
			Status      string   `json:"status"`
			Description string   `json:"description"`
		} `json:"detail"`
	} `json:"activity"`
}

// DecodeCarePlan decodes a CarePlan tolerantly; it never fails.
func DecodeCarePlan(r Resource) CarePlan {
	var w wCarePlan
	d := begin(r, &w)
	cp := CarePlan{
		Categories:  d.conceptNames(w.Category),
		Status:      lower(w.Status),
		Intent:      lower(w.Intent),
		Description: strings.TrimSpace(w.Description),
		Period:      d.period(w.Period),
		Addresses:   d.refs(w.Addresses),
	}
	cp.Title = strings.TrimSpace(w.Title)
	if cp.Title == "" && len(cp.Categories) > 0 {
		cp.Title = cp.Categories[0]
	}
	if cp.Period.Start.IsZero() {
		cp.Period.Start = firstDate(d.date(w.Created), d.fallbackDate("start", "created"))
	}
	for _, a := range w.Activity {
		name := firstNonEmpty(d.concept(a.Detail.Code).String(), strings.TrimSpace(a.Detail.Description), d.ref(a.Reference).Display)
		if name != "" {
			cp.Activities = append(cp.Activities, Activity{Name: name, Status: lower(a.Detail.Status)})
		}
	}
	cp.Entry = d.entry()
	return cp
}

// Goal is a health goal.
type Goal struct {
	Entry
	Description       string
	LifecycleStatus   string // lower-cased: "proposed", "active", "accepted", "completed", …
	AchievementStatus string // lower-cased: "in-progress", "achieved", …
	Start             Date
	Targets           []GoalTarget
	Notes             []string
}

// GoalTarget is what a goal aims at.
type GoalTarget struct {
	Measure string // what is measured, e.g. "Body weight"
	Detail  string // the target value: "< 7 %", "50–80 kg", text
	Due     Date
}

type wGoal struct {
	wBase
	LifecycleStatus   string   `json:"lifecycleStatus"`
	AchievementStatus wConcept `json:"achievementStatus"`
	Description       wConcept `json:"description"`
	StartDate         string   `json:"startDate"`
	Target            []struct {
		Measure        wConcept   `json:"measure"`
		DetailQuantity *wQuantity `json:"detailQuantity"`
		DetailRange    *wRange    `json:"detailRange"`
		DetailString   string     `json:"detailString"`
		DetailConcept  *wConcept  `json:"detailCodeableConcept"`
		DueDate        string     `json:"dueDate"`
	} `json:"target"`
	Note []wAnnotation `json:"note"`
}

// DecodeGoal decodes a Goal tolerantly; it never fails.
func DecodeGoal(r Resource) Goal {
	var w wGoal
	d := begin(r, &w)
	g := Goal{
		Description:       d.concept(w.Description).String(),
		LifecycleStatus:   lower(w.LifecycleStatus),
		AchievementStatus: statusCode(d.concept(w.AchievementStatus)),
		Start:             d.date(w.StartDate),
		Notes:             d.notes(w.Note),
	}
	for _, t := range w.Target {
		gt := GoalTarget{Measure: d.concept(t.Measure).String(), Due: d.date(t.DueDate), Detail: strings.TrimSpace(t.DetailString)}
		switch {
		case t.DetailQuantity != nil:
			gt.Detail = d.quantity(t.DetailQuantity).String()
		case t.DetailRange != nil:
			gt.Detail = RefRange{Low: d.quantity(t.DetailRange.Low), High: d.quantity(t.DetailRange.High)}.String()
		case t.DetailConcept != nil:
			gt.Detail = d.concept(*t.DetailConcept).String()
		}
		g.Targets = append(g.Targets, gt)
	}
	if g.Start.IsZero() {
		g.Start = d.fallbackDate("startDate")
	}
	g.Entry = d.entry()
	return g
}

// isWebLink reports whether s is an http or https URL: only those are
// opened in the browser as a video visit's link.
func isWebLink(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
