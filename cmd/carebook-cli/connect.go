package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/carebook/carebook/app"
	"github.com/carebook/carebook/sync/smart"
)

func cmdConnect(ctx context.Context, args []string, e env) error {
	fs := newFlags("connect", e)
	data := fs.String("data", "", "cache folder (default: the app's)")
	server := fs.String("server", "", "the practice's FHIR base URL (required)")
	open := fs.Bool("open", false, "the server needs no authorization (requires --patient)")
	patient := fs.String("patient", "", "patient id on an open server")
	clientID := fs.String("client-id", smart.DefaultClientID, "OAuth client id registered with the practice")
	label := fs.String("label", "", "a name for this profile (default: the patient's name)")
	sf := addSignInFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *server == "" {
		return usagef("--server is required")
	}
	base := strings.TrimRight(*server, "/")
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return usagef("--server is not an absolute URL")
	}
	if *open && *patient == "" {
		return usagef("--open needs --patient ID")
	}
	if !*open && *patient != "" {
		return usagef("--patient is only for --open servers; with sign-in the practice says whose chart it is")
	}
	a, err := openAppWith(ctx, *data, e, sf.config(e, "to "+u.Host))
	if err != nil {
		return err
	}
	defer a.Close()

	var p app.ProfileInfo
	if *open {
		p, err = a.ConnectOpen(ctx, base, *patient, *label)
	} else {
		sctx, cancel := sf.wait(ctx)
		defer cancel()
		p, err = a.Connect(sctx, base, app.ConnectOptions{ClientID: *clientID, Label: *label})
	}
	switch {
	case errors.Is(err, app.ErrNoSignIn):
		return usagef("%s offers no SMART sign-in; if it is an open server, connect with --open --patient ID", u.Host)
	case errors.Is(err, app.ErrBadAddress):
		return usagef("%v", err)
	case err != nil:
		return err
	}
	fmt.Fprintln(e.stdout, p.ID)
	return nil
}
