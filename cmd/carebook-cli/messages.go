package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/carebook/carebook/app"
)

// multiFlag collects a repeated flag (--attach FILE --attach FILE).
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// cmdMessage writes a message to the practice through app.SendMessage: a
// new one (--to, --subject) or a reply (--reply-to). Exit codes are those
// of every action (see reportAction).
func cmdMessage(ctx context.Context, args []string, e env) error {
	fs := newFlags("message", e)
	pf := addProfileFlags(fs)
	to := fs.String("to", "", "recipient at the practice, TYPE/ID (Practitioner/..., Organization/...); a reply goes to whoever wrote last")
	subject := fs.String("subject", "", "subject line (new messages)")
	text := fs.String("text", "", "the message")
	topic := fs.String("topic", "", "topic: "+topicCodes())
	replyTo := fs.String("reply-to", "", "COMMUNICATION_ID of the message this answers")
	var attach multiFlag
	fs.Var(&attach, "attach", "a file to attach (repeatable)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *replyTo == "" && (*to == "" || strings.TrimSpace(*subject) == "") {
		return usagef("a new message needs --to TYPE/ID and --subject TEXT (or --reply-to COMMUNICATION_ID)")
	}
	if *to != "" && !validRef(*to) {
		return usagef("--to %q: want TYPE/ID, e.g. Practitioner/dr-park", *to)
	}
	if *topic != "" && !knownTopic(*topic) {
		return usagef("--topic %q: want one of %s", *topic, topicCodes())
	}
	var files []app.MessageAttachment
	for _, path := range attach {
		b, err := os.ReadFile(path)
		if err != nil {
			return usagef("--attach: cannot read %s", path)
		}
		files = append(files, app.AttachmentFromFile(path, b))
	}

	a, p, err := pf.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	d := app.Draft{To: *to, Subject: *subject, Topic: *topic}
	if *replyTo != "" {
		if d, err = a.ReplyDraft(ctx, p.ID, *replyTo); err != nil {
			return err
		}
		if *to != "" {
			d.To = *to
		}
		if *topic != "" {
			d.Topic = *topic
		}
	}
	d.Text, d.Attachments = *text, files
	sub, err := a.SendMessage(ctx, p.ID, d)
	return reportAction(e, sub, err)
}

func validRef(s string) bool {
	typ, id, ok := strings.Cut(s, "/")
	return ok && typ != "" && id != "" && !strings.Contains(id, "/")
}

func knownTopic(code string) bool {
	for _, t := range app.MessageTopics() {
		if t.Code == code {
			return true
		}
	}
	return false
}

func topicCodes() string {
	var codes []string
	for _, t := range app.MessageTopics() {
		codes = append(codes, t.Code)
	}
	return strings.Join(codes, ", ")
}

// messageJSON is one message in `messages --json`.
type messageJSON struct {
	ID          *string          `json:"id"`       // the server's id; null while queued
	LocalID     *string          `json:"local_id"` // "local-N" when written here, else null
	Thread      string           `json:"thread"`   // "Communication/<id>" of the header, or "local-N"
	Subject     string           `json:"subject"`
	Topic       string           `json:"topic,omitempty"`
	FromPatient bool             `json:"from_patient"`
	From        string           `json:"from"`
	To          string           `json:"to"`
	State       app.MessageState `json:"state"` // app.MessageState, or not-sent
	Sent        *string          `json:"sent"`
	Read        *string          `json:"read"`
	Answered    *string          `json:"answered"`
	Error       string           `json:"error,omitempty"`
	Text        string           `json:"text"`
	About       []string         `json:"about,omitempty"`
	Attachments []attachmentJSON `json:"attachments"`
	// AccessEnded: the practice ended this access to the record, so
	// what waited is not-sent.
	AccessEnded bool `json:"access_ended,omitempty"`
	// MayHaveReached: it waits, and an attempt of it may already have
	// reached the practice (app.OutboxEntry.MayHaveReached).
	MayHaveReached bool `json:"may_have_reached,omitempty"`
}

type attachmentJSON struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// cmdMessages lists the profile's conversations with the state of every
// message (app.Messages).
func cmdMessages(ctx context.Context, args []string, e env) error {
	fs := newFlags("messages", e)
	pf := addProfileFlags(fs)
	asJSON := fs.Bool("json", false, "print a JSON array of messages")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, p, err := pf.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	in, err := a.Messages(ctx, p.ID)
	if err != nil {
		return err
	}
	if *asJSON {
		return printMessagesJSON(e.stdout, in)
	}
	printMessages(e.stdout, in, p.ID)
	return nil
}

func printMessagesJSON(w io.Writer, in app.Inbox) error {
	out := []messageJSON{}
	for _, th := range in.Threads {
		for _, m := range th.Messages {
			j := messageJSON{
				ID: optional(m.ID), LocalID: optional(m.LocalID), Thread: th.Key, Subject: th.Subject, Topic: th.Topic,
				FromPatient: m.FromPatient, From: m.From, To: m.To, State: m.State, Error: m.Error, Text: m.Text, About: m.About,
				Sent: utcTime(m.Sent), Read: utcTime(m.ReadAt), Answered: utcTime(m.AnsweredAt), Attachments: []attachmentJSON{},
				AccessEnded: in.AccessEnded, MayHaveReached: m.MayHaveReached,
			}
			if in.AccessEnded && m.State == app.MessageWaiting {
				j.State = notSentJSON
			}
			for _, f := range m.Attachments {
				j.Attachments = append(j.Attachments, attachmentJSON{Name: f.Name, ContentType: f.ContentType, Size: f.Size})
			}
			out = append(out, j)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func utcTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// printMessages lists in's conversations, the messages waiting on a
// record whose access the practice ended as notSent, and then says why
// and where to find them (printNotSent with profileID).
func printMessages(w io.Writer, in app.Inbox, profileID string) {
	if len(in.Threads) == 0 {
		fmt.Fprintln(w, "no messages")
		return
	}
	unsent := false
	for i, th := range in.Threads {
		if i > 0 {
			fmt.Fprintln(w)
		}
		head := fmt.Sprintf("%s — with %s", firstOf(th.Subject, "(no subject)"), th.With)
		if n := len(th.Unread); n > 0 {
			head += fmt.Sprintf(" — %d unread", n)
		}
		fmt.Fprintf(w, "%s  [%s]\n", head, th.Key)
		for _, m := range th.Messages {
			id := firstOf(m.ID, m.LocalID)
			state := string(m.State)
			switch {
			case in.AccessEnded && m.State == app.MessageWaiting:
				state, unsent = notSent, true
			case m.State == app.MessageFailed:
				state += ": " + m.Error
			case m.State == app.MessageRead:
				state += " " + m.ReadAt.UTC().Format(time.RFC3339)
			case m.State == app.MessageAnswered:
				state += " " + m.AnsweredAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(w, "  %s  %s  %s  [%s]  %s\n", m.Sent.UTC().Format(time.RFC3339), m.From, id, state, oneLine(m.Text, 70))
			for _, f := range m.Attachments {
				fmt.Fprintf(w, "      file: %s (%s, %s)\n", f.Name, f.ContentType, app.SizeText(f.Size))
			}
		}
	}
	if unsent {
		printNotSent(w, profileID)
	}
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
