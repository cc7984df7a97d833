package main

import (
	"context"
	"fmt"
	"strings"
)

// cmdAccess lists who else the practice lets see the patient's own record
// (app.Proxies), or ends one's access (--end ID, app.EndProxyAccess): the
// same use cases as the Settings screen, with the action exit codes.
func cmdAccess(ctx context.Context, args []string, e env) error {
	fs := newFlags("access", e)
	pf := addProfileFlags(fs)
	end := fs.String("end", "", "RELATEDPERSON_ID: end this person's access to your record")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, p, err := pf.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	if !p.Self {
		return usagef("%s's record is held for you as %s: only %s can manage who sees it", p.Label, p.Relationship, p.Label)
	}
	if *end != "" {
		sub, err := a.EndProxyAccess(ctx, p.ID, strings.TrimPrefix(*end, "RelatedPerson/"))
		return reportAction(e, sub, err)
	}
	list, canEnd, err := a.Proxies(ctx, p.ID)
	if err != nil {
		return err
	}
	for _, px := range list {
		fmt.Fprintf(e.stdout, "RelatedPerson/%s\t%s\t%s\n", px.ID, px.Name, px.Relationship)
	}
	if len(list) > 0 && !canEnd {
		fmt.Fprintln(e.stderr, "this practice does not offer ending access online: ask the office")
	}
	return nil
}
