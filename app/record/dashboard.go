package record

import (
	"sort"
	"strings"
	"time"

	"github.com/carebook/carebook/internal/i18n"
)

// UpcomingAppointments returns the appointments booked or asked for
// (pending or proposed: the practice has not confirmed them yet) that
// start after now, soonest first.
func UpcomingAppointments(apps []Appointment, now time.Time) []Appointment {
	var out []Appointment
	for _, a := range apps {
		switch a.Status {
		case "booked", "pending", "proposed", "arrived", "checked-in":
		default:
			continue
		}
		if !a.Start.IsZero() && a.Start.Time.After(now) {
			out = append(out, a)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out
}

// UnreadMessages returns the messages from the practice (any sender that is
// not the patient or someone acting for them) whose id is not in read,
// newest first. Thread headers without content and records entered in error
// are left out. read holds Communication ids the app has marked read.
func UnreadMessages(c *Chart, read map[string]bool) []Communication {
	patientIDs := c.patientIDs()
	var out []Communication
	for _, m := range c.Communications {
		if read[m.ID] || m.Status == "entered-in-error" || (m.Text == "" && len(m.Attachments) == 0) {
			continue
		}
		if isFromPatientSide(m.Sender, patientIDs) {
			continue
		}
		out = append(out, m)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Date().After(out[j].Date()) })
	return out
}

// NewResults returns the result groups issued after since (the report's
// issue time, else the time of the results), newest first.
func NewResults(groups []LabGroup, since time.Time) []LabGroup {
	var out []LabGroup
	for _, g := range groups {
		when := firstDate(g.Issued, g.Date)
		if !when.IsZero() && when.End().After(since) {
			out = append(out, g)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Date.After(out[j].Date) })
	return out
}

// OpenRequests returns the Tasks still awaiting an outcome (not completed,
// rejected, cancelled, failed or entered in error), newest first.
func OpenRequests(tasks []Task) []Task {
	var out []Task
	for _, t := range tasks {
		if t.Open() {
			out = append(out, t)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		return firstDate(out[i].LastModified, out[i].AuthoredOn).After(firstDate(out[j].LastModified, out[j].AuthoredOn))
	})
	return out
}

// BalanceDue sums what the patient owes, one Money per currency (sorted by
// currency): the amounts of open (issued) Invoices when there are any,
// otherwise the balances of active Accounts. Using one source or the other
// avoids counting the same bill twice. Amounts of zero or less are dropped.
func BalanceDue(invoices []Invoice, accounts []Account) []Money {
	sums := map[string]float64{}
	for _, inv := range invoices {
		if m, ok := inv.Amount(); ok && inv.Open() {
			sums[m.Currency] += m.Value
		}
	}
	if len(sums) == 0 {
		for _, a := range accounts {
			if a.Status != "active" && a.Status != "" {
				continue
			}
			for _, b := range a.Balance {
				sums[b.Currency] += b.Value
			}
		}
	}
	var out []Money
	for cur, v := range sums {
		if v > 0.004 {
			out = append(out, Money{Value: v, Currency: cur})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out
}

// ActiveMedications returns the active prescriptions, by medication name.
func ActiveMedications(meds []MedicationRequest) []MedicationRequest {
	var out []MedicationRequest
	for _, m := range meds {
		if m.Active() {
			out = append(out, m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.ToLower(out[i].Medication) < strings.ToLower(out[j].Medication) })
	return out
}

// AttentionKind says why an item needs the patient's attention.
type AttentionKind uint8

// The kinds of "needs attention" items.
const (
	AttentionAbnormalResult AttentionKind = iota + 1
	AttentionFluShotDue
	AttentionBalanceDue
)

// Attention is one "needs attention" item of the dashboard.
type Attention struct {
	Kind   AttentionKind
	Title  string
	Detail string
	Date   Date
	Key    string // "Type/id" of the record it is about, "" for a balance
}

// NeedsAttention lists what the dashboard should point out: abnormal
// results issued after since, a yearly flu shot last given more than 12
// months before now, and a balance due. A deceased patient gets no flu
// reminder. Failed outbox items are the app's business and not listed here.
func NeedsAttention(c *Chart, now, since time.Time) []Attention {
	var out []Attention
	for _, g := range NewResults(LabResults(c), since) {
		for _, o := range g.Results {
			if o.Abnormal() {
				out = append(out, Attention{Kind: AttentionAbnormalResult, Title: o.Name, Detail: abnormalDetail(*o), Date: o.Date(), Key: o.Key()})
			}
		}
	}
	if p, ok := c.Patient(); !ok || !p.Deceased {
		if last, ok := lastFluShot(c.Immunizations); ok && last.Date.Time.Before(now.AddDate(-1, 0, 0)) {
			out = append(out, Attention{Kind: AttentionFluShotDue, Title: i18n.L("Flu shot due"), Detail: i18n.L("Last flu shot: {{.Date}}", map[string]any{"Date": last.Date.String()}), Date: last.Date, Key: last.Key()})
		}
	}
	for _, m := range BalanceDue(c.Invoices, c.Accounts) {
		out = append(out, Attention{Kind: AttentionBalanceDue, Title: i18n.L("Balance due"), Detail: m.String()})
	}
	return out
}

func abnormalDetail(o Observation) string {
	if o.Value.Text == "" {
		return o.Flag.Code
	}
	s := o.Value.Text
	if o.Flag.Code != "" {
		s += " (" + o.Flag.Code + ")"
	}
	if o.Range != nil {
		if r := o.Range.String(); r != "" {
			s = i18n.L("{{.Value}}, normal {{.Range}}", map[string]any{"Value": s, "Range": r})
		}
	}
	return s
}

// fluCVX are the CVX codes of seasonal influenza vaccines.
var fluCVX = map[string]bool{
	"88": true, "111": true, "135": true, "140": true, "141": true, "144": true, "149": true,
	"150": true, "151": true, "153": true, "155": true, "158": true, "161": true, "166": true,
	"168": true, "171": true, "185": true, "186": true, "197": true, "200": true, "201": true,
	"202": true, "205": true, "231": true, "320": true,
}

// IsFluVaccine reports whether im is a seasonal influenza vaccine, by CVX
// code or, failing that, by name.
func IsFluVaccine(im Immunization) bool {
	for _, cd := range im.VaccineCode.Codings {
		if strings.Contains(strings.ToLower(cd.System), "cvx") && fluCVX[strings.TrimLeft(cd.Code, "0")] {
			return true
		}
	}
	name := " " + lower(im.Vaccine) + " "
	return strings.Contains(name, "influenza") || strings.Contains(name, " flu ")
}

func lastFluShot(ims []Immunization) (Immunization, bool) {
	var last Immunization
	found := false
	for _, im := range ims {
		if (im.Status != "completed" && im.Status != "") || im.Date.IsZero() || !IsFluVaccine(im) {
			continue
		}
		if !found || im.Date.After(last.Date) {
			last, found = im, true
		}
	}
	return last, found
}

// Dashboard is everything the home screen shows, computed at one moment.
type Dashboard struct {
	Upcoming     []Appointment
	Unread       []Communication
	NewResults   []LabGroup
	OpenRequests []Task
	BalanceDue   []Money
	Medications  []MedicationRequest
	Attention    []Attention
}

// BuildDashboard computes the dashboard of c at now: since is when the
// patient last looked at their results; read holds the ids of messages
// marked read on this device.
func BuildDashboard(c *Chart, now, since time.Time, read map[string]bool) Dashboard {
	return Dashboard{
		Upcoming:     UpcomingAppointments(c.Appointments, now),
		Unread:       UnreadMessages(c, read),
		NewResults:   NewResults(LabResults(c), since),
		OpenRequests: OpenRequests(c.Tasks),
		BalanceDue:   BalanceDue(c.Invoices, c.Accounts),
		Medications:  ActiveMedications(c.Medications),
		Attention:    NeedsAttention(c, now, since),
	}
}
