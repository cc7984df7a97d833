package ui

// "Who looked at my record": the practice's own log of who opened or
// changed the patient's record (app.WhoLookedAtMyRecord), read live when
// the screen opens, newest first. The screen follows load(ctx) →
// apply(viewModel).

import (
	"context"
	"errors"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
)

// whoCard is the Settings card that opens the list. UI goroutine.
func (s *shell) whoCard() fyne.CanvasObject {
	open := newWrapButton(lang.L("Who looked at my record"), theme.VisibilityIcon(), widget.MediumImportance, s.showWho)
	return newCard(lang.L("Who looked at my record"), "", newColumn(0, false,
		paragraph(lang.L("Your practice's own record of who opened or changed your record: your doctor and the practice's staff, you, and anyone you gave access. Carebook asks the practice each time, so you need to be online.")),
		open))
}

// whoViewModel is what the screen shows.
type whoViewModel struct {
	lines []string
	now   time.Time
}

// showWho shows the list in the Settings tab, with a way back. UI
// goroutine.
func (s *shell) showWho() {
	u := s.u
	u.core.Touch()
	stack := s.settingsTab.Content.(*fyne.Container)
	settings := stack.Objects[0]
	ctx, cancel := context.WithCancel(u.ctx)
	back := &widget.Button{Text: lang.L("Back"), Icon: theme.NavigateBackIcon(), Importance: widget.LowImportance, OnTapped: func() {
		u.core.Touch()
		cancel()
		stack.Objects = []fyne.CanvasObject{settings}
		stack.Refresh()
	}}
	title := paragraph(lang.L("Who looked at my record"))
	title.TextStyle = fyne.TextStyle{Bold: true}
	title.SizeName = theme.SizeNameSubHeadingText
	body := newColumn(0, false, paragraph(lang.L("Asking your practice…")))
	stack.Objects = []fyne.CanvasObject{container.NewVScroll(container.NewPadded(newColumn(640, false,
		container.NewHBox(back), title,
		paragraph(lang.L("Newest first, as your practice records it.")), body)))}
	stack.Refresh()
	id := s.current.ID
	background(ctx, func(ctx context.Context) (whoViewModel, error) {
		list, err := u.core.WhoLookedAtMyRecord(ctx, id)
		vm := whoViewModel{now: time.Now()}
		for _, ra := range list {
			vm.lines = append(vm.lines, ra.Line(vm.now))
		}
		return vm, err
	}, func(vm whoViewModel, err error) {
		body.Objects = s.whoRows(vm, err)
		body.Refresh()
	})
}

// whoRows are the lines of the list, or what to say instead. UI goroutine.
func (s *shell) whoRows(vm whoViewModel, err error) []fyne.CanvasObject {
	if err != nil {
		objs := []fyne.CanvasObject{paragraph(app.WhoMessage(err))}
		if errors.Is(err, app.ErrAuditNeedsSignIn) || errors.Is(err, app.ErrNeedsSignIn) {
			objs = append(objs, container.NewHBox(&widget.Button{Text: lang.L("Sign in again"), OnTapped: s.signInAgain}))
		}
		return objs
	}
	if len(vm.lines) == 0 {
		return []fyne.CanvasObject{paragraph(lang.L("Your practice has recorded nobody looking at your record yet."))}
	}
	var objs []fyne.CanvasObject
	for _, l := range vm.lines {
		objs = append(objs, paragraph(l))
	}
	return objs
}
