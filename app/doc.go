// Package app is Carebook's application core: profiles (one practice × one
// patient), the session and its lock, the use cases the screens call, and the
// event bus that tells screens what changed.
//
// It sits between ui and the lower layers: ui → app → {sync, storage}. It
// never imports Fyne, so every use case can be tested without a window, and
// it never touches SQLite or HTTP directly: storage and the sync packages do.
//
// Threading: every exported method may block (database, network, keyring,
// key derivation) and must therefore never be called on the UI goroutine.
package app
