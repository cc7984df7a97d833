package rules

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits on a patient's message.
const (
	// MaxMessageText is the most characters of text in one message.
	MaxMessageText = 10_000
	// MaxAttachmentBytes is the largest attachment (decoded) of a message.
	MaxAttachmentBytes = 5 << 20
	// MaxPayloads is the most payload parts (text and attachments) of one message.
	MaxPayloads = 10
)

// recipientTypes are who a patient may write to: the practice and its staff.
var recipientTypes = []string{"Organization", "Practitioner", "PractitionerRole", "CareTeam"}

// createCommunication checks a patient's message. A message with partOf
// belongs to an existing thread of the same patient; one without starts a
// thread (a header) and needs a topic or a payload.
func (w *write) createCommunication(ctx context.Context) error {
	c := w.newRes
	if st := str(c, "status"); st != "in-progress" && st != "completed" {
		return invalid(`A message must have the status "in-progress" or "completed".`)
	}
	if subj := refs(c, "subject"); len(subj) != 1 || subj[0] != w.patientRef() {
		return businessRule("A message must be about your own record (subject).")
	}
	sender := refs(c, "sender")
	if len(sender) != 1 || (sender[0] != w.userRef() && sender[0] != w.patientRef()) {
		return businessRule("A message must be sent by you (sender).")
	}
	if _, set := c["received"]; set {
		return invalid("The time a message was received is set by the practice.")
	}
	if err := w.checkRecipients(ctx, c); err != nil {
		return err
	}
	threads := refs(c, "partOf")
	if len(threads) > 1 {
		return invalid("A message belongs to one conversation (partOf) at most.")
	}
	payloads := list(c, "payload")
	if len(threads) == 0 && len(payloads) == 0 {
		topic, _ := c["topic"].(map[string]any)
		if strings.TrimSpace(str(topic, "text")) == "" && len(codingsOf(c, "topic")) == 0 {
			return invalid("A new conversation needs a topic or a message.")
		}
	}
	if len(threads) == 1 {
		if len(payloads) == 0 {
			return invalid("A message can't be empty.")
		}
		if err := w.checkSamePatient(ctx, threads[0], "Communication", "The conversation (partOf) does not exist or is not yours."); err != nil {
			return err
		}
	}
	for _, r := range refs(c, "inResponseTo") {
		if err := w.checkSamePatient(ctx, r, "Communication", "The message you reply to (inResponseTo) does not exist or is not yours."); err != nil {
			return err
		}
	}
	if err := checkPayloads(payloads, w.messages); err != nil {
		return err
	}
	for _, r := range refs(c, "about") {
		if err := w.checkSamePatient(ctx, r, "", "A message can only be about your own records."); err != nil {
			return err
		}
	}
	for _, p := range payloads {
		pm, _ := p.(map[string]any)
		if r := refOf(pm["contentReference"]); r != "" {
			if err := w.checkSamePatient(ctx, r, "", "A message can only point to your own records."); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *write) checkRecipients(ctx context.Context, c map[string]any) error {
	recipients := refs(c, "recipient")
	if len(recipients) == 0 {
		return invalid("A message needs a recipient at the practice.")
	}
	for _, r := range recipients {
		typ, id, ok := splitRef(r)
		if !ok || !contains(recipientTypes, typ) {
			return businessRule("Messages can only be sent to the practice or its staff.")
		}
		if _, found, err := w.read(ctx, typ, id); err != nil {
			return err
		} else if !found {
			return businessRule("The recipient of this message is not known at the practice.")
		}
	}
	return nil
}

// checkSamePatient refuses with message unless ref is a resource of type
// typ that belongs to the token's patient.
func (w *write) checkSamePatient(ctx context.Context, ref, typ, message string) error {
	t, id, ok := splitRef(ref)
	if !ok || (typ != "" && t != typ) {
		return businessRule(message)
	}
	m, found, err := w.read(ctx, t, id)
	if err != nil {
		return err
	}
	if !found || !belongsTo(m, w.Grant.PatientID) {
		return businessRule(message)
	}
	return nil
}

// checkPayloads enforces the limits of mp and refuses empty parts.
func checkPayloads(payloads []any, mp MessagePolicy) error {
	if len(payloads) > mp.MaxParts {
		return invalid(fmt.Sprintf("A message can have at most %d parts (its text and files).", mp.MaxParts))
	}
	text := 0
	for _, p := range payloads {
		pm, _ := p.(map[string]any)
		switch {
		case pm["contentString"] != nil:
			s, _ := pm["contentString"].(string)
			if strings.TrimSpace(s) == "" {
				return invalid("A message can't be empty.")
			}
			text += utf8.RuneCountInString(s)
		case pm["contentAttachment"] != nil:
			att, _ := pm["contentAttachment"].(map[string]any)
			data := str(att, "data")
			if data == "" && str(att, "url") == "" {
				return invalid("An attachment has no content.")
			}
			if int64(base64.StdEncoding.DecodedLen(len(data))) > mp.MaxAttachmentBytes+2 {
				return invalid(fmt.Sprintf("An attachment can be at most %s.", sizeText(mp.MaxAttachmentBytes)))
			}
			if ct := str(att, "contentType"); ct != "" && len(mp.AttachmentTypes) > 0 && !contains(mp.AttachmentTypes, ct) {
				return invalid(fmt.Sprintf("Files of type %s can't be sent. Please send a PDF, a photo (JPEG, PNG, HEIC) or a text file.", ct))
			}
			if _, err := base64.StdEncoding.DecodeString(data); err != nil {
				return invalid("An attachment's data is not valid base64.")
			}
		case pm["contentReference"] != nil:
			if refOf(pm["contentReference"]) == "" {
				return invalid("A message part refers to nothing.")
			}
		default:
			return invalid("A message can't be empty.")
		}
	}
	if text > mp.MaxText {
		return invalid(fmt.Sprintf("A message can be at most %d characters long.", mp.MaxText))
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
