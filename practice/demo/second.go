package demo

import (
	"context"

	"github.com/carebook/carebook/practice"
	"github.com/carebook/carebook/practice/synth"
)

// StartSecond starts the second demo practice on 127.0.0.1: Lakeside
// Health Center, a practice of its own (its own server, name and data)
// that also sees the demo patient Maya, with a record of her that partly
// overlaps the demo practice's (synth.Lakeside). Its one account is
// Username. Options work as for Start (PortFile keeps its address).
func StartSecond(ctx context.Context, opts Options) (*Practice, error) {
	return start(ctx, opts, practice.Config{Name: synth.LakesideName, Dataset: synth.DatasetLakeside}, "second demo practice")
}
