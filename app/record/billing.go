package record

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Account is a billing account at the practice.
type Account struct {
	Entry
	Name          string
	Status        string // lower-cased: "active", "inactive", …
	Type          string
	ServicePeriod Period
	// Balance is what the account says is owed, per currency. FHIR R4 has
	// no balance element; R5 servers (and R4 servers borrowing it) send
	// Account.balance[].amount, which we read.
	Balance []Money
}

type wAccount struct {
	wBase
	Name          string          `json:"name"`
	Status        string          `json:"status"`
	Type          wConcept        `json:"type"`
	ServicePeriod wPeriod         `json:"servicePeriod"`
	Balance       json.RawMessage `json:"balance"`
}

// DecodeAccount decodes an Account tolerantly; it never fails.
func DecodeAccount(r Resource) Account {
	var w wAccount
	d := begin(r, &w)
	a := Account{
		Name:          strings.TrimSpace(w.Name),
		Status:        lower(w.Status),
		Type:          d.concept(w.Type).String(),
		ServicePeriod: d.period(w.ServicePeriod),
	}
	type wBalance struct {
		Amount   *wQuantity `json:"amount"`
		Estimate bool       `json:"estimate"`
	}
	var bals []wBalance
	raw := bytes.TrimSpace(w.Balance)
	switch {
	case len(raw) == 0 || string(raw) == "null":
	case raw[0] == '[':
		if json.Unmarshal(raw, &bals) != nil {
			d.incomplete = true
		}
	default:
		var one wBalance
		if json.Unmarshal(raw, &one) != nil {
			d.incomplete = true
		}
		bals = append(bals, one)
	}
	for _, b := range bals {
		if m, ok := d.money(b.Amount); ok {
			a.Balance = append(a.Balance, m)
		}
	}
	a.Entry = d.entry()
	return a
}

// Invoice is a bill.
type Invoice struct {
	Entry
	Status     string // lower-cased: "draft", "issued", "balanced" (paid), "cancelled", …
	Type       string
	Date       Date
	TotalNet   Money
	HasNet     bool
	TotalGross Money
	HasGross   bool
	Issuer     Ref
	Account    Ref
	Lines      []string // line item descriptions
	Terms      string   // payment terms
}

// Open reports whether the invoice has been issued and not yet settled.
func (i Invoice) Open() bool { return i.Status == "issued" }

// Amount is what the invoice asks for: the net total, else the gross.
func (i Invoice) Amount() (Money, bool) {
	if i.HasNet {
		return i.TotalNet, true
	}
	return i.TotalGross, i.HasGross
}

type wInvoice struct {
	wBase
	Status     string     `json:"status"`
	Type       wConcept   `json:"type"`
	Date       string     `json:"date"`
	Issuer     wRef       `json:"issuer"`
	Account    wRef       `json:"account"`
	TotalNet   *wQuantity `json:"totalNet"`
	TotalGross *wQuantity `json:"totalGross"`
	Terms      string     `json:"paymentTerms"`
	LineItem   []struct {
		ChargeItemCodeableConcept *wConcept `json:"chargeItemCodeableConcept"`
		ChargeItemReference       *wRef     `json:"chargeItemReference"`
	} `json:"lineItem"`
}

// DecodeInvoice decodes an Invoice tolerantly; it never fails.
func DecodeInvoice(r Resource) Invoice {
	var w wInvoice
	d := begin(r, &w)
	inv := Invoice{
		Status:  lower(w.Status),
		Type:    d.concept(w.Type).String(),
		Date:    d.date(w.Date),
		Issuer:  d.ref(w.Issuer),
		Account: d.ref(w.Account),
		Terms:   strings.TrimSpace(w.Terms),
	}
	inv.TotalNet, inv.HasNet = d.money(w.TotalNet)
	inv.TotalGross, inv.HasGross = d.money(w.TotalGross)
	for _, li := range w.LineItem {
		switch {
		case li.ChargeItemCodeableConcept != nil:
			if s := d.concept(*li.ChargeItemCodeableConcept).String(); s != "" {
				inv.Lines = append(inv.Lines, s)
			}
		case li.ChargeItemReference != nil:
			if s := d.ref(*li.ChargeItemReference).Display; s != "" {
				inv.Lines = append(inv.Lines, s)
			}
		}
	}
	if inv.Date.IsZero() {
		inv.Date = d.fallbackDate("date")
	}
	inv.Entry = d.entry()
	return inv
}

// Coverage is an insurance plan.
type Coverage struct {
	Entry
	Status       string // lower-cased
	Type         string
	Payors       []Ref
	SubscriberID string
	Relationship string
	Period       Period
	Classes      []string // "Group: 1234", "Plan: Gold" …
}

type wCoverage struct {
	wBase
	Status       string   `json:"status"`
	Type         wConcept `json:"type"`
	SubscriberID string   `json:"subscriberId"`
	Relationship wConcept `json:"relationship"`
	Period       wPeriod  `json:"period"`
	Payor        []wRef   `json:"payor"`
	Class        []struct {
		Type  wConcept `json:"type"`
		Value string   `json:"value"`
		Name  string   `json:"name"`
	} `json:"class"`
}

// DecodeCoverage decodes a Coverage tolerantly; it never fails.
func DecodeCoverage(r Resource) Coverage {
	var w wCoverage
	d := begin(r, &w)
	c := Coverage{
		Status:       lower(w.Status),
		Type:         d.concept(w.Type).String(),
		Payors:       d.refs(w.Payor),
		SubscriberID: strings.TrimSpace(w.SubscriberID),
		Relationship: d.concept(w.Relationship).String(),
		Period:       d.period(w.Period),
	}
	for _, cl := range w.Class {
		label := d.concept(cl.Type).String()
		value := firstNonEmpty(strings.TrimSpace(cl.Name), strings.TrimSpace(cl.Value))
		if label != "" && value != "" {
			c.Classes = append(c.Classes, label+": "+value)
		} else if value != "" {
			c.Classes = append(c.Classes, value)
		}
	}
	c.Entry = d.entry()
	return c
}

// ExplanationOfBenefit is the insurer's account of a claim: what was billed
// and what was paid.
type ExplanationOfBenefit struct {
	Entry
	Status   string // lower-cased
	Type     string
	Created  Date
	Period   Period // billablePeriod
	Provider Ref
	Insurer  Ref
	Outcome  string // lower-cased: "complete", "error", "partial", "queued"
	Totals   []EOBTotal
	Payment  Money
	HasPaid  bool
	Items    []string // what was provided
}

// EOBTotal is one adjudication total ("Submitted amount: 125.00 USD").
type EOBTotal struct {
	Category string
	Amount   Money
}

// Summary is a one-line description: "Institutional claim, 125.00 USD".
func (e ExplanationOfBenefit) Summary() string {
	parts := []string{}
	if e.Type != "" {
		parts = append(parts, e.Type+" claim")
	}
	if e.HasPaid {
		parts = append(parts, "paid "+e.Payment.String())
	} else if len(e.Totals) > 0 {
		parts = append(parts, e.Totals[0].Category+" "+e.Totals[0].Amount.String())
	}
	return strings.TrimSpace(strings.Join(parts, ", "))
}

type wEOB struct {
	wBase
	Status         string   `json:"status"`
	Type           wConcept `json:"type"`
	Created        string   `json:"created"`
	BillablePeriod wPeriod  `json:"billablePeriod"`
	Provider       wRef     `json:"provider"`
	Insurer        wRef     `json:"insurer"`
	Outcome        string   `json:"outcome"`
	Total          []struct {
		Category wConcept   `json:"category"`
		Amount   *wQuantity `json:"amount"`
	} `json:"total"`
	Payment struct {
		Amount *wQuantity `json:"amount"`
	} `json:"payment"`
	Item []struct {
		ProductOrService wConcept `json:"productOrService"`
	} `json:"item"`
}

// DecodeExplanationOfBenefit decodes an ExplanationOfBenefit tolerantly; it never fails.
func DecodeExplanationOfBenefit(r Resource) ExplanationOfBenefit {
	var w wEOB
	d := begin(r, &w)
	e := ExplanationOfBenefit{
		Status:   lower(w.Status),
		Type:     d.concept(w.Type).String(),
		Created:  d.date(w.Created),
		Period:   d.period(w.BillablePeriod),
		Provider: d.ref(w.Provider),
		Insurer:  d.ref(w.Insurer),
		Outcome:  lower(w.Outcome),
	}
	e.Type = capitalize(e.Type)
	for _, t := range w.Total {
		if m, ok := d.money(t.Amount); ok {
			e.Totals = append(e.Totals, EOBTotal{Category: d.concept(t.Category).String(), Amount: m})
		}
	}
	e.Payment, e.HasPaid = d.money(w.Payment.Amount)
	for _, it := range w.Item {
		if s := d.concept(it.ProductOrService).String(); s != "" {
			e.Items = append(e.Items, s)
		}
	}
	if e.Created.IsZero() {
		e.Created = d.fallbackDate("created", "start")
	}
	e.Entry = d.entry()
	return e
}

// capitalize upper-cases the first letter of s ("institutional" →
// "Institutional"), as claim type codes often come without a display.
func capitalize(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 || r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[size:]
}
