package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
	"github.com/carebook/carebook/sync/smart"
)

func cmdConnect(ctx context.Context, args []string, e env) error {
	fs := newFlags("connect", e)
	data := fs.String("data", "", "cache folder (default: the app's)")
	server := fs.String("server", "", "the practice's FHIR base URL (required)")
	open := fs.Bool("open", false, "the server needs no authorization (requires --patient)")
	patient := fs.String("patient", "", "patient id on an open server")
	clientID := fs.String("client-id", smart.DefaultClientID, "OAuth client id registered with the practice")
	label := fs.String("label", "", "a name for this profile (default: the server's host)")
	noBrowser := fs.Bool("no-browser", false, "only print the sign-in URL, do not start a browser")
	timeout := fs.Duration("timeout", 10*time.Minute, "how long to wait for the sign-in")
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
	if *label == "" {
		*label = u.Host
	}
	st, err := openCache(ctx, *data, e)
	if err != nil {
		return err
	}
	defer st.Close()

	if *open {
		api, err := fhirapi.New(base, fhirapi.Options{})
		if err != nil {
			return err
		}
		// Check the patient exists before saving a profile that can never sync.
		if _, err := api.Get(ctx, "Patient/"+url.PathEscape(*patient), nil); err != nil {
			return fmt.Errorf("read the patient on %s: %w", u.Host, err)
		}
		p, err := upsertProfile(ctx, st, storage.Profile{PracticeURL: base, PatientID: *patient, Label: *label,
			Settings: map[string]string{smart.SettingAuth: "none"}})
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, p.ID)
		return nil
	}

	if _, err := fhirapi.New(base, fhirapi.Options{}); err != nil {
		return err // https rule
	}
	opener := e.openBrowser
	if opener == nil {
		opener = systemBrowser
	}
	sctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	grant, err := smart.SignIn(sctx, smart.Config{
		FHIRBase: base,
		ClientID: *clientID,
		OpenBrowser: func(authURL string) error {
			fmt.Fprintf(e.stderr, "Sign in to %s in your browser. If it does not open, open this address:\n%s\n", u.Host, authURL)
			if *noBrowser {
				return nil
			}
			if err := opener(authURL); err != nil {
				fmt.Fprintf(e.stderr, "(could not start a browser: %v)\n", err)
			}
			return nil
		},
	})
	if errors.Is(err, smart.ErrNoEndpoints) {
		return usagef("%s offers no SMART sign-in; if it is an open server, connect with --open --patient ID", u.Host)
	}
	if err != nil {
		return err
	}
	p, err := upsertProfile(ctx, st, storage.Profile{PracticeURL: base, PatientID: grant.PatientID, Label: *label,
		Settings: map[string]string{smart.SettingAuth: "smart", smart.SettingClientID: grant.ClientID}})
	if err != nil {
		return err
	}
	if err := smart.SaveGrant(ctx, st, p.ID, grant); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, p.ID)
	return nil
}

// upsertProfile updates the profile of the same practice and patient, or
// creates one.
func upsertProfile(ctx context.Context, st *storage.Store, want storage.Profile) (storage.Profile, error) {
	ps, err := st.Profiles(ctx)
	if err != nil {
		return storage.Profile{}, err
	}
	for _, p := range ps {
		if p.PracticeURL == want.PracticeURL && p.PatientID == want.PatientID {
			if p.Settings == nil {
				p.Settings = map[string]string{}
			}
			for k, v := range want.Settings {
				p.Settings[k] = v
			}
			delete(p.Settings, smart.SettingNeedsSignIn)
			p.Label = want.Label
			if err := st.UpdateProfile(ctx, p); err != nil {
				return storage.Profile{}, err
			}
			return p, nil
		}
	}
	return st.CreateProfile(ctx, want)
}
