package rules

import "fmt"

// MessagePolicy is what the practice tells patients about secure messaging
// (its notice) and the limits it enforces on a patient's message. The FHIR
// API publishes it in its CapabilityStatement so that apps can check a
// message before sending it.
type MessagePolicy struct {
	// Notice is shown before a patient sends a message: not for
	// emergencies, when to expect an answer.
	Notice string
	// MaxText is the most characters of text in one message.
	MaxText int
	// MaxAttachmentBytes is the largest attachment (decoded).
	MaxAttachmentBytes int64
	// MaxParts is the most payload parts (text and attachments) of one
	// message.
	MaxParts int
	// AttachmentTypes are the MIME types accepted for attachments; empty
	// accepts any.
	AttachmentTypes []string
}

// DefaultNotice is the practice's notice unless configured otherwise.
const DefaultNotice = "Messages are not for emergencies. If you have a medical emergency, call 911 or go to the nearest emergency room. " +
	"Messages are read during office hours (Monday to Friday, 8 am to 5 pm); we answer within two business days."

// DefaultMessagePolicy is the practice's policy unless configured
// otherwise.
func DefaultMessagePolicy() MessagePolicy {
	return MessagePolicy{
		Notice:             DefaultNotice,
		MaxText:            MaxMessageText,
		MaxAttachmentBytes: MaxAttachmentBytes,
		MaxParts:           MaxPayloads,
		AttachmentTypes:    []string{"application/pdf", "image/jpeg", "image/png", "image/heic", "text/plain"},
	}
}

// sizeText says n bytes for people: "5 MB", "300 KB".
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}
