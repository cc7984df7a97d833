package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os/exec"
	"runtime"
	"time"

	"github.com/carebook/carebook/app"
)

// signInFlags are the --no-browser and --timeout flags of a command that
// signs in at a practice.
type signInFlags struct {
	noBrowser *bool
	timeout   *time.Duration
}

func addSignInFlags(fs *flag.FlagSet) signInFlags {
	return signInFlags{
		noBrowser: fs.Bool("no-browser", false, "only print the sign-in URL, do not start a browser"),
		timeout:   fs.Duration("timeout", 10*time.Minute, "how long to wait for the sign-in"),
	}
}

// config is the app's settings for the sign-in: its browser (see
// signInBrowser; where says where to sign in).
func (f signInFlags) config(e env, where string) app.Config {
	return app.Config{OpenBrowser: signInBrowser(e, where, *f.noBrowser)}
}

// wait bounds the wait for the sign-in by --timeout.
func (f signInFlags) wait(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, *f.timeout)
}

// signInBrowser is the app's OpenBrowser for a command that signs in: it
// prints where to sign in (where, such as "to example.org") and the
// address, then starts the browser (e's, or the platform's) unless
// noBrowser.
func signInBrowser(e env, where string, noBrowser bool) func(string) error {
	opener := e.openBrowser
	if opener == nil {
		opener = systemBrowser
	}
	return func(authURL string) error {
		fmt.Fprintf(e.stderr, "Sign in %s in your browser. If it does not open, open this address:\n%s\n", where, authURL)
		if noBrowser {
			return nil
		}
		if err := opener(authURL); err != nil {
			fmt.Fprintf(e.stderr, "(could not start a browser: %v)\n", err)
		}
		return nil
	}
}

// systemBrowser opens url in the platform's browser. It returns an error
// when no opener could be started (a headless machine); the caller has
// already printed the URL.
func systemBrowser(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	case "darwin":
		cmd = exec.Command("open", url)
	default:
		if _, err := exec.LookPath("xdg-open"); err != nil {
			return errors.New("xdg-open not found")
		}
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait() //nolint:errcheck // reap the opener; its exit status does not matter
	return nil
}
