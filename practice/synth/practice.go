package synth

import (
	"fmt"
	"slices"
	"time"
)

// visitType is one kind of appointment the practice offers, published as a
// HealthcareService and used as the serviceType of Schedules and Slots.
type visitType struct {
	code, display string
	minutes       int
}

var (
	visitPhysical   = visitType{"annual-physical", "Annual physical", 30}
	visitSick       = visitType{"sick-visit", "Sick visit", 20}
	visitFollowUp   = visitType{"follow-up", "Follow-up visit", 20}
	visitWellChild  = visitType{"well-child", "Well-child visit", 30}
	visitTelehealth = visitType{"telehealth", "Video visit", 20}
	// visitNewPatient is a first visit with the practice; it asks for the
	// intake questionnaire (see intake.go). Its times are the last of the
	// day, outside the sessions of the other visit types.
	visitNewPatient = visitType{"new-patient", "New patient visit", 30}
)

var allVisitTypes = []visitType{visitPhysical, visitSick, visitFollowUp, visitWellChild, visitTelehealth, visitNewPatient}

// practitioner is one clinician of the practice.
type practitioner struct {
	id, given, family, prefix, suffix, gender string
	npi                                       string
	specialtyCode, specialty                  string
	location                                  string
	visits                                    []visitType
}

func (p practitioner) display() string {
	name := p.given + " " + p.family
	if p.prefix != "" {
		name = p.prefix + " " + name
	}
	if p.suffix != "" {
		name += ", " + p.suffix
	}
	return name
}

var practitioners = []practitioner{
	{id: "dr-park", given: "Elena", family: "Park", prefix: "Dr.", suffix: "MD", gender: "female",
		npi: "1003000126", specialtyCode: "207Q00000X", specialty: "Family Medicine",
		location: "riverside-main", visits: []visitType{visitPhysical, visitSick, visitFollowUp, visitTelehealth}},
	{id: "dr-brooks", given: "Samuel", family: "Brooks", prefix: "Dr.", suffix: "MD", gender: "male",
		npi: "1003000134", specialtyCode: "208000000X", specialty: "Pediatrics",
		location: "riverside-main", visits: []visitType{visitWellChild, visitSick, visitFollowUp}},
	{id: "np-natarajan", given: "Priya", family: "Natarajan", suffix: "FNP", gender: "female",
		npi: "1003000142", specialtyCode: "363LF0000X", specialty: "Nurse Practitioner, Family",
		location: "riverside-east", visits: []visitType{visitSick, visitFollowUp, visitTelehealth}},
	{id: "dr-olsen", given: "Henrik", family: "Olsen", prefix: "Dr.", suffix: "MD", gender: "male",
		npi: "1003000159", specialtyCode: "207Q00000X", specialty: "Family Medicine",
		location: "riverside-east", visits: []visitType{visitPhysical, visitSick, visitFollowUp, visitTelehealth}},
}

func practitionerByID(id string) practitioner {
	for _, p := range practitioners {
		if p.id == id {
			return p
		}
	}
	panic("synth: unknown practitioner " + id) // a bug in this package's tables
}

// slot is one bookable time of one practitioner; body is the Slot resource
// itself, so booking it marks the published resource busy.
type slot struct {
	id           string
	practitioner string
	visit        visitType
	start, end   time.Time
	body         obj
}

// slotDays is how far ahead the practice publishes its slots.
const slotDays = 28

// buildPractice generates the practice's own resources: organizations,
// clinicians, locations, services, schedules and the coming weeks' slots.
func (g *generator) buildPractice() *set {
	s := &set{}
	s.add("Organization", PracticeOrgID, obj{
		"active":     true,
		"name":       "Riverside Family Medicine",
		"identifier": []any{obj{"system": sysProviderNPI, "value": "1003000100"}},
		"type":       []any{concept("http://terminology.hl7.org/CodeSystem/organization-type", "prov", "Healthcare Provider")},
		"telecom": []any{
			obj{"system": "phone", "value": "(555) 201-4400", "use": "work"},
			obj{"system": "url", "value": "https://riverside-family.example.org"},
		},
		"address": []any{practiceAddress("1200 River Road")},
	})
	for _, payer := range []struct{ id, name string }{
		{"prairie-mutual", "Prairie Mutual Health Plan"},
		{"medicare", "Medicare"},
	} {
		s.add("Organization", payer.id, obj{
			"active": true,
			"name":   payer.name,
			"type":   []any{concept("http://terminology.hl7.org/CodeSystem/organization-type", "pay", "Payer")},
		})
	}
	for _, ph := range pharmacies {
		s.add("Organization", ph.id, obj{
			"active":  true,
			"name":    ph.name,
			"type":    []any{concept(sysNUCC, ph.code, ph.display)},
			"telecom": []any{obj{"system": "phone", "value": ph.phone, "use": "work"}},
			"address": []any{obj{"use": "work", "line": []any{ph.street}, "city": ph.city, "state": "IA", "postalCode": ph.zip, "country": "US"}},
		})
	}
	for _, loc := range []struct{ id, name, street string }{
		{"riverside-main", "Riverside Family Medicine – Main Street", "1200 River Road"},
		{"riverside-east", "Riverside Family Medicine – Eastside", "88 Eastgate Avenue"},
	} {
		s.add("Location", loc.id, obj{
			"status":               "active",
			"name":                 loc.name,
			"mode":                 "instance",
			"telecom":              []any{obj{"system": "phone", "value": "(555) 201-4400", "use": "work"}},
			"address":              practiceAddress(loc.street),
			"managingOrganization": ref("Organization", PracticeOrgID),
		})
	}
	for _, v := range allVisitTypes {
		s.add("HealthcareService", "service-"+v.code, obj{
			"active":              true,
			"providedBy":          ref("Organization", PracticeOrgID),
			"name":                v.display,
			"type":                []any{concept(sysServiceType, v.code, v.display)},
			"comment":             fmt.Sprintf("%d-minute appointment", v.minutes),
			"location":            []any{ref("Location", "riverside-main"), ref("Location", "riverside-east")},
			"appointmentRequired": true,
		})
	}
	for _, p := range practitioners {
		s.add("Practitioner", p.id, obj{
			"active":     true,
			"identifier": []any{obj{"system": sysProviderNPI, "value": p.npi}},
			"name":       []any{humanName(p.prefix, []string{p.given}, p.family, p.suffix)},
			"gender":     p.gender,
			"telecom":    []any{obj{"system": "phone", "value": "(555) 201-4400", "use": "work"}},
		})
		s.add("PractitionerRole", "role-"+p.id, obj{
			"active":       true,
			"practitioner": refDisplay("Practitioner", p.id, p.display()),
			"organization": ref("Organization", PracticeOrgID),
			"code":         []any{concept(sysNUCC, p.specialtyCode, p.specialty)},
			"specialty":    []any{concept(sysNUCC, p.specialtyCode, p.specialty)},
			"location":     []any{ref("Location", p.location)},
			"healthcareService": func() []any {
				var list []any
				for _, v := range p.visits {
					list = append(list, ref("HealthcareService", "service-"+v.code))
				}
				if slices.Contains(newPatientProviders, p.id) {
					list = append(list, ref("HealthcareService", "service-"+visitNewPatient.code))
				}
				return list
			}(),
		})
	}
	g.buildSchedules(s)
	g.buildNewPatientSchedules(s)
	addIntakeQuestionnaire(s)
	return s
}

// pharmacy is a pharmacy patients send their prescriptions to: an
// Organization typed with its NUCC taxonomy code.
type pharmacy struct {
	id, name, code, display  string
	street, city, zip, phone string
}

// The pharmacies near the practice. Personas name one as their preferred
// pharmacy; a medication may go to another.
var pharmacies = []pharmacy{
	{id: "pharmacy-riverside", name: "Riverside Pharmacy", code: "3336C0003X", display: "Community/Retail Pharmacy",
		street: "410 Main Street", city: "Riverside", zip: "52327", phone: "(555) 201-7700"},
	{id: "pharmacy-eastgate", name: "Eastgate Drugstore", code: "3336C0003X", display: "Community/Retail Pharmacy",
		street: "95 Eastgate Avenue", city: "Riverside", zip: "52327", phone: "(555) 201-3310"},
	{id: "pharmacy-caremail", name: "CareMail Pharmacy (mail order)", code: "3336M0002X", display: "Mail Order Pharmacy",
		street: "1 Parcel Way", city: "Des Moines", zip: "50309", phone: "(800) 555-0142"},
}

func pharmacyByID(id string) pharmacy {
	for _, p := range pharmacies {
		if p.id == id {
			return p
		}
	}
	panic("synth: unknown pharmacy " + id) // a bug in this package's tables
}

func practiceAddress(street string) obj {
	return obj{"use": "work", "line": []any{street}, "city": "Riverside", "state": "IA", "postalCode": "52327", "country": "US"}
}

func humanName(prefix string, given []string, family, suffix string) obj {
	n := obj{"use": "official", "family": family, "given": toAny(given)}
	text := ""
	if prefix != "" {
		n["prefix"] = []any{prefix}
		text = prefix + " "
	}
	for _, gv := range given {
		text += gv + " "
	}
	text += family
	if suffix != "" {
		n["suffix"] = []any{suffix}
		text += ", " + suffix
	}
	n["text"] = text
	return n
}

func toAny(list []string) []any {
	out := make([]any, len(list))
	for i, v := range list {
		out[i] = v
	}
	return out
}

func scheduleID(practitionerID string, v visitType) string {
	return "sched-" + practitionerID + "-" + v.code
}

// buildSchedules adds a Schedule per practitioner and visit type, and the
// Slots of the coming slotDays business days: mornings 8:30–12:00 and
// afternoons 13:00–16:30, each slot of one of the practitioner's visit types.
// About a quarter of them are already busy.
func (g *generator) buildSchedules(s *set) {
	rnd := g.rng("schedules")
	horizon := obj{"start": fhirInstant(g.now), "end": fhirInstant(g.now.AddDate(0, 0, slotDays))}
	for _, p := range practitioners {
		for _, v := range p.visits {
			s.add("Schedule", scheduleID(p.id, v), obj{
				"active":          true,
				"serviceType":     []any{concept(sysServiceType, v.code, v.display)},
				"specialty":       []any{concept(sysNUCC, p.specialtyCode, p.specialty)},
				"actor":           []any{refDisplay("Practitioner", p.id, p.display()), ref("Location", p.location)},
				"planningHorizon": horizon,
				"comment":         v.display + " with " + p.display(),
			})
		}
	}
	today := atClock(g.now, 0, 0)
	for day := 1; day <= slotDays; day++ {
		date := today.AddDate(0, 0, day)
		if wd := date.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		for _, p := range practitioners {
			for _, session := range [][2]time.Time{
				{atClock(date, 8, 30), atClock(date, 12, 0)},
				{atClock(date, 13, 0), atClock(date, 16, 30)},
			} {
				start := session[0]
				for {
					v := p.visits[rnd.IntN(len(p.visits))]
					end := start.Add(time.Duration(v.minutes) * time.Minute)
					if end.After(session[1]) {
						break
					}
					status := "free"
					if rnd.IntN(4) == 0 {
						status = "busy"
					}
					id := fmt.Sprintf("slot-%s-%s", p.id, start.Format("20060102-1504"))
					body := obj{
						"schedule":    ref("Schedule", scheduleID(p.id, v)),
						"serviceType": []any{concept(sysServiceType, v.code, v.display)},
						"status":      status,
						"start":       fhirInstant(start),
						"end":         fhirInstant(end),
					}
					s.add("Slot", id, body)
					g.slots = append(g.slots, &slot{id: id, practitioner: p.id, visit: v, start: start, end: end, body: body})
					start = end
				}
			}
		}
	}
}

// bookSlot marks busy the first free slot of practitionerID at least
// daysAhead days from now, preferring visit type v, and returns it.
func (g *generator) bookSlot(practitionerID string, daysAhead int, v visitType) *slot {
	earliest := g.now.AddDate(0, 0, daysAhead)
	var fallback *slot
	for _, sl := range g.slots {
		if sl.practitioner != practitionerID || sl.start.Before(earliest) || sl.body["status"] != "free" {
			continue
		}
		if sl.visit == v {
			sl.body["status"] = "busy"
			return sl
		}
		if fallback == nil {
			fallback = sl
		}
	}
	if fallback == nil {
		panic("synth: no free slot for " + practitionerID) // slots cover four weeks; callers ask for less
	}
	fallback.body["status"] = "busy"
	return fallback
}
