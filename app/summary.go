package app

// The health summary: what a patient takes to another doctor, an
// emergency room or a trip abroad, built from the cached record of one
// person (one profile, or every profile of the same person at several
// practices). The PDF (summary_pdf.go), the International Patient Summary
// (ips.go) and the emergency card (emergency.go) are made from it, so the
// three say the same thing.

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/app/record/plainnames"
	"github.com/carebook/carebook/internal/i18n"
	"github.com/carebook/carebook/storage"
)

// SummaryItem is one line of the summary: what, a detail, when, and which
// practice's record it comes from.
type SummaryItem struct {
	Text   string
	Detail string
	Date   record.Date
	Source string // the practice's name
	// Ref is the entry's "Type/id" in its profile's record and ProfileID
	// that profile (for the IPS, which carries the resource itself).
	Ref       string
	ProfileID string
}

// SummaryResult is the latest value of one measurement with its history,
// for a small trend chart.
type SummaryResult struct {
	Name   string
	Value  string // "7.1 %"
	Range  string // the reference range, "" when none was given
	Flag   string // "High", "Low", the lab's words; "" when normal or unknown
	Date   record.Date
	Source string
	Unit   string
	Points []record.Point // oldest first, at most summaryTrendPoints
	// ProfileID is the record the values come from.
	ProfileID string
}

// Contact is an emergency contact (Patient.contact).
type Contact struct {
	Name         string `json:"name"`
	Relationship string `json:"relationship,omitempty"`
	Phone        string `json:"phone,omitempty"`
}

// EmergencyCard is what a stranger helping in an emergency needs to know.
// It is kept small on purpose: it is the one part of the record a patient
// may choose to make readable without the passphrase.
type EmergencyCard struct {
	Name        string    `json:"name"`
	BirthDate   string    `json:"birthDate,omitempty"` // "Mar 4, 1980"
	Allergies   []string  `json:"allergies"`
	Medications []string  `json:"medications"`
	Conditions  []string  `json:"conditions"`
	BloodType   string    `json:"bloodType,omitempty"` // "" when not recorded
	Contacts    []Contact `json:"contacts"`
	Sources     []string  `json:"sources"` // the practices it was made from
	Made        time.Time `json:"made"`
}

// HealthSummary is one person's record in brief.
type HealthSummary struct {
	Name      string
	BirthDate record.Date
	Gender    string
	Address   string
	Phone     string
	// Sources are the practices whose records it was made from, each with
	// when the record was last brought up to date.
	Sources       []SummarySource
	Made          time.Time
	Allergies     []SummaryItem
	Medications   []SummaryItem // active prescriptions only
	Problems      []SummaryItem // active conditions only
	Immunizations []SummaryItem
	Results       []SummaryResult
	Appointments  []SummaryItem // upcoming, soonest first
	Card          EmergencyCard
}

// SummarySource is one practice a summary draws on.
type SummarySource struct {
	Practice  string
	ProfileID string
	LastSync  time.Time // zero when never synced
}

// Limits of the summary: it must stay a few pages.
const (
	summaryResults     = 12 // measurements shown
	summaryTrendPoints = 12 // points in each small chart
)

// HealthSummary builds the summary of the given profiles (one person's
// records at one or several practices) from the local cache: it works
// offline. Records of several practices are merged as the merged views
// merge them (record.Merge*): the same allergy, prescription, condition or
// vaccination told by two practices is one item naming both.
func (a *App) HealthSummary(ctx context.Context, profileIDs ...string) (HealthSummary, error) {
	return a.healthSummary(ctx, profileIDs, a.summaryRecord)
}

// summaryTypes are the types the summary lists (with SupportTypes, for
// names); of the results it keeps only their trends (summaryRecord).
var summaryTypes = []string{"AllergyIntolerance", "Appointment", "Condition", "Immunization", "MedicationRequest"}

// summaryRec is what the summary reads of one profile's record.
type summaryRec struct {
	chart     *record.Chart   // summaryTypes, with SupportTypes
	trends    []record.Series // record.Trends of every Observation
	bloodType string          // bloodType of every Observation
}

// summaryRecord reads what the summary needs of profileID's record: the
// types it lists, decoded, and of the results (most of a long record)
// only their trends and blood type, decoded a batch at a time on every
// core: the whole record is never held decoded at once.
func (a *App) summaryRecord(ctx context.Context, profileID string) (summaryRec, error) {
	c, err := a.ChartOf(ctx, profileID, summaryTypes...)
	if err != nil {
		return summaryRec{}, err
	}
	// The results are decoded on every core, in batches handed over as
	// they are read; each worker keeps its own trends, merged at the end.
	type part struct {
		trends record.TrendBuilder
		blood  []record.Observation
	}
	parts := make([]part, runtime.GOMAXPROCS(0))
	batches := make(chan []storage.Resource, len(parts))
	var wg sync.WaitGroup
	for i := range parts {
		p := &parts[i]
		wg.Go(func() {
			for batch := range batches {
				for _, r := range batch {
					o := record.DecodeObservation(record.Resource(r))
					p.trends.Add(o)
					if isBloodType(o) {
						p.blood = append(p.blood, o)
					}
				}
			}
		})
	}
	var batch []storage.Resource
	err = a.store.Each(ctx, profileID, "Observation", func(r storage.Resource) error {
		batch = append(batch, r)
		if len(batch) == summaryBatch {
			batches <- batch
			batch = nil
		}
		return nil
	})
	if err == nil && len(batch) > 0 {
		batches <- batch
	}
	close(batches)
	wg.Wait()
	if err != nil {
		return summaryRec{}, fmt.Errorf("read record: %w", err)
	}
	var trends record.TrendBuilder
	var blood []record.Observation
	for i := range parts {
		trends.Merge(&parts[i].trends)
		blood = append(blood, parts[i].blood...)
	}
	// In the order of a chart's Observations (by id), as bloodType
	// reads them.
	slices.SortStableFunc(blood, func(x, y record.Observation) int { return strings.Compare(x.ID, y.ID) })
	return summaryRec{chart: c, trends: trends.Series(), bloodType: bloodType(blood)}, nil
}

// summaryBatch is how many results the summary hands a decoding worker
// at a time (a variable for the tests, which make it small to spread a
// small record over the workers).
var summaryBatch = 256

// healthSummary is HealthSummary, reading each record with read.
func (a *App) healthSummary(ctx context.Context, profileIDs []string, read func(context.Context, string) (summaryRec, error)) (HealthSummary, error) {
	if len(profileIDs) == 0 {
		return HealthSummary{}, fmt.Errorf("health summary: %w: no record chosen", ErrInvalidInput)
	}
	now := a.cfg.Now()
	s := HealthSummary{Made: now}
	var parts []record.Part
	var series []record.SeriesPart
	for _, id := range profileIDs {
		p, err := a.store.Profile(ctx, id)
		if err != nil {
			return HealthSummary{}, fmt.Errorf("health summary: %w", err)
		}
		info := profileInfo(p)
		rec, err := read(ctx, id)
		if err != nil {
			return HealthSummary{}, fmt.Errorf("health summary: %w", err)
		}
		c := rec.chart
		s.Sources = append(s.Sources, SummarySource{Practice: info.Practice, ProfileID: id, LastSync: info.LastSync})
		src := record.Source{ProfileID: id, Practice: info.Practice}
		parts = append(parts, record.Part{Source: src, Chart: c})
		series = append(series, record.SeriesPart{Source: src, Series: rec.trends})
		if err := s.addPatient(ctx, a, id, c, rec.bloodType); err != nil {
			return HealthSummary{}, err
		}
		for _, ap := range record.UpcomingAppointments(c.Appointments, now) {
			s.Appointments = append(s.Appointments, appointmentItem(c, ap, id, info.Practice))
		}
	}
	if s.Name == "" {
		return HealthSummary{}, fmt.Errorf("health summary: %w: the record has no patient yet (sync first)", ErrNoDocument)
	}
	for _, al := range record.MergeAllergies(parts) {
		if x := al.Item; x.ClinicalStatus != "inactive" && x.ClinicalStatus != "resolved" && x.VerificationStatus != "refuted" {
			s.Allergies = append(s.Allergies, sourcedItem(al.Sources, al.Keys, firstNonBlank(x.Substance, i18n.L("Unnamed allergy")), allergyDetail(x), firstDateOf(x.Onset, x.Recorded)))
		}
	}
	for _, m := range record.MergeMedications(parts) {
		if x := m.Item; x.Active() {
			s.Medications = append(s.Medications, sourcedItem(m.Sources, m.Keys, firstNonBlank(x.Medication, i18n.L("Unnamed medication")), strings.Join(x.Dosage, "; "), x.AuthoredOn))
		}
	}
	for _, cd := range record.MergeConditions(parts) {
		if x := cd.Item; x.Active() && x.VerificationStatus != "refuted" {
			s.Problems = append(s.Problems, sourcedItem(cd.Sources, cd.Keys, firstNonBlank(x.Name, i18n.L("Unnamed condition")), x.OnsetText, firstDateOf(x.Onset, x.Recorded)))
		}
	}
	for _, im := range record.MergeImmunizations(parts) {
		if x := im.Item; x.Status == "" || x.Status == "completed" {
			s.Immunizations = append(s.Immunizations, sourcedItem(im.Sources, im.Keys, firstNonBlank(x.Vaccine, i18n.L("Vaccine")), x.DateText, x.Date))
		}
	}
	s.Results = recentResults(record.MergeSeries(series))
	sortItems(s.Allergies, false)
	sortItems(s.Medications, false)
	sortItems(s.Problems, false)
	sortItems(s.Immunizations, true)
	sort.SliceStable(s.Appointments, func(i, j int) bool { return s.Appointments[i].Date.Before(s.Appointments[j].Date) })
	s.Card = s.card()
	return s, nil
}

// sourcedItem is an item of the merged record: named by every practice
// that told it, pointing to the first one's entry.
func sourcedItem(srcs []record.Source, keys []string, text, detail string, date record.Date) SummaryItem {
	it := SummaryItem{Text: text, Detail: detail, Date: date, Source: record.SourceNames(srcs)}
	if len(srcs) > 0 && len(keys) > 0 {
		it.ProfileID, it.Ref = srcs[0].ProfileID, keys[0]
	}
	return it
}

// appointmentItem is an upcoming appointment with whom and where.
func appointmentItem(c *record.Chart, ap record.Appointment, profileID, source string) SummaryItem {
	what := firstNonBlank(strings.Join(ap.ServiceTypes, ", "), ap.Description, i18n.L("Appointment"))
	var with []string
	for _, r := range append(append([]record.Ref(nil), ap.Practitioners...), ap.Locations...) {
		if n := c.Name(r); n != "" {
			with = append(with, n)
		}
	}
	return SummaryItem{Text: what, Detail: strings.Join(with, ", "), Date: ap.Start, Source: source, Ref: ap.Key(), ProfileID: profileID}
}

// addPatient takes the patient's own details from the first record that
// has them, the emergency contacts and blood type from every record.
func (s *HealthSummary) addPatient(ctx context.Context, a *App, profileID string, c *record.Chart, bt string) error {
	if p, ok := c.Patient(); ok {
		if s.Name == "" {
			s.Name, s.BirthDate, s.Gender = p.Name, p.BirthDate, p.Gender
			if len(p.Addresses) > 0 {
				s.Address = p.Addresses[0].String()
			}
			for _, t := range p.Telecom {
				if t.System == "phone" {
					s.Phone = t.Value
					break
				}
			}
		}
		contacts, err := a.patientContacts(ctx, profileID, p.ID)
		if err != nil {
			return err
		}
		s.Card.Contacts = appendContacts(s.Card.Contacts, contacts)
	}
	if bt != "" && s.Card.BloodType == "" {
		s.Card.BloodType = bt
	}
	return nil
}

// severityWord is a reaction's severity (FHIR's mild, moderate, severe)
// in the current language.
func severityWord(s string) string {
	switch s {
	case "mild":
		return i18n.L("mild")
	case "moderate":
		return i18n.L("moderate")
	case "severe":
		return i18n.L("severe")
	}
	return s
}

func allergyDetail(al record.AllergyIntolerance) string {
	var parts []string
	for _, r := range al.Reactions {
		words := strings.Join(r.Manifestations, ", ")
		if r.Severity != "" && words != "" {
			words += " (" + severityWord(r.Severity) + ")"
		}
		if words != "" {
			parts = append(parts, words)
		}
	}
	if al.Criticality == "high" {
		parts = append(parts, i18n.L("high risk"))
	}
	return strings.Join(parts, "; ")
}

// card is the emergency card of the summary.
func (s *HealthSummary) card() EmergencyCard {
	c := s.Card
	c.Name, c.Made = s.Name, s.Made
	if !s.BirthDate.IsZero() {
		c.BirthDate = longDay(s.BirthDate)
	}
	c.Allergies, c.Medications, c.Conditions = []string{}, []string{}, []string{}
	for _, it := range s.Allergies {
		c.Allergies = appendUnique(c.Allergies, joinNonBlank(" — ", it.Text, strings.TrimRight(it.Detail, ". ")))
	}
	for _, it := range s.Medications {
		c.Medications = appendUnique(c.Medications, joinNonBlank(" — ", it.Text, strings.TrimRight(it.Detail, ". ")))
	}
	for _, it := range s.Problems {
		c.Conditions = appendUnique(c.Conditions, it.Text)
	}
	if c.Contacts == nil {
		c.Contacts = []Contact{}
	}
	c.Sources = []string{}
	for _, src := range s.Sources {
		c.Sources = appendUnique(c.Sources, src.Practice)
	}
	return c
}

// bloodTypeCodes are the LOINC codes of a blood group result: ABO and Rh
// together, ABO alone, Rh alone.
var bloodTypeCodes = []string{"882-1", "883-9", "10331-7"}

// isBloodType reports whether o is coded as a blood group result.
func isBloodType(o record.Observation) bool {
	return slices.Contains(bloodTypeCodes, o.Code.Code(record.LOINC))
}

// bloodType is the latest recorded blood group ("A Rh+", "O negative") of
// a record's Observations (in a chart's order), "" when it has none.
func bloodType(obs []record.Observation) string {
	latest := map[string]record.Observation{}
	for _, o := range obs {
		if o.Status == "entered-in-error" || o.Status == "cancelled" {
			continue
		}
		for _, code := range bloodTypeCodes {
			if o.Code.Code(record.LOINC) == code {
				if prev, ok := latest[code]; !ok || prev.Date().Before(o.Date()) {
					latest[code] = o
				}
			}
		}
	}
	value := func(o record.Observation) string {
		return firstNonBlank(o.Value.Concept.String(), o.Value.Text)
	}
	if o, ok := latest["882-1"]; ok && value(o) != "" {
		return value(o)
	}
	return joinNonBlank(" ", value(latest["883-9"]), value(latest["10331-7"]))
}

// recentResults picks the measurements for the summary: the most recently
// measured first, at most summaryResults of them, each with the practices
// its points come from.
func recentResults(series []record.SourcedSeries) []SummaryResult {
	series = slices.DeleteFunc(series, func(s record.SourcedSeries) bool { return len(s.Points) == 0 })
	sort.SliceStable(series, func(i, j int) bool {
		a, b := series[i].Points, series[j].Points
		return b[len(b)-1].Date.Before(a[len(a)-1].Date)
	})
	var out []SummaryResult
	for _, s := range series[:min(len(series), summaryResults)] {
		last := len(s.Points) - 1
		v := s.Points[last].Value
		unit, _ := plainnames.Unit(s.Unit) // "10*3/uL" reads "thousand per µL"
		r := SummaryResult{Name: firstNonBlank(s.Name, i18n.L("Result")), Value: record.Quantity{Value: v, HasValue: true, Unit: unit}.String(),
			Date: s.Points[last].Date, Source: s.Practices(), Unit: s.Unit}
		if last < len(s.From) {
			r.ProfileID = s.From[last].ProfileID
		}
		if s.Range != nil {
			rng := *s.Range
			rng.Low.Unit, _ = plainnames.Unit(rng.Low.Unit)
			rng.High.Unit, _ = plainnames.Unit(rng.High.Unit)
			r.Range = rng.String()
			r.Flag = rangeFlag(v, *s.Range)
		}
		r.Points = s.Points[max(0, len(s.Points)-summaryTrendPoints):]
		out = append(out, r)
	}
	return out
}

// rangeFlag says "High" or "Low" when v is outside rng.
func rangeFlag(v float64, rng record.RefRange) string {
	switch {
	case rng.High.HasValue && v > rng.High.Value:
		return i18n.L("High")
	case rng.Low.HasValue && v < rng.Low.Value:
		return i18n.L("Low")
	}
	return ""
}

// sortItems orders items newest first (byDate) or by name.
func sortItems(items []SummaryItem, byDate bool) {
	sort.SliceStable(items, func(i, j int) bool {
		if byDate {
			return items[j].Date.Before(items[i].Date)
		}
		return strings.ToLower(items[i].Text) < strings.ToLower(items[j].Text)
	})
}

// patientContacts reads the patient's contacts (Patient.contact) from the
// raw resource: the emergency contact first.
func (a *App) patientContacts(ctx context.Context, profileID, patientID string) ([]Contact, error) {
	r, err := a.store.Get(ctx, profileID, "Patient", patientID)
	if err != nil {
		return nil, fmt.Errorf("health summary: %w", err)
	}
	var w struct {
		Contact []struct {
			Relationship []struct {
				Text   string `json:"text"`
				Coding []struct {
					Code    string `json:"code"`
					Display string `json:"display"`
				} `json:"coding"`
			} `json:"relationship"`
			Name struct {
				Text   string   `json:"text"`
				Family string   `json:"family"`
				Given  []string `json:"given"`
			} `json:"name"`
			Telecom []struct {
				System string `json:"system"`
				Value  string `json:"value"`
			} `json:"telecom"`
		} `json:"contact"`
	}
	if json.Unmarshal(r.JSON, &w) != nil {
		return nil, nil // a damaged Patient has no readable contacts; the rest of the summary stands
	}
	var out []Contact
	for _, c := range w.Contact {
		name := firstNonBlank(c.Name.Text, strings.TrimSpace(strings.Join(append(append([]string{}, c.Name.Given...), c.Name.Family), " ")))
		ct := Contact{Name: name}
		emergency := false
		for _, rel := range c.Relationship {
			for _, cd := range rel.Coding {
				if cd.Code == "C" || cd.Code == "EP" {
					emergency = true
				}
			}
			words := rel.Text
			for _, cd := range rel.Coding {
				if words == "" && cd.Code != "C" {
					words = cd.Display
				}
			}
			if ct.Relationship == "" {
				ct.Relationship = strings.TrimSpace(words)
			}
		}
		for _, t := range c.Telecom {
			if t.System == "phone" && ct.Phone == "" {
				ct.Phone = strings.TrimSpace(t.Value)
			}
		}
		if ct.Name == "" && ct.Phone == "" {
			continue
		}
		if emergency {
			out = append([]Contact{ct}, out...)
		} else {
			out = append(out, ct)
		}
	}
	return out, nil
}

func appendContacts(list, more []Contact) []Contact {
	for _, c := range more {
		dup := false
		for _, d := range list {
			if strings.EqualFold(c.Name, d.Name) && c.Phone == d.Phone {
				dup = true
			}
		}
		if !dup {
			list = append(list, c)
		}
	}
	return list
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return list
		}
	}
	return append(list, s)
}

func joinNonBlank(sep string, ss ...string) string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, sep)
}

func firstDateOf(ds ...record.Date) record.Date {
	for _, d := range ds {
		if !d.IsZero() {
			return d
		}
	}
	return record.Date{}
}
