package fhirapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

func TestValidIDAndType(t *testing.T) {
	tests := []struct {
		s         string
		id, typed bool
	}{
		{"a1-B2.c3", true, false},
		{"Observation", true, true},
		{strings.Repeat("x", 64), true, false},
		{strings.Repeat("x", 65), false, false},
		{"X" + strings.Repeat("x", 63), true, true},
		{"X" + strings.Repeat("x", 64), false, false},
		{"", false, false},
		{"../../../etc/passwd", false, false},
		{"../Patient", false, false},
		{"a/b", false, false},
		{"a b", false, false},
		{"a%2Fb", false, false},
		{"é", false, false},
		{"observation", true, false},
		{"Patient2", true, false},
	}
	for _, tt := range tests {
		if got := ValidID(tt.s); got != tt.id {
			t.Errorf("ValidID(%.20q) = %v, want %v", tt.s, got, tt.id)
		}
		if got := ValidType(tt.s); got != tt.typed {
			t.Errorf("ValidType(%.20q) = %v, want %v", tt.s, got, tt.typed)
		}
	}
}

// TestIDsEscapedOnce: an id the caller escaped (url.PathEscape) reaches the
// server escaped once, in reads and in updates: "a/b" is "a%2Fb", never
// "a%252Fb".
func TestIDsEscapedOnce(t *testing.T) {
	var got atomic.Value
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.URL.EscapedPath())
		fmt.Fprint(w, `{"resourceType":"Observation","id":"x"}`)
	}), Options{})
	if _, err := c.Get(context.Background(), "Observation/"+url.PathEscape("a/b c"), nil); err != nil {
		t.Fatal(err)
	}
	if p := got.Load(); p != "/fhir/Observation/a%2Fb%20c" {
		t.Errorf("read path = %v, want /fhir/Observation/a%%2Fb%%20c", p)
	}
	if _, err := c.Update(context.Background(), "Observation", "a/b", []byte(`{}`), ""); err != nil {
		t.Fatal(err)
	}
	if p := got.Load(); p != "/fhir/Observation/a%2Fb" {
		t.Errorf("update path = %v, want /fhir/Observation/a%%2Fb", p)
	}
	if _, err := c.Get(context.Background(), "Patient/p1/$everything", nil); err != nil {
		t.Fatal(err)
	}
	if p := got.Load(); p != "/fhir/Patient/p1/$everything" {
		t.Errorf("operation path = %v", p)
	}
}

// TestNextLinkLoopStops: a next link back to a page already read stops
// the search with ErrBadResponse after reading each page once, instead of
// fetching pages until MaxPages.
func TestNextLinkLoopStops(t *testing.T) {
	for _, tt := range []struct{ name, page1Next, page2Next string }{
		{"to itself", "/fhir/Observation?_count=1", ""},
		{"back to the first page", "/fhir/Observation?page=2", "/fhir/Observation?_count=1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var requests atomic.Int32
			c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				next := tt.page1Next
				if r.URL.Query().Get("page") == "2" {
					next = tt.page2Next
				}
				fmt.Fprintf(w, `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Observation","id":"o1"}}],"link":[{"relation":"next","url":"http://%s%s"}]}`, r.Host, next)
			}), Options{})
			info, err := c.Search(context.Background(), "Observation", url.Values{"_count": {"1"}}, SearchHandler{})
			if !errors.Is(err, ErrBadResponse) {
				t.Fatalf("err = %v, want ErrBadResponse", err)
			}
			if want := int32(1 + min(1, len(tt.page2Next))); requests.Load() != want || info.Pages != int(want) {
				t.Fatalf("requests %d, pages %d; want %d", requests.Load(), info.Pages, want)
			}
		})
	}
}
