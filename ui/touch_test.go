package ui

import (
	"fmt"
	"reflect"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// minTouch is the smallest tap target a finger hits reliably: 44 × 44
// (Apple's 44 pt; Fyne's units are density-independent like points).
const minTouch = 44

// assertTouchTargets fails for every visible control on the window that a
// finger taps (anything Fyne delivers a tap to: buttons, checks, selects,
// entries, links, tabs, list rows) and that is smaller than minTouch
// either way.
func assertTouchTargets(t *testing.T, w fyne.Window) {
	t.Helper()
	seen := map[string]bool{}
	walkPlaced(w.Content(), fyne.NewPos(0, 0), func(o fyne.CanvasObject, pos fyne.Position) {
		if _, ok := o.(fyne.Tappable); !ok {
			return
		}
		if reflect.TypeOf(o).String() == "*widget.scrollBarArea" {
			return // a finger swipes the content; the bar only shows where it is
		}
		size := o.Size()
		if size.Width == 0 || size.Height == 0 {
			return // laid out away (an empty placeholder)
		}
		if size.Width >= minTouch-0.5 && size.Height >= minTouch-0.5 {
			return
		}
		what := describeTarget(o)
		if seen[what] {
			return
		}
		seen[what] = true
		t.Errorf("tap target %s is %.0f×%.0f at (%.0f, %.0f): smaller than %d×%d", what, size.Width, size.Height, pos.X, pos.Y, minTouch, minTouch)
	})
}

// describeTarget names a tap target for a failure message.
func describeTarget(o fyne.CanvasObject) string {
	switch x := o.(type) {
	case *widget.Button:
		return fmt.Sprintf("button %q", x.Text)
	case *widget.Check:
		return fmt.Sprintf("check %q", x.Text)
	case *widget.Hyperlink:
		return fmt.Sprintf("link %q", x.Text)
	case *widget.Select:
		return fmt.Sprintf("select %q", x.PlaceHolder)
	case *widget.Entry:
		return fmt.Sprintf("entry %q", x.PlaceHolder)
	default:
		return reflect.TypeOf(o).String()
	}
}
