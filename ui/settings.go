package ui

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/storage"
)

// prefIdleMinutes keeps the idle lock delay in Fyne's preferences (it is
// not patient data).
const prefIdleMinutes = "idle_lock_minutes"

// idleChoices are the idle lock delays offered, in minutes.
var idleChoices = []int{1, 2, 5, 15, 30, 60}

// idleLabel names an idle lock delay: "5 minutes", "1 hour".
func idleLabel(minutes int) string {
	if minutes == 60 {
		return lang.L("1 hour")
	}
	return lang.N("{{.Count}} minutes", minutes, map[string]any{"Count": minutes})
}

// prefBackgroundSeconds keeps, on phones, how long Carebook may sit in the
// background before it locks ("at once" is stored as -1: 0 is "not set").
const prefBackgroundSeconds = "background_lock_seconds"

// selectOne is what a drop-down shows before a choice (Fyne's own words
// are not translated).
func selectOne() string { return lang.L("(Select one)") }

// backgroundChoices are the background lock delays offered on phones, in
// seconds (-1 is at once).
var backgroundChoices = []int{-1, 60, 300, 900}

// backgroundLabel names a background lock delay: "At once", "After 5 minutes".
func backgroundLabel(seconds int) string {
	if seconds < 0 {
		return lang.L("At once")
	}
	n := seconds / 60
	return lang.N("After {{.Count}} minutes", n, map[string]any{"Count": n})
}

// applySavedIdleTimeout gives the core the delays the user chose earlier.
// UI goroutine.
func (u *UI) applySavedIdleTimeout() {
	if m := u.fyneApp.Preferences().Int(prefIdleMinutes); m > 0 {
		u.core.SetIdleTimeout(time.Duration(m) * time.Minute)
	}
	if sec := u.fyneApp.Preferences().Int(prefBackgroundSeconds); sec != 0 {
		u.core.SetBackgroundGrace(time.Duration(max(sec, 0)) * time.Second)
	}
}

// backgroundLockSelect offers the background lock's grace period (phones).
// UI goroutine.
func (u *UI) backgroundLockSelect() *widget.Select {
	labels := make([]string, len(backgroundChoices))
	current := ""
	for i, sec := range backgroundChoices {
		labels[i] = backgroundLabel(sec)
		if time.Duration(max(sec, 0))*time.Second == u.core.BackgroundGrace() {
			current = labels[i]
		}
	}
	sel := widget.NewSelect(labels, nil)
	sel.PlaceHolder = selectOne()
	sel.SetSelected(current)
	sel.OnChanged = func(label string) {
		for i, sec := range backgroundChoices {
			if labels[i] == label {
				u.fyneApp.Preferences().SetInt(prefBackgroundSeconds, sec)
				u.core.SetBackgroundGrace(time.Duration(max(sec, 0)) * time.Second)
			}
		}
	}
	return sel
}

// settingsView is the Settings tab: the lock, the passphrase, and the
// practices and family members on this device. UI goroutine.
func (s *shell) settingsView() fyne.CanvasObject {
	u := s.u

	// Lock after.
	labels := make([]string, len(idleChoices))
	current := ""
	for i, m := range idleChoices {
		labels[i] = idleLabel(m)
		if time.Duration(m)*time.Minute == u.core.IdleTimeout() {
			current = labels[i]
		}
	}
	idle := widget.NewSelect(labels, nil)
	idle.PlaceHolder = selectOne() // a delay not offered here (set elsewhere)
	idle.SetSelected(current)
	idle.OnChanged = func(label string) {
		for i, m := range idleChoices {
			if labels[i] == label {
				u.fyneApp.Preferences().SetInt(prefIdleMinutes, m)
				u.core.SetIdleTimeout(time.Duration(m) * time.Minute)
			}
		}
	}

	// Passphrase.
	old := widget.NewPasswordEntry()
	old.SetPlaceHolder(lang.L("Current passphrase"))
	next := widget.NewPasswordEntry()
	next.SetPlaceHolder(lang.L("New passphrase"))
	confirm := widget.NewPasswordEntry()
	confirm.SetPlaceHolder(lang.L("New passphrase again"))
	passResult := errorText()
	passDone := paragraph("")
	passDone.Hide()
	var change *widget.Button
	change = &widget.Button{Text: lang.L("Change passphrase"), OnTapped: func() {
		u.core.Touch()
		switch {
		case next.Text == "" || app.CheckPassphrase(next.Text) != nil:
			showError(passResult, lang.L("Please use at least {{.Count}} characters.", map[string]any{"Count": minPassphraseLength}))
			return
		case next.Text != confirm.Text:
			showError(passResult, lang.L("The two new passphrases are not the same."))
			return
		}
		passResult.Hide()
		passDone.Hide()
		change.Disable()
		o, n := old.Text, next.Text
		background(u.ctx, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, u.core.ChangePassphrase(ctx, o, n)
		}, func(_ struct{}, err error) {
			change.Enable()
			if err != nil {
				if app.IsWrongPassphrase(err) {
					showError(passResult, lang.L("The current passphrase is not right."))
				} else {
					showError(passResult, lang.L("The passphrase could not be changed.")+" "+humanStorageError(err))
				}
				return
			}
			old.SetText("")
			next.SetText("")
			confirm.SetText("")
			passDone.SetText(lang.L("Your passphrase was changed."))
			passDone.Show()
		})
	}}

	// Practices and family members.
	people := container.NewVBox()
	for _, p := range s.profiles {
		p := p
		line := container.NewBorder(nil, nil, badge(p, 28), nil, paragraph(personLine(p)+" · "+p.Practice))
		if p.Closed {
			// Nothing of it can be read or removed until it is opened.
			people.Add(newColumn(0, false, line, paragraph(lang.L("Locked with its own passphrase: choose it in the switcher to open it."))))
			continue
		}
		remove := newWrapButton(lang.L("Remove from this device"), nil, widget.DangerImportance, func() {
			u.core.Touch()
			msg := lang.L("Remove {{.Name}}'s record from this device? Carebook destroys its key first, so nothing of it can be read again here. The practice keeps its own record; you can connect again later.",
				map[string]any{"Name": p.Label})
			dialog.ShowConfirm(lang.L("Remove this record?"), msg, func(ok bool) {
				if !ok {
					return
				}
				s.removeProfile(p, app.RemoveOptions{})
			}, u.win)
		})
		var repair *wrapButton
		repair = newWrapButton(lang.L("Check and download again"), nil, widget.MediumImportance, func() {
			u.core.Touch()
			msg := lang.L("Carebook checks every part of {{.Name}}'s record on this device, removes what cannot be read, and downloads the record again from the practice. What you wrote and have not sent is kept.",
				map[string]any{"Name": p.Label})
			dialog.ShowConfirm(lang.L("Check this record?"), msg, func(ok bool) {
				if !ok {
					return
				}
				repair.Disable()
				background(u.ctx, func(ctx context.Context) (storage.RepairReport, error) {
					return u.core.RepairRecord(ctx, p.ID)
				}, func(rep storage.RepairReport, err error) {
					repair.Enable()
					dialog.ShowInformation(lang.L("Record checked"), repairSummary(p.Label, rep, err), u.win)
				})
			}, u.win)
		})
		entry := []fyne.CanvasObject{line}
		if links := practiceLinks(s.u.win, p); links != nil {
			entry = append(entry, links)
		}
		people.Add(newColumn(0, false, append(entry, remove, repair)...))
	}
	add := newWrapButton(lang.L("Add a family member or practice"), nil, widget.MediumImportance, func() {
		u.showScreen(func() fyne.CanvasObject {
			return u.connectScreen(func() { u.showShell(s.profiles, s.current.ID) })
		})
	})

	lock := newColumn(0, false,
		paragraph(lang.L("Carebook locks itself when you haven't used it for a while, and drops its keys from memory.")),
		labelled(lang.L("Lock after"), idle, u.win.Canvas().Size().Width),
	)
	if u.mobile {
		lock.Add(paragraph(lang.L("It also locks when you leave it for another app:")))
		lock.Add(labelled(lang.L("In the background"), u.backgroundLockSelect(), u.win.Canvas().Size().Width))
	}
	detailsTitle := lang.L("Your details")
	detailsText := lang.L("Your address, phone, e-mail, language, emergency contact and preferred pharmacy, as your practice keeps them.")
	detailsButton := lang.L("View and change your details")
	if name := whose(s.current); name != "" {
		f := map[string]any{"Name": name}
		detailsTitle = lang.L("{{.Name}}'s details", f)
		detailsText = lang.L("{{.Name}}'s address, phone, e-mail, language, emergency contact and preferred pharmacy, as the practice keeps them.", f)
		detailsButton = lang.L("View and change {{.Name}}'s details", f)
	}
	details := newWrapButton(detailsButton, theme.AccountIcon(), widget.MediumImportance, s.showDetails)
	return container.NewVScroll(container.NewPadded(newColumn(640, false,
		newCard(detailsTitle, s.current.Label, newColumn(0, false, paragraph(detailsText), details)),
		newCard(lang.L("Lock"), "", lock),
		u.appearanceCard(),
		s.notificationsCard(),
		newCard(lang.L("Passphrase"), "", newColumn(0, false, old, next, confirm, passResult, passDone, container.NewHBox(change))),
		s.ownLockCard(),
		s.movedCard(),
		newCard(lang.L("Records"), lang.L("Practices and family members"), newColumn(0, false, people, add)),
		s.keysCard(),
		s.accessCard(),
		newCard(lang.L("This device"), "", paragraph(lang.L("Carebook keeps its encrypted data in {{.Folder}}.", map[string]any{"Folder": u.core.DataDir()}))),
		s.activityCard(),
		s.whoCard(),
	)))
}

// removeProfile removes a profile off the UI goroutine. When its outbox
// holds items that were not sent, nothing is removed yet: the patient sees
// them, each with a Copy button, and chooses to keep the record or to
// remove it anyway. UI goroutine.
func (s *shell) removeProfile(p app.ProfileInfo, opts app.RemoveOptions) {
	u := s.u
	background(u.ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, u.core.RemoveProfile(ctx, p.ID, opts)
	}, func(_ struct{}, err error) {
		var unsent *app.UnsentError
		switch {
		case errors.As(err, &unsent):
			s.showUnsent(p, *unsent)
		case err != nil:
			dialog.ShowError(errors.New(lang.L("The record could not be removed.")+" "+humanStorageError(err)), u.win)
		default:
			u.showUnlockedHome()
		}
	})
}

// showUnsent shows what would be lost with a record: the items not sent
// yet, each selectable with a Copy button, before the patient confirms.
// UI goroutine.
func (s *shell) showUnsent(p app.ProfileInfo, unsent app.UnsentError) {
	u := s.u
	n := len(unsent.Items)
	f := map[string]any{"Count": n, "Practice": p.Practice, "Name": firstOf(p.Label)}
	intro := lang.N("{{.Count}} items were not sent to {{.Practice}} yet. If you remove {{.Name}}'s record now, they are lost. Copy what you still need, or keep the record: Carebook sends it when it reaches the practice.", n, f)
	if unsent.AccessEnded {
		intro = lang.N("{{.Count}} items were not sent to {{.Practice}} and cannot be sent: it has ended your access to {{.Name}}'s record. If you remove the record now, they are lost. Copy what you still need and give it to the practice another way, such as by phone.", n, f)
	}
	objs := []fyne.CanvasObject{paragraph(intro)}
	for _, e := range unsent.Items {
		objs = append(objs, u.unsentCard(e, appLocale().DateTime(e.CreatedAt.Local())+" · "+unsentState(e, unsent.AccessEnded)))
	}
	content := container.NewVScroll(newColumn(520, false, objs...))
	content.SetMinSize(fyne.NewSize(300, 360))
	d := dialog.NewCustomConfirm(lang.L("Not sent yet"), lang.L("Remove anyway"), lang.L("Keep it"), content, func(ok bool) {
		if ok {
			s.removeProfile(p, app.RemoveOptions{DiscardUnsent: true})
		}
	}, u.win)
	d.Resize(dialogSize(u.win))
	d.Show()
}

// unsentCard shows an item that was not sent under subtitle: its words,
// which can be selected, and a Copy button that puts its title and words
// on the clipboard (selecting text is fiddly on a phone). UI goroutine.
func (u *UI) unsentCard(e app.OutboxEntry, subtitle string) fyne.CanvasObject {
	text := e.Text()
	copyBtn := &widget.Button{Text: lang.L("Copy"), Icon: theme.ContentCopyIcon(), OnTapped: func() {
		u.core.Touch()
		u.fyneApp.Clipboard().SetContent(e.Title() + "\n" + text)
	}}
	return newCard(e.Title(), subtitle, newColumn(0, false, selectableText(text), container.NewHBox(copyBtn)))
}

// unsentState says where an unsent item stands; ended says the practice
// ended this access to the record, so what waits cannot go.
func unsentState(e app.OutboxEntry, ended bool) string {
	switch {
	case e.Kind == app.KindDraft, e.Kind == app.KindFormDraft:
		return lang.L("draft, not sent")
	case e.State == storage.OutboxFailed:
		return lang.L("refused by the practice")
	case e.State == storage.OutboxConflict:
		return lang.L("needs your attention")
	case ended:
		return accessEndedFlag()
	}
	return lang.L("waiting to be sent")
}

// dialogSize fits a dialog in the window: most of a phone screen, a
// comfortable size on a desktop.
func dialogSize(w fyne.Window) fyne.Size {
	c := w.Canvas().Size()
	return fyne.NewSize(min(c.Width-24, 560), min(c.Height-48, 520))
}

// repairSummary says in words what RepairRecord did.
func repairSummary(name string, rep storage.RepairReport, err error) string {
	var parts []string
	switch {
	case rep.Records > 0:
		parts = append(parts, lang.N("{{.Count}} parts of {{.Name}}'s record could not be read and removed.", rep.Records,
			map[string]any{"Count": rep.Records, "Name": name}))
	case rep.Damaged():
		parts = append(parts, lang.L("{{.Name}}'s record was checked; its download starts over.", map[string]any{"Name": name}))
	default:
		parts = append(parts, lang.L("Every part of {{.Name}}'s record could be read.", map[string]any{"Name": name}))
	}
	if rep.Outbox > 0 {
		parts = append(parts, lang.N("{{.Count}} items that had not been sent could not be read and are lost.", rep.Outbox,
			map[string]any{"Count": rep.Outbox}))
	}
	if err != nil {
		parts = append(parts, lang.L("The record could not be downloaded now; Carebook tries again at the next update."))
	} else {
		parts = append(parts, lang.L("The record was downloaded again from the practice."))
	}
	return strings.Join(parts, " ")
}

// practiceLinks are the practice's terms of use and privacy policy, opened
// in the browser after asking, or nil when the practice publishes neither.
// UI goroutine.
func practiceLinks(win fyne.Window, p app.ProfileInfo) fyne.CanvasObject {
	var links []fyne.CanvasObject
	for _, l := range []struct{ text, what, addr string }{
		{lang.L("Terms of use"), lang.L("your practice's terms of use"), p.TermsURL},
		{lang.L("Privacy policy"), lang.L("your practice's privacy policy"), p.PrivacyURL},
	} {
		u, err := url.Parse(l.addr)
		if err != nil || l.addr == "" {
			continue
		}
		link := widget.NewHyperlink(l.text, u)
		open, addr := openURL, l.addr
		link.OnTapped = func() {
			confirmLeaving(win, l.text, l.what, addr, func() { _ = open(u) })
		}
		links = append(links, link)
	}
	if links == nil {
		return nil
	}
	return container.NewHBox(links...)
}

// accessCard lists who else the practice lets see the record on show (the
// patient's own), each with a way to end that access where the practice
// offers it. Filled in off the UI goroutine. UI goroutine.
func (s *shell) accessCard() fyne.CanvasObject {
	u, p := s.u, s.current
	body := newColumn(0, false, paragraph(lang.L("Loading…")))
	card := newCard(lang.L("Who can see your record"), p.Practice, body)
	if !p.Self {
		card.Hide() // a parent or caregiver does not manage the patient's access
		return card
	}
	type view struct {
		list   []app.Proxy
		canEnd bool
	}
	load := func() {
		background(u.ctx, func(ctx context.Context) (view, error) {
			list, canEnd, err := u.core.Proxies(ctx, p.ID)
			return view{list, canEnd}, err
		}, func(v view, err error) {
			var objs []fyne.CanvasObject
			switch {
			case err != nil:
				objs = append(objs, paragraph(lang.L("Carebook could not read this.")+" "+humanStorageError(err)))
			case len(v.list) == 0:
				objs = append(objs, paragraph(lang.L("Your practice lists nobody else with access to your record.")))
			default:
				for _, px := range v.list {
					px := px
					fields := map[string]any{"Name": px.Name, "First": firstOf(px.Name), "Relationship": px.Relationship, "Practice": p.Practice}
					line := lang.L("{{.Name}} can see your record and act for you at {{.Practice}}.", fields)
					if px.Relationship != "" {
						line = lang.L("{{.Name}} · your {{.Relationship}} can see your record and act for you at {{.Practice}}.", fields)
					}
					row := []fyne.CanvasObject{paragraph(line)}
					if v.canEnd {
						end := &widget.Button{Text: lang.L("End {{.First}}'s access", fields), Importance: widget.DangerImportance}
						end.OnTapped = func() {
							u.core.Touch()
							dialog.ShowConfirm(lang.L("End {{.First}}'s access?", fields),
								lang.L("Your practice will stop sharing your record with {{.Name}}. Only the office can give it back.", fields),
								func(ok bool) {
									if !ok {
										return
									}
									end.Disable()
									background(u.ctx, func(ctx context.Context) (app.Submitted, error) {
										return u.core.EndProxyAccess(ctx, p.ID, px.ID)
									}, func(_ app.Submitted, err error) {
										end.Enable()
										if msg := accessOutcome(err); msg != "" {
											dialog.ShowInformation(lang.L("Access"), msg, u.win)
										}
										if err == nil {
											s.sync() // the practice's copy comes back: the list changes
										}
									})
								}, u.win)
						}
						row = append(row, container.NewHBox(end))
					}
					objs = append(objs, newColumn(0, false, row...))
				}
				if !v.canEnd {
					objs = append(objs, paragraph(lang.L("To end someone's access, ask the office: this practice does not offer it online.")))
				}
			}
			body.Objects = objs
			body.Refresh()
		})
	}
	load()
	s.reloadAccess = load
	return card
}

// accessOutcome says in plain words what became of an action, "" when the
// practice accepted it.
func accessOutcome(err error) string {
	var refused *app.RefusedError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &refused):
		return lang.L("The practice did not accept it: {{.Words}}", map[string]any{"Words": refused.Message})
	case errors.Is(err, app.ErrQueued):
		return lang.L("Saved on this device; Carebook sends it when it next reaches your practice.")
	case errors.Is(err, app.ErrNeedsSignIn):
		return lang.L("Saved on this device; sign in to your practice again to send it.")
	case errors.Is(err, app.ErrInvalidInput):
		return strings.TrimPrefix(err.Error(), app.ErrInvalidInput.Error()+": ")
	default:
		return lang.L("Carebook could not do this just now. Please try again.")
	}
}
