package staff

import (
	"hash/fnv"
	"strconv"
	"strings"
)

// replyTopic is a kind of patient message the staff recognise by its words,
// with the polite answers they choose from.
type replyTopic struct {
	words   []string
	answers []string
}

var replyTopics = []replyTopic{
	{
		words: []string{"chest pain", "can't breathe", "cannot breathe", "suicid", "emergency", "bleeding"},
		answers: []string{
			"Thank you for your message. If this is an emergency, please call 911 or go to the nearest emergency room now. Messages are not read around the clock. We will call you today.",
		},
	},
	{
		words: []string{"refill", "prescription", "pharmacy", "medication", "medicine", "pills"},
		answers: []string{
			"Thank you for your message. For refills, the quickest way is the refill request in the app; the doctor reviews requests within two business days. We have noted your question for the care team.",
			"Thanks for reaching out about your medicine. The care team will review it and send anything needed to your pharmacy. Please allow two business days.",
		},
	},
	{
		words: []string{"appointment", "reschedule", "cancel", "visit", "book"},
		answers: []string{
			"Thank you for your message. You can book, move or cancel visits in the app at least 24 hours ahead; for anything sooner please call the office at (555) 201-4400.",
			"Thanks for getting in touch. We have looked at the schedule; you can pick any open time in the app, or call us and we will find one with you.",
		},
	},
	{
		words: []string{"result", "lab", "blood test", "report", "cholesterol", "a1c"},
		answers: []string{
			"Thank you for your question about your results. The doctor has reviewed them; the comment is with the report in the app. If you would like to talk it through, please book a follow-up visit.",
			"Thanks for asking. Your results are in the app with the doctor's note. Nothing urgent was found; we can discuss them at your next visit.",
		},
	},
	{
		words: []string{"bill", "invoice", "statement", "payment", "insurance", "balance"},
		answers: []string{
			"Thank you for your message. Our billing office will review your statement and get back to you within three business days. You can also reach them at (555) 201-4410.",
		},
	},
	{
		words: []string{"pain", "fever", "sick", "cough", "rash", "hurt", "sore"},
		answers: []string{
			"Thank you for letting us know. The nurse will call you today to talk about your symptoms. If they get worse, please call the office or go to urgent care.",
			"We are sorry you are not feeling well. Please book a sick visit in the app or call us; if your symptoms get worse, seek urgent care.",
		},
	},
}

var genericAnswers = []string{
	"Thank you for your message. The care team has read it and will follow up if anything else is needed.",
	"Thanks for getting in touch. We have received your message and added a note to your chart for the doctor.",
	"Thank you for reaching out. We are glad to help; please let us know if you have any other questions.",
}

// replyText chooses the answer to msg: by the first topic whose words its
// text contains, then deterministically among that topic's answers by the
// seed and the message id.
func (w *Worker) replyText(msg message) string {
	var sb strings.Builder
	payload, _ := msg.m["payload"].([]any)
	for _, p := range payload {
		pm, _ := p.(map[string]any)
		sb.WriteString(strings.ToLower(str(pm, "contentString")))
		sb.WriteByte(' ')
	}
	if topic, ok := msg.m["topic"].(map[string]any); ok {
		sb.WriteString(strings.ToLower(str(topic, "text")))
	}
	words := sb.String()
	answers := genericAnswers
	for _, t := range replyTopics {
		if containsAny(words, t.words) {
			answers = t.answers
			break
		}
	}
	h := fnv.New64a()
	h.Write([]byte(strconv.FormatInt(w.cfg.Seed, 10) + "/" + msg.res.ID))
	return answers[h.Sum64()%uint64(len(answers))]
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
