package ui

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/carebook/carebook/app"
)

// practicePatient reads the practice's copy of the shown profile's patient
// and its details.
func practicePatient(t *testing.T, p *staffPractice) (map[string]any, string, map[string]string) {
	t.Helper()
	ctx := context.Background()
	res, err := p.Store().Read(ctx, "Patient", "demo-maya")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(res.JSON, &m); err != nil {
		t.Fatal(err)
	}
	values := map[string]string{}
	for _, tc := range m["telecom"].([]any) {
		cp := tc.(map[string]any)
		values[cp["system"].(string)], _ = cp["value"].(string)
	}
	return m, res.VersionID, values
}

// TestDetailsInTheWindow: "Your details" from Settings shows the identity
// read-only with who to ask; a new phone number is sent; then a change
// that crosses one made at the practice shows both versions field by
// field, and the patient's choice is sent. At phone and desktop size.
func TestDetailsInTheWindow(t *testing.T) {
	for _, size := range []fyne.Size{{Width: 360, Height: 740}, {Width: 1280, Height: 800}} {
		t.Run(fmtSize(size), func(t *testing.T) {
			q := useQueue(t)
			p, u, w := openStaffPractice(t, q, size)

			selectTab(t, w, "Settings")
			q.waitShows(t, w, "Your details")
			test.Tap(findButton(t, w.Content(), "View and change your details"))
			q.waitShows(t, w, "Maya Elena Rivera", "To change these, please ask the front desk", "How to reach you",
				"Emergency contact", "Preferred pharmacy", "Send changes")
			screenshot(t, w, "details-form-"+fmtSize(size))
			assertTouchTargets(t, w)
			assertFits(t, w)
			assertMinFits(t, w, size.Width)

			v := u.shell.details
			// A bad e-mail is caught before anything is stored.
			v.entries[app.DetailEmail].SetText("maya at home")
			test.Tap(findButton(t, w.Content(), "Send changes"))
			q.waitShows(t, w, "is not an e-mail address")
			v.entries[app.DetailEmail].SetText(v.d.Field(app.DetailEmail).Value)
			v.entries[app.DetailPhone].SetText("(555) 010-9999")
			test.Tap(findButton(t, w.Content(), "Send changes"))
			q.waitShows(t, w, "Sent. Your practice has your new details.")
			m0, _, got := practicePatient(t, p)
			if got["phone"] != "(555) 010-9999" {
				t.Fatalf("practice's phone = %q", got["phone"])
			}
			// Only the phone changed: the language (en-US, shown as
			// English) is as the practice wrote it.
			if lang, _ := json.Marshal(m0["communication"]); !strings.Contains(string(lang), `"code":"en-US"`) {
				t.Errorf("language changed: %s", lang)
			}

			// The front desk changes the phone meanwhile.
			ctx := context.Background()
			m, version, _ := practicePatient(t, p)
			for _, tc := range m["telecom"].([]any) {
				if cp := tc.(map[string]any); cp["system"] == "phone" {
					cp["value"] = "(555) 222-3333"
				}
			}
			body, _ := json.Marshal(m)
			if _, err := p.Store().Update(ctx, "Patient", "demo-maya", body, version); err != nil {
				t.Fatal(err)
			}
			v = u.shell.details
			v.entries[app.DetailPhone].SetText("(555) 010-1234")
			v.entries[app.DetailEmail].SetText("maya@example.net")
			test.Tap(findButton(t, w.Content(), "Send changes"))
			q.waitShows(t, w, "Your practice changed your details while you were changing them", "Yours",
				"Changed at your practice", "(555) 222-3333", "(555) 010-1234", "At your practice now", "maya@example.net")
			screenshot(t, w, "details-conflict-"+fmtSize(size))
			assertTouchTargets(t, w)
			assertFits(t, w)
			assertMinFits(t, w, size.Width)
			// Keep the practice's phone and the new e-mail.
			test.Tap(findButton(t, w.Content(), "(555) 222-3333"))
			test.Tap(findButton(t, w.Content(), "Send my choice"))
			q.waitShows(t, w, "Sent. Your practice has your new details.")
			_, _, got = practicePatient(t, p)
			if got["phone"] != "(555) 222-3333" || got["email"] != "maya@example.net" {
				t.Fatalf("practice's copy: %v", got)
			}
			test.Tap(findButton(t, w.Content(), "Back"))
			q.waitShows(t, w, "View and change your details", "Lock after")
			q.drain()
		})
	}
}

// TestStatementActionsInTheWindow: an open statement offers "Ask about
// this bill" (the composer, to the billing office, about the statement)
// and "Pay online", which says the page leaves the app at the practice's
// host before opening it in the browser.
func TestStatementActionsInTheWindow(t *testing.T) {
	for _, size := range []fyne.Size{{Width: 360, Height: 740}, {Width: 1280, Height: 800}} {
		t.Run(fmtSize(size), func(t *testing.T) {
			q := useQueue(t)
			p, u, w := openStaffPractice(t, q, size)
			var opened []string
			old := openURL
			openURL = func(u *url.URL) error { opened = append(opened, u.String()); return nil }
			t.Cleanup(func() { openURL = old })

			c, err := u.core.Chart(context.Background(), u.shell.current.ID)
			if err != nil {
				t.Fatal(err)
			}
			title := ""
			for _, inv := range c.Invoices {
				if inv.Open() {
					title = invoiceTitle(inv)
				}
			}
			u.shell.openSection("billing")
			q.waitShows(t, w, "To pay")
			selectRow(t, u.shell.record, title)
			q.waitShows(t, w, "Ask about this bill", "Pay online", "never handles card details")
			screenshot(t, w, "statement-"+fmtSize(size))
			assertTouchTargets(t, w)
			assertFits(t, w)
			assertMinFits(t, w, size.Width)

			test.Tap(findButton(t, w.Content(), "Pay online"))
			host := strings.TrimPrefix(p.URL(), "http://")
			top := w.Canvas().Overlays().Top()
			if top == nil || !strings.Contains(shownText(top), "at "+host) || !strings.Contains(shownText(top), "never sees your card details") {
				t.Fatalf("no confirmation naming %s: %v", host, top)
			}
			screenshot(t, w, "statement-pay-"+fmtSize(size))
			test.Tap(findButton(t, top, "Open"))
			if len(opened) != 1 || opened[0] != p.URL()+"/pay" {
				t.Fatalf("opened %v, want the practice's payment page", opened)
			}

			test.Tap(findButton(t, w.Content(), "Ask about this bill"))
			q.waitShows(t, w, "New message", "(Billing)", "Question about my statement of", "About")
			if d := u.shell.messages.compose.draft(); d.Topic != "billing" || !strings.HasPrefix(d.About, "Invoice/") {
				t.Fatalf("composer draft = %+v", d)
			}
			q.drain()
		})
	}
}

// TestStatementWithoutPaymentPage: where the practice publishes no payment
// page (a record source that offers none), "Pay online" is not shown.
func TestStatementWithoutPaymentPage(t *testing.T) {
	test.NewTempApp(t)
	src := newFakeRecord(extraResources(t))
	v, w := openRecord(t, src, fyne.NewSize(1280, 800))
	v.ShowSection("billing")
	selectRow(t, v, "Statement of Mar 15, 2024")
	assertShows(t, w, "Due within 30 days", "never handles card details")
	if strings.Contains(shownText(w.Content()), "Pay online") {
		t.Errorf("Pay online shown without a payment page: %s", shownText(w.Content()))
	}
}
