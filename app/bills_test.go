package app

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestBillsAskAndPay: a question about a statement goes to the billing
// office and refers to the statement; the practice's payment page, which
// its CapabilityStatement publishes, is offered with its host; a practice
// that publishes none offers no page.
func TestBillsAskAndPay(t *testing.T) {
	ctx := context.Background()
	p := startMsgPractice(t)
	a, id := openMsgApp(t, p, t.TempDir())
	c, err := a.Chart(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	ref := ""
	for _, inv := range c.Invoices {
		if inv.Open() {
			ref = inv.Key()
		}
	}
	if ref == "" {
		t.Fatal("no open statement in the demo record")
	}
	d, err := a.AskAboutBill(ctx, id, ref)
	if err != nil {
		t.Fatal(err)
	}
	billing := false
	for _, r := range Recipients(c) {
		billing = billing || (r.Ref == d.To && r.Role == "Billing")
	}
	if d.About != ref || d.Topic != "billing" || !billing || !strings.HasPrefix(d.Subject, "Question about my statement of ") {
		t.Fatalf("draft = %+v", d)
	}
	d.Text = "Why was the insurance payment lower than expected?"
	sub, err := a.SendMessage(ctx, id, d)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	msg, err := p.Store().Read(ctx, "Communication", strings.TrimPrefix(sub.Ref, "Communication/"))
	if err != nil || !strings.Contains(string(msg.JSON), `"reference":"`+ref+`"`) {
		t.Fatalf("practice's message: %s, %v", msg.JSON, err)
	}
	if _, err := a.AskAboutBill(ctx, id, "Invoice/nope"); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("unknown statement: %v", err)
	}

	page, ok, err := a.PaymentPage(ctx, id)
	if err != nil || !ok || page.URL != p.URL()+"/pay" || page.Host != strings.TrimPrefix(p.URL(), "http://") {
		t.Fatalf("payment page = %+v %v %v (practice at %s)", page, ok, err, p.URL())
	}
	if err := a.updateSettings(ctx, id, func(s map[string]string) { delete(s, settingPracticeOffers) }); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := a.PaymentPage(ctx, id); ok || err != nil {
		t.Errorf("a practice that publishes no page: ok %v, %v", ok, err)
	}
}

func TestParsePracticeOffers(t *testing.T) {
	tests := []struct {
		name string
		cs   string
		want PracticeOffers
	}{
		{"nothing", `{}`, PracticeOffers{}},
		{"not JSON", `{`, PracticeOffers{}},
		{"published", `{"rest":[{"mode":"server","resource":[
			{"type":"Patient","interaction":[{"code":"read"},{"code":"update"}],"extension":[{"url":"` + PatientEditableURL + `",
			 "extension":[{"url":"element","valueCode":"telecom"},{"url":"ask","valueString":"the office"}]}]},
			{"type":"Invoice","extension":[{"url":"` + PaymentPageURL + `","valueUrl":"https://pay.example.org/x"}]}]}]}`,
			PracticeOffers{Editable: []string{"telecom"}, Ask: "the office", PaymentPage: "https://pay.example.org/x"}},
		{"no update, plain http page refused", `{"rest":[{"resource":[{"type":"Patient","interaction":[{"code":"read"}]},
			{"type":"Invoice","extension":[{"url":"` + PaymentPageURL + `","valueUrl":"http://pay.example.org/x"}]}]}]}`,
			PracticeOffers{NoUpdate: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParsePracticeOffers([]byte(tt.cs))
			if strings.Join(got.Editable, ",") != strings.Join(tt.want.Editable, ",") || got.Ask != tt.want.Ask ||
				got.NoUpdate != tt.want.NoUpdate || got.PaymentPage != tt.want.PaymentPage {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// FuzzParsePracticeOffers: any CapabilityStatement is read without a panic,
// and a payment page taken from it is an absolute https (or loopback http)
// address.
func FuzzParsePracticeOffers(f *testing.F) {
	f.Add([]byte(`{"rest":[{"resource":[{"type":"Invoice","extension":[{"url":"` + PaymentPageURL + `","valueUrl":"https://pay.example.org"}]}]}]}`))
	f.Add([]byte(`{"rest":[{"resource":[{"type":"Patient","extension":[{"url":"` + PatientEditableURL + `","extension":[{"url":"element","valueCode":"telecom"}]}]}]}]}`))
	f.Add([]byte(`{"rest":[{"resource":[{"type":"Invoice","extension":[{"url":"` + PaymentPageURL + `","valueUrl":"javascript:alert(1)"}]}]}]}`))
	f.Fuzz(func(t *testing.T, cs []byte) {
		o := ParsePracticeOffers(cs)
		if o.PaymentPage != "" && !strings.HasPrefix(o.PaymentPage, "https://") && !strings.HasPrefix(o.PaymentPage, "http://") {
			t.Fatalf("payment page %q", o.PaymentPage)
		}
	})
}
