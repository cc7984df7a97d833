package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi/fhirtest"
)

// TestOwnLockThroughTheBinary gives one of two records its own passphrase
// with the real carebook-cli and checks what every other command then does
// with it: the app's passphrase alone opens the other record only, sync
// passes it by and says so, a wrong own passphrase is exit 5 and loses
// nothing, the unsent message survives a rekey, and removing the lock
// gives it back to the app's unlock.
func TestOwnLockThroughTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and spawns carebook-cli")
	}
	bin := buildCLI(t)
	srv := fhirtest.New(fhirtest.Features{Everything: true})
	defer srv.Close()
	seedServer(srv, 5)
	srv.Put(`{"resourceType":"Patient","id":"p2"}`)
	srv.Put(`{"resourceType":"Condition","id":"teen-c1","subject":{"reference":"Patient/p2"}}`)
	dir := newCache(t)
	const own = "the teen's own secret"

	run := func(env map[string]string, args ...string) (code int, stdout, stderr string) {
		t.Helper()
		cmd := exec.Command(bin, append(args, "--data", dir)...)
		cmd.Env = append(os.Environ(), passphraseVar+"="+testPassphrase)
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode(), out.String(), errb.String()
		}
		if err != nil {
			t.Fatalf("carebook-cli %s: %v", args[0], err)
		}
		return 0, out.String(), errb.String()
	}
	var ids []string
	for _, patient := range []string{"p1", "p2"} {
		code, out, errOut := run(nil, "connect", "--server", srv.Base(), "--open", "--patient", patient)
		if code != exitOK {
			t.Fatalf("connect %s: %d %s", patient, code, errOut)
		}
		ids = append(ids, strings.TrimSpace(out))
	}
	parent, teen := ids[0], ids[1]
	if code, _, errOut := run(nil, "sync"); code != exitOK {
		t.Fatalf("sync: %d %s", code, errOut)
	}
	enqueueMessage(t, dir, teen) // unsent
	_, before, _ := run(nil, "export", "--profile", teen)
	if !strings.Contains(before, "teen-c1") {
		t.Fatalf("export of the teen's record before the lock:\n%s", before)
	}

	setEnv := map[string]string{newProfilePassphraseVar: own}
	if code, _, errOut := run(map[string]string{newProfilePassphraseVar: "short"}, "own-lock", "--profile", teen); code != exitUsage {
		t.Fatalf("own-lock with a short passphrase: %d %s", code, errOut)
	}
	if code, _, errOut := run(setEnv, "own-lock", "--profile", teen); code != exitOK {
		t.Fatalf("own-lock: %d %s", code, errOut)
	}

	// The parent's unlock (the app's passphrase) alone.
	code, out, _ := run(nil, "status")
	if code != exitOK || !strings.Contains(out, "profile "+teen) || !strings.Contains(out, "LOCKED") || !strings.Contains(out, "Observation") {
		t.Fatalf("status with a closed record: %d\n%s", code, out)
	}
	if code, out, errOut := run(nil, "export", "--profile", teen); code != exitLocked || strings.Contains(out, "teen-c1") ||
		!strings.Contains(errOut, profilePassphraseVar) {
		t.Fatalf("export of the closed record: %d %q %s", code, out, errOut)
	}
	if code, _, errOut := run(nil, "sync"); code != exitOK || !strings.Contains(errOut, "profile "+teen) ||
		!strings.Contains(errOut, "not synced: it has its own lock") {
		t.Fatalf("sync with a closed record: %d %s", code, errOut)
	}
	if code, _, errOut := run(nil, "messages", "--profile", teen); code != exitLocked {
		t.Fatalf("messages of the closed record: %d %s", code, errOut)
	}
	if code, _, errOut := run(map[string]string{profilePassphraseVar: "not the teen's secret"}, "export", "--profile", teen); code != exitLocked ||
		!strings.Contains(errOut, "wrong passphrase") {
		t.Fatalf("export with a wrong own passphrase: %d %s", code, errOut)
	}
	// The database file, through storage with the app's passphrase only.
	wantClosed(t, dir, teen, parent)

	openEnv := map[string]string{profilePassphraseVar: own}
	if code, out, errOut := run(openEnv, "export", "--profile", teen); code != exitOK || !strings.Contains(out, "teen-c1") {
		t.Fatalf("export with the own passphrase: %d %s", code, errOut)
	}
	if code, _, errOut := run(nil, "rekey"); code != exitOK {
		t.Fatalf("rekey with a closed record present: %d %s", code, errOut)
	}
	if code, out, errOut := run(openEnv, "export", "--profile", teen); code != exitOK || !strings.Contains(out, "teen-c1") {
		t.Fatalf("export after rekey: %d %s", code, errOut)
	}
	code, out, _ = run(openEnv, "status")
	if code != exitOK || strings.Contains(out, "LOCKED") || !strings.Contains(out, "1 pending") {
		t.Fatalf("status with the record open after rekey (the unsent message must stay): %d\n%s", code, out)
	}
	wantClosed(t, dir, teen, parent)

	if code, _, errOut := run(nil, "own-lock", "--profile", teen, "--remove"); code != exitUsage {
		t.Fatalf("own-lock --remove without its passphrase: %d %s", code, errOut)
	}
	if code, _, errOut := run(openEnv, "own-lock", "--profile", teen, "--remove"); code != exitOK {
		t.Fatalf("own-lock --remove: %d %s", code, errOut)
	}
	if code, out, errOut := run(nil, "export", "--profile", teen); code != exitOK || !strings.Contains(out, "teen-c1") {
		t.Fatalf("export after removing the lock: %d %s", code, errOut)
	}
}

// wantClosed opens the cache file with the app's passphrase only: the
// teen's record, outbox included, must not open; the parent's must.
func wantClosed(t *testing.T, dir, teen, parent string) {
	t.Helper()
	ctx := context.Background()
	st := unlockedCache(t, dir)
	defer st.Close()
	if _, err := st.Get(ctx, teen, "Condition", "teen-c1"); !errors.Is(err, storage.ErrProfileLocked) {
		t.Fatalf("the app's unlock reads the teen's record: %v", err)
	}
	if _, err := st.Outbox(ctx, teen); !errors.Is(err, storage.ErrProfileLocked) {
		t.Fatalf("the app's unlock reads the teen's outbox: %v", err)
	}
	if _, err := st.Get(ctx, parent, "Condition", "c1"); err != nil {
		t.Fatalf("the parent's record: %v", err)
	}
}
