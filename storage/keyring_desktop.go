//go:build !android && !ios

package storage

// OSKeyring returns the Keyring of the operating system (Secret Service over
// D-Bus on Linux, Keychain on macOS, Credential Manager on Windows), backed
// by github.com/zalando/go-keyring. Where no backend is usable (Linux
// without a D-Bus session) its methods fail with ErrNoKeyring.
func OSKeyring() Keyring { return osKeyring{} }
