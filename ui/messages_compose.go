package ui

import (
	"context"
	"errors"
	"io"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/storage"
)

// composer writes a new message (or, with reply set, a reply in a thread):
// recipient, topic, subject, text with its counter against the practice's
// limit, files, the practice's notice, Send. What is written is saved as a
// sealed draft shortly after each change.
type composer struct {
	v     *messagesView
	key   string // the draft's key: app.DraftNew or the thread's
	reply bool
	base  app.Draft // what the fields do not show (thread, about…)
	opts  app.MessageOptions

	to, topic *widget.Select
	subject   *widget.Entry
	text      *widget.Entry
	counter   *widget.Label
	files     []app.MessageAttachment
	fileList  *fyne.Container
	problem   *widget.Label
	send      *widget.Button
	root      fyne.CanvasObject

	saves *autosave[app.Draft]
}

// composerModel is what the composer loads before it is shown.
type composerModel struct {
	opts  app.MessageOptions
	draft app.Draft
}

// NewMessage opens the composer for the draft under key (app.DraftNew for
// a new message, app.NewDraftKey for one beside it), filled with d when
// given (saved under key at once), else with the saved draft. UI
// goroutine.
func (v *messagesView) NewMessage(key string, d *app.Draft) {
	background(v.ctx, func(ctx context.Context) (composerModel, error) {
		opts, err := v.src.MessageOptions(ctx, v.profileID)
		if err != nil {
			return composerModel{}, err
		}
		flushDraft(v.draftID(key))
		m := composerModel{opts: opts}
		if d != nil {
			m.draft = *d
			return m, v.src.SaveDraft(ctx, v.profileID, key, *d)
		}
		saved, _, err := v.src.Draft(ctx, v.profileID, key)
		m.draft = saved
		return m, err
	}, func(m composerModel, err error) {
		if err != nil {
			v.md.showDetail(container.NewPadded(paragraph(messagesError(err))))
			return
		}
		c := v.newComposer(key, false, m)
		v.open, v.compose = "", c
		v.md.list.UnselectAll()
		v.md.selected = -1
		v.md.showDetail(c.root)
		if d != nil {
			v.Refresh() // the inbox lists the draft just saved
		}
	})
}

// AskAbout opens the composer with a question about a result or report
// (ref), which the message will refer to. UI goroutine.
func (v *messagesView) AskAbout(ref string) {
	v.askWith(func(ctx context.Context) (app.Draft, error) { return v.src.AskAboutResult(ctx, v.profileID, ref) })
}

// AskAboutBill opens the composer with a question about a statement (ref,
// "Invoice/id"), to the billing office, which the message will refer to.
// UI goroutine.
func (v *messagesView) AskAboutBill(ref string) {
	v.askWith(func(ctx context.Context) (app.Draft, error) { return v.src.AskAboutBill(ctx, v.profileID, ref) })
}

// askWith opens the composer with the draft start makes, kept as a draft
// of its own: a new message in progress stays as it is. UI goroutine.
func (v *messagesView) askWith(start func(context.Context) (app.Draft, error)) {
	background(v.ctx, start, func(d app.Draft, err error) {
		if err != nil {
			v.md.showDetail(container.NewPadded(paragraph(messagesError(err))))
			return
		}
		v.NewMessage(app.NewDraftKey(), &d)
	})
}

// newComposer builds the composer's widgets. UI goroutine.
func (v *messagesView) newComposer(key string, reply bool, m composerModel) *composer {
	c := &composer{v: v, key: key, reply: reply, base: m.draft, opts: m.opts, files: m.draft.Attachments}
	// Without the screen's cancellation: leaving the screen is no reason
	// to lose what was typed.
	c.saves = newAutosave(v.draftID(key), v.src.SaveBeforeLock, func(d app.Draft) error {
		return v.src.SaveDraft(context.WithoutCancel(v.ctx), v.profileID, key, d)
	})
	// A lock (the Lock button, idle, the background) saves what was typed
	// since the last save before the keys go; the screen going (a profile
	// switch, a lock) with its context saves it at once too, not lost with
	// the timer.
	context.AfterFunc(v.ctx, func() { go c.saves.save() })
	mp := m.opts.Policy
	c.counter = widget.NewLabel("")
	c.counter.SizeName = theme.SizeNameCaptionText
	c.text = widget.NewMultiLineEntry()
	c.text.Wrapping = fyne.TextWrapWord
	c.text.SetMinRowsVisible(5)
	c.text.SetPlaceHolder(lang.L("Write your message"))
	c.text.SetText(m.draft.Text)
	c.text.OnChanged = func(string) { c.changed() }
	c.fileList = container.NewVBox()
	c.problem = errorText()
	c.saves.shown = showSaveProblem(c.problem)
	c.send = &widget.Button{Text: lang.L("Send"), Icon: theme.MailSendIcon(), Importance: widget.HighImportance, OnTapped: c.sendNow}
	attach := &widget.Button{Text: lang.L("Add file or photo"), Icon: theme.ContentAddIcon(), OnTapped: c.pickFile}
	notice := widget.NewLabel(mp.Notice)
	notice.Wrapping = fyne.TextWrapWord
	notice.Importance = widget.WarningImportance
	limits := paragraph(lang.N("You can add up to {{.Count}} files of {{.Size}} each: {{.Types}}.", mp.MaxAttachments,
		map[string]any{"Count": mp.MaxAttachments, "Size": app.SizeText(mp.MaxAttachmentBytes), "Types": app.TypesText(mp.AttachmentTypes)}))
	limits.SizeName = theme.SizeNameCaptionText

	var objs []fyne.CanvasObject
	if reply {
		objs = append(objs, boldText(lang.L("Reply")), c.text, c.counter, c.fileList,
			container.NewHBox(attach), limits, notice, c.problem, container.NewHBox(c.send))
		c.root = newColumn(detailMaxWidth, false, objs...)
		c.refreshFiles()
		c.updateCounter()
		return c
	}
	title := paragraph(lang.L("New message"))
	title.TextStyle = fyne.TextStyle{Bold: true}
	title.SizeName = theme.SizeNameSubHeadingText
	labels := make([]string, len(m.opts.Recipients))
	for i, r := range m.opts.Recipients {
		labels[i] = r.Label()
	}
	c.to = widget.NewSelect(labels, nil)
	c.to.PlaceHolder = lang.L("Choose who it is for")
	for i, r := range m.opts.Recipients {
		if r.Ref == m.draft.To {
			c.to.SetSelectedIndex(i)
		}
	}
	c.to.OnChanged = func(string) { c.changed() }
	topics, topic := make([]string, len(m.opts.Topics)), -1
	for i, tp := range m.opts.Topics {
		topics[i] = tp.Label
		if tp.Code == m.draft.Topic {
			topic = i
		}
	}
	c.topic = widget.NewSelect(topics, nil)
	c.topic.PlaceHolder = lang.L("Choose a topic")
	if topic >= 0 {
		c.topic.SetSelectedIndex(topic)
	}
	c.topic.OnChanged = func(string) { c.changed() }
	c.subject = widget.NewEntry()
	c.subject.SetPlaceHolder(lang.L("Subject"))
	c.subject.SetText(m.draft.Subject)
	c.subject.OnChanged = func(string) { c.changed() }
	discard := &widget.Button{Text: lang.L("Discard draft"), Icon: theme.DeleteIcon(), OnTapped: c.discardDraft}
	objs = append(objs, title, boldText(lang.L("To")), c.to, boldText(lang.L("Topic")), c.topic, boldText(lang.L("Subject")), c.subject)
	if m.draft.AboutName != "" {
		objs = append(objs, fieldText(lang.L("About"), m.draft.AboutName))
	}
	if len(m.opts.Recipients) == 0 {
		objs = append(objs, warningText(lang.L("Your record names nobody at the practice to write to yet. Update your record, or call the office.")))
	}
	// The notice sits right above Send: read before sending.
	objs = append(objs, boldText(lang.L("Message")), c.text, c.counter, c.fileList, container.NewHBox(attach), limits, notice, c.problem,
		newFlow(c.send, discard))
	c.root = container.NewVScroll(container.NewPadded(newColumn(detailMaxWidth, false, objs...)))
	c.refreshFiles()
	c.updateCounter()
	return c
}

// draft is what the composer holds now. UI goroutine.
func (c *composer) draft() app.Draft {
	d := c.base
	d.Text = c.text.Text
	d.Attachments = c.files
	if !c.reply {
		d.Subject = c.subject.Text
		if i := c.to.SelectedIndex(); i >= 0 {
			d.To = c.opts.Recipients[i].Ref
		}
		if i := c.topic.SelectedIndex(); i >= 0 {
			d.Topic = c.opts.Topics[i].Code
		}
	}
	d.DraftKey = c.key
	return d
}

// changed notes an edit: the counter follows, and the draft is saved once
// the patient pauses. UI goroutine.
func (c *composer) changed() {
	c.v.src.Touch()
	c.updateCounter()
	c.saves.changed(c.draft())
}

// showSaveProblem is an autosave's shown: a failed save is shown in
// problem (the change is saved again with the next one), and hidden once
// a save succeeds. UI goroutine.
func showSaveProblem(problem *widget.Label) func(error) {
	failed := false
	return func(err error) {
		switch {
		case err != nil:
			failed = true
			showError(problem, draftNotSaved(err))
		case failed:
			failed = false
			problem.Hide()
		}
	}
}

// draftNotSaved says that a draft could not be saved, and what to do.
func draftNotSaved(err error) string {
	reason := lang.L("Keep writing to try again, or copy what you wrote.")
	if errors.Is(err, storage.ErrLocked) || errors.Is(err, storage.ErrDiskFull) {
		reason = messagesError(err)
	}
	return lang.L("Your draft could not be saved on this device. {{.Reason}}", map[string]any{"Reason": reason})
}

// draftID names the draft under key of the screen's profile.
func (v *messagesView) draftID(key string) draftID {
	return draftID{profileID: v.profileID, key: key}
}

func (c *composer) updateCounter() {
	n, limit := utf8.RuneCountInString(c.text.Text), c.opts.Policy.MaxText
	c.counter.SetText(lang.L("{{.Count}} / {{.Max}} characters",
		map[string]any{"Count": n, "Max": limit}))
	if limit > 0 && n > limit {
		c.counter.Importance = widget.DangerImportance
	} else {
		c.counter.Importance = widget.MediumImportance
	}
	c.counter.Refresh()
}

// pickFile asks for a file with the platform's picker (the photo library
// on phones). UI goroutine.
func (c *composer) pickFile() {
	c.v.src.Touch()
	if c.v.win == nil {
		return
	}
	dialog.ShowFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		name := r.URI().Name()
		background(c.v.ctx, func(context.Context) ([]byte, error) {
			defer r.Close()
			return io.ReadAll(io.LimitReader(r, c.opts.Policy.MaxAttachmentBytes+1))
		}, func(b []byte, err error) {
			if err != nil {
				showError(c.problem, lang.L("Carebook could not read that file."))
				return
			}
			c.addFile(name, b)
		})
	}, c.v.win)
}

// addFile adds a file the patient picked, refusing what the practice's
// limits refuse with the reason. UI goroutine.
func (c *composer) addFile(name string, data []byte) {
	f := app.AttachmentFromFile(name, data)
	c.problem.Hide()
	probe := app.Draft{To: "Organization/x", Subject: "x", Text: "x", Thread: c.base.Thread, Attachments: append(append([]app.MessageAttachment(nil), c.files...), f)}
	var inv *app.InvalidMessageError
	if err := app.CheckMessage(probe, c.opts.Policy); errors.As(err, &inv) {
		showError(c.problem, inv.Problem)
		return
	}
	c.files = append(c.files, f)
	c.refreshFiles()
	c.changed()
}

func (c *composer) refreshFiles() {
	c.fileList.Objects = nil
	for i, f := range c.files {
		i := i
		remove := &widget.Button{Icon: theme.DeleteIcon(), Importance: widget.LowImportance, OnTapped: func() {
			c.files = append(append([]app.MessageAttachment(nil), c.files[:i]...), c.files[i+1:]...)
			c.refreshFiles()
			c.changed()
		}}
		label := widget.NewLabel(f.Name + " · " + app.SizeText(int64(len(f.Data))))
		label.Truncation = fyne.TextTruncateEllipsis
		c.fileList.Add(container.NewBorder(nil, nil, widget.NewIcon(theme.FileIcon()), remove, label))
	}
	c.fileList.Refresh()
	// The page grows or shrinks with the list: its scroll lays it out
	// again (refreshing the list alone keeps its old height).
	if c.reply && c.v.page != nil {
		c.v.page.Refresh()
	} else if sc, ok := c.root.(*container.Scroll); ok {
		sc.Refresh()
	}
}

// sendNow sends the message. UI goroutine.
func (c *composer) sendNow() {
	c.v.src.Touch()
	d := c.draft()
	c.problem.Hide()
	if err := app.CheckMessage(d, c.opts.Policy); err != nil {
		showError(c.problem, messagesError(err))
		return
	}
	c.saves.close()
	c.send.Disable()
	v := c.v
	background(v.ctx, func(ctx context.Context) (sub app.Submitted, err error) {
		c.saves.exclusive(func() { sub, err = v.src.SendMessage(ctx, v.profileID, d) })
		return sub, err
	}, func(sub app.Submitted, err error) {
		c.send.Enable()
		var inv *app.InvalidMessageError
		if errors.As(err, &inv) || (err != nil && !app.Stored(err)) {
			c.saves.reopen(c.draft())
			showError(c.problem, sendOutcome(err))
			return
		}
		v.compose = nil
		switch {
		case c.reply:
			v.open = c.base.Thread
		case sub.Ref != "":
			v.open = sub.Ref
		default:
			v.open = sub.LocalID
		}
		v.Refresh()
		if v.onChange != nil {
			v.onChange()
		}
	})
}

// discardDraft throws the draft away and closes the composer. UI
// goroutine.
func (c *composer) discardDraft() {
	c.v.src.Touch()
	c.saves.close()
	v := c.v
	background(v.ctx, func(ctx context.Context) (_ struct{}, err error) {
		c.saves.exclusive(func() { err = v.src.DiscardDraft(ctx, v.profileID, c.key) })
		return struct{}{}, err
	}, func(_ struct{}, err error) {
		if err != nil {
			c.saves.reopen(c.draft())
			showError(c.problem, messagesError(err))
			return
		}
		v.compose = nil
		v.md.clearDetail()
		v.Refresh() // the draft leaves the inbox
	})
}

// replyBox is the reply composer at the foot of a conversation; it loads
// the thread's reply draft and the practice's limits. UI goroutine.
func (v *messagesView) replyBox(th app.MessageThread) fyne.CanvasObject {
	slot := container.NewStack(paragraph(lang.L("Loading the reply box…")))
	replyTo := ""
	for _, m := range th.Messages {
		if m.ID != "" {
			replyTo = m.ID // the latest message the practice has
		}
	}
	background(v.ctx, func(ctx context.Context) (composerModel, error) {
		opts, err := v.src.MessageOptions(ctx, v.profileID)
		if err != nil {
			return composerModel{}, err
		}
		flushDraft(v.draftID(th.Key))
		d, ok, err := v.src.Draft(ctx, v.profileID, th.Key)
		if err != nil || ok {
			return composerModel{opts: opts, draft: d}, err
		}
		d, err = v.src.ReplyDraft(ctx, v.profileID, replyTo)
		return composerModel{opts: opts, draft: d}, err
	}, func(m composerModel, err error) {
		if err != nil {
			slot.Objects = []fyne.CanvasObject{paragraph(messagesError(err))}
			slot.Refresh()
			return
		}
		c := v.newComposer(th.Key, true, m)
		slot.Objects = []fyne.CanvasObject{c.root}
		slot.Refresh()
	})
	return slot
}
