package record

import "sort"

// Thread is one conversation with the practice: a thread header
// Communication (the subject, no text) and the messages that are partOf it,
// or a lone message.
type Thread struct {
	Key      string          // "Communication/{id}" of the header, or of the lone message
	Topic    string          // the subject; "" when none was given
	Messages []Communication // with content, oldest first
	// Unread lists the ids of messages from the practice not in read.
	Unread []string
}

// Latest is when the newest message of the thread was sent.
func (t Thread) Latest() Date {
	if len(t.Messages) == 0 {
		return Date{}
	}
	return t.Messages[len(t.Messages)-1].Date()
}

// FromPatientSide reports whether m was written by the patient or someone
// acting for them, rather than by the practice.
func (c *Chart) FromPatientSide(m Communication) bool {
	return isFromPatientSide(m.Sender, c.patientIDs())
}

// patientIDs are the ids of the chart's Patient resources.
func (c *Chart) patientIDs() map[string]bool {
	ids := make(map[string]bool, len(c.Patients))
	for _, p := range c.Patients {
		ids[p.ID] = true
	}
	return ids
}

// Threads groups the chart's messages into conversations, the most recent
// first. read holds the ids of messages the patient has read; messages
// entered in error and empty ones are left out, and a thread with no
// message left is not listed.
func Threads(c *Chart, read map[string]bool) []Thread {
	patientIDs := c.patientIDs()
	byKey := map[string]*Thread{}
	var order []string
	thread := func(key string) *Thread {
		t, ok := byKey[key]
		if !ok {
			t = &Thread{Key: key}
			byKey[key] = t
			order = append(order, key)
		}
		return t
	}
	for _, m := range c.Communications {
		if m.Status == "entered-in-error" {
			continue
		}
		key := m.Key()
		if !m.Thread.IsZero() {
			key = "Communication/" + refID(m.Thread.Reference)
		}
		t := thread(key)
		if key == m.Key() && m.Topic != "" { // the header, or a lone message, names the subject
			t.Topic = m.Topic
		}
		if m.Text == "" && len(m.Attachments) == 0 {
			continue // a thread header carries no message of its own
		}
		if t.Topic == "" {
			t.Topic = m.Topic
		}
		t.Messages = append(t.Messages, m)
		if !read[m.ID] && !isFromPatientSide(m.Sender, patientIDs) {
			t.Unread = append(t.Unread, m.ID)
		}
	}
	out := make([]Thread, 0, len(order))
	for _, key := range order {
		t := byKey[key]
		if len(t.Messages) == 0 {
			continue
		}
		sort.SliceStable(t.Messages, func(i, j int) bool { return t.Messages[i].Date().Before(t.Messages[j].Date()) })
		out = append(out, *t)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Latest().After(out[j].Latest()) })
	return out
}
