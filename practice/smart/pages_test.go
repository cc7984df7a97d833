package smart

import (
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// TestPagesAreAccessible checks the structure assistive technology relies
// on, on every page: a language, a title, one h1, a viewport for phones,
// a label for every field, radio buttons grouped under a legend, errors
// announced as alerts, and buttons with text.
func TestPagesAreAccessible(t *testing.T) {
	s := &Server{cfg: Config{PracticeName: "Riverside Family Practice"}}
	data := pageData{Title: "Page", Error: "Something is wrong.", CSRF: "c", Username: "maya", ClientID: "carebook",
		Charts:    []pickerItem{{ID: "a", Name: "Ana Rivera", Detail: "14"}, {ID: "b", Name: "Leo Rivera", Detail: "8", Checked: true}},
		ChartName: "Leo Rivera", Items: []string{"Read your health record"}, Scopes: "patient/*.rs", SignedInAs: "maya",
		Message: "Done."}
	for _, name := range []string{"login", "picker", "consent", "enroll", "account", "terms", "message"} {
		t.Run(name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			s.render(rec, 200, name, data)
			doc, err := html.Parse(strings.NewReader(rec.Body.String()))
			if err != nil {
				t.Fatal(err)
			}
			checkAccessible(t, doc)
		})
	}
}

func checkAccessible(t *testing.T, doc *html.Node) {
	t.Helper()
	var (
		lang, title, viewport, alert bool
		h1                           int
		labelFor                     = map[string]bool{}
		fields                       []*html.Node // inputs that need a label, not inside one
	)
	var walk func(n *html.Node, inLabel, inFieldset bool)
	walk = func(n *html.Node, inLabel, inFieldset bool) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "html":
				lang = attr(n, "lang") != ""
			case "title":
				title = n.FirstChild != nil && strings.TrimSpace(n.FirstChild.Data) != ""
			case "meta":
				viewport = viewport || attr(n, "name") == "viewport"
			case "h1":
				h1++
			case "label":
				inLabel = true
				if f := attr(n, "for"); f != "" {
					labelFor[f] = true
				}
			case "fieldset":
				inFieldset = hasChild(n, "legend")
			case "input", "select", "textarea":
				typ := attr(n, "type")
				if typ == "radio" && !inFieldset {
					t.Errorf("radio %s is not in a fieldset with a legend", attr(n, "name"))
				}
				if typ != "hidden" && typ != "submit" && !inLabel {
					fields = append(fields, n)
				}
			case "button":
				if strings.TrimSpace(textOf(n)) == "" {
					t.Error("a button without text")
				}
			case "p", "div":
				if strings.Contains(attr(n, "class"), "alert") {
					alert = attr(n, "role") == "alert"
					if !alert {
						t.Error("an error message without role=alert")
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inLabel, inFieldset)
		}
	}
	walk(doc, false, false)
	for _, f := range fields {
		if id := attr(f, "id"); id == "" || !labelFor[id] {
			t.Errorf("field %q has no label", attr(f, "name"))
		}
	}
	if !lang || !title || !viewport || h1 != 1 || !alert {
		t.Errorf("lang %v, title %v, viewport %v, %d h1, alert %v", lang, title, viewport, h1, alert)
	}
}

func hasChild(n *html.Node, tag string) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.Data == tag {
			return true
		}
	}
	return false
}

func textOf(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(textOf(c))
	}
	return b.String()
}
