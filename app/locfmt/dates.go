package locfmt

import (
	"strconv"
	"time"
)

var (
	monthsShort = map[string][12]string{
		"en": {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
		"es": {"ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"},
		"de": {"Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez."},
	}
	monthsLong = map[string][12]string{
		"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
		"es": {"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
		"de": {"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
	}
	weekdaysShort = map[string][7]string{
		"en": {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"},
		"es": {"dom", "lun", "mar", "mié", "jue", "vie", "sáb"},
		"de": {"So.", "Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa."},
	}
	weekdaysLong = map[string][7]string{
		"en": {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
		"es": {"domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"},
		"de": {"Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"},
	}
)

func (l Locale) mon(t time.Time) string   { return monthsShort[l.norm().lang][t.Month()-1] }
func (l Locale) month(t time.Time) string { return monthsLong[l.norm().lang][t.Month()-1] }
func (l Locale) wd(t time.Time) string    { return weekdaysShort[l.norm().lang][t.Weekday()] }
func (l Locale) weekday(t time.Time) string {
	return weekdaysLong[l.norm().lang][t.Weekday()]
}

func two(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// Date is a calendar day in the locale's medium form: "Dec 14, 2026",
// "14 Dec 2026", "14 dic 2026", "14.12.2026".
func (l Locale) Date(t time.Time) string {
	d, y := strconv.Itoa(t.Day()), strconv.Itoa(t.Year())
	switch {
	case l.usStyle():
		return l.mon(t) + " " + d + ", " + y
	case l.norm().lang == "de":
		return two(t.Day()) + "." + two(int(t.Month())) + "." + y
	}
	return d + " " + l.mon(t) + " " + y
}

// DayMonth is a day without its year: "Dec 14", "14 Dec", "14 dic",
// "14.12.".
func (l Locale) DayMonth(t time.Time) string {
	d := strconv.Itoa(t.Day())
	switch {
	case l.usStyle():
		return l.mon(t) + " " + d
	case l.norm().lang == "de":
		return two(t.Day()) + "." + two(int(t.Month())) + "."
	}
	return d + " " + l.mon(t)
}

// MonthYear is a month: "Dec 2026", "dic 2026", "Dez. 2026".
func (l Locale) MonthYear(t time.Time) string { return l.mon(t) + " " + strconv.Itoa(t.Year()) }

// Year is a year: "2026".
func (l Locale) Year(t time.Time) string { return strconv.Itoa(t.Year()) }

// Time is a time of day: "3:10 PM" in the United States, "15:10"
// elsewhere.
func (l Locale) Time(t time.Time) string {
	if l.usStyle() {
		h := t.Hour() % 12
		if h == 0 {
			h = 12
		}
		ampm := "AM"
		if t.Hour() >= 12 {
			ampm = "PM"
		}
		return strconv.Itoa(h) + ":" + two(t.Minute()) + " " + ampm
	}
	return two(t.Hour()) + ":" + two(t.Minute())
}

// DateTime is a day and time: "Dec 14, 2026, 3:10 PM", "14 Dec 2026,
// 15:10", "14 dic 2026, 15:10", "14.12.2026, 15:10".
func (l Locale) DateTime(t time.Time) string { return l.Date(t) + ", " + l.Time(t) }

// WeekdayDate is a day with its weekday, the year only when withYear:
// "Mon, Dec 14", "Mon 14 Dec 2026", "lun, 14 dic", "Mo., 14.12.".
func (l Locale) WeekdayDate(t time.Time, withYear bool) string {
	day := l.DayMonth(t)
	if withYear {
		day = l.Date(t)
	}
	if l.norm().lang == "en" && !l.usStyle() {
		return l.wd(t) + " " + day
	}
	return l.wd(t) + ", " + day
}

// WeekdayDateTime is WeekdayDate followed by the time of day.
func (l Locale) WeekdayDateTime(t time.Time, withYear bool) string {
	return l.WeekdayDate(t, withYear) + ", " + l.Time(t)
}

// LongDate is a day written out: "Monday, December 14, 2026", "Monday 14
// December 2026", "lunes, 14 de diciembre de 2026", "Montag, 14. Dezember
// 2026".
func (l Locale) LongDate(t time.Time) string {
	d, y := strconv.Itoa(t.Day()), strconv.Itoa(t.Year())
	switch {
	case l.usStyle():
		return l.weekday(t) + ", " + l.month(t) + " " + d + ", " + y
	case l.norm().lang == "es":
		return l.weekday(t) + ", " + d + " de " + l.month(t) + " de " + y
	case l.norm().lang == "de":
		return l.weekday(t) + ", " + d + ". " + l.month(t) + " " + y
	}
	return l.weekday(t) + " " + d + " " + l.month(t) + " " + y
}
