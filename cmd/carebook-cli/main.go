package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/carebook/carebook/app/locfmt"
	"github.com/carebook/carebook/internal/version"
	"github.com/carebook/carebook/storage"
	"github.com/carebook/carebook/sync/fhirapi"
	"github.com/carebook/carebook/sync/smart"
)

// Exit codes; see the package documentation.
const (
	exitOK          = 0
	exitOther       = 1
	exitUsage       = 2
	exitNeedsSignIn = 3
	exitNetwork     = 4
	exitLocked      = 5
)

const usage = `usage: carebook-cli <command> [flags]

commands:
  connect   sign in to a practice (SMART), or --open --patient ID for an open server
  sync      send the outbox and pull the records of every profile
  status    profiles, last sync, counts by type, pending outbox items
  export    one person's record on stdout, or into --out FILE (readable by you only);
            in clear, not encrypted: [--profile ID | --merged] --format pdf (a readable
            health summary), ips (the International Patient Summary, a FHIR document
            Bundle) or bundle (the whole record as a FHIR Bundle, the default)
  repair    remove unreadable (damaged) records of a profile and download it again;
            a data file too damaged to open is rebuilt without its cached record (the
            damaged file kept beside it); what you wrote and has not been sent is kept
  link      show one person's records at two practices as one (merged views):
            --profile ID --with ID; without them, lists the links and what is offered
            (the same name and birth date at two practices); exit 2 for two different people
  unlink    undo a link: --profile ID shows on its own again
  remove    remove a profile from this device: --profile ID [--discard-unsent]; exit 2
            with the list of items not sent yet unless --discard-unsent
  rekey     change the encryption keys: a new master key and new record keys, everything
            re-encrypted (resumes after a crash); the old keys open nothing afterwards
  activity  what happened on this device (sign-ins, failed unlocks, exports, key changes,
            records added and removed, access ended), newest first, verified (--json);
            exit 1 when the trail was altered
  who       who looked at your record, as your practice's own log says (asked live):
            [--profile ID] [--json]; exit 1 when the practice does not share it
  message   write to the practice: --to TYPE/ID --subject TEXT --text TEXT [--attach FILE]...
            [--reply-to COMMUNICATION_ID]; stored in the outbox and sent at once
  messages  conversations and the state of every message (--json)
  slots     free times asked live: [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--type TEXT]
            [--provider TYPE/ID] [--json]
  book      book a free time: --slot SLOT_ID [--reason TEXT]
  move      move an appointment: --appointment ID --slot SLOT_ID
  cancel    cancel an appointment: --appointment ID [--reason TEXT]
  appointments  upcoming and past appointments with their states (--json)
  questionnaire what to bring and the questions the practice asks before a visit:
            --appointment ID [--json]
  answer    answer them: --appointment ID (--answers FILE.json | --answer LINK_ID=VALUE...)
            [--questionnaire Questionnaire/ID]; stored in the outbox and sent at once
  access    who else the practice lets see your record; --end RELATEDPERSON_ID ends one's
            access (stored in the outbox and sent at once)
  refill    ask the practice to renew a prescription (--medication MedicationRequest/ID)
  request   ask for a copy of a lab report, a referral or a correction (--type)
  requests  every request and where it stands (--json)
  notifications  what Carebook would notify now (as private as the profile's settings say)
            and the preventive care due (--json); only reads
  details   your address, phone, e-mail, language, emergency contact and preferred pharmacy
            (--json); --set KEY=VALUE... changes them, --keep KEY=yours|practice... chooses
            after the practice's copy changed meanwhile

  signin    sign a profile in again after sync exited 3 (--profile ID); the record and what
            waits to be sent are kept; exits 6 when the practice ended a parent's or
            caregiver's access to that record
  new-address  the practice moved: sign in at its new address (--profile ID --server URL);
            the record and what waits to be sent are kept (sync says when a practice moved)
  own-lock  give a record a passphrase of its own, so the app's unlock does not open it:
            --profile ID with CAREBOOK_NEW_PROFILE_PASSPHRASE (and CAREBOOK_PROFILE_PASSPHRASE,
            its current one, to change it); --remove with CAREBOOK_PROFILE_PASSPHRASE

Run "carebook-cli <command> -h" for a command's flags, "carebook-cli --version"
for the version and the commit it was built from.
The cache is unlocked by the OS keyring or the CAREBOOK_PASSPHRASE variable; records
with their own lock are opened by CAREBOOK_PROFILE_PASSPHRASE (those it fits).

exit codes: 0 ok, 1 other failure, 2 bad input or usage, 3 needs sign-in,
            4 network or server unreachable (an action is stored and waits),
            5 locked or wrong passphrase, 6 the practice refused an action, or ended
            the access to the record (signin, sync)
`

// env is what a command needs from its process, so tests can run commands
// in-process.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// openBrowser starts the system browser (nil: the platform's).
	openBrowser func(string) error
}

// usageError is bad input: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Dates, numbers and money in what the app's use cases write follow
	// the locale (LC_ALL, LC_TIME, LANG; C or none is en-US).
	l, _ := locfmt.FromEnv(os.Getenv)
	locfmt.SetCurrent(l)
	os.Exit(run(ctx, os.Args[1:], env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}))
}

// run executes one command and returns the exit code.
func run(ctx context.Context, args []string, e env) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "connect":
		err = cmdConnect(ctx, args[1:], e)
	case "signin":
		err = cmdSignIn(ctx, args[1:], e)
	case "sync":
		err = cmdSync(ctx, args[1:], e)
	case "status":
		err = cmdStatus(ctx, args[1:], e)
	case "export":
		err = cmdExport(ctx, args[1:], e)
	case "message":
		err = cmdMessage(ctx, args[1:], e)
	case "messages":
		err = cmdMessages(ctx, args[1:], e)
	case "slots":
		err = cmdSlots(ctx, args[1:], e)
	case "book":
		err = cmdBook(ctx, args[1:], e)
	case "move":
		err = cmdMove(ctx, args[1:], e)
	case "cancel":
		err = cmdCancel(ctx, args[1:], e)
	case "appointments":
		err = cmdAppointments(ctx, args[1:], e)
	case "questionnaire":
		err = cmdQuestionnaire(ctx, args[1:], e)
	case "answer":
		err = cmdAnswer(ctx, args[1:], e)
	case "repair":
		err = cmdRepair(ctx, args[1:], e)
	case "link":
		err = cmdLink(ctx, args[1:], e)
	case "unlink":
		err = cmdUnlink(ctx, args[1:], e)
	case "remove":
		err = cmdRemove(ctx, args[1:], e)
	case "rekey":
		err = cmdRekey(ctx, args[1:], e)
	case "activity":
		err = cmdActivity(ctx, args[1:], e)
	case "who":
		err = cmdWho(ctx, args[1:], e)
	case "access":
		err = cmdAccess(ctx, args[1:], e)
	case "own-lock":
		err = cmdOwnLock(ctx, args[1:], e)
	case "new-address":
		err = cmdMovePractice(ctx, args[1:], e)
	case "version", "--version", "-version":
		fmt.Fprintln(e.stdout, version.String("carebook-cli"))
		return exitOK
	case "refill":
		err = cmdRefill(ctx, args[1:], e)
	case "request":
		err = cmdRequest(ctx, args[1:], e)
	case "requests":
		err = cmdRequests(ctx, args[1:], e)
	case "notifications":
		err = cmdNotifications(ctx, args[1:], e)
	case "details":
		err = cmdDetails(ctx, args[1:], e)
	case "help", "-h", "--help":
		fmt.Fprint(e.stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(e.stderr, "carebook-cli: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintf(e.stderr, "carebook-cli %s: %v\n", args[0], err)
	if errors.Is(err, storage.ErrCorrupt) && args[0] != "repair" {
		fmt.Fprintln(e.stderr, "carebook-cli repair rebuilds a damaged data file and downloads the record again; what you wrote and has not been sent is kept")
	}
	return exitCode(err)
}

// exitCode maps an error to the documented exit codes.
func exitCode(err error) int {
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case actionExitCode(err) != 0:
		return actionExitCode(err)
	case errors.As(err, &ue), errors.Is(err, fhirapi.ErrInsecure):
		return exitUsage
	case errors.Is(err, smart.ErrNeedsSignIn), errors.Is(err, fhirapi.ErrUnauthorized):
		return exitNeedsSignIn
	case errors.Is(err, storage.ErrWrongPassphrase), errors.Is(err, storage.ErrLocked), errors.Is(err, storage.ErrProfileLocked),
		errors.Is(err, storage.ErrPassphraseRequired), errors.Is(err, storage.ErrNoKeyring),
		errors.Is(err, storage.ErrNoKey):
		return exitLocked
	case errors.Is(err, fhirapi.ErrNetwork), errors.Is(err, fhirapi.ErrServer), errors.Is(err, fhirapi.ErrRateLimited):
		return exitNetwork
	default:
		return exitOther
	}
}

// newFlags returns a flag set that reports errors as usage errors.
func newFlags(name string, e env) *flag.FlagSet {
	fs := flag.NewFlagSet("carebook-cli "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}
