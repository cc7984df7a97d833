package ui

import (
	"context"
	"errors"
	"net/url"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/app/record"
)

// billingSection lists the practice's statements: those still to pay
// first, then paid and other ones, newest first; and the balances of the
// patient's accounts. Any goroutine.
func billingSection(c *record.Chart) sectionModel {
	var open, other []record.Invoice
	for _, inv := range c.Invoices {
		switch {
		case inv.Status == "entered-in-error" || inv.Status == "draft":
		case inv.Open():
			open = append(open, inv)
		default:
			other = append(other, inv)
		}
	}
	newestFirst := func(invs []record.Invoice) {
		sort.SliceStable(invs, func(i, j int) bool { return invs[i].Date.After(invs[j].Date) })
	}
	newestFirst(open)
	newestFirst(other)

	var items []listItem
	var details []func() detailModel // parallel to items; nil for headings
	addInvoices := func(heading string, invs []record.Invoice) {
		if len(invs) == 0 {
			return
		}
		items = append(items, listItem{header: true, title: heading})
		details = append(details, nil)
		for _, inv := range invs {
			it := listItem{title: invoiceTitle(inv), detail: joinNonEmpty(" · ", invoiceAmount(inv), invoiceStatus(inv)),
				partial: inv.Incomplete, key: inv.Key()}
			if inv.Open() {
				it.flag = lang.L("To pay")
			}
			items = append(items, it)
			details = append(details, func() detailModel { return invoiceDetail(c, inv) })
		}
	}
	addInvoices(lang.L("To pay"), open)
	addInvoices(lang.L("Statements"), other)

	var accounts []record.Account
	for _, a := range c.Accounts {
		if a.Status != "entered-in-error" && len(a.Balance) > 0 {
			accounts = append(accounts, a)
		}
	}
	if len(accounts) > 0 {
		items = append(items, listItem{header: true, title: lang.L("Accounts")})
		details = append(details, nil)
		for _, a := range accounts {
			items = append(items, listItem{title: firstText(a.Name, lang.L("Account")), detail: lang.L("Balance {{.Amount}}", map[string]any{"Amount": moneyText(a.Balance)}),
				partial: a.Incomplete, key: a.Key()})
			details = append(details, func() detailModel { return accountDetail(a) })
		}
	}
	return sectionModel{
		items:  items,
		empty:  lang.L("No statements from this practice."),
		detail: func(i int) detailModel { return details[i]() },
	}
}

func invoiceTitle(inv record.Invoice) string {
	if inv.Date.IsZero() {
		return firstText(inv.Type, lang.L("Statement"))
	}
	return lang.L("Statement of {{.Date}}", map[string]any{"Date": dayText(inv.Date)})
}

func invoiceAmount(inv record.Invoice) string {
	if m, ok := inv.Amount(); ok {
		return m.String()
	}
	return ""
}

// invoiceStatus says where a bill stands, in words.
func invoiceStatus(inv record.Invoice) string {
	switch inv.Status {
	case "issued":
		return lang.L("To pay")
	case "balanced":
		return lang.L("Paid")
	case "cancelled":
		return lang.L("Cancelled")
	}
	return statusText(inv.Status)
}

func moneyText(ms []record.Money) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.String()
	}
	return strings.Join(parts, ", ")
}

func invoiceDetail(c *record.Chart, inv record.Invoice) detailModel {
	d := detailModel{title: invoiceTitle(inv), subtitle: invoiceStatus(inv), partial: inv.Incomplete}
	d.addField(lang.L("Amount"), invoiceAmount(inv))
	if inv.HasNet && inv.HasGross && inv.TotalGross != inv.TotalNet {
		d.addField(lang.L("Before adjustments"), inv.TotalGross.String())
	}
	d.addField(lang.L("From"), refName(c, inv.Issuer))
	d.addField(lang.L("Kind"), inv.Type)
	d.addField(lang.L("Payment terms"), inv.Terms)
	d.addText(lang.L("Charges"), strings.Join(inv.Lines, "\n"))
	d.billRef, d.payable = inv.Key(), inv.Open()
	if inv.Open() {
		d.addText(lang.L("Paying"), lang.L(
			"Carebook shows your statements and never handles card details. Pay on your practice's own payment page, in your browser, or through its billing office."))
	}
	return d
}

func accountDetail(a record.Account) detailModel {
	d := detailModel{title: firstText(a.Name, lang.L("Account")), subtitle: statusText(a.Status), partial: a.Incomplete}
	d.addField(lang.L("Balance"), moneyText(a.Balance))
	d.addField(lang.L("Kind"), a.Type)
	d.addField(lang.L("Covers"), periodText(a.ServicePeriod))
	return d
}

// billSource is what a record source may offer for bills (*app.App does).
type billSource interface {
	PaymentPage(ctx context.Context, profileID string) (app.PaymentLink, bool, error)
}

// openURL opens an address in the system browser; tests replace it. Read
// it on the UI goroutine.
var openURL = func(u *url.URL) error { return fyne.CurrentApp().OpenURL(u) }

// billActions are a statement's two actions: ask the billing office about
// it, and pay online where the practice publishes a payment page (found
// off the UI goroutine; hidden where there is none). They go on to a
// second line when the screen is too narrow for both (in Spanish on a
// phone). UI goroutine.
func (v *recordView) billActions(m detailModel) fyne.CanvasObject {
	row := newFlow()
	ref := m.billRef
	if v.askBill != nil {
		row.Add(&widget.Button{Text: lang.L("Ask about this bill"), Icon: theme.MailComposeIcon(), OnTapped: func() {
			v.src.Touch()
			v.askBill(ref)
		}})
	}
	bs, ok := v.src.(billSource)
	if !m.payable || !ok {
		return row
	}
	runFor(v, context.Background(), func(ctx context.Context) (app.PaymentLink, error) {
		page, ok, err := bs.PaymentPage(ctx, v.profileID)
		if !ok && err == nil {
			err = errNoPaymentPage
		}
		return page, err
	}, func(page app.PaymentLink, err error) {
		if err != nil {
			return // nothing published: no button
		}
		row.Add(&widget.Button{Text: lang.L("Pay online"), Icon: theme.ComputerIcon(), Importance: widget.HighImportance, OnTapped: func() {
			v.src.Touch()
			v.confirmPay(page)
		}})
		row.Refresh()
	})
	return row
}

var errNoPaymentPage = errors.New("ui: the practice publishes no payment page")

// confirmPay says the payment page is outside Carebook, at which host,
// before opening it in the browser. UI goroutine.
func (v *recordView) confirmPay(page app.PaymentLink) {
	open := openURL
	confirmLeaving(v.win, lang.L("Pay online"), lang.L("your practice's payment page (Carebook never sees your card details)"), page.URL, func() {
		u, err := url.Parse(page.URL)
		if err == nil {
			err = open(u)
		}
		if err != nil {
			dialog.ShowInformation(lang.L("Pay online"), lang.L("Carebook could not open your browser. The payment page is {{.Address}}", map[string]any{"Address": page.URL}), v.win)
		}
	})
}
