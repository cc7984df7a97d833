package ui

// What keeps screens within a phone's width at a large text size: a
// button, a card heading and a labelled control whose text goes on to
// the next line instead of widening the screen.

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// wrapButton is a button whose text goes on to a second line, or more,
// when the screen is too narrow for it on one. Fyne's own button keeps its
// text on one line and widens the screen to fit it: at a large text size
// (Settings › Appearance) a long one ran off a phone's screen. A Fyne
// button without text lies underneath: it draws the background, and takes
// taps, the focus and the keys, so the button looks and works like the
// others.
type wrapButton struct {
	widget.BaseWidget
	button *widget.Button
	icon   *widget.Icon
	text   *widget.RichText
}

// newWrapButton returns a button with text (and icon, if not nil) that
// calls tapped.
func newWrapButton(text string, icon fyne.Resource, importance widget.Importance, tapped func()) *wrapButton {
	b := &wrapButton{button: &widget.Button{Importance: importance, OnTapped: tapped}}
	if icon != nil {
		b.icon = widget.NewIcon(icon)
	}
	b.text = widget.NewRichText(&widget.TextSegment{Text: text, Style: widget.RichTextStyle{
		Alignment: fyne.TextAlignCenter, ColorName: b.textColour(), SizeName: theme.SizeNameText, Inline: true,
	}})
	b.text.Wrapping = fyne.TextWrapWord
	b.ExtendBaseWidget(b)
	return b
}

// leading makes the button's text start at its leading edge, for a list
// of choices read down its left side (free times), and returns it.
func (b *wrapButton) leading() *wrapButton {
	b.text.Segments[0].(*widget.TextSegment).Style.Alignment = fyne.TextAlignLeading
	return b
}

// textColour is the colour of the text for the button's importance and
// state, as Fyne draws a button's own.
func (b *wrapButton) textColour() fyne.ThemeColorName {
	if b.button.Disabled() {
		return theme.ColorNameDisabled
	}
	switch b.button.Importance {
	case widget.HighImportance:
		return theme.ColorNameForegroundOnPrimary
	case widget.DangerImportance:
		return theme.ColorNameForegroundOnError
	case widget.WarningImportance:
		return theme.ColorNameForegroundOnWarning
	case widget.SuccessImportance:
		return theme.ColorNameForegroundOnSuccess
	}
	return theme.ColorNameForeground
}

// Disable and Enable the button; its text greys out as Fyne's does.
func (b *wrapButton) Disable() { b.button.Disable(); b.restyle() }
func (b *wrapButton) Enable()  { b.button.Enable(); b.restyle() }

// Disabled reports whether the button is disabled.
func (b *wrapButton) Disabled() bool { return b.button.Disabled() }

func (b *wrapButton) restyle() {
	seg := b.text.Segments[0].(*widget.TextSegment)
	seg.Style.ColorName = b.textColour()
	b.text.Refresh()
}

// Text is the button's text.
func (b *wrapButton) Text() string { return b.text.Segments[0].(*widget.TextSegment).Text }

func (b *wrapButton) CreateRenderer() fyne.WidgetRenderer {
	var face fyne.CanvasObject = b.text
	if b.icon != nil {
		face = container.NewBorder(nil, nil, container.NewCenter(b.icon), nil, b.text)
	}
	return &wrapButtonRenderer{b: b, stack: container.NewStack(b.button, container.NewPadded(face))}
}

// wrapNarrowest is the narrowest a wrapButton becomes on a narrow screen
// before its text wraps word by word.
const wrapNarrowest = 120

// wrapButtonRenderer lays the button out as wide as its text on one line
// needs, or as wide as the space it is given when that is less (its text
// then wraps), from the leading edge: place it in a column, not a row.
type wrapButtonRenderer struct {
	b     *wrapButton
	stack *fyne.Container
}

// natural is the size of a Fyne button with the same text and icon.
func (r *wrapButtonRenderer) natural() fyne.Size {
	return (&widget.Button{Text: r.b.Text(), Icon: iconOf(r.b.icon)}).MinSize()
}

func iconOf(i *widget.Icon) fyne.Resource {
	if i == nil {
		return nil
	}
	return i.Resource
}

func (r *wrapButtonRenderer) Layout(size fyne.Size) {
	r.stack.Resize(fyne.NewSize(min(r.natural().Width, size.Width), size.Height))
	r.stack.Move(fyne.NewPos(0, 0))
}

func (r *wrapButtonRenderer) MinSize() fyne.Size {
	n := r.natural()
	return fyne.NewSize(min(n.Width, wrapNarrowest), max(n.Height, r.stack.MinSize().Height))
}

func (r *wrapButtonRenderer) Refresh()                     { r.stack.Refresh() }
func (r *wrapButtonRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.stack} }
func (r *wrapButtonRenderer) Destroy()                     {}

// labelled puts a label before a control (a drop-down, a field) on one
// line when both fit, and the label above the control when they do not (a
// phone at a large text size). width is a first guess of the width it
// gets (the window's), used until its first layout.
func labelled(label string, control fyne.CanvasObject, width float32) *fyne.Container {
	return container.New(&besideOrAbove{width: width}, widget.NewLabel(label), control)
}

// besideOrAbove lays out two objects side by side, the second taking the
// rest of the width, or one above the other when the width is too small.
type besideOrAbove struct {
	// width is the width of the last layout; before the first, a guess
	// (the window's width), so that the first layout has the right height.
	width float32
	// growFirst gives the first object the rest of the width instead of
	// the second, side by side.
	growFirst bool
}

func (l *besideOrAbove) beside(objects []fyne.CanvasObject, width float32) bool {
	return width > 0 && objects[0].MinSize().Width+theme.Padding()+objects[1].MinSize().Width <= width
}

// MinSize is as narrow as one above the other, and as tall as the last
// layout's width makes it.
func (l *besideOrAbove) MinSize(objects []fyne.CanvasObject) fyne.Size {
	a, b := objects[0].MinSize(), objects[1].MinSize()
	width := max(a.Width, b.Width)
	if l.beside(objects, l.width) {
		return fyne.NewSize(width, max(a.Height, b.Height))
	}
	return fyne.NewSize(width, a.Height+theme.Padding()+b.Height)
}

func (l *besideOrAbove) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	l.width = size.Width
	a, b := objects[0].MinSize(), objects[1].MinSize()
	if l.beside(objects, size.Width) {
		first, second := a.Width, size.Width-a.Width-theme.Padding()
		if l.growFirst {
			first, second = size.Width-b.Width-theme.Padding(), b.Width
		}
		objects[0].Move(fyne.NewPos(0, (size.Height-a.Height)/2))
		objects[0].Resize(fyne.NewSize(first, a.Height))
		objects[1].Move(fyne.NewPos(first+theme.Padding(), (size.Height-b.Height)/2))
		objects[1].Resize(fyne.NewSize(second, b.Height))
		return
	}
	objects[0].Move(fyne.NewPos(0, 0))
	objects[0].Resize(fyne.NewSize(size.Width, a.Height))
	objects[1].Move(fyne.NewPos(0, a.Height+theme.Padding()))
	objects[1].Resize(fyne.NewSize(size.Width, b.Height))
}

// newCard is a card whose title and subtitle wrap on to more lines when
// the screen is too narrow for them (Fyne's card keeps each on one line,
// so a title grown with the text size would run off a phone's screen).
// They are drawn as Fyne's: the title as a heading, the subtitle as text;
// both grow with the text size (see carebookTheme.Size). Every card with
// a title is made here.
func newCard(title, subtitle string, content fyne.CanvasObject) *widget.Card {
	var top []fyne.CanvasObject
	if title != "" {
		heading := widget.NewRichText(&widget.TextSegment{Text: title, Style: widget.RichTextStyleSubHeading})
		heading.Segments[0].(*widget.TextSegment).Style.SizeName = theme.SizeNameHeadingText
		heading.Wrapping = fyne.TextWrapWord
		top = append(top, heading)
	}
	if subtitle != "" {
		top = append(top, paragraph(subtitle))
	}
	if content != nil {
		top = append(top, content)
	}
	return widget.NewCard("", "", container.NewVBox(top...))
}

// wrapCheck is a check box whose text goes on to more lines when the
// screen is too narrow for it (Fyne's keeps it on one line). Tapping the
// text ticks the box, as with Fyne's; the box takes the focus and Space.
type wrapCheck struct {
	widget.BaseWidget
	check *widget.Check
	text  *widget.Label
}

// newWrapCheck returns a check box with text that calls changed.
func newWrapCheck(text string, changed func(bool)) *wrapCheck {
	c := &wrapCheck{check: widget.NewCheck("", changed), text: widget.NewLabel(text)}
	c.text.Wrapping = fyne.TextWrapWord
	c.ExtendBaseWidget(c)
	return c
}

// SetChecked ticks or clears the box (calling its OnChanged, as Fyne's).
func (c *wrapCheck) SetChecked(on bool) { c.check.SetChecked(on) }

// Checked reports whether the box is ticked.
func (c *wrapCheck) Checked() bool { return c.check.Checked }

// Text is the check box's text.
func (c *wrapCheck) Text() string { return c.text.Text }

// Tapped on the text ticks or clears the box.
func (c *wrapCheck) Tapped(*fyne.PointEvent) {
	if !c.check.Disabled() {
		c.check.SetChecked(!c.check.Checked)
	}
}

func (c *wrapCheck) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, c.check, nil, c.text))
}
