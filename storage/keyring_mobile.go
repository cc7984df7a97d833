//go:build android || ios

package storage

// OSKeyring on phones has no backend: go-keyring has none for Android (it
// would try D-Bus) and on iOS it runs /usr/bin/security, which an app may
// not. The master key is protected by the passphrase instead; the design of
// a native Keystore/Keychain bridge is in docs/platforms.md.
func OSKeyring() Keyring {
	return NoKeyring("this phone build has no keyring bridge yet; the passphrase protects the key")
}
