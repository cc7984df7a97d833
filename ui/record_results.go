package ui

import (
	"context"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/app/record"

	"fyne.io/fyne/v2/lang"
)

// resultsSection lists the lab panels, newest first; a panel's details
// show each value with its unit, normal range, flag and comments, and
// open the trend of a numeric result. The section keeps its list and the
// trends, not the results: a panel's are read when it is opened. Any
// goroutine.
func resultsSection(c *record.Chart) sectionModel {
	groups := record.LabResults(c)
	rows := make([]labRow, 0, len(groups))
	items := make([]listItem, 0, len(groups))
	for _, g := range groups {
		// A report with nothing to show (no results, comment or
		// document) would be an empty page.
		if len(g.Results) > 0 || (g.Report != nil && (g.Report.Conclusion != "" || len(g.Report.PresentedForm) > 0)) {
			rows = append(rows, newLabRow(g))
			items = append(items, groupItem(g))
		}
	}
	var k keptTexts
	for i := range rows {
		k.add(&rows[i].key, &rows[i].report, &rows[i].title, rows[i].results.text())
	}
	k.addItems(items)
	k.compact()
	tr := newTrendIndex(c)
	return sectionModel{
		compacted: true,
		items:     items,
		empty:     lang.L("No test results on record at this practice yet."),
		load: func(ctx context.Context, read entryReader, i int) (detailModel, error) {
			r := rows[i]
			ec, err := read(ctx, r.keys()...)
			if err != nil {
				return detailModel{}, err
			}
			return groupDetail(ec, r.group(ec), tr), nil
		},
		seenKey: func(i int) string { return rows[i].key },
		trends:  tr,
	}
}

// labRow is what the results section keeps of a lab panel: what its
// details read when it is opened (its report and results, by key), and
// what the panel says of itself.
type labRow struct {
	key      string // record.LabGroup.Key
	report   string // "DiagnosticReport/id"; "" for a day of standalone results
	title    string
	date     record.Date
	issued   record.Date
	abnormal int
	results  idList // the ids of its Observations, in order
}

func newLabRow(g record.LabGroup) labRow {
	r := labRow{key: g.Key(), title: g.Title, date: g.Date, issued: g.Issued, abnormal: g.Abnormal}
	if g.Report != nil {
		r.report = r.key // LabGroup.Key is its report's
	}
	ids := make([]string, len(g.Results))
	for i, o := range g.Results {
		ids[i] = o.ID
	}
	r.results = newIDList(ids)
	return r
}

// keys are the entries the panel's details read.
func (r labRow) keys() []string {
	var keys []string
	if r.report != "" {
		keys = append(keys, r.report)
	}
	for _, id := range r.results.ids() {
		keys = append(keys, "Observation/"+id)
	}
	return keys
}

// group is the panel again, its report and results read (c): as
// record.LabResults made it.
func (r labRow) group(c *record.Chart) record.LabGroup {
	g := record.LabGroup{Title: r.title, Date: r.date, Issued: r.issued, Abnormal: r.abnormal}
	for i := range c.Reports {
		if c.Reports[i].Key() == r.report {
			g.Report = &c.Reports[i]
		}
	}
	byID := make(map[string]*record.Observation, len(c.Observations))
	for i := range c.Observations {
		byID[c.Observations[i].ID] = &c.Observations[i]
	}
	for _, id := range r.results.ids() {
		if o := byID[id]; o != nil {
			g.Results = append(g.Results, o)
		}
	}
	return g
}

// groupItem is a lab panel's row: its name, date and how many results it
// holds, and how many are abnormal.
func groupItem(g record.LabGroup) listItem {
	it := listItem{
		title:  firstText(g.Title, lang.L("Test results")),
		detail: joinNonEmpty(" · ", dayText(g.Date), lang.N("{{.Count}} results", len(g.Results), map[string]any{"Count": len(g.Results)})),
	}
	if g.Abnormal > 0 {
		it.flag = lang.N("{{.Count}} abnormal", g.Abnormal, map[string]any{"Count": g.Abnormal})
	}
	if !g.Reviewed() {
		// Said in place of the count, which the details give: the line
		// must fit a phone beside the flag.
		it.detail = joinNonEmpty(" · ", dayText(g.Date), lang.L("not reviewed yet"))
	}
	if g.Report != nil {
		it.partial, it.key = g.Report.Incomplete, g.Report.Key()
	}
	for _, o := range g.Results {
		it.partial = it.partial || o.Incomplete
	}
	return it
}

// groupDetail is the details of a lab panel.
func groupDetail(c *record.Chart, g record.LabGroup, tr *trendIndex) detailModel {
	m := detailModel{title: firstText(g.Title, lang.L("Test results")), subtitle: dayText(g.Date)}
	if g.Abnormal > 0 {
		m.flag = lang.N("{{.Count}} results are outside the normal range.", g.Abnormal, map[string]any{"Count": g.Abnormal})
	}
	if !g.Reviewed() {
		m.notice = record.NotReviewedNote()
	}
	if len(g.Results) > 0 {
		m.askRef = g.Results[0].Key()
	}
	if rep := g.Report; rep != nil {
		m.askRef = rep.Key()
		m.partial = rep.Incomplete
		// A preliminary report says so in words (the notice above).
		if rep.Status != "" && rep.Status != "final" && !(rep.Status == "preliminary" && m.notice != "") {
			m.addField(lang.L("Status"), statusText(rep.Status))
		}
		if issued := dayText(rep.Issued); issued != m.subtitle {
			m.addField(lang.L("Reported"), issued)
		}
		m.addField(lang.L("By"), refNames(c, rep.Performers))
		m.addText(lang.L("Your provider's comment"), rep.Conclusion)
		m.docs = attachmentDocs("DiagnosticReport/"+rep.ID, dayText(rep.Date()), firstText(rep.Name, lang.L("Report")), rep.PresentedForm)
		m.addRequest(lang.L("Ask for a copy"), app.RequestLabReportCopy, rep.Key())
		m.addRequest(lang.L("Report an error"), app.RequestCorrection, rep.Key())
	}
	for _, o := range g.Results {
		r := resultOf(*o, tr)
		if o.Date().String() != g.Date.String() && !o.Date().IsZero() {
			r.date = dayText(o.Date())
		}
		m.results = append(m.results, r)
	}
	return m
}

// resultOf is one lab result for display.
func resultOf(o record.Observation, tr *trendIndex) resultModel {
	r := resultModel{
		name:      firstText(o.Name, o.Code.String(), lang.L("Result")),
		value:     valueText(o.Value),
		flag:      flagText(o.Flag),
		rng:       rangeText(o.Range),
		notes:     o.Notes,
		partial:   o.Incomplete,
		technical: o.Code.Technical(),
		learn:     record.LearnMore(o.Code, learnLang()),
	}
	r.bar, r.meaning = rangeOf(o.Value, o.Range)
	r.original = originalText(o.Value)
	for _, comp := range o.Components {
		v := valueText(comp.Value)
		if f := flagText(comp.Flag); f != "" {
			v += " — " + f
		}
		if rg := rangeText(comp.Range); rg != "" {
			v += " " + lang.L("(normal: {{.Range}})", map[string]any{"Range": rg})
		}
		r.parts = append(r.parts, field{firstText(comp.Name, comp.Code.String(), lang.L("Part")), v})
	}
	if r.value == "" && len(r.parts) == 0 {
		r.value = lang.L("No value given")
	}
	if t, ok := tr.forObservation(o); ok {
		r.trend = &t
	}
	return r
}

// attachmentDocs turns a record's attachments into documents: readable
// text shown in the app, anything else opened in the system viewer when
// docRef ("DocumentReference/{id}" or "DiagnosticReport/{id}") is not "".
func attachmentDocs(docRef, date, fallbackTitle string, atts []record.Attachment) []docModel {
	var docs []docModel
	for i, a := range atts {
		d := docModel{
			title:      firstText(fallbackTitle, a.Title, lang.L("Document")),
			date:       firstText(dayText(a.Created), date),
			docRef:     docRef,
			attachment: i,
			text:       a.Text,
		}
		switch {
		case !a.Cached && a.URL == "":
			// Nothing to open (its content is broken or absent): the
			// entry says part of it could not be read.
		case a.IsPDF:
			d.kind, d.external = "PDF", true
		case a.Text == "":
			d.kind, d.external = firstText(a.ContentType, lang.L("file")), true
		}
		if a.Title != "" && len(atts) > 1 && a.Title != d.title {
			d.title += ": " + a.Title // which of several attachments
		}
		if d.external && docRef == "" {
			d.external = false
			d.text = lang.L("Carebook cannot open this file here. The practice can give you a copy.")
		}
		if d.text == "" && !d.external {
			continue // an attachment with no content at all
		}
		docs = append(docs, d)
	}
	return docs
}
