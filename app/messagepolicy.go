package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/carebook/carebook/internal/i18n"
	"github.com/carebook/carebook/sync/fhirapi"
)

// MessagePolicy is what the practice says about secure messaging: the
// notice shown before sending, and the limits it accepts.
//
// A practice publishes it in its CapabilityStatement (GET [base]/metadata),
// in plain FHIR R4: the notice is the documentation of the Communication
// entry of rest.resource, and the limits are a StructureDefinition that
// constrains Communication, named by that entry's supportedProfile (a
// contained one, "#id", or one of the statement's contained resources with
// that canonical url): payload's max is the most parts of a message (the
// text counts as one), the string type of payload.content[x] has
// maxLength, and its Attachment type carries the core extensions maxSize
// (MB) and mimeType. Whatever a practice does not publish falls back to
// DefaultMessagePolicy.
type MessagePolicy struct {
	Notice             string   `json:"notice"`
	MaxText            int      `json:"max_text"`             // characters
	MaxAttachmentBytes int64    `json:"max_attachment_bytes"` // per file
	MaxAttachments     int      `json:"max_attachments"`
	AttachmentTypes    []string `json:"attachment_types"` // MIME types; empty: any
	// Published says the practice published a notice or limits; false
	// means Carebook's defaults.
	Published bool `json:"published"`
}

// defaultNotice is shown where a practice publishes no notice of its own,
// in the current language. It is not kept with the profile's policy: a
// policy read back without a notice gets it in the language of the day.
func defaultNotice() string {
	return i18n.L("Messages are not for emergencies: if you need help now, call 911 or go to the nearest emergency room. Your practice reads messages during office hours; expect an answer within two to three business days.")
}

// DefaultMessagePolicy is used where a practice publishes none.
func DefaultMessagePolicy() MessagePolicy {
	return MessagePolicy{
		Notice:             defaultNotice(),
		MaxText:            10_000,
		MaxAttachmentBytes: 5 << 20,
		MaxAttachments:     5,
		AttachmentTypes:    []string{"application/pdf", "image/jpeg", "image/png", "image/heic", "text/plain"},
	}
}

const (
	extMaxSize  = "http://hl7.org/fhir/StructureDefinition/maxSize"
	extMimeType = "http://hl7.org/fhir/StructureDefinition/mimeType"
)

type wExtension struct {
	URL          string      `json:"url"`
	ValueDecimal json.Number `json:"valueDecimal"`
	ValueCode    string      `json:"valueCode"`
}

type wElement struct {
	Path      string                  `json:"path"`
	SliceName string                  `json:"sliceName"`
	Max       string                  `json:"max"`
	MaxLength int                     `json:"maxLength"`
	Type      []struct{ Code string } `json:"type"`
	Extension []wExtension            `json:"extension"`
}

type wStructureDefinition struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
	URL          string `json:"url"`
	Type         string `json:"type"`
	Differential struct {
		Element []wElement `json:"element"`
	} `json:"differential"`
	Snapshot struct {
		Element []wElement `json:"element"`
	} `json:"snapshot"`
}

// ParseMessagePolicy reads the message policy out of a CapabilityStatement;
// it never fails: what is missing or unreadable keeps its default.
func ParseMessagePolicy(capabilityStatement []byte) MessagePolicy {
	p := DefaultMessagePolicy()
	var cs struct {
		Contained []json.RawMessage `json:"contained"`
		Rest      []struct {
			Mode     string `json:"mode"`
			Resource []struct {
				Type             string   `json:"type"`
				Documentation    string   `json:"documentation"`
				Profile          string   `json:"profile"`
				SupportedProfile []string `json:"supportedProfile"`
			} `json:"resource"`
		} `json:"rest"`
	}
	if json.Unmarshal(capabilityStatement, &cs) != nil {
		return p
	}
	var profiles []string
	for _, rest := range cs.Rest {
		if rest.Mode != "" && rest.Mode != "server" {
			continue
		}
		for _, r := range rest.Resource {
			if r.Type != "Communication" {
				continue
			}
			if notice := strings.TrimSpace(r.Documentation); notice != "" {
				p.Notice, p.Published = notice, true
			}
			profiles = append(append(profiles, r.SupportedProfile...), r.Profile)
		}
	}
	for _, raw := range cs.Contained {
		var sd wStructureDefinition
		if json.Unmarshal(raw, &sd) != nil || sd.ResourceType != "StructureDefinition" || sd.Type != "Communication" {
			continue
		}
		named := false
		for _, name := range profiles {
			named = named || (name != "" && (name == "#"+sd.ID || name == sd.URL))
		}
		if named {
			p.Published = applyProfile(&p, sd) || p.Published
		}
	}
	return p
}

// applyProfile reads the limits of sd into p; it reports whether it found
// any.
func applyProfile(p *MessagePolicy, sd wStructureDefinition) bool {
	found := false
	var types []string
	for _, el := range append(sd.Differential.Element, sd.Snapshot.Element...) {
		switch el.Path {
		case "Communication.payload":
			if n, err := strconv.Atoi(el.Max); err == nil && n > 0 {
				p.MaxAttachments, found = max(n-1, 1), true
			}
		case "Communication.payload.content[x]", "Communication.payload.contentString", "Communication.payload.contentAttachment":
			kind := el.SliceName
			if len(el.Type) == 1 {
				kind = el.Type[0].Code
			}
			switch {
			case strings.EqualFold(kind, "string") || strings.EqualFold(kind, "contentString") || el.Path == "Communication.payload.contentString":
				if el.MaxLength > 0 {
					p.MaxText, found = el.MaxLength, true
				}
			case strings.EqualFold(kind, "Attachment") || strings.EqualFold(kind, "contentAttachment") || el.Path == "Communication.payload.contentAttachment":
				for _, ext := range el.Extension {
					switch ext.URL {
					case extMaxSize:
						if mb, err := ext.ValueDecimal.Float64(); err == nil && mb > 0 {
							p.MaxAttachmentBytes, found = int64(mb*(1<<20)), true
						}
					case extMimeType:
						if t := strings.ToLower(strings.TrimSpace(ext.ValueCode)); t != "" {
							types = append(types, t)
						}
					}
				}
			}
		}
	}
	if len(types) > 0 {
		p.AttachmentTypes, found = types, true
	}
	return found
}

// messagePolicy is the profile's message policy as last read from its
// practice, else the defaults.
func (a *App) messagePolicy(ctx context.Context, profileID string) (MessagePolicy, error) {
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return MessagePolicy{}, fmt.Errorf("message policy: %w", err)
	}
	mp := DefaultMessagePolicy()
	if raw := p.Settings[settingMessagePolicy]; raw != "" {
		var stored MessagePolicy
		if json.Unmarshal([]byte(raw), &stored) == nil && stored.MaxText > 0 {
			mp = stored
		}
		if mp.Notice == "" {
			mp.Notice = defaultNotice()
		}
	}
	return mp, nil
}

// MessagePolicy returns the practice's notice and limits for the profile:
// as last read from the practice (see RefreshMessagePolicy), else the
// defaults. It reads only the local cache.
func (a *App) MessagePolicy(ctx context.Context, profileID string) (MessagePolicy, error) {
	return a.messagePolicy(ctx, profileID)
}

// refreshMessagePolicy reads the practice's CapabilityStatement and keeps
// its message policy with the profile. Part of a sync; a statement that
// cannot be read leaves the one kept before.
func (a *App) refreshMessagePolicy(ctx context.Context, profileID string, api fhirapi.API) error {
	caps, err := api.Capabilities(ctx)
	if err != nil {
		return fmt.Errorf("message policy: %w", err)
	}
	mp := ParseMessagePolicy(caps.Raw)
	if mp.Notice == defaultNotice() {
		mp.Notice = "" // read back in the language of the day
	}
	b, err := json.Marshal(mp)
	if err != nil {
		return fmt.Errorf("message policy: %w", err)
	}
	offers, err := json.Marshal(ParsePracticeOffers(caps.Raw))
	if err != nil {
		return fmt.Errorf("practice offers: %w", err)
	}
	return a.updateSettings(ctx, profileID, func(s map[string]string) {
		s[settingMessagePolicy] = string(b)
		s[settingPracticeOffers] = string(offers)
	})
}
