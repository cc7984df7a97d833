// Package archtest holds tests that keep Carebook's layering honest:
// ui → app → {sync, storage}, with nothing under app, sync or storage
// importing Fyne, and the practice server importing none of the app's
// packages. It has no code of its own.
package archtest
