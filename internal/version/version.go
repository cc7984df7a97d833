package version

import (
	"fmt"
	"runtime/debug"
)

// Version is the release version. It matches Version in FyneApp.toml
// (TestMatchesFyneApp); a release build may override it with
// -ldflags "-X github.com/carebook/carebook/internal/version.Version=...".
var Version = "0.1.0"

// Commit is the commit the binary was built from, set by -ldflags at
// packaging time; when empty, String reads it from the build information
// (vcs.revision, recorded by go build in a git checkout).
var Commit = ""

// String is what --version prints: "carebook-cli 0.1.0 (commit 1dd7f8f, modified)".
func String(program string) string {
	commit, modified := Commit, false
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if commit == "" {
					commit = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if len(commit) > 12 {
		commit = commit[:12]
	}
	switch {
	case commit == "":
		return fmt.Sprintf("%s %s (commit unknown)", program, Version)
	case modified:
		return fmt.Sprintf("%s %s (commit %s, modified)", program, Version, commit)
	default:
		return fmt.Sprintf("%s %s (commit %s)", program, Version, commit)
	}
}
