// Package ui holds Carebook's Fyne screens, widgets and theme.
//
// It does no I/O of its own: it calls use cases in package app from a
// goroutine and applies each result to widgets with exactly one fyne.Do.
// A screen is a load(ctx) (viewModel, error) that touches no widget plus an
// apply(viewModel) that touches only widgets, so tests can call both.
//
// Threading: functions documented as "UI goroutine" must only be called from
// Fyne callbacks or inside fyne.Do.
package ui
