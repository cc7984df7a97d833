// Package locfmt writes dates, times, numbers, money and measurements the
// way the patient's device locale does: "Dec 14, 2026, 3:10 PM" and
// "$49.00" in the United States, "14 Dec 2026, 15:10" in Britain,
// "14 dic 2026, 15:10" in Spain, "14.12.2026, 15:10" in Germany; body
// weight, height and temperature in pounds, feet and inches and °F where
// the locale uses them.
//
// It is the one place the app formats those values for people; the
// screens (ui), the use cases (app) and the command line use it. It has no
// Fyne import: the ui package picks the locale (from LC_ALL, LC_TIME and
// LANG on desktops, from Fyne's lang.SystemLocale elsewhere) and sets it
// with SetCurrent at start-up.
//
// Locales: English (en-US style for the United States and for English
// without a region, en-GB style for every other English region), Spanish
// and German, each with its region's conventions for currency. Any other
// language, and the C/POSIX locale, fall back quietly to en-US.
//
// Numbers and currency symbols come from golang.org/x/text (number,
// currency, message: CLDR data, already a dependency of the module for
// Unicode normalisation); the date patterns and month names of the four
// supported languages are small tables here, since x/text has no date
// formatting.
//
// Locale values are immutable and safe for concurrent use; Current and
// SetCurrent may be called from any goroutine.
package locfmt
