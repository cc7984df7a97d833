package staff

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/carebook/carebook/practice/store"
	"github.com/carebook/carebook/practice/synth"
)

// TestDemoBundlesLoadTwice loads every generated bundle into the real store
// and part of them again: the second load finds every resource under the
// same id, so the store holds the same set of resources.
func TestDemoBundlesLoadTwice(t *testing.T) {
	st, err := store.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bundles, _, err := synth.Generate(synth.Options{Seed: 2, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	load := func(bundles [][]byte) map[string]int {
		total := map[string]int{}
		for i, b := range bundles {
			counts, err := st.LoadBundle(ctx, bytes.NewReader(b))
			if err != nil {
				t.Fatalf("bundle %d: %v", i, err)
			}
			for typ, n := range counts {
				total[typ] += n
			}
		}
		return total
	}
	first := load(bundles)
	// Loading again (the last bundles, to keep the test short) rewrites
	// the same ids.
	load(bundles[len(bundles)-2:])
	for typ, n := range first {
		_, got, err := st.Search(ctx, typ, store.Query{CountOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		if got != n {
			t.Errorf("%s: %d in the store after loading twice, %d in the bundles", typ, got, n)
		}
	}
	if first["Patient"] != 4 || first["Slot"] < 500 {
		t.Errorf("loaded %v", first)
	}
}

// FuzzReplyText feeds arbitrary stored Communications to the staff's message
// parsing and reply choice: never a panic, always a reply.
func FuzzReplyText(f *testing.F) {
	f.Add([]byte(`{"resourceType":"Communication","payload":[{"contentString":"refill please"}],"sender":{"reference":"Patient/p"}}`))
	f.Add([]byte(`{"payload":[null,1,{"contentString":7}],"topic":"x","partOf":[{"reference":5}],"sent":"yesterday"}`))
	f.Add([]byte(`[]`))
	w := &Worker{cfg: Config{Seed: 1}}
	f.Fuzz(func(t *testing.T, body []byte) {
		msg, err := parseMessage(store.Resource{Type: "Communication", ID: "m", JSON: body})
		if err != nil {
			return
		}
		if w.replyText(msg) == "" {
			t.Fatal("empty reply")
		}
	})
}
