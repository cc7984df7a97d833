package ui

import (
	"context"
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/storage"
)

// addProfileChoice is the last entry of the profile switcher.
func addProfileChoice() string { return lang.L("Add a family member or practice…") }

// progressInterval throttles sync progress on screen (about 30 a second
// at most, as STYLE.md asks; a few a second reads better).
const progressInterval = 200 * time.Millisecond

// shell is the signed-in screen: whose record (the profile switcher), the
// sync state, and the sections of the app for that profile.
type shell struct {
	u        *UI
	profiles []app.ProfileInfo
	current  app.ProfileInfo

	switcher *widget.Select
	syncBtn  *widget.Button
	lockBtn  *widget.Button
	status   *widget.Label
	banner   *widget.Label      // offline / sign-in needed, hidden otherwise
	signIn   *widget.Button     // shown with the sign-in banner
	frame    *fyne.Container    // the whole screen: header above the tabs
	nav      *navTabs           // the tabs, named in full or compact
	tabs     *container.AppTabs // nav's tabs

	// reloadAccess refreshes the settings' list of who can see the record.
	reloadAccess func()
	// reloadActivity refreshes the settings' activity list.
	reloadActivity func()

	dashboard   *dashboardView
	record      *recordView
	recordTab   *container.TabItem
	messages    *messagesView
	messagesTab *container.TabItem
	settingsTab *container.TabItem
	requests    *requestsView
	requestsTab *container.TabItem
	details     *detailsView // "Your details", once opened
	// movedTo is where the practice said it moved ("" if it did not):
	// the sign-in button then signs in there.
	movedTo string
}

// showUnlockedHome shows the shell of the first profile, or the connect
// screen when there is none yet. UI goroutine.
func (u *UI) showUnlockedHome() {
	background(u.newScreenContext(), u.core.Profiles, func(ps []app.ProfileInfo, err error) {
		switch {
		case err != nil:
			u.showScreen(func() fyne.CanvasObject {
				return messageScreen(lang.L("Carebook cannot read its data"), humanStorageError(err))
			})
		case len(ps) == 0:
			u.showScreen(func() fyne.CanvasObject { return u.connectScreen(nil) })
		default:
			u.showShell(ps, firstOpen(ps))
		}
	})
}

// firstOpen is the id of the first profile that is not closed by its own
// lock, else of the first one.
func firstOpen(ps []app.ProfileInfo) string {
	for _, p := range ps {
		if !p.Closed {
			return p.ID
		}
	}
	return ps[0].ID
}

// showUnlockedHomeAt shows the shell of profile id, reading the profiles
// again (one was added or closed), or the first one when id is gone. UI
// goroutine.
func (u *UI) showUnlockedHomeAt(id string) {
	background(u.newScreenContext(), u.core.Profiles, func(ps []app.ProfileInfo, err error) {
		switch {
		case err != nil:
			u.showScreen(func() fyne.CanvasObject {
				return messageScreen(lang.L("Carebook cannot read its data"), humanStorageError(err))
			})
		case len(ps) == 0:
			u.showScreen(func() fyne.CanvasObject { return u.connectScreen(nil) })
		default:
			u.showShell(ps, id)
		}
	})
}

// top is the shell's first line: whose record it is (their badge and the
// switcher, one tap away on every screen), then update and lock (on a line
// of their own when the screen is too narrow: a phone at a large text
// size). UI goroutine.
func (s *shell) top() fyne.CanvasObject {
	return container.New(&besideOrAbove{growFirst: true, width: s.u.win.Canvas().Size().Width},
		container.NewBorder(nil, nil, badge(s.current, 36), nil, s.switcher),
		container.NewHBox(s.syncBtn, s.lockBtn))
}

// notices tells of records removed because their access ended, with a
// button that clears them; nil when there is none. UI goroutine.
func (s *shell) notices() fyne.CanvasObject {
	list := s.u.core.EndedNotices()
	if len(list) == 0 {
		return nil
	}
	var lines []string
	for _, n := range list {
		lines = append(lines, n.Text())
	}
	text := paragraph(strings.Join(lines, "\n"))
	text.Importance = widget.WarningImportance
	var box *fyne.Container
	ok := &widget.Button{Text: lang.L("OK"), OnTapped: func() {
		s.u.core.DismissEndedNotices()
		box.Hide()
	}}
	box = container.NewVBox(text, container.NewHBox(ok))
	return box
}

// showShell shows the shell for profile id among ps. UI goroutine.
func (u *UI) showShell(ps []app.ProfileInfo, id string) {
	s := &shell{u: u, profiles: ps}
	for _, p := range ps {
		if p.ID == id {
			s.current = p
		}
	}
	if s.current.ID == "" {
		s.current = ps[0]
	}
	u.showScreen(s.build)
	u.shell = s
	if s.current.Closed {
		u.startBackgroundSync() // for the others: it passes this one by
		return
	}
	if s.current.Ended {
		return
	}
	s.dashboard.Refresh()
	s.sync()
	u.startBackgroundSync()
}

// build creates the shell's widgets. UI goroutine.
func (s *shell) build() fyne.CanvasObject {
	u := s.u
	names, ids := profileChoices(s.profiles)
	names = append(names, addProfileChoice())
	s.switcher = widget.NewSelect(names, nil)
	for i, id := range ids {
		if id == s.current.ID {
			s.switcher.SetSelected(names[i])
		}
	}
	s.switcher.OnChanged = func(choice string) {
		u.core.Touch()
		if choice == addProfileChoice() {
			u.showScreen(func() fyne.CanvasObject {
				return u.connectScreen(func() { u.showShell(s.profiles, s.current.ID) })
			})
			return
		}
		for i, name := range names[:len(ids)] {
			if name == choice && ids[i] != s.current.ID {
				u.showShell(s.profiles, ids[i])
				return
			}
		}
	}

	s.syncBtn = &widget.Button{Icon: theme.ViewRefreshIcon(), OnTapped: func() { u.core.Touch(); s.sync() }}
	s.lockBtn = &widget.Button{Text: lang.L("Lock"), OnTapped: u.lockNow}
	s.status = widget.NewLabel(s.statusText(lastSyncText(s.current.LastSync, time.Now())))
	s.status.Wrapping = fyne.TextWrapWord
	s.status.SizeName = theme.SizeNameCaptionText
	s.banner = widget.NewLabel("")
	s.banner.Wrapping = fyne.TextWrapWord
	s.banner.Importance = widget.WarningImportance
	s.banner.Hide()
	s.signIn = &widget.Button{Text: lang.L("Sign in again"), Importance: widget.HighImportance, OnTapped: s.onSignIn}
	s.signIn.Hide()
	if s.current.NeedsSignIn && !s.current.Ended {
		s.showSignIn()
	}
	if s.current.MovedTo != "" && !s.current.Ended && !s.current.Closed {
		s.showMoved(s.current.MovedTo)
	}

	header := container.NewVBox(s.top(), s.status, s.banner, container.NewHBox(s.signIn))
	if n := s.notices(); n != nil {
		header.Add(n)
	}
	if s.current.Closed {
		// Its own lock is closed: nothing of it can be read until its
		// passphrase opens it.
		s.syncBtn.Disable()
		s.frame = container.NewBorder(container.NewPadded(header), nil, nil, nil, s.closedView())
		return s.frame
	}
	if s.current.Ended {
		// Nothing more reaches or comes from the practice: the record is
		// closed, and what was not sent is shown before it goes.
		s.syncBtn.Disable()
		s.frame = container.NewBorder(container.NewPadded(header), nil, nil, nil, s.endedView())
		return s.frame
	}

	s.dashboard = newDashboardView(u.ctx, u.core, s.current.ID, s.openSection)
	// The record is built when first opened: decoding a long record must
	// not compete with the dashboard for the CPU right after unlock.
	s.recordTab = container.NewTabItemWithIcon(lang.L("Health record"), theme.DocumentIcon(), container.NewStack())
	s.messagesTab = container.NewTabItemWithIcon(lang.L("Messages"), theme.MailComposeIcon(), container.NewStack())
	s.settingsTab = container.NewTabItemWithIcon(lang.L("Settings"), theme.SettingsIcon(), container.NewStack(s.settingsView()))
	s.requests = newRequestsView(u.ctx, u.core, s.current.ID)
	s.requests.openSection = s.openSectionList
	s.dashboard.openRequests = s.openRequests
	s.requestsTab = container.NewTabItemWithIcon(lang.L("Requests"), theme.MailSendIcon(), s.requests.CanvasObject())
	s.nav = newNavTabs(
		container.NewTabItemWithIcon(lang.L("Home"), theme.HomeIcon(), s.dashboard.CanvasObject()),
		s.recordTab,
		s.messagesTab,
		s.requestsTab,
		s.settingsTab,
	)
	s.tabs = s.nav.tabs
	if fyne.CurrentDevice().IsMobile() {
		s.tabs.SetTabLocation(container.TabLocationBottom)
	}
	s.tabs.OnSelected = func(it *container.TabItem) {
		u.core.Touch()
		switch it {
		case s.recordTab:
			s.ensureRecord()
		case s.requestsTab:
			s.requests.Refresh()
		}
		if it == s.messagesTab {
			s.ensureMessages()
			s.messages.Shown()
		}
	}

	s.frame = container.NewBorder(container.NewPadded(header), nil, nil, nil, s.nav)
	return s.frame
}

// relayout lays the screen out again after the banner or the sign-in
// button appeared or went: the header's height changed. UI goroutine.
func (s *shell) relayout() {
	if s.frame == nil {
		return
	}
	// Only the frame's own layout changes with the banner: lay the frame
	// out again rather than refresh every screen inside it, which would
	// measure all their text again (after every sync). Twice: a banner
	// shown just now knows how many lines it wraps to only once it has its
	// width, and with its true height the sign-in button does not overlap
	// the tabs.
	for range 2 {
		s.frame.Layout.Layout(s.frame.Objects, s.frame.Size())
	}
	canvas.Refresh(s.frame)
}

// openSection shows a section of the health record, or "messages" the
// Messages screen. UI goroutine.
func (s *shell) openSection(section string) {
	s.u.core.Touch()
	if section == "messages" {
		s.tabs.Select(s.messagesTab)
		s.ensureMessages()
		return
	}
	s.tabs.Select(s.recordTab)
	s.ensureRecord()
	s.record.ShowSection(section)
}

// openSectionList shows a section of the health record at the top of its
// list, not at an entry opened earlier (whose details may have changed
// since: a renewed prescription is a new entry). UI goroutine.
func (s *shell) openSectionList(section string) {
	s.openSection(section)
	if cur := s.record.current; cur != nil && cur.def.name == section && cur.md != nil {
		cur.md.clearDetail()
		cur.md.list.ScrollToTop()
	}
}

// openRequests shows the Requests screen. UI goroutine.
func (s *shell) openRequests() {
	s.u.core.Touch()
	s.tabs.Select(s.requestsTab)
	s.requests.showList()
}

// ensureRecord builds the record view on first use. UI goroutine.
func (s *shell) ensureRecord() {
	if s.record != nil {
		return
	}
	s.record = newRecordView(s.u.core, s.current, s.u.win)
	s.record.ask = s.askAbout
	s.record.askBill = s.askAboutBill
	s.record.openRequests = s.openRequests
	stack := s.recordTab.Content.(*fyne.Container)
	stack.Objects = []fyne.CanvasObject{s.record.CanvasObject()}
	stack.Refresh()
}

// ensureMessages builds the Messages screen on first use. UI goroutine.
func (s *shell) ensureMessages() {
	if s.messages != nil {
		return
	}
	s.messages = newMessagesView(s.u.ctx, s.u.core, s.current.ID, s.u.win)
	s.messages.onChange = s.dashboard.Refresh
	stack := s.messagesTab.Content.(*fyne.Container)
	stack.Objects = []fyne.CanvasObject{s.messages.CanvasObject()}
	stack.Refresh()
	s.messages.Refresh()
}

// showDetails shows "Your details" in the Settings tab, with a way back to
// the settings. UI goroutine.
func (s *shell) showDetails() {
	s.u.core.Touch()
	s.tabs.Select(s.settingsTab)
	stack := s.settingsTab.Content.(*fyne.Container)
	if s.details != nil && len(stack.Objects) == 1 && stack.Objects[0] == s.details.root {
		return // on show already
	}
	settings := stack.Objects[0]
	s.details = newDetailsView(s.u.ctx, s.u.core, s.current.ID, whose(s.current), func() {
		stack.Objects = []fyne.CanvasObject{settings}
		stack.Refresh()
	})
	stack.Objects = []fyne.CanvasObject{s.details.root}
	stack.Refresh()
	s.details.Refresh()
}

// askAboutBill opens a new message to the billing office about a
// statement. UI goroutine.
func (s *shell) askAboutBill(ref string) {
	s.tabs.Select(s.messagesTab)
	s.ensureMessages()
	s.messages.AskAboutBill(ref)
}

// askAbout opens a new message about a result or report. UI goroutine.
func (s *shell) askAbout(ref string) {
	s.tabs.Select(s.messagesTab)
	s.ensureMessages()
	s.messages.AskAbout(ref)
}

// signInText asks the patient to sign in again.
func signInText() string {
	return lang.L("Your practice needs you to sign in again before Carebook can update this record. What you saved is still here, and nothing you wrote is lost.")
}

func (s *shell) showBanner(text string) {
	s.banner.SetText(text)
	s.banner.Show()
	s.relayout()
}

// hideBanner hides the banner and the sign-in button. UI goroutine.
func (s *shell) hideBanner() {
	if !s.banner.Visible() && !s.signIn.Visible() {
		return // nothing to hide: every sync ends here
	}
	s.banner.Hide()
	s.signIn.Hide()
	s.relayout()
}

func (s *shell) showSignIn() {
	s.movedTo = ""
	s.signIn.SetText(lang.L("Sign in again"))
	s.signIn.Show()
	s.showBanner(signInText())
}

// signInAgain renews the profile's access, then syncs. UI goroutine.
func (s *shell) signInAgain() {
	s.u.core.Touch()
	s.signIn.Disable()
	s.showBanner(lang.L("Opening your practice's sign-in page in your browser… Come back here when you have signed in."))
	id := s.current.ID
	background(s.u.ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.u.core.SignInAgain(ctx, id)
	}, func(_ struct{}, err error) {
		s.signIn.Enable()
		switch {
		case errors.Is(err, app.ErrAccessEnded):
			// The practice no longer opens this record to this user: the
			// closed record shows what was not sent, and the choices.
			s.u.showUnlockedHomeAt(s.current.ID)
			return
		case errors.Is(err, app.ErrOtherRecord):
			s.showBanner(lang.L("That sign-in opened another person's record. This record still needs a sign-in with its own account."))
			return
		case err != nil:
			s.showBanner(humanConnectError(err))
			return
		}
		s.hideBanner()
		s.sync()
	})
}

// sync starts a sync of the current profile; progress and the outcome
// arrive as events (see onEvent). UI goroutine.
func (s *shell) sync() {
	s.syncBtn.Disable()
	s.status.SetText(s.statusText(lang.L("Updating…")))
	id := s.current.ID
	background(s.u.ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.u.core.Sync(ctx, id)
	}, func(_ struct{}, err error) {
		s.syncBtn.Enable()
		now := time.Now()
		switch {
		case err == nil:
			s.current.LastSync = now
			s.status.SetText(s.statusText(lastSyncText(now, now)))
			if s.details != nil {
				// What the practice publishes (which details it lets
				// patients change, who to ask) is read at the end of a sync.
				s.details.RecordChanged()
			}
			s.hideBanner()
		case errors.Is(err, app.ErrSyncRunning):
		case errors.Is(err, app.ErrAccessEnded):
			s.u.showUnlockedHomeAt(s.current.ID)
		case errors.Is(err, app.ErrPracticeMoved):
			s.status.SetText(s.statusText(lastSyncText(s.current.LastSync, now)))
			s.showMoved(app.PracticeMovedTo(err))
		case errors.Is(err, app.ErrOffline):
			s.status.SetText(s.statusText(lastSyncText(s.current.LastSync, now)))
			s.showBanner(lang.L("You're offline, or your practice can't be reached. You're reading your record as it was {{.When}}.",
				map[string]any{"When": savedWhen(s.current.LastSync, now)}))
		case errors.Is(err, app.ErrNeedsSignIn):
			s.status.SetText(s.statusText(lastSyncText(s.current.LastSync, now)))
			s.showSignIn()
		case errors.Is(err, storage.ErrDiskFull):
			s.status.SetText(s.statusText(lastSyncText(s.current.LastSync, now)))
			s.showBanner(lang.L("Your device is out of space, so Carebook could not save what your practice sent. What you saved before is safe. Free some space, then press refresh."))
		default:
			s.status.SetText(s.statusText(lastSyncText(s.current.LastSync, now)))
			s.showBanner(lang.L("Carebook couldn't update this record just now. It will try again. You're reading it as it was {{.When}}.",
				map[string]any{"When": savedWhen(s.current.LastSync, now)}))
		}
	})
}

// onEvent applies a core event to the shell. UI goroutine.
func (s *shell) onEvent(ev app.Event) {
	if s.current.Ended || s.current.Closed {
		if ev, ok := ev.(app.AccessEnded); ok && ev.ProfileID != s.current.ID {
			s.u.showUnlockedHomeAt(s.current.ID)
		}
		return // a closed record neither syncs nor changes
	}
	switch ev := ev.(type) {
	case app.SyncProgress:
		if ev.ProfileID != s.current.ID {
			return
		}
		text := lang.L("Updating…")
		if ev.Type != "" {
			f := map[string]any{"What": typeLabel(ev.Type), "Done": ev.Done, "Total": ev.Total}
			text = lang.L("Updating {{.What}}… {{.Done}}", f)
			if ev.Total > 0 {
				text = lang.L("Updating {{.What}}… {{.Done}} of {{.Total}}", f)
			}
		}
		s.status.SetText(s.statusText(text))
	case app.SyncFinished:
		// Whoever started the sync (this screen, the app on unlock, the
		// command line's lock holder), the status line no longer says
		// "Updating…" once it ended. Banners are the starter's business.
		if ev.ProfileID != s.current.ID || errors.Is(ev.Err, app.ErrSyncRunning) {
			return
		}
		now := time.Now()
		if ev.Err == nil {
			s.current.LastSync = now
		}
		s.status.SetText(s.statusText(lastSyncText(s.current.LastSync, now)))
	case app.RecordChanged:
		if ev.ProfileID == s.current.ID {
			if s.reloadAccess != nil {
				s.reloadAccess()
			}
			if s.reloadActivity != nil {
				s.reloadActivity()
			}
			s.dashboard.Refresh()
			if s.details != nil {
				s.details.RecordChanged()
			}
			if s.record != nil {
				s.record.Refresh()
			}
			if s.messages != nil {
				s.messages.Refresh()
			}
			s.requests.Refresh()
		}
	case app.OutboxChanged, app.MessagesChanged:
		// What the patient wrote moved (stored, sent, refused): its state
		// and the dashboard's counts change.
		if profileOf(ev) == s.current.ID {
			s.dashboard.Refresh()
			if s.messages != nil {
				s.messages.Refresh()
			}
			s.requests.Refresh()
		}
	case app.AccessEnded:
		if ev.ProfileID != s.current.ID {
			// Another person's record closed: the switcher and the
			// notice change; the record on show stays.
			s.u.showUnlockedHomeAt(s.current.ID)
		}
	case app.SeenChanged:
		// Messages read or results looked at are no longer new.
		if ev.ProfileID == s.current.ID {
			s.dashboard.Refresh()
		}
	}
}

// profileOf is the profile an outbox or messages event is about.
func profileOf(ev app.Event) string {
	switch ev := ev.(type) {
	case app.OutboxChanged:
		return ev.ProfileID
	case app.MessagesChanged:
		return ev.ProfileID
	}
	return ""
}

// profileChoices lists the profiles for the switcher, with their ids: the
// patient's name, with the practice only when the same name appears more
// than once (the status line names the practice of the profile on show,
// and a short entry keeps the switcher narrow on a phone).
func profileChoices(ps []app.ProfileInfo) (names, ids []string) {
	short, full := make(map[string]int), make(map[string]int)
	for _, p := range ps {
		short[personLine(p)]++
		full[fullPersonLine(p)]++
	}
	for _, p := range ps {
		name := personLine(p)
		if short[name] > 1 {
			name = fullPersonLine(p)
		}
		if full[fullPersonLine(p)] > 1 {
			name += " (" + p.Practice + ")"
		}
		if p.Closed {
			name = lang.L("{{.Name}} · locked, tap to open", map[string]any{"Name": name})
		}
		names = append(names, name)
		ids = append(ids, p.ID)
	}
	return names, ids
}

// statusText is the status line: the practice and how fresh the record is.
func (s *shell) statusText(freshness string) string {
	if s.current.Practice == "" {
		return freshness
	}
	return s.current.Practice + " · " + freshness
}

// lastSyncText says how fresh the record is.
func lastSyncText(last, now time.Time) string {
	if last.IsZero() {
		return lang.L("Not updated yet")
	}
	return lang.L("Updated {{.When}}", map[string]any{"When": ago(last, now)})
}

func savedWhen(last, now time.Time) string {
	if last.IsZero() {
		return lang.L("when you connected")
	}
	return lang.L("last updated {{.When}}", map[string]any{"When": ago(last, now)})
}

// ago is "just now", "5 minutes ago", "3 hours ago", "on 4 Mar".
func ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return lang.L("just now")
	case d < time.Hour:
		n := int(d / time.Minute)
		return lang.N("{{.Count}} minutes ago", n, map[string]any{"Count": n})
	case d < 24*time.Hour:
		n := int(d / time.Hour)
		return lang.N("{{.Count}} hours ago", n, map[string]any{"Count": n})
	case t.Year() == now.Year():
		return lang.L("on {{.Date}}", map[string]any{"Date": appLocale().DayMonth(t.Local())})
	default:
		return lang.L("on {{.Date}}", map[string]any{"Date": appLocale().Date(t.Local())})
	}
}

// typeLabel names a FHIR resource type for people.
func typeLabel(typ string) string {
	switch typ {
	case "Observation":
		return lang.L("results")
	case "DiagnosticReport":
		return lang.L("reports")
	case "MedicationRequest":
		return lang.L("medications")
	case "AllergyIntolerance":
		return lang.L("allergies")
	case "Condition":
		return lang.L("conditions")
	case "Immunization":
		return lang.L("immunizations")
	case "Encounter":
		return lang.L("visits")
	case "DocumentReference":
		return lang.L("documents")
	case "Communication":
		return lang.L("messages")
	case "Appointment":
		return lang.L("appointments")
	case "everything":
		return lang.L("your record")
	default:
		return lang.L("records")
	}
}
