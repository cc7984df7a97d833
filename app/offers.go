package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/carebook/carebook/internal/i18n"
)

// settingPracticeOffers keeps what the practice publishes about changing
// one's details and paying bills (PracticeOffers, JSON).
const settingPracticeOffers = "practice_offers"

// PatientEditableURL is the extension of a CapabilityStatement's Patient
// entry (rest.resource) by which a practice says which Patient elements a
// patient may change: sub-extensions "element" (valueCode: "telecom",
// "address", "communication", "contact", "extension" for the preferred
// pharmacy) and "ask" (valueString: who to ask for other changes).
const PatientEditableURL = "http://carebook.app/fhir/StructureDefinition/patient-editable"

// PaymentPageURL is the extension of a CapabilityStatement's Invoice entry
// (rest.resource) whose valueUrl is the practice's page for paying a bill
// online.
const PaymentPageURL = "http://carebook.app/fhir/StructureDefinition/payment-page"

// DefaultAsk is who to ask for a change the practice does not take
// online, where it does not say, in the language the app speaks.
func DefaultAsk() string { return i18n.L("the front desk") }

// PracticeOffers is what a practice publishes in its CapabilityStatement
// about a patient's own details and bills.
type PracticeOffers struct {
	// Editable lists the Patient elements a patient may change; nil when
	// the practice did not say (then everything but the identity elements
	// is offered, and the practice has the last word when it answers).
	Editable []string `json:"editable,omitempty"`
	// Ask is who to ask for other changes ("" when not published).
	Ask string `json:"ask,omitempty"`
	// NoUpdate says the practice does not take Patient updates at all
	// (its Patient entry lacks the update interaction).
	NoUpdate bool `json:"no_update,omitempty"`
	// PaymentPage is the practice's page for paying online, "" for none.
	PaymentPage string `json:"payment_page,omitempty"`
}

// ParsePracticeOffers reads PracticeOffers out of a CapabilityStatement; it
// never fails: what is missing or unreadable is not offered (no payment
// page) or left to the practice (editable elements).
func ParsePracticeOffers(capabilityStatement []byte) PracticeOffers {
	var o PracticeOffers
	type ext struct {
		URL         string `json:"url"`
		ValueCode   string `json:"valueCode"`
		ValueString string `json:"valueString"`
		ValueURL    string `json:"valueUrl"`
		ValueURI    string `json:"valueUri"`
		Extension   []ext  `json:"extension"`
	}
	var cs struct {
		Rest []struct {
			Mode     string `json:"mode"`
			Resource []struct {
				Type        string `json:"type"`
				Interaction []struct {
					Code string `json:"code"`
				} `json:"interaction"`
				Extension []ext `json:"extension"`
			} `json:"resource"`
		} `json:"rest"`
	}
	if json.Unmarshal(capabilityStatement, &cs) != nil {
		return o
	}
	for _, rest := range cs.Rest {
		if rest.Mode != "" && rest.Mode != "server" {
			continue
		}
		for _, r := range rest.Resource {
			switch r.Type {
			case "Patient":
				update := false
				for _, in := range r.Interaction {
					update = update || in.Code == "update"
				}
				o.NoUpdate = !update
				for _, e := range r.Extension {
					if e.URL != PatientEditableURL {
						continue
					}
					o.Editable = []string{}
					for _, sub := range e.Extension {
						switch sub.URL {
						case "element":
							if c := strings.TrimSpace(sub.ValueCode); c != "" {
								o.Editable = append(o.Editable, c)
							}
						case "ask":
							o.Ask = strings.TrimSpace(sub.ValueString)
						}
					}
				}
			case "Invoice":
				for _, e := range r.Extension {
					if e.URL == PaymentPageURL {
						if u := webPage(firstNonBlank(e.ValueURL, e.ValueURI)); u != "" {
							o.PaymentPage = u
						}
					}
				}
			}
		}
	}
	return o
}

// webPage is u when it is an absolute https address (or http on the
// loopback, as the demo practice serves), else "".
func webPage(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || p.Host == "" || p.User != nil {
		return ""
	}
	switch p.Scheme {
	case "https":
		return p.String()
	case "http":
		if h := p.Hostname(); h == "127.0.0.1" || h == "localhost" || h == "::1" {
			return p.String()
		}
	}
	return ""
}

// practiceOffers is what the profile's practice published, as last read.
func (a *App) practiceOffers(ctx context.Context, profileID string) (PracticeOffers, error) {
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return PracticeOffers{}, fmt.Errorf("practice offers: %w", err)
	}
	var o PracticeOffers
	if raw := p.Settings[settingPracticeOffers]; raw != "" {
		_ = json.Unmarshal([]byte(raw), &o) // unreadable: nothing offered
	}
	return o, nil
}
