package demo

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/carebook/carebook/practice"
	"github.com/carebook/carebook/practice/synth"
)

// StartSecond starts the second demo practice on 127.0.0.1: Lakeside
// Health Center, a practice of its own (its own server, name and data)
// that also sees the demo patient Maya, with a record of her that partly
// overlaps the demo practice's (synth.Lakeside). Its one account is
// Username. Options work as for Start (PortFile keeps its address).
func StartSecond(ctx context.Context, opts Options) (*Practice, error) {
	if opts.StaffDelay == 0 {
		opts.StaffDelay = StaffDelay
	}
	cfg := practice.Config{Addr: "127.0.0.1:0", DataFile: opts.DataFile, Name: synth.LakesideName,
		Dataset: synth.DatasetLakeside, StaffDelay: opts.StaffDelay, PasswordCost: opts.PasswordCost}
	port := savedPort(opts.PortFile)
	if port != 0 {
		cfg.Addr = "127.0.0.1:" + strconv.Itoa(port)
	}
	srv, err := practice.New(ctx, cfg)
	if err != nil && port != 0 {
		cfg.Addr = "127.0.0.1:0" // the port is taken: another one
		srv, err = practice.New(ctx, cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("second demo practice: %w", err)
	}
	if opts.PortFile != "" {
		if err := savePort(opts.PortFile, srv.URL()); err != nil {
			srv.Close()
			return nil, fmt.Errorf("second demo practice: %w", err)
		}
	}
	if err := srv.Start(); err != nil {
		srv.Close()
		return nil, fmt.Errorf("second demo practice: %w", err)
	}
	return &Practice{srv: srv, jars: map[string]http.CookieJar{}}, nil
}
