package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// navTabs holds the shell's tabs. When the window is wide enough, each tab
// shows its icon and its name. When it is not (a phone), the tabs show
// their icons only, in equal cells across the whole width as on a phone,
// so that every tab stays one tap away (and a finger's width) instead of
// hiding behind Fyne's "…" menu; each screen's heading says where one is.
type navTabs struct {
	widget.BaseWidget
	tabs *container.AppTabs
	// phone lays the tabs out as Fyne does on a phone when compact.
	phone   *container.ThemeOverride
	titles  map[*container.TabItem]string
	compact bool
}

func newNavTabs(items ...*container.TabItem) *navTabs {
	n := &navTabs{tabs: container.NewAppTabs(), titles: make(map[*container.TabItem]string)}
	for _, it := range items {
		n.titles[it] = it.Text
	}
	// Fyne's ThemeOverride goes through every widget under it, when made
	// and when first drawn, and empties Fyne's cache of measured text at
	// each: all text shown afterwards was measured and shaped again, and
	// the screens of the tabs were measured several times over. Only the
	// tabs themselves need the override (they ask it whether to lay out
	// as on a phone), so it is made and drawn before they have screens.
	n.phone = container.NewThemeOverride(n.tabs, currentTheme{})
	n.phone.MinSize() // first drawn: its renderer exists
	// The tabs' first layout, at their size, makes their buttons and
	// shows the first screen. SetItems would refresh every screen now, at
	// no size: their text was wrapped at a width it never has, and the
	// screens of the tabs not shown were measured for nothing.
	n.tabs.Items = items
	n.ExtendBaseWidget(n)
	return n
}

// currentTheme is whichever theme the app has now: the phone layout
// changes the tabs' shape, not their look.
type currentTheme struct{}

func (currentTheme) th() fyne.Theme { return fyne.CurrentApp().Settings().Theme() }
func (c currentTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	return c.th().Color(n, v)
}
func (c currentTheme) Font(s fyne.TextStyle) fyne.Resource     { return c.th().Font(s) }
func (c currentTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return c.th().Icon(n) }
func (c currentTheme) Size(n fyne.ThemeSizeName) float32       { return c.th().Size(n) }

// title is a tab's name, also while it shows only its icon.
func (n *navTabs) title(it *container.TabItem) string { return n.titles[it] }

// fit chooses between full and compact tabs for width. UI goroutine.
func (n *navTabs) fit(width float32) {
	if compact := width < n.fullWidth(); compact != n.compact {
		n.compact = compact
		n.relabel()
	}
}

// relabel gives every tab its name, or none in a compact bar. UI
// goroutine.
func (n *navTabs) relabel() {
	for _, it := range n.tabs.Items {
		it.Text = n.titles[it]
		if n.compact {
			it.Text = ""
		}
	}
	n.phone.SetDeviceIsMobile(n.compact || fyne.CurrentDevice().IsMobile())
	n.tabs.Refresh()
}

// fullWidth is the width the tab bar needs to show every tab's icon and
// name: side by side on a desktop, in equal cells on a phone.
func (n *navTabs) fullWidth() float32 {
	pad, inner, icon := theme.Padding(), theme.InnerPadding(), theme.IconInlineSize()
	var sum, widest float32
	for _, it := range n.tabs.Items {
		text := fyne.MeasureText(n.titles[it], theme.TextSize(), fyne.TextStyle{Bold: true}).Width
		w := icon + pad + text + 2*inner
		sum += w + pad
		widest = max(widest, max(text, icon)+2*inner)
	}
	if fyne.CurrentDevice().IsMobile() {
		return max(sum, widest*float32(len(n.tabs.Items)))
	}
	return sum
}

func (n *navTabs) CreateRenderer() fyne.WidgetRenderer { return &navTabsRenderer{n: n} }

type navTabsRenderer struct{ n *navTabs }

func (r *navTabsRenderer) Layout(size fyne.Size) {
	r.n.fit(size.Width)
	r.n.phone.Move(fyne.NewPos(0, 0))
	r.n.phone.Resize(size)
}

func (r *navTabsRenderer) MinSize() fyne.Size           { return r.n.phone.MinSize() }
func (r *navTabsRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.n.phone} }
func (r *navTabsRenderer) Refresh()                     { r.n.phone.Refresh() }
func (r *navTabsRenderer) Destroy()                     {}
