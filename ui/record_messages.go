package ui

import (
	"github.com/carebook/carebook/app/record"
)

// messagesSection lists the conversations with the practice, the most
// recent first, marking those with messages not read yet; opening one
// shows every message of it and counts them as read. read holds the ids
// of the messages read on this device. Any goroutine.
func messagesSection(c *record.Chart, read map[string]bool) sectionModel {
	threads := record.Threads(c, read)
	items := make([]listItem, len(threads))
	for i, th := range threads {
		latest := th.Messages[len(th.Messages)-1]
		items[i] = listItem{
			title:  threadTitle(th),
			detail: joinNonEmpty(" · ", timeText(latest.Date()), senderName(c, latest), plural(len(th.Messages), "message", "messages")),
			key:    th.Key,
		}
		if n := len(th.Unread); n > 0 {
			items[i].flag = "New"
		}
	}
	return sectionModel{
		items:  items,
		empty:  "No messages with this practice yet.",
		detail: func(i int) detailModel { return threadDetail(c, threads[i]) },
		opened: func(i int) []string { return threads[i].Unread },
	}
}

// threadTitle is the subject, else the start of the first message.
func threadTitle(th record.Thread) string {
	if th.Topic != "" {
		return th.Topic
	}
	first := []rune(th.Messages[0].Text)
	if len(first) > 60 {
		return string(first[:60]) + "…"
	}
	return firstText(string(first), "Message")
}

// senderName is who wrote m, "You" for the patient's side.
func senderName(c *record.Chart, m record.Communication) string {
	if c.FromPatientSide(m) {
		if m.Sender.TargetType() == "RelatedPerson" {
			return firstText(refName(c, m.Sender), "You")
		}
		return "You"
	}
	return firstText(refName(c, m.Sender), "Your practice")
}

// threadDetail shows every message of a conversation, oldest first, with
// the files sent with them.
func threadDetail(c *record.Chart, th record.Thread) detailModel {
	d := detailModel{title: threadTitle(th), subtitle: plural(len(th.Messages), "message", "messages")}
	for _, m := range th.Messages {
		d.addText(joinNonEmpty(" · ", senderName(c, m), timeText(m.Date())), firstText(m.Text, "(a file, below)"))
		d.partial = d.partial || m.Incomplete
		d.docs = append(d.docs, attachmentDocs("Communication/"+m.ID, dayText(m.Date()), "", m.Attachments)...)
	}
	return d
}
