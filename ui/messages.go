package ui

// The Messages screen of one profile: the inbox (conversations with the
// practice, newest first, with unread markers), a conversation with the
// state of every message the patient wrote (waiting, sent, read by the
// practice, answered, or failed with the practice's words and Edit, Retry,
// Discard), a reply box, and the composer of a new message (see
// messages_compose.go). Everything comes from app use cases; the screen
// follows load(ctx) → apply(viewModel).

import (
	"context"
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/storage"
)

// messageSource is what the Messages screen needs from the app core;
// *app.App satisfies it. Its methods may block: call them off the UI
// goroutine, except Touch.
type messageSource interface {
	Messages(ctx context.Context, profileID string) (app.Inbox, error)
	MessageOptions(ctx context.Context, profileID string) (app.MessageOptions, error)
	Draft(ctx context.Context, profileID, key string) (app.Draft, bool, error)
	SaveDraft(ctx context.Context, profileID, key string, d app.Draft) error
	DiscardDraft(ctx context.Context, profileID, key string) error
	SendMessage(ctx context.Context, profileID string, d app.Draft) (app.Submitted, error)
	ReplyDraft(ctx context.Context, profileID, communicationID string) (app.Draft, error)
	AskAboutResult(ctx context.Context, profileID, ref string) (app.Draft, error)
	AskAboutBill(ctx context.Context, profileID, ref string) (app.Draft, error)
	EditFailedMessage(ctx context.Context, profileID string, seq int64) (app.Draft, string, error)
	RetryOutboxItem(ctx context.Context, profileID string, seq int64) (app.Submitted, error)
	DiscardOutboxItem(ctx context.Context, profileID string, seq int64) error
	MarkMessagesRead(ctx context.Context, profileID string, ids ...string) error
	OpenDocument(ctx context.Context, profileID, docRef string, attachment int) error
	SaveBeforeLock(save func()) (remove func())
	Touch()
}

// messagesView is the Messages screen of one profile.
type messagesView struct {
	src       messageSource
	profileID string
	win       fyne.Window
	ctx       context.Context

	md      *masterDetail
	inbox   app.Inbox
	gen     int               // counts inboxes applied
	open    string            // key of the thread on show ("" when none)
	compose *composer         // the composer on show, or nil
	page    *container.Scroll // the conversation on show, or nil
	// reopening: the conversation is shown again after a reload, not
	// opened by the patient.
	reopening bool
	cancel    context.CancelFunc
	// onChange is told when the patient read or sent something (the
	// dashboard's counts change).
	onChange func()
}

// newMessagesView builds the screen; call Refresh to fill it. UI goroutine.
func newMessagesView(ctx context.Context, src messageSource, profileID string, win fyne.Window) *messagesView {
	v := &messagesView{src: src, profileID: profileID, win: win, ctx: ctx}
	write := &widget.Button{Text: lang.L("New message"), Icon: theme.ContentAddIcon(), Importance: widget.HighImportance,
		OnTapped: func() { v.src.Touch(); v.NewMessage(app.DraftNew, nil) }}
	v.md = newMasterDetail(container.NewPadded(container.NewHBox(write)), lang.L("Choose a conversation to read it, or write a new message."))
	v.md.onSelect = v.selectRow
	return v
}

// CanvasObject is the screen's root. UI goroutine.
func (v *messagesView) CanvasObject() fyne.CanvasObject { return v.md.root }

// Refresh reloads the inbox; the conversation on show is shown again with
// its new states, and a composer on show is left as it is. UI goroutine.
func (v *messagesView) Refresh() {
	if v.cancel != nil {
		v.cancel()
	}
	ctx, cancel := context.WithCancel(v.ctx)
	v.cancel = cancel
	if len(v.md.items) == 0 {
		v.md.setStatus(lang.L("Loading…"), false)
	}
	background(ctx, v.load, v.apply)
}

// load reads the inbox; no widgets. Any goroutine.
func (v *messagesView) load(ctx context.Context) (app.Inbox, error) {
	return v.src.Messages(ctx, v.profileID)
}

// inboxItems are the inbox's rows: the drafts of new messages, then the
// conversations.
func inboxItems(in app.Inbox) []listItem {
	items := make([]listItem, len(in.Drafts)+len(in.Threads))
	for i, d := range in.Drafts {
		items[i] = listItem{
			title:  firstText(d.Draft.Subject, lang.L("New message")),
			detail: joinNonEmpty(" · ", shortTime(d.Draft.Saved), d.Draft.Preview()),
			key:    "draft:" + d.Key,
			flag:   lang.L("Draft"),
		}
	}
	for i, th := range in.Threads {
		items[len(in.Drafts)+i] = listItem{
			title:  firstText(th.Subject, th.Preview(), lang.L("Message")),
			detail: joinNonEmpty(" · ", th.With, shortTime(th.Latest), th.Preview()),
			key:    th.Key,
			flag:   threadFlag(th, in.AccessEnded),
		}
	}
	return items
}

// threadFlag is what a thread's row says needs attention; ended says the
// practice ended this access to the record, so what waits cannot go.
func threadFlag(th app.MessageThread, ended bool) string {
	failed, waiting := 0, 0
	for _, m := range th.Messages {
		switch m.State {
		case app.MessageFailed:
			failed++
		case app.MessageWaiting:
			waiting++
		}
	}
	switch {
	case failed > 0:
		return lang.L("Not sent")
	case len(th.Unread) == 1:
		return lang.L("New")
	case len(th.Unread) > 1:
		return lang.N("{{.Count}} new", len(th.Unread), map[string]any{"Count": len(th.Unread)})
	case waiting > 0 && ended:
		return accessEndedFlag()
	case waiting > 0:
		return lang.L("Waiting")
	}
	return ""
}

// apply shows an inbox. UI goroutine.
func (v *messagesView) apply(in app.Inbox, err error) {
	if err != nil {
		v.md.setStatus(messagesError(err), true)
		return
	}
	v.inbox = in
	v.gen++
	open, composing := v.open, v.compose != nil
	pages := v.md.pages
	v.md.setItems(inboxItems(in), lang.L("No messages with this practice yet. Write one with New message."))
	if composing {
		// Keep what the patient is writing on screen.
		v.md.pages = pages
		v.md.open = true
		v.md.showTop()
		return
	}
	if i := threadIndex(in, open); i >= 0 {
		// Shown again with its new states; what arrived meanwhile is not
		// counted read (the screen may not even be on show).
		v.reopening = true
		v.md.list.Select(i)
		v.reopening = false
		return
	}
	v.open = ""
}

// threadIndex finds the row of the conversation with key, also when key
// is the local name ("local-N") of its first message, which the practice
// has since.
func threadIndex(in app.Inbox, key string) int {
	if key == "" {
		return -1
	}
	for i, th := range in.Threads {
		if th.Key == key {
			return len(in.Drafts) + i
		}
	}
	for i, th := range in.Threads {
		for _, m := range th.Messages {
			if m.LocalID == key {
				return len(in.Drafts) + i
			}
		}
	}
	return -1
}

// selectRow shows the draft or the conversation of row i. UI goroutine.
func (v *messagesView) selectRow(i int) {
	if i >= 0 && i < len(v.inbox.Drafts) {
		v.src.Touch()
		v.NewMessage(v.inbox.Drafts[i].Key, nil)
		return
	}
	v.selectThread(i)
}

// selectThread shows the conversation of row i and marks its new messages
// read. UI goroutine.
func (v *messagesView) selectThread(i int) {
	t := i - len(v.inbox.Drafts)
	if t < 0 || t >= len(v.inbox.Threads) {
		return
	}
	v.src.Touch()
	th := v.inbox.Threads[t]
	v.open, v.compose = th.Key, nil
	v.md.showDetail(v.threadPage(th))
	if len(th.Unread) > 0 && !v.reopening {
		gen, ids := v.gen, th.Unread
		background(v.ctx, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, v.src.MarkMessagesRead(ctx, v.profileID, ids...)
		}, func(_ struct{}, err error) {
			if err != nil || v.gen != gen {
				return
			}
			v.md.setFlag(i, "")
			if v.onChange != nil {
				v.onChange()
			}
		})
	}
}

// ShowThread opens the conversation with key when the inbox has it. UI
// goroutine.
func (v *messagesView) ShowThread(key string) {
	i := threadIndex(v.inbox, key)
	switch {
	case i < 0:
	case i == v.md.selected:
		v.selectThread(i) // already chosen: the list would not tell
	default:
		v.md.list.Select(i)
	}
}

// Shown tells the screen it came on show: a conversation open on it is
// being read, so what arrived in it meanwhile counts as read. UI
// goroutine.
func (v *messagesView) Shown() {
	if v.compose != nil || v.open == "" || (!v.md.wide && !v.md.open) {
		return
	}
	if i := threadIndex(v.inbox, v.open); i >= 0 && i == v.md.selected {
		v.selectThread(i)
	}
}

// threadPage shows a conversation: each message with who wrote it, when,
// its files, and for the patient's own where it stands. UI goroutine.
func (v *messagesView) threadPage(th app.MessageThread) fyne.CanvasObject {
	title := paragraph(firstText(th.Subject, lang.L("Message")))
	title.TextStyle = fyne.TextStyle{Bold: true}
	title.SizeName = theme.SizeNameSubHeadingText
	objs := []fyne.CanvasObject{title, paragraph(joinNonEmpty(" · ", lang.L("With {{.Name}}", map[string]any{"Name": th.With}), th.Topic))}
	for _, m := range th.Messages {
		objs = append(objs, widget.NewSeparator())
		objs = append(objs, v.messageObjects(th, m)...)
	}
	if th.CanReply {
		objs = append(objs, widget.NewSeparator(), v.replyBox(th))
	} else {
		objs = append(objs, widget.NewSeparator(), paragraph(lang.L("You can reply once the practice has the first message.")))
	}
	v.page = container.NewVScroll(container.NewPadded(newColumn(detailMaxWidth, false, objs...)))
	return v.page
}

// messageObjects shows one message. UI goroutine.
func (v *messagesView) messageObjects(th app.MessageThread, m app.Message) []fyne.CanvasObject {
	head := m.From
	if m.FromPatient && m.To != "" {
		head = lang.L("{{.From}} to {{.To}}", map[string]any{"From": m.From, "To": m.To})
	}
	objs := []fyne.CanvasObject{boldText(joinNonEmpty(" · ", head, longTime(m.Sent)))}
	if m.Incomplete {
		objs = append(objs, warningText(partialDetailText()))
	}
	for _, about := range m.About {
		objs = append(objs, fieldText(lang.L("About"), about))
	}
	if m.Text != "" {
		objs = append(objs, paragraph(m.Text))
	}
	for _, f := range m.Attachments {
		objs = append(objs, v.fileObject(m, f))
	}
	if m.FromPatient {
		objs = append(objs, v.stateObjects(th, m)...)
	}
	return objs
}

// messageStateText says where one of the patient's messages stands;
// ended says the practice ended this access to the record.
func messageStateText(m app.Message, ended bool) string {
	switch m.State {
	case app.MessageWaiting:
		if ended {
			return storedAsAccessEndedText()
		}
		if m.UploadCut {
			return lang.L("Not sent yet: the upload did not finish in time, and nothing of it reached the practice. Carebook will try again, or you can discard it.")
		}
		if m.MayHaveReached {
			return mayHaveReachedText()
		}
		return lang.L("Waiting to be sent: it will be sent when you are online.")
	case app.MessageSent:
		return lang.L("Sent {{.When}}. Not read by the practice yet.", map[string]any{"When": longTime(m.Sent)})
	case app.MessageRead:
		return lang.L("✓ Read by the practice {{.When}}.", map[string]any{"When": longTime(m.ReadAt)})
	case app.MessageAnswered:
		if !m.ReadAt.IsZero() {
			return lang.L("✓ Read by the practice {{.Read}} · Answered {{.Answered}}.",
				map[string]any{"Read": longTime(m.ReadAt), "Answered": longTime(m.AnsweredAt)})
		}
		return lang.L("Answered {{.When}}.", map[string]any{"When": longTime(m.AnsweredAt)})
	case app.MessageFailed:
		// The practice's words stay as the practice wrote them.
		return lang.L("Not sent. The practice said: {{.Words}}", map[string]any{"Words": m.Error})
	}
	return ""
}

// stateObjects shows where a message of the patient stands, with what
// can be done about it. UI goroutine.
func (v *messagesView) stateObjects(th app.MessageThread, m app.Message) []fyne.CanvasObject {
	state := paragraph(messageStateText(m, v.inbox.AccessEnded))
	switch m.State {
	case app.MessageFailed:
		state.Importance = widget.DangerImportance
	case app.MessageWaiting:
		state.Importance = widget.WarningImportance
	case app.MessageRead, app.MessageAnswered:
		state.Importance = widget.SuccessImportance
	}
	objs := []fyne.CanvasObject{state}
	if m.Seq == 0 {
		return objs
	}
	problem := errorText()
	seq := m.Seq
	var buttons []fyne.CanvasObject
	switch m.State {
	case app.MessageFailed:
		buttons = append(buttons, &widget.Button{Text: lang.L("Edit"), Icon: theme.DocumentCreateIcon(), OnTapped: func() { v.editFailed(seq, problem) }})
		if !v.inbox.AccessEnded { // nothing can go
			buttons = append(buttons, &widget.Button{Text: lang.L("Retry"), Icon: theme.ViewRefreshIcon(), OnTapped: func() { v.retry(seq, problem) }})
		}
		buttons = append(buttons, &widget.Button{Text: lang.L("Discard"), Icon: theme.DeleteIcon(), OnTapped: func() { v.discard(seq, problem) }})
	case app.MessageWaiting:
		if !v.inbox.AccessEnded { // nothing can go
			buttons = append(buttons, &widget.Button{Text: lang.L("Send now"), Icon: theme.MailSendIcon(), OnTapped: func() { v.retry(seq, problem) }})
		}
		if m.CanDiscard {
			buttons = append(buttons, &widget.Button{Text: lang.L("Discard"), Icon: theme.DeleteIcon(), OnTapped: func() { v.discard(seq, problem) }})
		}
	}
	if len(buttons) > 0 {
		objs = append(objs, newFlow(buttons...), problem)
	}
	return objs
}

// fileObject shows one file of a message, with a button that opens it
// once the practice has the message.
func (v *messagesView) fileObject(m app.Message, f app.MessageFile) fyne.CanvasObject {
	label := fieldText(lang.L("File"), joinNonEmpty(" · ", f.Name, app.SizeText(f.Size)))
	if m.ID == "" {
		return label
	}
	if f.Missing {
		// Nothing to open: say so instead of offering Open.
		return container.NewVBox(label, paragraph(lang.L("Carebook cannot open this file here. The practice can give you a copy.")))
	}
	problem := errorText()
	ref, n := "Communication/"+m.ID, f.Index
	open := &widget.Button{Text: lang.L("Open"), Icon: theme.FileIcon(), OnTapped: func() {
		v.src.Touch()
		problem.Hide()
		background(v.ctx, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, v.src.OpenDocument(ctx, v.profileID, ref, n)
		}, func(_ struct{}, err error) {
			if err != nil {
				showError(problem, lang.L("Carebook could not open this file."))
			}
		})
	}}
	return container.NewVBox(container.NewBorder(nil, nil, nil, open, label), problem)
}

// editFailed turns a refused message back into a draft and opens it in the
// composer. UI goroutine.
func (v *messagesView) editFailed(seq int64, problem *widget.Label) {
	v.src.Touch()
	type edited struct {
		d   app.Draft
		key string
	}
	background(v.ctx, func(ctx context.Context) (edited, error) {
		d, key, err := v.src.EditFailedMessage(ctx, v.profileID, seq)
		return edited{d, key}, err
	}, func(e edited, err error) {
		if err != nil {
			showError(problem, messagesError(err))
			return
		}
		v.NewMessage(e.key, &e.d)
		v.Refresh()
	})
}

// retry sends a refused or waiting message again. UI goroutine.
func (v *messagesView) retry(seq int64, problem *widget.Label) {
	v.src.Touch()
	problem.Hide()
	background(v.ctx, func(ctx context.Context) (app.Submitted, error) {
		return v.src.RetryOutboxItem(ctx, v.profileID, seq)
	}, func(_ app.Submitted, err error) {
		v.Refresh()
		if err != nil && !errors.Is(err, app.ErrRefused) {
			showError(problem, sendOutcome(err))
		}
	})
}

// discard removes a refused (or never tried) message. UI goroutine.
func (v *messagesView) discard(seq int64, problem *widget.Label) {
	v.src.Touch()
	background(v.ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, v.src.DiscardOutboxItem(ctx, v.profileID, seq)
	}, func(_ struct{}, err error) {
		if err != nil {
			showError(problem, messagesError(err))
			return
		}
		v.open = ""
		v.Refresh()
	})
}

// messagesError explains a failure to read or change messages.
func messagesError(err error) string {
	var inv *app.InvalidMessageError
	switch {
	case errors.As(err, &inv):
		return inv.Problem
	case errors.Is(err, storage.ErrLocked):
		return lang.L("Carebook is locked. Unlock it and try again.")
	case errors.Is(err, storage.ErrDiskFull):
		return diskFullText()
	case errors.Is(err, app.ErrInvalidInput):
		// The use case's words for the patient, already translated.
		_, after, _ := strings.Cut(err.Error(), "invalid input: ")
		return firstText(after, lang.L("That can't be done now."))
	}
	return lang.L("Carebook could not read your messages. Please try again.")
}

// sendOutcome explains what became of a message on its way.
func sendOutcome(err error) string {
	var refused *app.RefusedError
	switch {
	case err == nil:
		return lang.L("Sent.")
	case errors.As(err, &refused):
		return lang.L("The practice did not accept it: {{.Words}}", map[string]any{"Words": refused.Message})
	case storedAsAccessEnded(err):
		return storedAsAccessEndedText()
	case errors.Is(err, app.ErrQueued), errors.Is(err, app.ErrOffline):
		return lang.L("Saved on this device. It will be sent when you are online.")
	case errors.Is(err, app.ErrNeedsSignIn):
		return lang.L("Saved on this device. Sign in to your practice again to send it.")
	}
	return messagesError(err)
}

// shortTime is a message time in a list: the time today, else the day.
func shortTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.Local()
	now := time.Now()
	switch {
	case sameDay(now, t):
		return appLocale().Time(t)
	case t.Year() == now.Year():
		return appLocale().DayMonth(t)
	}
	return appLocale().Date(t)
}

// longTime is a message time in a conversation: "Dec 4, 2026, 10:02 AM".
func longTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return appLocale().DateTime(t.Local())
}
