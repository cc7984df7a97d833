package app

// The health summary as a PDF, made with codeberg.org/go-pdf/fpdf (the
// maintained continuation of jung-kurt/gofpdf: pure Go, no cgo, no
// outside programs, embeds TrueType fonts as Unicode subsets). The Go
// fonts (golang.org/x/image, already a dependency through Fyne) carry
// every Latin, Greek and Cyrillic letter a name or a drug may hold, which
// the PDF core fonts (Windows-1252 only) do not.

import (
	"fmt"
	"io"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/carebook/carebook/app/locfmt"
	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/internal/i18n"
)

// Page geometry, in millimetres (US Letter).
const (
	pdfMargin   = 16.0
	pdfLine     = 5.0  // height of a line of body text
	pdfSmall    = 4.0  // height of a line of small text
	pdfSideCol  = 62.0 // width of the right column (date and source)
	pdfChartW   = 34.0 // a small trend chart
	pdfChartH   = 11.0
	cardWidth   = 85.6 // ISO/IEC 7810 ID-1: a bank card, fits a wallet
	cardHeight  = 53.98
	pdfFontName = "go"
)

// pdfWriter lays out a summary on pages.
type pdfWriter struct {
	pdf   *fpdf.Fpdf
	width float64 // usable width between the margins
	pageH float64
}

// WriteSummaryPDF writes s as a readable PDF: the patient, allergies,
// active medications, problems, immunizations, recent results with small
// trend charts, upcoming appointments (each item with its source and date)
// and, last, the emergency card at wallet size with a line to cut along.
func WriteSummaryPDF(w io.Writer, s HealthSummary) error {
	pdf := fpdf.New("P", "mm", "letter", "")
	pdf.AddUTF8FontFromBytes(pdfFontName, "", goregular.TTF)
	pdf.AddUTF8FontFromBytes(pdfFontName, "B", gobold.TTF)
	pdf.SetMargins(pdfMargin, pdfMargin, pdfMargin)
	pdf.SetAutoPageBreak(true, pdfMargin+6)
	// Fixed dates: the same summary gives the same file.
	pdf.SetCreationDate(s.Made)
	pdf.SetModificationDate(s.Made)
	pdf.SetCatalogSort(true)
	pdf.SetTitle(i18n.L("Health summary of {{.Name}}", map[string]any{"Name": pdfSafe(s.Name)}), true)
	pdf.SetCreator("Carebook", true)
	pdf.SetAuthor("Carebook", true)
	pdf.AliasNbPages("{nb}")
	pw, ph := pdf.GetPageSize()
	p := &pdfWriter{pdf: pdf, width: pw - 2*pdfMargin, pageH: ph}
	footerName := []rune(pdfSafe(s.Name))
	if len(footerName) > 60 {
		footerName = append(footerName[:59], '…')
	}
	pdf.SetFooterFunc(func() {
		pdf.SetY(-pdfMargin)
		pdf.SetFont(pdfFontName, "", 7.5)
		pdf.SetTextColor(110, 110, 110)
		pdf.CellFormat(0, pdfSmall, i18n.L("Health summary of {{.Name}} · made {{.Date}} by Carebook · private health information · page {{.Page}} of {nb}",
			map[string]any{"Name": string(footerName), "Date": locfmt.Current().Date(s.Made), "Page": pdf.PageNo()}), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	p.header(s)
	p.items(i18n.L("Allergies and intolerances"), i18n.L("No allergies are recorded."), s.Allergies)
	p.items(i18n.L("Medications you take now"), i18n.L("No active medications are recorded."), s.Medications)
	p.items(i18n.L("Health problems"), i18n.L("No current health problems are recorded."), s.Problems)
	p.items(i18n.L("Immunizations"), i18n.L("No immunizations are recorded."), groupVaccines(s.Immunizations))
	p.results(s.Results)
	p.items(i18n.L("Upcoming appointments"), i18n.L("No upcoming appointments."), s.Appointments)
	p.card(s.Card)
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("health summary PDF: %w", err)
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("health summary PDF: %w", err)
	}
	return nil
}

func (p *pdfWriter) font(style string, size float64) {
	p.pdf.SetFont(pdfFontName, style, size)
}

func (p *pdfWriter) header(s HealthSummary) {
	pdf := p.pdf
	pdf.SetTextColor(20, 60, 110)
	p.font("B", 20)
	pdf.CellFormat(0, 10, i18n.L("Health summary"), "", 1, "L", false, 0, "")
	pdf.SetTextColor(0, 0, 0)
	p.font("B", 14)
	p.wrap(s.Name, p.width, 7)
	p.font("", 10)
	var facts []string
	if !s.BirthDate.IsZero() {
		facts = append(facts, i18n.L("Born {{.Date}}", map[string]any{"Date": longDay(s.BirthDate)}))
	}
	if g := genderWord(s.Gender); g != "" {
		facts = append(facts, g)
	}
	if line := strings.Join(facts, " · "); line != "" {
		p.wrap(line, p.width, pdfLine)
	}
	if line := joinNonBlank(" · ", s.Address, s.Phone); line != "" {
		p.wrap(line, p.width, pdfLine)
	}
	pdf.Ln(1.5)
	pdf.SetTextColor(80, 80, 80)
	p.font("", 8.5)
	var from []string
	for _, src := range s.Sources {
		f := src.Practice
		if !src.LastSync.IsZero() {
			f = i18n.L("{{.Practice}} (brought up to date {{.Date}})", map[string]any{"Practice": f, "Date": locfmt.Current().Date(src.LastSync)})
		}
		from = append(from, f)
	}
	p.wrap(i18n.L("Made by Carebook on {{.When}} from the record kept by {{.Practices}}. Each item says which practice recorded it and when. It may be incomplete: ask your doctor about anything that looks wrong.",
		map[string]any{"When": locfmt.Current().DateTime(s.Made), "Practices": joinAnd(from)}), p.width, pdfSmall)
	pdf.SetTextColor(0, 0, 0)
	pdf.Ln(2)
}

// heading starts a section, on a new page when fewer than need
// millimetres are left.
func (p *pdfWriter) heading(title string, need float64) {
	p.room(need + 10)
	pdf := p.pdf
	pdf.Ln(2)
	pdf.SetTextColor(20, 60, 110)
	p.font("B", 12.5)
	pdf.CellFormat(0, 7, title, "", 1, "L", false, 0, "")
	x, y := pdf.GetXY()
	pdf.SetDrawColor(20, 60, 110)
	pdf.SetLineWidth(0.3)
	pdf.Line(x, y, x+p.width, y)
	pdf.SetTextColor(0, 0, 0)
	pdf.Ln(1.5)
}

// room starts a new page unless h millimetres are left on this one.
func (p *pdfWriter) room(h float64) {
	_, _, _, bottom := p.pdf.GetMargins()
	if p.pdf.GetY()+h > p.pageH-bottom {
		p.pdf.AddPage()
	}
}

func (p *pdfWriter) items(title, none string, items []SummaryItem) {
	p.heading(title, 12)
	if len(items) == 0 {
		p.font("", 10)
		p.pdf.SetTextColor(90, 90, 90)
		p.wrap(none, p.width, pdfLine)
		p.pdf.SetTextColor(0, 0, 0)
		return
	}
	left := p.width - pdfSideCol - 3
	for _, it := range items {
		p.font("B", 10)
		main := p.lines(it.Text, left)
		p.font("", 9)
		detail := p.lines(it.Detail, left)
		p.font("", 8)
		side := p.lines(joinNonBlank(" · ", longDay(it.Date), it.Source), pdfSideCol)
		h := math.Max(float64(len(main))*pdfLine+float64(len(detail))*pdfSmall, float64(len(side))*pdfSmall) + 1.5
		p.room(h)
		x, y := p.pdf.GetXY()
		p.font("B", 10)
		p.printLines(main, x, y, pdfLine)
		p.font("", 9)
		p.pdf.SetTextColor(50, 50, 50)
		p.printLines(detail, x, y+float64(len(main))*pdfLine, pdfSmall)
		p.font("", 8)
		p.pdf.SetTextColor(100, 100, 100)
		p.printLines(side, x+left+3, y+0.5, pdfSmall)
		p.pdf.SetTextColor(0, 0, 0)
		p.pdf.SetXY(x, y+h)
	}
}

func (p *pdfWriter) results(results []SummaryResult) {
	p.heading(i18n.L("Recent results"), pdfChartH+4)
	if len(results) == 0 {
		p.font("", 10)
		p.pdf.SetTextColor(90, 90, 90)
		p.wrap(i18n.L("No measured results are recorded."), p.width, pdfLine)
		p.pdf.SetTextColor(0, 0, 0)
		return
	}
	left := p.width - pdfSideCol - pdfChartW - 6
	for _, r := range results {
		p.font("B", 10)
		main := p.lines(r.Name, left)
		p.font("", 9)
		detail := p.lines(joinNonBlank(" · ", r.Value, r.Flag, normalRange(r.Range)), left)
		p.font("", 8)
		side := p.lines(joinNonBlank(" · ", longDay(r.Date), r.Source), pdfSideCol)
		h := math.Max(math.Max(float64(len(main))*pdfLine+float64(len(detail))*pdfSmall, float64(len(side))*pdfSmall), pdfChartH) + 2
		p.room(h)
		x, y := p.pdf.GetXY()
		p.font("B", 10)
		p.printLines(main, x, y, pdfLine)
		p.font("", 9)
		if r.Flag != "" {
			p.pdf.SetTextColor(170, 30, 30)
		}
		p.printLines(detail, x, y+float64(len(main))*pdfLine, pdfSmall)
		p.pdf.SetTextColor(0, 0, 0)
		p.sparkline(r, x+left+3, y+0.5, pdfChartW, pdfChartH-1)
		p.font("", 8)
		p.pdf.SetTextColor(100, 100, 100)
		p.printLines(side, x+left+pdfChartW+6, y+0.5, pdfSmall)
		p.pdf.SetTextColor(0, 0, 0)
		p.pdf.SetXY(x, y+h)
	}
}

// sparkline draws the points of r in a w×h box at x, y: the normal range
// as a pale band where known, the values as a line, the latest as a dot.
func (p *pdfWriter) sparkline(r SummaryResult, x, y, w, h float64) {
	pdf := p.pdf
	pts := r.Points
	if len(pts) < 2 {
		return
	}
	lo, hi := pts[0].Value, pts[0].Value
	for _, pt := range pts {
		lo, hi = math.Min(lo, pt.Value), math.Max(hi, pt.Value)
	}
	if hi == lo {
		lo, hi = lo-1, hi+1
	}
	pad := (hi - lo) * 0.15
	lo, hi = lo-pad, hi+pad
	t0, t1 := pts[0].Date.Time, pts[len(pts)-1].Date.Time
	span := t1.Sub(t0).Seconds()
	px := func(i int) float64 {
		if span <= 0 {
			return x + w*float64(i)/float64(len(pts)-1)
		}
		return x + w*pts[i].Date.Time.Sub(t0).Seconds()/span
	}
	py := func(v float64) float64 { return y + h - h*(v-lo)/(hi-lo) }
	pdf.SetFillColor(246, 247, 249)
	pdf.Rect(x, y, w, h, "F")
	pdf.SetLineWidth(0.35)
	pdf.SetDrawColor(40, 90, 160)
	for i := 1; i < len(pts); i++ {
		pdf.Line(px(i-1), py(pts[i-1].Value), px(i), py(pts[i].Value))
	}
	pdf.SetFillColor(40, 90, 160)
	if r.Flag != "" {
		pdf.SetFillColor(170, 30, 30)
	}
	last := len(pts) - 1
	pdf.Circle(px(last), py(pts[last].Value), 0.8, "F")
	p.font("", 6)
	pdf.SetTextColor(110, 110, 110)
	pdf.Text(x, y+h+2.2, longDay(pts[0].Date))
	pdf.SetTextColor(0, 0, 0)
}

// card draws the emergency card at wallet size, with a dashed line to cut
// along, on a page of its own when it does not fit.
func (p *pdfWriter) card(c EmergencyCard) {
	p.heading(i18n.L("Emergency card"), cardHeight+8)
	pdf := p.pdf
	p.font("", 8.5)
	pdf.SetTextColor(80, 80, 80)
	p.wrap(i18n.L("Cut along the dashed line, fold nothing, keep it with your ID."), p.width, pdfSmall)
	pdf.SetTextColor(0, 0, 0)
	pdf.Ln(2)
	x, y := pdf.GetXY()
	pdf.SetDrawColor(120, 120, 120)
	pdf.SetLineWidth(0.2)
	pdf.SetDashPattern([]float64{1.5, 1}, 0)
	pdf.Rect(x, y, cardWidth, cardHeight, "D")
	pdf.SetDashPattern([]float64{}, 0)
	// Title band.
	pdf.SetFillColor(180, 30, 40)
	pdf.Rect(x, y, cardWidth, 6, "F")
	pdf.SetTextColor(255, 255, 255)
	p.font("B", 8.5)
	pdf.Text(x+2.5, y+4.3, strings.ToUpper(i18n.L("Emergency card")))
	p.font("", 6.5)
	made := locfmt.Current().Date(c.Made)
	pdf.Text(x+cardWidth-2.5-pdf.GetStringWidth(made), y+4.2, made)
	pdf.SetTextColor(0, 0, 0)
	inner := cardWidth - 5
	cy := y + 9
	line := func(style string, size, step float64, text string) {
		p.font(style, size)
		for _, l := range p.lines(text, inner) {
			if cy > y+cardHeight-2 {
				return
			}
			pdf.Text(x+2.5, cy, l)
			cy += step
		}
	}
	line("B", 8.5, 3.6, CardNameLine(c))
	for _, part := range EmergencyCardLines(c) {
		line("", 6.5, 2.8, part)
	}
	pdf.SetXY(x, y+cardHeight+2)
}

// groupVaccines makes one line of each vaccine given more than once (a
// flu shot every autumn): the latest, saying how many times. items are
// newest first.
func groupVaccines(items []SummaryItem) []SummaryItem {
	var out []SummaryItem
	at := map[string]int{}
	count := map[string]int{}
	for _, it := range items {
		key := strings.ToLower(it.Text) + "|" + it.Source
		count[key]++
		if _, ok := at[key]; ok {
			continue
		}
		at[key] = len(out)
		out = append(out, it)
	}
	for key, i := range at {
		if n := count[key]; n > 1 {
			out[i].Detail = joinNonBlank("; ", out[i].Detail, i18n.N("given {{.Count}} times, the latest on this date", n, map[string]any{"Count": n}))
		}
	}
	return out
}

// EmergencyCardLines are the card's lines after the name: allergies,
// medications, conditions and contacts, each list on one line, saying so
// when a list is empty.
func EmergencyCardLines(c EmergencyCard) []string {
	list := func(label string, items []string, none string) string {
		if len(items) == 0 {
			return i18n.L("{{.Label}}: {{.List}}", map[string]any{"Label": label, "List": none})
		}
		return i18n.L("{{.Label}}: {{.List}}", map[string]any{"Label": label, "List": strings.Join(items, "; ")})
	}
	var contacts []string
	for _, ct := range c.Contacts {
		contacts = append(contacts, joinNonBlank(", ", ct.Name, ct.Relationship, ct.Phone))
	}
	return []string{
		list(i18n.L("Allergies"), c.Allergies, i18n.L("none recorded")),
		list(i18n.L("Medications"), c.Medications, i18n.L("none recorded")),
		list(i18n.L("Conditions"), c.Conditions, i18n.L("none recorded")),
		list(i18n.L("In an emergency call"), contacts, i18n.L("no contact recorded")),
	}
}

// lines splits text into lines no wider than w at the current font,
// breaking at spaces (and inside a word longer than a line).
func (p *pdfWriter) lines(text string, w float64) []string {
	var out []string
	for _, para := range strings.Split(strings.TrimSpace(pdfSafe(text)), "\n") {
		words := strings.Fields(para)
		cur := ""
		for _, word := range words {
			try := word
			if cur != "" {
				try = cur + " " + word
			}
			if p.pdf.GetStringWidth(try) <= w {
				cur = try
				continue
			}
			if cur != "" {
				out = append(out, cur)
			}
			cur = word
			for p.pdf.GetStringWidth(cur) > w && len([]rune(cur)) > 1 {
				r := []rune(cur)
				n := len(r) - 1
				for n > 1 && p.pdf.GetStringWidth(string(r[:n])) > w {
					n--
				}
				out = append(out, string(r[:n]))
				cur = string(r[n:])
			}
		}
		if cur != "" {
			out = append(out, cur)
		}
	}
	return out
}

// pdfSafe makes text from outside (a practice's record) safe for the PDF
// library, whose Unicode fonts hold the Basic Multilingual Plane only (a
// rune beyond it, an emoji say, would make it panic): invalid UTF-8 and
// such runes become U+FFFD, control characters other than line breaks
// spaces.
func pdfSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r > 0xFFFF || r == utf8.RuneError:
			return '\uFFFD'
		case unicode.IsControl(r):
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// printLines prints lines from x, y (the top of the first line), step
// apart.
func (p *pdfWriter) printLines(lines []string, x, y, step float64) {
	for i, l := range lines {
		p.pdf.SetXY(x, y+float64(i)*step)
		p.pdf.CellFormat(0, step, l, "", 0, "L", false, 0, "")
	}
}

// wrap prints text in lines of width w, h apart, and moves below it.
func (p *pdfWriter) wrap(text string, w, h float64) {
	x := p.pdf.GetX()
	for _, l := range p.lines(text, w) {
		p.room(h)
		p.pdf.SetX(x)
		p.pdf.CellFormat(w, h, l, "", 1, "L", false, 0, "")
	}
}

// longDay writes a date for a reader in sentences, the device's locale's
// way ("Mar 4, 2019" in the US, "4 Mar 2019" in the UK), at the date's
// own precision; "" when there is none.
func longDay(d record.Date) string {
	loc := locfmt.Current()
	switch d.Precision {
	case record.PrecisionYear:
		return loc.Year(d.Time)
	case record.PrecisionMonth:
		return loc.MonthYear(d.Time)
	case record.PrecisionNone:
		return ""
	}
	return loc.Date(d.Time)
}

// normalRange is "normal range 70–99 mg/dL", "" without a range.
func normalRange(rng string) string {
	if strings.TrimSpace(rng) == "" {
		return ""
	}
	return i18n.L("normal range {{.Range}}", map[string]any{"Range": rng})
}

// CardNameLine is the emergency card's first line: the name, the birth
// date and the blood type where recorded.
func CardNameLine(c EmergencyCard) string {
	var born, blood string
	if strings.TrimSpace(c.BirthDate) != "" {
		born = i18n.L("born {{.Date}}", map[string]any{"Date": c.BirthDate})
	}
	if strings.TrimSpace(c.BloodType) != "" {
		blood = i18n.L("blood type {{.Type}}", map[string]any{"Type": c.BloodType})
	}
	return joinNonBlank(" · ", c.Name, born, blood)
}

// genderWord is the administrative gender in the current language, ""
// when not recorded.
func genderWord(g string) string {
	switch g {
	case "":
		return ""
	case "female":
		return i18n.L("Female")
	case "male":
		return i18n.L("Male")
	case "other":
		return i18n.L("Other gender")
	case "unknown":
		return i18n.L("Unknown")
	}
	return strings.ToUpper(g[:1]) + g[1:]
}

// joinAnd lists words in a sentence: "a, b and c" in the current
// language.
func joinAnd(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return i18n.L("{{.List}} and {{.Last}}", map[string]any{"List": strings.Join(words[:len(words)-1], ", "), "Last": words[len(words)-1]})
}
