package main

import (
	"strings"
	"testing"

	"github.com/carebook/carebook/sync/fhirapi/fhirtest"
)

// TestRemoveKeepsUnsent: remove lists the items not sent yet and exits 2
// without removing anything; --discard-unsent removes the profile.
func TestRemoveKeepsUnsent(t *testing.T) {
	srv := fhirtest.New(fhirtest.Features{Everything: true})
	defer srv.Close()
	seedServer(srv, 2)
	dir := newCache(t)
	if code, _, errOut := cli(t, testPassphrase, "connect", "--data", dir, "--server", srv.Base(), "--open", "--patient", "p1"); code != exitOK {
		t.Fatalf("connect: %d %s", code, errOut)
	}
	pid := profileID(t, dir)
	enqueueMessage(t, dir, pid)

	code, out, errOut := cli(t, testPassphrase, "remove", "--data", dir, "--profile", pid)
	if code != exitUsage || !strings.Contains(out, "local-") || !strings.Contains(out, "pending") ||
		!strings.Contains(out, "Message") || !strings.Contains(out, "hello") || !strings.Contains(errOut, "--discard-unsent") {
		t.Fatalf("remove with an unsent message: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	if got := profileID(t, dir); got != pid {
		t.Fatalf("profile after a refused remove = %q, want %q kept", got, pid)
	}

	code, _, errOut = cli(t, testPassphrase, "remove", "--data", dir, "--profile", pid, "--discard-unsent")
	if code != exitOK {
		t.Fatalf("remove --discard-unsent: exit %d, %s", code, errOut)
	}
	code, out, _ = cli(t, testPassphrase, "status", "--data", dir, "--json")
	if code != exitOK || strings.Contains(out, pid) {
		t.Fatalf("status after removal: exit %d, %s", code, out)
	}
	if code, _, _ := cli(t, testPassphrase, "remove", "--data", dir); code != exitUsage {
		t.Fatalf("remove without --profile: exit %d, want 2", code)
	}
}
