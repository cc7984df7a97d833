// Package assets embeds Carebook's icon and other static files so that the
// binary carries them wherever it runs (desktop, Android, iOS).
package assets
