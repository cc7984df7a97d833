package app

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/carebook/carebook/internal/i18n"
)

// ReminderBefore is when the calendar file's reminder goes off.
const ReminderBefore = time.Hour

// AppointmentICS is one appointment as an iCalendar file (RFC 5545), for
// the patient's own calendar: the time in UTC, the title, the place (or
// the video link) and a reminder an hour before. The file name suggested
// for saving comes with it. It is built from the cache and works offline.
func (a *App) AppointmentICS(ctx context.Context, profileID, id string) (data []byte, filename string, err error) {
	ap, err := a.Appointment(ctx, profileID, id)
	if err != nil {
		return nil, "", err
	}
	if ap.Start.IsZero() {
		return nil, "", fmt.Errorf("calendar file: %w: the appointment has no time yet", ErrInvalidInput)
	}
	p, err := a.store.Profile(ctx, profileID)
	if err != nil {
		return nil, "", fmt.Errorf("calendar file: %w", err)
	}
	host := "carebook.invalid"
	if u, err := url.Parse(p.PracticeURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	cal := ics.NewCalendar()
	cal.SetMethod(ics.MethodPublish)
	cal.SetProductId("-//Carebook//Appointments//EN")
	// The id is the practice's, so saving the same appointment again
	// updates the calendar entry instead of adding a second one.
	ev := cal.AddEvent(firstOf(ap.ID, ap.LocalID) + "@" + host)
	ev.SetDtStampTime(a.cfg.Now().UTC())
	ev.SetStartAt(ap.Start.UTC())
	end := ap.End
	if end.IsZero() || !end.After(ap.Start) {
		end = ap.Start.Add(30 * time.Minute)
	}
	ev.SetEndAt(end.UTC())
	ev.SetSummary(ap.Title())
	where := ap.WhereText()
	if ap.JoinURL != "" {
		where = i18n.L("Video visit: {{.Link}}", map[string]any{"Link": ap.JoinURL})
		ev.SetURL(ap.JoinURL)
	}
	if where != "" {
		ev.SetLocation(where)
	}
	var desc []string
	if ap.Reason != "" {
		desc = append(desc, i18n.L("Reason: {{.Reason}}", map[string]any{"Reason": ap.Reason}))
	}
	if ap.Instruction != "" {
		desc = append(desc, ap.Instruction)
	}
	if ph := firstOf(ap.Phone, ap.PracticePhone); ph != "" {
		desc = append(desc, i18n.L("To change it, call {{.Phone}}.", map[string]any{"Phone": ph}))
	}
	if len(desc) > 0 {
		ev.SetDescription(strings.Join(desc, "\n"))
	}
	if ap.State == StateRequested {
		ev.SetStatus(ics.ObjectStatusTentative)
	} else {
		ev.SetStatus(ics.ObjectStatusConfirmed)
	}
	alarm := ev.AddAlarm()
	alarm.SetAction(ics.ActionDisplay)
	alarm.SetTrigger("-PT" + fmt.Sprint(int(ReminderBefore.Minutes())) + "M")
	alarm.SetProperty(ics.ComponentPropertyDescription, ap.Title())
	name := "appointment-" + ap.Start.Local().Format("2006-01-02-1504") + ".ics"
	return []byte(cal.Serialize()), name, nil
}

// OpenAppointmentInCalendar hands the appointment's calendar file to the
// system (through the browser, which gives it to the calendar app or
// offers to save it). Like OpenDocument, it is served once from memory on
// 127.0.0.1, never written to a temporary file.
func (a *App) OpenAppointmentInCalendar(ctx context.Context, profileID, id string) error {
	if a.cfg.OpenBrowser == nil {
		return fmt.Errorf("calendar file: no way to open it")
	}
	data, name, err := a.AppointmentICS(ctx, profileID, id)
	if err != nil {
		return err
	}
	u, err := serveOnce(data, "text/calendar; charset=utf-8", name)
	if err != nil {
		return fmt.Errorf("calendar file: %w", err)
	}
	if err := a.cfg.OpenBrowser(u); err != nil {
		return fmt.Errorf("calendar file: %w", err)
	}
	return nil
}

// JoinVideoVisit opens a video visit's join link in the browser.
func (a *App) JoinVideoVisit(ctx context.Context, profileID, id string) error {
	ap, err := a.Appointment(ctx, profileID, id)
	if err != nil {
		return err
	}
	if ap.JoinURL == "" {
		return fmt.Errorf("join video visit: %w: this appointment has no video link", ErrInvalidInput)
	}
	if a.cfg.OpenBrowser == nil {
		return fmt.Errorf("join video visit: no way to open a browser")
	}
	if err := a.cfg.OpenBrowser(ap.JoinURL); err != nil {
		return fmt.Errorf("join video visit: %w", err)
	}
	return nil
}
