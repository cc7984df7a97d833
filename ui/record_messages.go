package ui

import (
	"github.com/carebook/carebook/app/record"

	"fyne.io/fyne/v2/lang"
)

// threadTitle is the subject, else the start of the first message.
func threadTitle(th record.Thread) string {
	if th.Topic != "" {
		return th.Topic
	}
	first := []rune(th.Messages[0].Text)
	if len(first) > 60 {
		return string(first[:60]) + "…"
	}
	return firstText(string(first), lang.L("Message"))
}

// senderName is who wrote m, "You" for the patient's side.
func senderName(c *record.Chart, m record.Communication) string {
	if c.FromPatientSide(m) {
		if m.Sender.TargetType() == "RelatedPerson" {
			return firstText(refName(c, m.Sender), lang.L("You"))
		}
		return lang.L("You")
	}
	return firstText(refName(c, m.Sender), lang.L("Your practice"))
}

// threadDetail shows every message of a conversation, oldest first, with
// the files sent with them: where search finds a message (the Messages
// screen shows conversations with their states and replies).
func threadDetail(c *record.Chart, th record.Thread) detailModel {
	d := detailModel{title: threadTitle(th), subtitle: lang.N("{{.Count}} messages", len(th.Messages), map[string]any{"Count": len(th.Messages)})}
	for _, m := range th.Messages {
		d.addText(joinNonEmpty(" · ", senderName(c, m), timeText(m.Date())), firstText(m.Text, lang.L("(a file, below)")))
		d.partial = d.partial || m.Incomplete
		d.docs = append(d.docs, attachmentDocs("Communication/"+m.ID, dayText(m.Date()), "", m.Attachments)...)
	}
	return d
}
