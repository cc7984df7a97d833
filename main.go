// Command carebook is the Carebook patient app. This file only wires the
// parts together; everything else lives in packages.
package main

import (
	"flag"
	"fmt"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/carebook/carebook/assets"
	"github.com/carebook/carebook/ui"
)

func main() {
	windowSize := flag.String("window-size", "", "initial window size, WIDTHxHEIGHT (e.g. 360x740 for a phone)")
	flag.Parse()

	var size fyne.Size
	if *windowSize != "" {
		var w, h float32
		if _, err := fmt.Sscanf(*windowSize, "%gx%g", &w, &h); err != nil || w <= 0 || h <= 0 {
			fmt.Fprintf(os.Stderr, "carebook: --window-size %q: want WIDTHxHEIGHT, e.g. 360x740\n", *windowSize)
			os.Exit(2)
		}
		size = fyne.NewSize(w, h)
	}

	a := app.NewWithID("app.carebook.carebook")
	a.SetIcon(assets.Icon)
	w := ui.NewMainWindow(a)
	if size != (fyne.Size{}) {
		w.Resize(size)
	}
	w.ShowAndRun()
}
