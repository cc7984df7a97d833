package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// wideWidth is the narrowest window that shows a section's list and the
// details of one entry side by side; narrower windows (phones) show one at
// a time, with a Back button.
const wideWidth = 720

// listItem is one row of a section's list. It holds text only, so section
// models can be built off the UI goroutine.
type listItem struct {
	header   bool   // a group heading ("Active", "Past"): not selectable
	title    string // first line
	detail   string // second line: date, status, dose…
	flag     string // words that need attention ("2 abnormal"), shown in the error colour
	flagInfo bool   // the flag informs, nothing is wrong ("Questions"): shown in the primary colour
	partial  bool   // the entry is Incomplete: shows partialNote
	key      string // the entry's "Type/id", so search can find its row
	long     bool   // the title needs two lines on a phone (set by setItems)
	// source, in a merged view, says where the entry comes from ("from
	// Riverside Family Medicine · Lakeside Health Center"): a line of its
	// own, two when long (sourceLong, set by newList).
	source     string
	sourceLong bool
	// detailLines: how many lines the detail needs beside the flag (set by
	// newList, at most maxDetailLines): it wraps rather than being cut off.
	detailLines int
}

// rowTextWidth is the width a row's title may use on one line until the
// list knows its own: that of the narrowest list (a phone's, or the side
// list of a wide window) less padding.
const rowTextWidth = 290

// needsTwoLines reports whether item's title is too wide for one line of
// room points, next to its flag.
func needsTwoLines(item listItem, room float32) bool {
	if item.header {
		return false
	}
	bold := fyne.TextStyle{Bold: true}
	if item.flag != "" {
		room -= fyne.MeasureText(item.flag, theme.TextSize(), bold).Width + 2*theme.InnerPadding()
	}
	return fyne.MeasureText(item.title, theme.TextSize(), bold).Width > room
}

// maxDetailLines is the most lines a row's detail wraps to (a longer one
// ends with "…"; the entry's page has all of it).
const maxDetailLines = 4

// detailLines is how many lines item's detail needs in room points next
// to its flag (every line of a row leaves the flag's width free): one when
// it fits, else the lines its words wrap to, at most maxDetailLines.
func detailLines(item listItem, room float32) int {
	if item.header || item.detail == "" {
		return 1
	}
	if item.flag != "" {
		room -= fyne.MeasureText(item.flag, theme.TextSize(), fyne.TextStyle{Bold: true}).Width + 2*theme.InnerPadding()
	}
	w := fyne.MeasureText(item.detail, theme.TextSize(), fyne.TextStyle{}).Width
	if w <= room || room < 1 {
		return 1
	}
	return wrappedLines(item.detail, room, maxDetailLines)
}

// wrappedLines is how many lines text takes wrapped word by word in room
// points, as a label wraps it (a word wider than a line is broken), at
// most most. Only texts too wide for one line are measured word by word:
// a few rows of a list.
func wrappedLines(text string, room float32, most int) int {
	size, style := theme.TextSize(), fyne.TextStyle{}
	lines := 1
	line := ""
	for _, word := range strings.Fields(text) {
		next := word
		if line != "" {
			next = line + " " + word
		}
		if fyne.MeasureText(next, size, style).Width <= room {
			line = next
			continue
		}
		if line != "" {
			lines++
		}
		line = word
		// A word wider than a line takes the lines it is broken over.
		for w := fyne.MeasureText(line, size, style).Width; w > room; w -= room {
			lines++
		}
		if lines >= most {
			return most
		}
	}
	return lines
}

// recordRow is the widget a virtualized list shows for one listItem: the
// title (two lines when long, then "…"), the detail line, the partial
// note when the entry is Incomplete, and the flag on the right.
type recordRow struct {
	widget.BaseWidget
	title, detail, note, flag *widget.Label
	twoLines                  bool
	source                    *widget.Label
	sourceTwoLines            bool
	detailLines               int
}

func newRecordRow() *recordRow {
	r := &recordRow{
		title: &widget.Label{TextStyle: fyne.TextStyle{Bold: true},
			Wrapping: fyne.TextWrapWord, Truncation: fyne.TextTruncateEllipsis},
		detail: &widget.Label{Truncation: fyne.TextTruncateEllipsis},
		note:   &widget.Label{Text: partialNote(), Importance: widget.WarningImportance, Truncation: fyne.TextTruncateEllipsis},
		source: &widget.Label{TextStyle: fyne.TextStyle{Italic: true}, Truncation: fyne.TextTruncateEllipsis},
		flag:   &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, Importance: widget.DangerImportance},
	}
	r.note.Hide()
	r.source.Hide()
	r.ExtendBaseWidget(r)
	return r
}

func (r *recordRow) CreateRenderer() fyne.WidgetRenderer {
	box := container.New(&rowLayout{row: r}, r.title, r.detail, r.source, r.note, r.flag)
	return widget.NewSimpleRenderer(box)
}

// set shows item in the row. UI goroutine.
func (r *recordRow) set(item listItem) {
	r.twoLines = item.long
	// A title measured to fit one line needs no wrapping or truncation,
	// which cost a text shaping pass per row on every redraw.
	r.title.Wrapping, r.title.Truncation = fyne.TextWrapOff, fyne.TextTruncateOff
	if item.long {
		r.title.Wrapping, r.title.Truncation = fyne.TextWrapWord, fyne.TextTruncateEllipsis
	}
	r.title.Text = item.title
	r.title.Importance = widget.MediumImportance
	if item.header {
		r.title.Importance = widget.HighImportance
	}
	r.detail.Text = item.detail
	r.detail.Hidden = item.header || item.detail == ""
	r.detailLines = item.detailLines
	r.detail.Wrapping = fyne.TextWrapOff
	if item.detailLines > 1 {
		r.detail.Wrapping = fyne.TextWrapWord
	}
	r.source.Text = item.source
	r.source.Hidden = item.header || item.source == ""
	r.sourceTwoLines = item.sourceLong
	r.source.Wrapping = fyne.TextWrapOff
	if item.sourceLong {
		r.source.Wrapping = fyne.TextWrapWord
	}
	r.note.Hidden = !item.partial
	r.flag.Text = item.flag
	r.flag.Hidden = item.flag == ""
	r.flag.Importance = widget.DangerImportance
	if item.flagInfo {
		r.flag.Importance = widget.HighImportance
	}
	r.Refresh()
}

// rowLayout stacks a row's lines with no padding between them, so they
// read as one entry, beside the flag.
type rowLayout struct{ row *recordRow }

// gap overlaps the inner padding of labels stacked in a row.
func rowGap() float32 { return -theme.Padding() * 1.5 }

// titleHeight is the title's height: one line, or two.
func (l *rowLayout) titleHeight() float32 {
	h := l.row.title.MinSize().Height
	if l.row.twoLines {
		h += fyne.MeasureText("gA", theme.TextSize(), fyne.TextStyle{Bold: true}).Height + theme.LineSpacing()
	}
	return h
}

// detailHeight is the detail's height: one line, or as many as it needs.
func (l *rowLayout) detailHeight() float32 {
	r := l.row
	line := fyne.MeasureText("gA", theme.TextSize(), r.detail.TextStyle).Height
	h := line + 2*theme.InnerPadding()
	for i := 1; i < r.detailLines; i++ {
		h += line + theme.LineSpacing()
	}
	return h
}

// sourceHeight is the source line's height: one line, or two.
func (l *rowLayout) sourceHeight() float32 {
	r := l.row
	one := fyne.MeasureText("gA", theme.TextSize(), r.source.TextStyle).Height + 2*theme.InnerPadding()
	if r.sourceTwoLines {
		return one + fyne.MeasureText("gA", theme.TextSize(), r.source.TextStyle).Height + theme.LineSpacing()
	}
	return one
}

func (l *rowLayout) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	r := l.row
	var flagW float32
	if r.flag.Visible() {
		flagW = r.flag.MinSize().Width
		r.flag.Resize(fyne.NewSize(flagW, r.flag.MinSize().Height))
		r.flag.Move(fyne.NewPos(size.Width-flagW, 0))
	}
	w := size.Width - flagW
	y := float32(0)
	for i, o := range []fyne.CanvasObject{r.title, r.detail, r.source, r.note} {
		if !o.Visible() {
			continue
		}
		h := o.MinSize().Height
		switch i {
		case 0:
			h = l.titleHeight()
		case 1:
			h = l.detailHeight()
		case 2:
			h = l.sourceHeight()
		}
		o.Move(fyne.NewPos(0, y))
		o.Resize(fyne.NewSize(w, h))
		y += h + rowGap()
	}
}

func (l *rowLayout) MinSize(_ []fyne.CanvasObject) fyne.Size {
	r := l.row
	h := l.titleHeight()
	if r.detail.Visible() {
		h += l.detailHeight() + rowGap()
	}
	if r.note.Visible() {
		h += r.note.MinSize().Height + rowGap()
	}
	if r.source.Visible() {
		h += l.sourceHeight() + rowGap()
	}
	var flagW float32
	if r.flag.Visible() {
		flagW = r.flag.MinSize().Width
	}
	return fyne.NewSize(flagW+r.title.MinSize().Width, max(h, r.flag.MinSize().Height))
}

// masterDetail is one section's screen: a virtualized list of entries and
// the details of the chosen one. Wide windows show both side by side;
// narrow ones show the list, then the details with a Back button. The
// details are a stack of pages (a lab panel, then the trend of one of its
// results), and Back pops them first.
type masterDetail struct {
	items    []listItem
	onSelect func(i int) // builds and shows the details of items[i]

	list     *widget.List    // replaced by each setItems
	listSlot *fyne.Container // holds list
	status   *widget.Label   // loading, empty or error text shown instead of the list
	master   *fyne.Container

	back      *widget.Button
	pages     []fyne.CanvasObject
	body      *fyne.Container // holds the top page
	detail    *fyne.Container
	emptyPage fyne.CanvasObject
	// choose says where the details go before an entry is chosen; shown
	// only while the list has entries to choose (not beside "Loading…",
	// an error, or a list that is empty or not shared).
	choose *widget.Label

	selected int  // the row whose details are on show, -1 for none
	open     bool // narrow windows: the details are on show instead of the list
	wide     bool
	root     *fyne.Container

	textWidth               float32 // room for a title on one line of the list
	rowHeight, headerHeight float32
	heights                 map[rowKind]float32
}

// newMasterDetail builds an empty master-detail screen; top, when not nil,
// sits above the list (the search box). UI goroutine.
func newMasterDetail(top fyne.CanvasObject, choose string) *masterDetail {
	md := &masterDetail{status: paragraph(lang.L("Loading…")), selected: -1}
	md.textWidth = rowTextWidth
	md.list = md.newList(nil, -1)
	md.list.Hide()
	md.listSlot = container.NewStack(md.list)
	md.master = container.NewBorder(top, nil, nil, nil,
		md.listSlot, container.NewVScroll(container.NewPadded(md.status)))

	md.back = &widget.Button{Text: lang.L("Back"), Icon: theme.NavigateBackIcon(), OnTapped: md.goBack}
	md.choose = paragraph(choose)
	md.choose.Hide() // until there are entries (setItems)
	md.emptyPage = container.NewPadded(md.choose)
	md.body = container.NewStack(md.emptyPage)
	md.detail = container.NewBorder(container.NewHBox(md.back), nil, nil, nil, md.body)
	md.root = container.New(&splitLayout{md: md}, md.master, widget.NewSeparator(), md.detail)
	md.measureRows()
	md.updateBack()
	return md
}

// newList builds a list of items, with the rows that need it taller. The
// heights are set before the list is first drawn: on a list already on
// screen each SetItemHeight redraws it, which thousands of rows make slow.
func (md *masterDetail) newList(items []listItem, selected int) *widget.List {
	l := widget.NewList(
		func() int { return len(items) },
		func() fyne.CanvasObject { return newRecordRow() },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id >= 0 && id < len(items) {
				o.(*recordRow).set(items[id])
			}
		},
	)
	for i := range items {
		if h := md.measure(&items[i]); h != md.rowHeight {
			l.SetItemHeight(i, h)
		}
	}
	if selected >= 0 {
		l.Select(selected) // before OnSelected: the details are on show already
	}
	l.OnSelected = func(id widget.ListItemID) {
		if id < 0 || id >= len(items) || items[id].header {
			l.Unselect(id)
			return
		}
		md.selected = id
		if md.onSelect != nil {
			md.onSelect(id)
		}
	}
	return l
}

// measureRows finds the heights of plain, partial and header rows, so the
// list can give the few unusual rows their own height.
func (md *masterDetail) measureRows() {
	r := newRecordRow()
	height := func(it listItem) float32 {
		r.set(it)
		return r.MinSize().Height
	}
	md.rowHeight = height(listItem{title: "A", detail: "B"})
	md.heights = map[rowKind]float32{}
	for _, partial := range []bool{false, true} {
		for _, long := range []bool{false, true} {
			for _, source := range []string{"", "C"} {
				for _, sourceLong := range []bool{false, true} {
					for lines := 1; lines <= maxDetailLines; lines++ {
						it := listItem{title: "A", detail: "B", partial: partial, long: long, source: source,
							sourceLong: sourceLong && source != "", detailLines: lines}
						md.heights[kindOf(it)] = height(it)
					}
				}
			}
		}
	}
	md.headerHeight = height(listItem{title: "A", header: true})
}

// rowKind is what a row's height depends on.
type rowKind struct {
	partial, long, source, sourceLong bool
	detailLines                       int
}

func kindOf(it listItem) rowKind {
	lines := max(1, it.detailLines)
	if it.detail == "" {
		lines = 1
	}
	return rowKind{it.partial, it.long, it.source != "", it.sourceLong && it.source != "", lines}
}

// measure sets the lines item needs at the list's width (its title's, its
// source's, its detail's beside its flag) and returns its row's height.
func (md *masterDetail) measure(item *listItem) float32 {
	item.long = needsTwoLines(*item, md.textWidth)
	item.sourceLong = item.source != "" &&
		fyne.MeasureText(item.source, theme.TextSize(), fyne.TextStyle{Italic: true}).Width > md.textWidth
	item.detailLines = detailLines(*item, md.textWidth)
	return md.itemHeight(*item)
}

// itemHeight is the height of item's row.
func (md *masterDetail) itemHeight(item listItem) float32 {
	if item.header {
		return md.headerHeight
	}
	return md.heights[kindOf(item)]
}

// setStatus shows text instead of the list (loading, error, empty).
// UI goroutine.
func (md *masterDetail) setStatus(text string, danger bool) {
	md.status.SetText(text)
	md.status.Importance = widget.MediumImportance
	if danger {
		md.status.Importance = widget.DangerImportance
	}
	md.status.Refresh()
	md.status.Show()
	md.list.Hide()
	md.choose.Hide()
	md.listSlot.Refresh()
	md.master.Refresh()
}

// setItems shows items, or empty when there are none, and clears the
// details. UI goroutine.
func (md *masterDetail) setItems(items []listItem, empty string) {
	md.items = items
	md.list = md.newList(items, -1)
	md.listSlot.Objects = []fyne.CanvasObject{md.list}
	md.clearDetail()
	if len(items) == 0 {
		md.setStatus(empty, false)
		return
	}
	md.status.Hide()
	md.choose.Show()
	md.listSlot.Refresh()
	md.master.Refresh()
}

// setFlag changes the flag of row i ("New", "2 abnormal"), and the row's
// lines with it: its title and detail have the flag's room once it is
// gone (a conversation once read). UI goroutine.
func (md *masterDetail) setFlag(i int, flag string) {
	if i < 0 || i >= len(md.items) || md.list == nil {
		return
	}
	it := &md.items[i]
	it.flag = flag
	md.list.SetItemHeight(widget.ListItemID(i), md.measure(it))
	md.list.RefreshItem(widget.ListItemID(i))
}

// setListWidth tells the list how wide it is: rows whose titles no longer
// need two lines (or now do) get their height again. Called from layout.
// A row is as wide as the list; its labels' text has their inner padding
// on either side. (Changes under a point are not measured again: a text
// then measured to fit may run a fraction of a point into the padding,
// which shows nothing, where one measured not to fit would leave a blank
// line under it.)
func (md *masterDetail) setListWidth(w float32) {
	room := w - 2*theme.InnerPadding()
	if room < 1 || (room > md.textWidth-1 && room < md.textWidth+1) {
		return
	}
	md.textWidth = room
	if len(md.items) == 0 {
		return
	}
	md.list = md.newList(md.items, md.selected)
	md.listSlot.Objects = []fyne.CanvasObject{md.list}
	md.listSlot.Refresh()
}

// openKey is the entry key of the row whose details are on show, or "".
func (md *masterDetail) openKey() string {
	if md.selected < 0 || md.selected >= len(md.items) {
		return ""
	}
	return md.items[md.selected].key
}

// reopen shows the details of the row with entry key again, if the list
// still has it. UI goroutine.
func (md *masterDetail) reopen(key string) {
	if key == "" {
		return
	}
	for i, it := range md.items {
		if it.key == key {
			md.list.Select(i)
			md.list.ScrollTo(i)
			return
		}
	}
}

// showDetail replaces the detail pages with page (an entry was chosen).
// UI goroutine.
func (md *masterDetail) showDetail(page fyne.CanvasObject) {
	md.pages = []fyne.CanvasObject{page}
	md.open = true
	md.showTop()
}

// push shows page on top of the current details (a trend from a lab
// panel); Back returns to the page below. UI goroutine.
func (md *masterDetail) push(page fyne.CanvasObject) {
	md.pages = append(md.pages, page)
	md.open = true
	md.showTop()
}

// hasPage reports whether page is among the detail pages on show.
func (md *masterDetail) hasPage(page fyne.CanvasObject) bool {
	for _, p := range md.pages {
		if p == page {
			return true
		}
	}
	return false
}

func (md *masterDetail) goBack() {
	switch {
	case len(md.pages) > 1:
		md.pages = md.pages[:len(md.pages)-1]
		md.showTop()
	case !md.wide:
		md.clearDetail()
	}
}

// clearDetail leaves no entry chosen. UI goroutine.
func (md *masterDetail) clearDetail() {
	md.selected = -1
	md.pages = nil
	md.open = false
	md.list.UnselectAll()
	md.showTop()
}

func (md *masterDetail) showTop() {
	page := md.emptyPage
	if len(md.pages) > 0 {
		page = md.pages[len(md.pages)-1]
	}
	md.body.Objects = []fyne.CanvasObject{page}
	md.body.Refresh()
	md.updateBack()
	md.root.Refresh()
}

func (md *masterDetail) updateBack() {
	if len(md.pages) > 1 || (!md.wide && md.open) {
		md.back.Show()
	} else {
		md.back.Hide()
	}
}

// splitLayout places a masterDetail's list and details side by side on a
// wide window, or shows one of them on a narrow one.
type splitLayout struct{ md *masterDetail }

func (l *splitLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	md := l.md
	master, sep, detail := objects[0], objects[1], objects[2]
	if wide := size.Width >= wideWidth; wide != md.wide {
		md.wide = wide
		md.updateBack()
	}
	if md.wide {
		listW := min(max(size.Width*0.38, 300), 440)
		md.setListWidth(listW)
		setVisible(master, true)
		setVisible(sep, true)
		setVisible(detail, true)
		master.Move(fyne.NewPos(0, 0))
		master.Resize(fyne.NewSize(listW, size.Height))
		sep.Move(fyne.NewPos(listW, 0))
		sep.Resize(fyne.NewSize(1, size.Height))
		detail.Move(fyne.NewPos(listW+1, 0))
		detail.Resize(fyne.NewSize(size.Width-listW-1, size.Height))
		return
	}
	md.setListWidth(size.Width)
	setVisible(sep, false)
	setVisible(master, !md.open)
	setVisible(detail, md.open)
	for _, o := range []fyne.CanvasObject{master, detail} {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (l *splitLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	m := objects[0].MinSize()
	return fyne.NewSize(min(m.Width, 300), m.Height)
}

func setVisible(o fyne.CanvasObject, visible bool) {
	switch {
	case visible && !o.Visible():
		o.Show()
	case !visible && o.Visible():
		o.Hide()
	}
}

// widthSwitch shows its wide object when it fits the width, else its
// narrow one: the section buttons on a desktop, a drop-down on a phone.
type widthSwitch struct{}

func (widthSwitch) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	narrow, wide := objects[0], objects[1]
	useWide := wide.MinSize().Width <= size.Width
	setVisible(wide, useWide)
	setVisible(narrow, !useWide)
	for _, o := range objects {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (widthSwitch) MinSize(objects []fyne.CanvasObject) fyne.Size {
	n, w := objects[0].MinSize(), objects[1].MinSize()
	return fyne.NewSize(n.Width, max(n.Height, w.Height))
}
