package record

import (
	"strconv"
	"strings"
	"time"

	"github.com/carebook/carebook/internal/i18n"
)

// ImmunizationRecommendation is the practice's own forecast of the
// vaccines a patient is due (FHIR ImmunizationRecommendation).
type ImmunizationRecommendation struct {
	Entry
	Date  Date // when the practice made the forecast
	Items []Recommended
}

// Recommended is one vaccine of a recommendation.
type Recommended struct {
	VaccineCode Concept // the first vaccine code given
	Vaccine     string  // its name, else the target disease's
	Disease     string  // the target disease, "" when not given
	// Forecast is the forecast status code, lower-cased: "due",
	// "overdue", "immune", "contraindicated", "complete".
	Forecast    string
	Due         Date // the date it is due, zero when not given
	Description string
}

type wImmunizationRecommendation struct {
	wBase
	Date           string `json:"date"`
	Recommendation []struct {
		VaccineCode    []wConcept `json:"vaccineCode"`
		TargetDisease  wConcept   `json:"targetDisease"`
		ForecastStatus wConcept   `json:"forecastStatus"`
		DateCriterion  []struct {
			Code  wConcept `json:"code"`
			Value string   `json:"value"`
		} `json:"dateCriterion"`
		Description string `json:"description"`
	} `json:"recommendation"`
}

// loincDueDate is the LOINC code of the date criterion "Date vaccine due".
const loincDueDate = "30980-7"

// DecodeImmunizationRecommendation decodes an ImmunizationRecommendation
// tolerantly; it never fails.
func DecodeImmunizationRecommendation(r Resource) ImmunizationRecommendation {
	var w wImmunizationRecommendation
	d := begin(r, &w)
	out := ImmunizationRecommendation{Date: d.date(w.Date)}
	for _, rec := range w.Recommendation {
		it := Recommended{
			Disease:     d.concept(rec.TargetDisease).String(),
			Forecast:    lower(d.concept(rec.ForecastStatus).Code("")),
			Description: strings.TrimSpace(rec.Description),
		}
		if it.Forecast == "" {
			it.Forecast = lower(rec.ForecastStatus.Text)
		}
		if len(rec.VaccineCode) > 0 {
			it.VaccineCode = d.concept(rec.VaccineCode[0])
		}
		it.Vaccine = firstNonEmpty(it.VaccineCode.String(), it.Disease)
		for _, dc := range rec.DateCriterion {
			due := d.date(dc.Value)
			if due.IsZero() {
				continue
			}
			if it.Due.IsZero() || d.concept(dc.Code).Code("") == loincDueDate {
				it.Due = due
			}
		}
		out.Items = append(out.Items, it)
	}
	out.Entry = d.entry()
	return out
}

// CareDue is one piece of preventive care that is due: the practice's own
// recommendation, or general guidance worked out from the record.
type CareDue struct {
	// Key names the reminder: the same reminder keeps its key (a flu
	// vaccine for one season, the practice's recommendation of one
	// vaccine), a new one gets a new key.
	Key    string
	Title  string // "flu vaccine", lower-case: screens write "Due: flu vaccine" (app.CareDueHeading)
	Detail string // why, in a sentence ("Last flu vaccine: 6 Oct 2025.")
	Due    Date   // when it is due, zero when now
	// Overdue says Due has gone by: the detail says since when, and
	// screens write "Overdue: flu vaccine".
	Overdue bool
	// Guidance says it is general guidance worked out from the record,
	// not the practice's own recommendation.
	Guidance bool
}

// The general guidance rules. Screens label them as general guidance: the
// practice knows better, and its own recommendations replace them.
const (
	tetanusYears = 10 // a tetanus booster every 10 years
	tetanusAge   = 11 // younger children follow the childhood schedule
	fluMinMonths = 6  // flu vaccine from 6 months of age
	recLookahead = 30 * 24 * time.Hour
)

// PreventiveCare lists the preventive care due at now: the practice's own
// recommendations (ImmunizationRecommendation forecasts due or overdue, or
// due within a month), else general guidance from the record: a flu
// vaccine each season (September to March), a tetanus booster every 10
// years, and a check-up every year. Nothing is listed for a deceased
// patient. Practice recommendations come first.
func PreventiveCare(c *Chart, now time.Time) []CareDue {
	p, hasPatient := c.Patient()
	if hasPatient && p.Deceased {
		return nil
	}
	var out []CareDue
	fluByPractice, tetanusByPractice := false, false
	for _, rec := range c.Recommendations {
		for i, it := range rec.Items {
			if IsFluVaccine(Immunization{VaccineCode: it.VaccineCode, Vaccine: it.Vaccine + " " + it.Disease}) {
				fluByPractice = true
			}
			if isTetanus(it.VaccineCode, it.Vaccine+" "+it.Disease) {
				tetanusByPractice = true
			}
			if !recommendedNow(it, now) {
				continue
			}
			name := it.Vaccine
			if name == "" {
				name = i18n.L("a vaccine")
			}
			detail := i18n.L("Due now.")
			overdue := pastDue(it.Due, now)
			switch {
			case overdue:
				detail = i18n.L("Overdue since {{.Date}}.", map[string]any{"Date": it.Due.String()})
			case !it.Due.IsZero():
				detail = i18n.L("Due {{.Date}}.", map[string]any{"Date": it.Due.String()})
			}
			if it.Description != "" {
				detail += " " + it.Description
			}
			out = append(out, CareDue{Key: rec.Key() + "#" + strconv.Itoa(i) + "@" + it.Due.Time.UTC().Format("2006-01-02"),
				Title: name, Detail: detail, Due: it.Due, Overdue: overdue})
		}
	}
	age := func(years, months int) bool { // at least that old (true when the birth date is unknown)
		return !hasPatient || p.BirthDate.IsZero() || !p.BirthDate.Time.AddDate(years, months, 0).After(now)
	}
	if !fluByPractice && age(0, fluMinMonths) {
		if due, ok := fluDue(c.Immunizations, now); ok {
			out = append(out, due)
		}
	}
	if !tetanusByPractice && age(tetanusAge, 0) {
		if due, ok := tetanusDue(c.Immunizations, now); ok {
			out = append(out, due)
		}
	}
	if due, ok := checkUpDue(c, now); ok {
		out = append(out, due)
	}
	return out
}

// recommendedNow reports whether a practice forecast asks for the vaccine
// now or within a month.
func recommendedNow(it Recommended, now time.Time) bool {
	switch it.Forecast {
	case "overdue":
		return true
	case "due":
		return it.Due.IsZero() || !it.Due.Time.After(now.Add(recLookahead))
	}
	return false
}

// pastDue reports whether due ended before now's day: a due date of
// yesterday is overdue, today's is not. A date without a time of day
// is the same calendar day everywhere (Date.In), so it is compared with
// now's calendar day.
func pastDue(due Date, now time.Time) bool {
	switch due.Precision {
	case PrecisionNone:
		return false
	case PrecisionTime:
		return due.Time.Before(now)
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	return due.End().Before(today)
}

// fluSeasonStart is the start of the flu season now falls in (September 1
// of that year), and false outside the season (April to August).
func fluSeasonStart(now time.Time) (time.Time, bool) {
	y := now.Year()
	switch {
	case now.Month() >= time.September:
	case now.Month() <= time.March:
		y--
	default:
		return time.Time{}, false
	}
	// Vaccines of the season's batch are given from August.
	return time.Date(y, time.August, 1, 0, 0, 0, 0, now.Location()), true
}

func fluDue(ims []Immunization, now time.Time) (CareDue, bool) {
	start, ok := fluSeasonStart(now)
	if !ok {
		return CareDue{}, false
	}
	last, found := lastFluShot(ims)
	if found && !last.Date.Time.Before(start) {
		return CareDue{}, false
	}
	detail := i18n.L("A flu vaccine is advised every season.")
	if found {
		detail = i18n.L("A flu vaccine is advised every season. Last flu vaccine: {{.Date}}.", map[string]any{"Date": last.Date.String()})
	}
	season := strconv.Itoa(start.Year()) + "-" + strconv.Itoa(start.Year()+1)
	return CareDue{Key: "guidance/flu/" + season, Title: i18n.L("flu vaccine"), Detail: detail, Guidance: true}, true
}

// tetanusCVX are the CVX codes of vaccines that protect against tetanus
// (DTaP, DT, Td, Tdap and combinations).
var tetanusCVX = map[string]bool{
	"1": true, "9": true, "20": true, "22": true, "28": true, "50": true, "102": true, "106": true,
	"107": true, "110": true, "112": true, "113": true, "115": true, "120": true, "130": true,
	"132": true, "138": true, "139": true, "146": true, "170": true, "195": true, "196": true,
}

func isTetanus(code Concept, name string) bool {
	for _, cd := range code.Codings {
		if strings.Contains(strings.ToLower(cd.System), "cvx") && tetanusCVX[strings.TrimLeft(cd.Code, "0")] {
			return true
		}
	}
	n := " " + strings.NewReplacer(",", " ", "(", " ", ")", " ", "-", " ").Replace(lower(name)) + " "
	for _, w := range []string{"tetanus", " td ", " tdap ", " dtap ", " dt "} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

func tetanusDue(ims []Immunization, now time.Time) (CareDue, bool) {
	var last Immunization
	found := false
	for _, im := range ims {
		if (im.Status != "completed" && im.Status != "") || im.Date.IsZero() || !isTetanus(im.VaccineCode, im.Vaccine) {
			continue
		}
		if !found || im.Date.After(last.Date) {
			last, found = im, true
		}
	}
	if found && last.Date.Time.AddDate(tetanusYears, 0, 0).After(now) {
		return CareDue{}, false
	}
	detail := i18n.L("A tetanus booster is advised every 10 years; your record shows none in the last 10 years.")
	key := "guidance/tetanus/none"
	if found {
		detail = i18n.L("A tetanus booster is advised every 10 years. Last one: {{.Date}}.", map[string]any{"Date": last.Date.String()})
		key = "guidance/tetanus/" + last.Date.Time.UTC().Format("2006-01-02")
	}
	return CareDue{Key: key, Title: i18n.L("tetanus booster"), Detail: detail, Guidance: true}, true
}

// checkUpWords are the words of a routine check-up's visit type (in the
// practice's words, matched, never shown).
var checkUpWords = map[string]bool{
	"check up": true, "check-up": true, "checkup": true, "well child": true, "well-child": true, "wellness": true,
	"annual physical": true, "general examination": true, "physical exam": true, "preventive": true,
}

// isCheckUp reports whether an encounter was a routine check-up, by its
// type's words (the decoded Encounter keeps the type's name).
func isCheckUp(e Encounter) bool {
	t := lower(e.Type)
	for w := range checkUpWords {
		if strings.Contains(t, w) {
			return true
		}
	}
	return false
}

// CheckUpGuidanceKey starts the key of the annual check-up guidance, which
// is read from the record's visits (Encounters).
const CheckUpGuidanceKey = "guidance/check-up/"

// CheckUpDate is the date of a routine check-up, false when e was not one
// (or was cancelled, entered in error or not dated): the date the annual
// check-up guidance counts from is the latest of them (LastCheckUp).
func CheckUpDate(e Encounter) (Date, bool) {
	if e.Status == "cancelled" || e.Status == "entered-in-error" || !isCheckUp(e) {
		return Date{}, false
	}
	when := firstDate(e.Period.Start, e.Period.End)
	return when, !when.IsZero()
}

// LastCheckUp returns the latest routine check-up among the encounters
// (the first of them when several share its date), false when there is
// none.
func LastCheckUp(es []Encounter) (Encounter, bool) {
	var last Encounter
	var lastDate Date
	found := false
	for _, e := range es {
		if when, ok := CheckUpDate(e); ok && when.After(lastDate) {
			last, lastDate, found = e, when, true
		}
	}
	return last, found
}

func checkUpDue(c *Chart, now time.Time) (CareDue, bool) {
	var last Date
	if e, ok := LastCheckUp(c.Encounters); ok {
		last, _ = CheckUpDate(e)
	}
	yearAgo := now.AddDate(-1, 0, 0)
	if !last.IsZero() && last.Time.After(yearAgo) {
		return CareDue{}, false
	}
	// A visit already booked is the occasion for it.
	if len(UpcomingAppointments(c.Appointments, now)) > 0 {
		return CareDue{}, false
	}
	detail := i18n.L("A check-up with your doctor is advised every year; your record shows none in the last year.")
	key := CheckUpGuidanceKey + "none"
	if !last.IsZero() {
		detail = i18n.L("A check-up with your doctor is advised every year. Last one: {{.Date}}.", map[string]any{"Date": last.String()})
		key = CheckUpGuidanceKey + last.Time.UTC().Format("2006-01-02")
	}
	return CareDue{Key: key, Title: i18n.L("annual check-up"), Detail: detail, Guidance: true}, true
}
