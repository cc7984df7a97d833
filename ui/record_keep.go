package ui

// Keep and take the record: the Documents section (every document of the
// record, searchable, read offline where the cache holds it, saved to a
// file on request) and the "Take it with you" section (the emergency card
// and its lock-screen copy, the health summary PDF to save or print, the
// International Patient Summary, the whole record).

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
)

// keepSource is what these sections need from the app core; *app.App
// satisfies it. Its methods may block: call them off the UI goroutine.
type keepSource interface {
	Documents(ctx context.Context, profileID, query string) ([]app.Document, error)
	DocumentFile(ctx context.Context, profileID, ref string, attachment int) ([]byte, string, error)
	ExportBytes(ctx context.Context, e app.Export) ([]byte, string, error)
	PrintSummary(ctx context.Context, profileIDs ...string) error
	SamePerson(ctx context.Context, profileID string) ([]string, error)
	EmergencyCard(ctx context.Context, profileID string) (app.EmergencyCard, error)
	LockScreenCardOn(ctx context.Context, profileID string) (bool, error)
	SetLockScreenCard(ctx context.Context, profileID string, on bool) error
}

// leavesEncryption is said before any file of the record is saved.
func leavesEncryption() string {
	return lang.L("The file you save is not encrypted: anyone who can open it can read your health information. Keep it somewhere private, and delete it when you no longer need it.")
}

// documentsModel lists docs. Any goroutine.
func documentsModel(docs []app.Document, query string) sectionModel {
	m := sectionModel{empty: lang.L("Your record holds no documents yet.")}
	if strings.TrimSpace(query) != "" {
		m.empty = lang.L("No document matches \u201c{{.Words}}\u201d.", map[string]any{"Words": strings.TrimSpace(query)})
	}
	for _, d := range docs {
		detail := joinNonEmpty(" · ", d.Kind.Label(), dayText(d.Date))
		if !d.Offline {
			detail = joinNonEmpty(" · ", detail, lang.L("downloaded when opened"))
		}
		m.items = append(m.items, listItem{title: d.Title, detail: detail, key: d.Key()})
	}
	m.page = func(v *recordView, md *masterDetail, i int) fyne.CanvasObject { return v.documentPage(docs[i]) }
	return m
}

// documentPage shows one document: what it is, its text where the cache
// holds it, and Open and Save. UI goroutine.
func (v *recordView) documentPage(d app.Document) fyne.CanvasObject {
	src, _ := v.src.(keepSource)
	title := boldText(d.Title)
	title.SizeName = theme.SizeNameSubHeadingText
	objs := []fyne.CanvasObject{title}
	objs = append(objs, fieldText(lang.L("What it is"), d.Kind.Label()))
	if s := dayText(d.Date); s != "" {
		objs = append(objs, fieldText(lang.L("Date"), s))
	}
	if d.Author != "" {
		objs = append(objs, fieldText(lang.L("From"), d.Author))
	}
	if len(d.About) > 0 {
		objs = append(objs, fieldText(lang.L("About"), strings.Join(d.About, ", ")))
	}
	if d.Offline {
		objs = append(objs, paragraph(lang.L("Kept on this device: you can read it offline.")))
	} else {
		objs = append(objs, paragraph(lang.L("Kept at your practice: Carebook downloads it when you open or save it.")))
	}
	problem := errorText()
	var open, save *widget.Button
	open = &widget.Button{Text: lang.L("Open"), Icon: theme.FileIcon(), OnTapped: func() {
		v.src.Touch()
		problem.Hide()
		open.Disable()
		runFor(v, context.Background(), func(ctx context.Context) (struct{}, error) {
			return struct{}{}, v.src.OpenDocument(ctx, v.profileID, d.Ref, d.Attachment)
		}, func(_ struct{}, err error) {
			open.Enable()
			if err != nil {
				showError(problem, lang.L("Carebook could not open this document. If it is kept at your practice, try again when you are online."))
			}
		})
	}}
	save = &widget.Button{Text: lang.L("Save to a file…"), Icon: theme.DocumentSaveIcon(), OnTapped: func() {
		v.src.Touch()
		problem.Hide()
		if src == nil {
			return
		}
		v.confirmSave(func() {
			save.Disable()
			runFor(v, context.Background(), func(ctx context.Context) (savedFile, error) {
				data, name, err := src.DocumentFile(ctx, v.profileID, d.Ref, d.Attachment)
				return savedFile{data, name}, err
			}, func(f savedFile, err error) {
				save.Enable()
				if err != nil {
					showError(problem, lang.L("Carebook could not get this document. If it is kept at your practice, try again when you are online."))
					return
				}
				v.saveFile(f, problem)
			})
		})
	}}
	objs = append(objs, buttonRow(open, save), problem)
	if d.Text != "" {
		objs = append(objs, widget.NewSeparator(), paragraph(d.Text))
	}
	return container.NewVScroll(container.NewPadded(newColumn(detailMaxWidth, false, objs...)))
}

type savedFile struct {
	data []byte
	name string
}

// confirmSave warns that a saved file leaves the encryption, then runs
// save. UI goroutine.
func (v *recordView) confirmSave(save func()) {
	d := dialog.NewCustomConfirm(lang.L("Save outside Carebook?"), lang.L("Choose where"), lang.L("Cancel"), paragraph(leavesEncryption()), func(ok bool) {
		if ok {
			save()
		}
	}, v.win)
	d.Resize(fyne.NewSize(min(v.win.Canvas().Size().Width-24, 440), 0))
	d.Show()
}

// saveFile asks where to save f (the platform's save dialog) and writes it
// there. UI goroutine.
func (v *recordView) saveFile(f savedFile, problem *widget.Label) {
	chooseSaveFile(v.win, f.name, func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		defer w.Close()
		if _, err := w.Write(f.data); err != nil {
			showError(problem, lang.L("Carebook could not save the file there. Please choose another place."))
		}
	})
}

// chooseSaveFile asks where to save a file called name (the platform's
// save dialog) and hands the chosen place to done; nil when cancelled.
// Tests replace it to save into a folder of theirs. UI goroutine.
var chooseSaveFile = func(win fyne.Window, name string, done func(fyne.URIWriteCloser, error)) {
	d := dialog.NewFileSave(done, win)
	d.SetFileName(name)
	d.Show()
}

// The entries of the "Take it with you" section.
const (
	keepCard = iota
	keepPDF
	keepIPS
	keepBundle
)

// keepModel lists what the patient can take. Any goroutine.
func keepModel() sectionModel {
	m := sectionModel{items: []listItem{
		{title: lang.L("Emergency card"), detail: lang.L("Allergies, medications, conditions, contacts"), key: "keep/card"},
		{title: lang.L("Health summary (PDF)"), detail: lang.L("To read, save or print"), key: "keep/pdf"},
		{title: lang.L("International Patient Summary"), detail: lang.L("For doctors anywhere (FHIR IPS)"), key: "keep/ips"},
		{title: lang.L("Your whole record"), detail: lang.L("Every record, as a FHIR file"), key: "keep/bundle"},
	}}
	m.page = func(v *recordView, md *masterDetail, i int) fyne.CanvasObject {
		if i == keepCard {
			return v.cardPage()
		}
		return v.exportPage(i)
	}
	return m
}

// exportPage offers one export: what it holds, whether to merge the
// person's records at other practices, and Save (and Print for the PDF).
// UI goroutine.
func (v *recordView) exportPage(which int) fyne.CanvasObject {
	src, _ := v.src.(keepSource)
	var format app.ExportFormat
	var heading, about string
	switch which {
	case keepPDF:
		format, heading = app.ExportPDF, lang.L("Health summary (PDF)")
		about = lang.L("A few pages to read and print: you, your allergies, the medications you take, your health problems, immunizations, recent results with small charts, upcoming appointments, and your emergency card to cut out. Each item says which practice recorded it and when.")
	case keepIPS:
		format, heading = app.ExportIPS, lang.L("International Patient Summary")
		about = lang.L("The international standard summary (HL7 FHIR IPS) that doctors' systems can read anywhere: allergies, medications, problems, immunizations and results, in one file.")
	default:
		format, heading = app.ExportBundle, lang.L("Your whole record")
		about = lang.L("Everything Carebook keeps of your record, as one FHIR file that another app or your next practice can import.")
	}
	title := boldText(heading)
	title.SizeName = theme.SizeNameSubHeadingText
	problem := errorText()
	done := paragraph("")
	done.Hide()
	merge := widget.NewCheck("", nil)
	merge.Hide()
	ids := []string{v.profileID}
	if src != nil {
		runFor(v, context.Background(), func(ctx context.Context) ([]string, error) {
			return src.SamePerson(ctx, v.profileID)
		}, func(same []string, err error) {
			if err == nil && len(same) > 1 {
				merge.Text = lang.N("Include your records at {{.Count}} other practices", len(same)-1, map[string]any{"Count": len(same) - 1})
				merge.OnChanged = func(on bool) {
					ids = []string{v.profileID}
					if on {
						ids = same
					}
				}
				merge.Refresh()
				merge.Show()
			}
		})
	}
	var save, print *widget.Button
	save = &widget.Button{Text: lang.L("Save…"), Icon: theme.DocumentSaveIcon(), Importance: widget.HighImportance, OnTapped: func() {
		v.src.Touch()
		problem.Hide()
		done.Hide()
		if src == nil {
			return
		}
		v.confirmSave(func() {
			save.Disable()
			chosen := append([]string(nil), ids...)
			runFor(v, context.Background(), func(ctx context.Context) (savedFile, error) {
				data, name, err := src.ExportBytes(ctx, app.Export{Format: format, ProfileIDs: chosen, Where: app.ExportToAppFile})
				return savedFile{data, name}, err
			}, func(f savedFile, err error) {
				save.Enable()
				if err != nil {
					showError(problem, lang.L("Carebook could not make this file. {{.Problem}}", map[string]any{"Problem": humanStorageError(err)}))
					return
				}
				v.saveFile(f, problem)
			})
		})
	}}
	buttons := []fyne.CanvasObject{save}
	if format == app.ExportPDF {
		print = &widget.Button{Text: lang.L("Print…"), Icon: theme.DocumentPrintIcon(), OnTapped: func() {
			v.src.Touch()
			problem.Hide()
			done.Hide()
			if src == nil {
				return
			}
			print.Disable()
			chosen := append([]string(nil), ids...)
			runFor(v, context.Background(), func(ctx context.Context) (struct{}, error) {
				return struct{}{}, src.PrintSummary(ctx, chosen...)
			}, func(_ struct{}, err error) {
				print.Enable()
				if err != nil {
					showError(problem, lang.L("Carebook could not open the summary in your PDF viewer."))
					return
				}
				done.SetText(lang.L("The summary opened in your PDF viewer: print it from there."))
				done.Show()
			})
		}}
		buttons = append(buttons, print)
	}
	return container.NewVScroll(container.NewPadded(newColumn(detailMaxWidth, false,
		title, paragraph(about), merge, warningText(leavesEncryption()), buttonRow(buttons...), done, problem)))
}

// cardPage shows the emergency card, with the switch that makes it
// readable from the lock screen. UI goroutine.
func (v *recordView) cardPage() fyne.CanvasObject {
	src, _ := v.src.(keepSource)
	title := boldText(lang.L("Emergency card"))
	title.SizeName = theme.SizeNameSubHeadingText
	body := container.NewVBox(paragraph(lang.L("Loading…")))
	problem := errorText()
	lock := widget.NewCheck(lang.L("Show it on the lock screen"), nil)
	lock.Disable()
	explain := paragraph(lockText(false))
	col := newColumn(detailMaxWidth, false, title, body, widget.NewSeparator(), lock, explain, problem)
	if src == nil {
		return container.NewVScroll(container.NewPadded(col))
	}
	type cardState struct {
		card app.EmergencyCard
		on   bool
	}
	runFor(v, context.Background(), func(ctx context.Context) (cardState, error) {
		card, err := src.EmergencyCard(ctx, v.profileID)
		if err != nil {
			return cardState{}, err
		}
		on, err := src.LockScreenCardOn(ctx, v.profileID)
		return cardState{card, on}, err
	}, func(st cardState, err error) {
		if err != nil {
			body.Objects = []fyne.CanvasObject{paragraph(lang.L("Carebook could not make your emergency card. {{.Problem}}", map[string]any{"Problem": humanStorageError(err)}))}
			body.Refresh()
			return
		}
		body.Objects = cardObjects(st.card)
		body.Refresh()
		lock.SetChecked(st.on)
		setLockText(explain, st.on)
		lock.Enable()
		var onChanged func(bool)
		apply := func(on bool) {
			lock.Disable()
			runFor(v, context.Background(), func(ctx context.Context) (struct{}, error) {
				return struct{}{}, src.SetLockScreenCard(ctx, v.profileID, on)
			}, func(_ struct{}, err error) {
				lock.Enable()
				if err != nil {
					showError(problem, lang.L("Carebook could not change this. {{.Problem}}", map[string]any{"Problem": humanStorageError(err)}))
					lock.OnChanged = nil
					lock.SetChecked(!on)
					lock.OnChanged = onChanged
					return
				}
				problem.Hide()
				setLockText(explain, on)
			})
		}
		onChanged = func(on bool) {
			v.src.Touch()
			if !on {
				apply(false)
				return
			}
			d := dialog.NewCustomConfirm(lang.L("Show your card on the lock screen?"), lang.L("Show it"), lang.L("Cancel"), paragraph(
				lang.L("Anyone who has this device can then read your emergency card without your passphrase: your name, allergies, medications, conditions, blood type and emergency contacts. Only the card is kept that way; the rest of your record stays encrypted. Turn this off to delete that copy.")),
				func(ok bool) {
					if ok {
						apply(true)
						return
					}
					lock.OnChanged = nil
					lock.SetChecked(false)
					lock.OnChanged = onChanged
				}, v.win)
			d.Resize(fyne.NewSize(min(v.win.Canvas().Size().Width-24, 440), 0))
			d.Show()
		}
		lock.OnChanged = onChanged
	})
	return container.NewVScroll(container.NewPadded(col))
}

func setLockText(l *widget.Label, on bool) { l.SetText(lockText(on)) }

// lockText says who can read the emergency card, shown on the lock
// screen (on) or not.
func lockText(on bool) string {
	if on {
		return lang.L("On: anyone with this device can read this card from the lock screen, without your passphrase. Nothing else of your record is readable that way. Turn it off to delete that copy.")
	}
	return lang.L("Off: only you, after unlocking Carebook, can read it. The health summary (PDF) has it at wallet size, to print and cut out.")
}

// cardObjects shows a card's contents. UI goroutine.
func cardObjects(c app.EmergencyCard) []fyne.CanvasObject {
	name := boldText(c.Name)
	objs := []fyne.CanvasObject{name}
	if c.BirthDate != "" {
		objs = append(objs, fieldText(lang.L("Born"), c.BirthDate))
	}
	objs = append(objs, fieldText(lang.L("Blood type"), firstText(c.BloodType, lang.L("not recorded"))))
	for _, l := range app.EmergencyCardLines(c) {
		label, value, _ := strings.Cut(l, ": ")
		objs = append(objs, fieldText(label, value))
	}
	if len(c.Sources) > 0 {
		objs = append(objs, paragraph(lang.L("From the record kept by {{.Practices}}.", map[string]any{"Practices": andList(c.Sources)})))
	}
	return objs
}

// andList is "a, b and c" in the current language.
func andList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	n := len(words) - 1
	return lang.L("{{.Some}} and {{.Last}}", map[string]any{"Some": strings.Join(words[:n], ", "), "Last": words[n]})
}

// lockScreenCards is the lock screen's way to the emergency cards the
// patient chose to show there: a button per card once read (nothing when
// there is none). It reads only the cards. UI goroutine.
func (u *UI) lockScreenCards() fyne.CanvasObject {
	box := container.NewVBox()
	background(u.ctx, func(ctx context.Context) ([]app.EmergencyCard, error) {
		return u.core.LockScreenCards(ctx)
	}, func(cards []app.EmergencyCard, err error) {
		if err != nil {
			return
		}
		for _, c := range cards {
			box.Add(&widget.Button{Text: lang.L("Emergency card: {{.Name}}", map[string]any{"Name": c.Name}), Icon: theme.WarningIcon(), Importance: widget.DangerImportance,
				OnTapped: func() { u.showLockScreenCard(c) }})
		}
		box.Refresh()
	})
	return box
}

// showLockScreenCard shows one card over the lock screen. UI goroutine.
func (u *UI) showLockScreenCard(c app.EmergencyCard) {
	col := newColumn(440, false, cardObjects(c)...)
	d := dialog.NewCustom(lang.L("Emergency card"), lang.L("Close"), container.NewVScroll(col), u.win)
	size := u.win.Canvas().Size()
	d.Resize(fyne.NewSize(min(size.Width-24, 480), min(size.Height-40, 560)))
	d.Show()
}

// keepSection loads the documents and "Take it with you" sections (ok
// false for any other section). Any goroutine.
func (v *recordView) keepSection(ctx context.Context, name, query string) (sectionModel, bool, error) {
	if name != "documents" && name != "keep" {
		return sectionModel{}, false, nil
	}
	src, ok := v.src.(keepSource)
	if !ok {
		return sectionModel{empty: lang.L("Not available here.")}, true, nil
	}
	if name == "keep" {
		return keepModel(), true, nil
	}
	docs, err := src.Documents(ctx, v.profileID, query)
	if err != nil {
		return sectionModel{}, true, err
	}
	return documentsModel(docs, query), true, nil
}

// documentFilter is the search box above the documents: the list keeps
// the documents holding every word typed. UI goroutine.
func (v *recordView) documentFilter(s *sectionView) fyne.CanvasObject {
	e := widget.NewEntry()
	e.SetPlaceHolder(lang.L("Search your documents"))
	e.ActionItem = widget.NewIcon(theme.SearchIcon())
	e.OnChanged = func(text string) {
		v.src.Touch()
		s.query = text
		v.load(s)
	}
	return container.NewPadded(e)
}
