// Package i18n holds Carebook's translations and the language the app
// speaks.
//
// The translations are go-i18n JSON files in translations/, one pair per
// area of the app: <area>.en.json and <area>.es.json. A message's ID is its
// English text (as with gettext), so code reads naturally:
//
//	lang.L("Messages")                                  // in ui/, Fyne's i18n
//	lang.N("{{.Count}} new results", n, map[string]any{"Count": n})
//	i18n.L("Your doctor may not have reviewed this result yet.") // in app/
//
// The screens (package ui) translate through Fyne's own lang package, which
// is given these same files when package ui loads; code below the screens
// (package app and what it uses, which must not import Fyne) translates
// through L and N here. Both pick the language the same way, from the
// system's preferred languages (ui's useSystemLanguage, through
// UsePreferred): Spanish when the system prefers it, English otherwise. The command-line tool stays in English
// (its output is read by scripts) because it never calls UsePreferred.
//
// A message ID must be a string literal: never a patient's data, which a
// missing translation would otherwise write to the log. The tests in this
// package check that every literal the code translates is in both
// languages, with the same template fields, and that no screen hands a
// widget an untranslated sentence.
package i18n
