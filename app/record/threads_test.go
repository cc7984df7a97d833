package record

import (
	"reflect"
	"testing"
)

// TestThreads: messages group under their thread header, oldest first;
// threads come most recent first; only the practice's unread messages are
// unread; errors and empty headers are left out.
func TestThreads(t *testing.T) {
	c := dashboardChart()
	threads := Threads(c, map[string]bool{"from-doc-read": true})

	type summary struct {
		Key, Topic string
		Messages   []string
		Unread     []string
	}
	var got []summary
	for _, th := range threads {
		got = append(got, summary{th.Key, th.Topic, keys(th.Messages), th.Unread})
	}
	want := []summary{
		{"Communication/from-org", "", []string{"Communication/from-org"}, []string{"from-org"}},
		{"Communication/from-mum", "", []string{"Communication/from-mum"}, nil},
		{"Communication/from-me-uuid", "", []string{"Communication/from-me-uuid"}, nil},
		{"Communication/from-me", "", []string{"Communication/from-me"}, nil},
		{"Communication/thread", "Results", []string{"Communication/from-doc"}, []string{"from-doc"}},
		{"Communication/from-doc-read", "", []string{"Communication/from-doc-read"}, nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Threads =\n%+v\nwant\n%+v", got, want)
	}

	if !c.FromPatientSide(threads[1].Messages[0]) || c.FromPatientSide(threads[0].Messages[0]) {
		t.Error("FromPatientSide: a proxy's message is the patient's side, the office's is not")
	}
	if th := Threads(c, nil)[0]; th.Latest().String() != threads[0].Messages[0].Date().String() {
		t.Errorf("Latest = %v", th.Latest())
	}
}
