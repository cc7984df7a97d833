package ui

// Whose record is on screen: the person's badge (initials in a colour of
// their own), the switcher's words ("Leo Okafor · your son"), what a
// practice shares with a parent or caregiver, and the screen of a record
// whose access ended.

import (
	"context"
	"errors"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
)

// badgePalette are the badge colours (app.ProfileInfo.Colour indexes it):
// dark enough for white initials to read at AA contrast.
var badgePalette = []color.NRGBA{
	{R: 0x0e, G: 0x6b, B: 0x73, A: 0xff}, // teal
	{R: 0x7b, G: 0x3f, B: 0xa0, A: 0xff}, // purple
	{R: 0xb0, G: 0x3a, B: 0x2e, A: 0xff}, // brick
	{R: 0x2e, G: 0x5e, B: 0xaa, A: 0xff}, // blue
	{R: 0x8a, G: 0x5a, B: 0x00, A: 0xff}, // ochre
	{R: 0x2f, G: 0x6f, B: 0x3e, A: 0xff}, // green
	{R: 0xa3, G: 0x2f, B: 0x6b, A: 0xff}, // magenta
	{R: 0x4a, G: 0x55, B: 0x68, A: 0xff}, // slate
}

// badge is a person's initials in a circle of their colour.
func badge(p app.ProfileInfo, size float32) fyne.CanvasObject {
	c := badgePalette[((p.Colour%len(badgePalette))+len(badgePalette))%len(badgePalette)]
	circle := canvas.NewCircle(c)
	text := canvas.NewText(p.Initials, color.White)
	text.TextStyle = fyne.TextStyle{Bold: true}
	text.TextSize = size * 0.42
	text.Alignment = fyne.TextAlignCenter
	box := container.NewStack(circle, container.NewCenter(text))
	return container.NewGridWrap(fyne.NewSize(size, size), box)
}

// personLine is how the switcher and lists name a person, short enough
// for a phone: "Leo · your son", "Maya (you)" for the user's own record,
// the name alone when the practice did not say.
func personLine(p app.ProfileInfo) string {
	switch {
	case p.Relationship != "":
		return firstOf(p.Label) + " · " + p.Relationship
	case p.Self:
		return lang.L("{{.Name}} (you)", map[string]any{"Name": firstOf(p.Label)})
	}
	return p.Label
}

// fullPersonLine is personLine with the whole name, for where two people
// share a first name: "Leo Chidi Okafor · your son".
func fullPersonLine(p app.ProfileInfo) string {
	switch {
	case p.Relationship != "":
		return p.Label + " · " + p.Relationship
	case p.Self:
		return lang.L("{{.Name}} (you)", map[string]any{"Name": p.Label})
	}
	return p.Label
}

// firstOf is the first name of a person's full name.
func firstOf(name string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(name), " ")
	return first
}

// whose is the patient's first name when the record is not the user's
// own (a parent's or caregiver's), so that a screen says "Leo's details"
// where it says "Your details" to the patient; "" for one's own record.
func whose(p app.ProfileInfo) string {
	if p.Self {
		return ""
	}
	return firstOf(p.Label)
}

// pronoun is "her", "his" or "their" for a profile's patient, from the
// relationship the practice stated: the sentences that name what a
// practice shares are chosen by it (Spanish says "sus" for all three).
func pronoun(p app.ProfileInfo) string {
	words := strings.Fields(p.Relationship)
	if len(words) == 0 {
		return "their"
	}
	switch words[len(words)-1] {
	case "son", "father", "husband", "brother", "grandson", "grandfather":
		return "his"
	case "daughter", "mother", "wife", "sister", "granddaughter", "grandmother":
		return "her"
	}
	return "their"
}

// sharedText is "Nia's practice shares her appointments, immunizations,
// allergies and billing with you."
func sharedText(p app.ProfileInfo, ac app.Access) string {
	words := make([]string, len(ac.Shared))
	for i, w := range ac.Shared {
		words[i] = sectionWord(w)
	}
	f := map[string]any{"Name": firstOf(p.Label), "What": joinAnd(words)}
	if len(ac.Shared) == 0 {
		switch pronoun(p) {
		case "his":
			return lang.L("{{.Name}}'s practice shares only his details with you, not the health record.", f)
		case "her":
			return lang.L("{{.Name}}'s practice shares only her details with you, not the health record.", f)
		}
		return lang.L("{{.Name}}'s practice shares only their details with you, not the health record.", f)
	}
	switch pronoun(p) {
	case "his":
		return lang.L("{{.Name}}'s practice shares his {{.What}} with you.", f)
	case "her":
		return lang.L("{{.Name}}'s practice shares her {{.What}} with you.", f)
	}
	return lang.L("{{.Name}}'s practice shares their {{.What}} with you.", f)
}

// hiddenText says a section is not shared, with the practice's words.
// what names the section in English ("test results"), as sectionTypes do.
func hiddenText(p app.ProfileInfo, what, reason string) string {
	f := map[string]any{"Name": firstOf(p.Label), "What": sectionWord(what)}
	var text string
	switch pronoun(p) {
	case "his":
		text = lang.L("{{.Name}}'s practice does not share his {{.What}} with you.", f)
	case "her":
		text = lang.L("{{.Name}}'s practice does not share her {{.What}} with you.", f)
	default:
		text = lang.L("{{.Name}}'s practice does not share their {{.What}} with you.", f)
	}
	if reason != "" {
		text += " " + lang.L("The practice says: {{.Words}}", map[string]any{"Words": reason})
	}
	return text
}

// sectionWord is a part of a record, named by its English key ("visits",
// "test-results") in sectionTypes and app.Access, in the language the
// screens speak.
func sectionWord(w string) string {
	switch w {
	case "appointments":
		return lang.L("appointments")
	case "visits":
		return lang.L("visits")
	case "test results", "test-results":
		return lang.L("test results")
	case "measurements":
		return lang.L("measurements")
	case "medications":
		return lang.L("medications")
	case "immunizations":
		return lang.L("immunizations")
	case "allergies":
		return lang.L("allergies")
	case "conditions":
		return lang.L("conditions")
	case "documents":
		return lang.L("documents")
	case "care plans", "care-plans":
		return lang.L("care plans")
	case "messages":
		return lang.L("messages")
	case "billing":
		return lang.L("billing")
	case "statements":
		return lang.L("statements")
	}
	return w
}

// joinAnd is "a, b and c".
func joinAnd(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return lang.L("{{.List}} and {{.Last}}", map[string]any{
		"List": strings.Join(words[:len(words)-1], ", "), "Last": words[len(words)-1]})
}

// sectionTypes are the resource types behind each record section, and how
// a sentence names them (a key of sectionWord).
var sectionTypes = map[string]struct {
	words string
	types []string
}{
	"results":       {"test-results", []string{"Observation", "DiagnosticReport"}},
	"vitals":        {"measurements", []string{"Observation"}},
	"medications":   {"medications", []string{"MedicationRequest"}},
	"allergies":     {"allergies", []string{"AllergyIntolerance"}},
	"conditions":    {"conditions", []string{"Condition"}},
	"immunizations": {"immunizations", []string{"Immunization"}},
	"visits":        {"visits", []string{"Encounter"}},
	"messages":      {"messages", []string{"Communication"}},
	"billing":       {"statements", []string{"Invoice", "Account", "ExplanationOfBenefit"}},
	"care":          {"care-plans", []string{"CarePlan", "Goal", "CareTeam"}},
}

// endedView is shown instead of a record whose access the practice ended
// while something the user wrote was still unsent: it says so plainly,
// shows what would be lost, and removes the record when the user is ready.
// UI goroutine.
func (s *shell) endedView() fyne.CanvasObject {
	u, p := s.u, s.current
	f := map[string]any{"Name": firstOf(p.Label), "Practice": p.Practice}
	head := []fyne.CanvasObject{
		heading(lang.L("Access to {{.Name}}'s record has ended", f)),
		paragraph(lang.L("{{.Practice}} no longer shares {{.Name}}'s record with you, so Carebook can no longer update it or send anything for {{.Name}}. What you wrote below was not sent, and will be lost when the record is removed: copy anything you still need and send it another way.", f)),
	}
	col := newColumn(640, false, append(head, paragraph(lang.L("Loading…")))...)
	var remove *wrapButton
	remove = newWrapButton(lang.L("Remove {{.Name}}'s record from this device", f), nil, widget.DangerImportance, func() {
		u.core.Touch()
		dialog.ShowConfirm(lang.L("Remove {{.Name}}'s record?", f),
			lang.L("Carebook destroys the record's key, so nothing of it, and nothing unsent, can be read here again."),
			func(ok bool) {
				if !ok {
					return
				}
				remove.Disable()
				id := p.ID
				background(u.ctx, func(ctx context.Context) (struct{}, error) {
					return struct{}{}, u.core.CloseEndedProfile(ctx, id)
				}, func(_ struct{}, err error) {
					if err != nil {
						remove.Enable()
						dialog.ShowError(errors.New(lang.L("The record could not be removed.")+" "+humanStorageError(err)), u.win)
						return
					}
					u.showUnlockedHome()
				})
			}, u.win)
	})
	// What is lost with the record: the items the practice has not
	// accepted, and the drafts (a message's, a form's).
	background(u.ctx, func(ctx context.Context) ([]app.OutboxEntry, error) {
		return u.core.Unsent(ctx, p.ID)
	}, func(entries []app.OutboxEntry, err error) {
		var objs []fyne.CanvasObject
		switch {
		case err != nil:
			objs = append(objs, paragraph(lang.L("Carebook could not read what was waiting to be sent.")+" "+humanStorageError(err)))
		default:
			for _, e := range entries {
				objs = append(objs, u.unsentCard(e, appLocale().DateTime(e.CreatedAt.Local())))
			}
		}
		if len(objs) == 0 {
			objs = append(objs, paragraph(lang.L("Nothing was waiting to be sent.")))
		}
		// The cards go straight into the column, which measures each at
		// its final width (a nested column would not).
		col.Objects = append(append(append([]fyne.CanvasObject{}, head...), objs...), remove)
		col.Refresh()
	})
	return container.NewVScroll(container.NewPadded(col))
}

// selectableText is read-only text the user can select and copy.
func selectableText(text string) fyne.CanvasObject {
	e := widget.NewMultiLineEntry()
	e.SetText(text)
	e.Wrapping = fyne.TextWrapWord
	e.OnChanged = func(string) { e.SetText(text) } // read-only but selectable
	return e
}
