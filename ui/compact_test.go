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

// TestPackLists: packed lists keep their ids, in order, and no room to
// grow into each other.
func TestPackLists(t *testing.T) {
	lists := [][]string{{"a", "b"}, nil, {}, append(make([]string, 0, 10), "c"), {"d", "e", "f"}}
	want := [][]string{{"a", "b"}, nil, {}, {"c"}, {"d", "e", "f"}}
	packLists(lists)
	for i := range want {
		if !slices.Equal(lists[i], want[i]) || (want[i] == nil) != (lists[i] == nil) || cap(lists[i]) != len(want[i]) {
			t.Errorf("list %d: %q (cap %d), want %q", i, lists[i], cap(lists[i]), want[i])
		}
	}
	lists[0] = append(lists[0], "x")
	if lists[3][0] != "c" {
		t.Error("appending to a packed list overwrote the next one")
	}
}
