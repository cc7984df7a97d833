package ui

import (
	"slices"
	"strings"
	"testing"
	"unsafe"
)

// TestKeptTextsCompact: compacting a section's texts changes none of
// them, keeps each distinct text once, and leaves empty texts empty.
func TestKeptTextsCompact(t *testing.T) {
	items := []listItem{
		{title: "Office visit", detail: "3 Mar 2024 · Dr Lee", key: "Encounter/1"},
		{title: "Office visit", detail: "", flag: "2 abnormal", key: "Encounter/2"},
		{header: true, title: "Past visits"},
		// Equal texts in memory of their own, as decoding makes them.
		{title: strings.Clone("Office visit"), detail: strings.Clone("3 Mar 2024 · Dr Lee"), key: "Encounter/3", source: "Riverside"},
	}
	want := slices.Clone(items)
	var k keptTexts
	k.addItems(items)
	k.compact()
	if !slices.Equal(items, want) {
		t.Fatalf("texts changed:\n%+v\nwant\n%+v", items, want)
	}
	same := func(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }
	if !same(items[0].title, items[1].title) || !same(items[0].title, items[3].title) || !same(items[0].detail, items[3].detail) {
		t.Error("an identical text is kept more than once")
	}
	if same(items[0].key, items[1].key) {
		t.Error("two different texts share their bytes")
	}
	if items[1].detail != "" || items[2].key != "" {
		t.Error("an empty text is no longer empty")
	}
}

// TestIDList: an id list gives back its ids, in order, and none when
// empty; its text is what keptTexts moves.
func TestIDList(t *testing.T) {
	for _, ids := range [][]string{nil, {"a"}, {"a", "b-1.2", "c"}} {
		l := newIDList(ids)
		if got := l.ids(); !slices.Equal(got, ids) {
			t.Errorf("%q: ids %q", ids, got)
		}
		var k keptTexts
		k.add(l.text())
		k.compact()
		if got := l.ids(); !slices.Equal(got, ids) {
			t.Errorf("%q: ids %q after compact", ids, got)
		}
	}
}
