package app

// Bills: a question about a statement goes through the messaging
// composer; paying happens on the practice's own payment page, opened in
// the browser (Carebook never handles card data).

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/carebook/carebook/app/locfmt"
	"github.com/carebook/carebook/app/record"
	"github.com/carebook/carebook/internal/i18n"
)

// AskAboutBill starts a new message about a statement or account (ref,
// "Invoice/id" or "Account/id"): its subject names it, the topic is
// "Billing", it goes to the practice's billing office (else the first
// recipient offered), and the message refers to it (Communication.about).
// Send it with SendMessage once the patient wrote the text.
func (a *App) AskAboutBill(ctx context.Context, profileID, ref string) (Draft, error) {
	c, err := a.ChartOf(ctx, profileID, append([]string{"Account"}, recipientTypes...)...)
	if err != nil {
		return Draft{}, fmt.Errorf("ask about bill: %w", err)
	}
	name, subject, billing := "", "", ""
	for _, inv := range c.Invoices {
		if inv.Key() == ref {
			name, billing = statementName(inv), inv.Issuer.Reference
			subject = i18n.L("Question about my statement")
			if !inv.Date.IsZero() {
				subject = i18n.L("Question about my statement of {{.Date}}", map[string]any{"Date": locfmt.Current().Date(inv.Date.Time)})
			}
		}
	}
	for _, acc := range c.Accounts {
		if acc.Key() == ref {
			name = firstNonBlank(acc.Name, i18n.L("account"))
			subject = i18n.L("Question about my account")
			if acc.Name != "" {
				subject = i18n.L("Question about my {{.Account}}", map[string]any{"Account": acc.Name})
			}
		}
	}
	if name == "" {
		return Draft{}, invalidMessage("%s", i18n.L("There is no statement {{.Ref}} in this record.", map[string]any{"Ref": ref}))
	}
	d := Draft{Topic: "billing", Subject: subject, About: ref, AboutName: name}
	rs := Recipients(c)
	for _, r := range rs {
		if r.Billing && (billing == "" || r.Ref == billing) && d.To == "" {
			d.To = r.Ref
		}
	}
	if d.To == "" && len(rs) > 0 {
		d.To = rs[0].Ref
	}
	return d, nil
}

// statementName names a statement in a sentence: "statement of 4 Mar 2026".
func statementName(inv record.Invoice) string {
	if inv.Date.IsZero() {
		return i18n.L("statement")
	}
	return i18n.L("statement of {{.Date}}", map[string]any{"Date": locfmt.Current().Date(inv.Date.Time)})
}

// PaymentPage is the practice's page for paying a bill online, as its
// CapabilityStatement publishes it (see PaymentPageURL), with its host
// for the patient to check before leaving the app; ok is false when the
// practice publishes none. It reads the local cache only.
func (a *App) PaymentPage(ctx context.Context, profileID string) (page PaymentLink, ok bool, err error) {
	o, err := a.practiceOffers(ctx, profileID)
	if err != nil || o.PaymentPage == "" {
		return PaymentLink{}, false, err
	}
	u, perr := url.Parse(o.PaymentPage)
	if perr != nil {
		return PaymentLink{}, false, nil
	}
	return PaymentLink{URL: o.PaymentPage, Host: strings.ToLower(u.Host)}, true, nil
}

// PaymentLink is where a bill is paid.
type PaymentLink struct {
	URL  string
	Host string // the address's host, shown before leaving the app
}
