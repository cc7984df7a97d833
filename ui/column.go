package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// columnLayout stacks objects vertically in a column no wider than maxWidth,
// centred horizontally, and (when centerVertically) vertically. Unlike a VBox
// it measures each object after giving it its final width, so wrapped labels
// get the height they really need on a narrow phone screen instead of
// overlapping what follows.
type columnLayout struct {
	maxWidth         float32
	centerVertically bool
}

// newColumn returns a container laying out objects with columnLayout.
func newColumn(maxWidth float32, centerVertically bool, objects ...fyne.CanvasObject) *fyne.Container {
	return container.New(&columnLayout{maxWidth: maxWidth, centerVertically: centerVertically}, objects...)
}

func (c *columnLayout) width(available float32) float32 {
	if c.maxWidth > 0 && available > c.maxWidth {
		return c.maxWidth
	}
	return available
}

// heightAt gives o the width w and returns the height it then needs.
func heightAt(o fyne.CanvasObject, w float32) float32 {
	o.Resize(fyne.NewSize(w, o.MinSize().Height))
	return o.MinSize().Height
}

func (c *columnLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	w := c.width(size.Width)
	x := (size.Width - w) / 2

	heights := make([]float32, len(objects))
	var total float32
	for i, o := range objects {
		if !o.Visible() {
			continue
		}
		heights[i] = heightAt(o, w)
		total += heights[i] + pad
	}
	total -= pad

	y := float32(0)
	if c.centerVertically && total < size.Height {
		y = (size.Height - total) / 2
	}
	for i, o := range objects {
		if !o.Visible() {
			continue
		}
		o.Move(fyne.NewPos(x, y))
		o.Resize(fyne.NewSize(w, heights[i]))
		y += heights[i] + pad
	}
}

func (c *columnLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	pad := theme.Padding()
	var minW, h float32
	for _, o := range objects {
		if !o.Visible() {
			continue
		}
		m := o.MinSize()
		if m.Width > minW {
			minW = m.Width
		}
		h += m.Height + pad
	}
	if h > 0 {
		h -= pad
	}
	return fyne.NewSize(minW, h)
}
