package app

import (
	"errors"
	"strings"
	"testing"

	"github.com/carebook/carebook/internal/i18n"
	"github.com/carebook/carebook/sync/outbox"
)

// speakSpanish makes the use cases speak Spanish until the test ends.
func speakSpanish(t *testing.T) {
	t.Helper()
	t.Cleanup(func() { i18n.SetLanguage("en") })
	i18n.SetLanguage("es_ES.UTF-8")
}

// TestMessageProblemsInSpanish: what the patient is told about a message
// that cannot be sent comes in Spanish, with the file's name and the
// practice's limits in it; it still matches ErrInvalidInput.
func TestMessageProblemsInSpanish(t *testing.T) {
	speakSpanish(t)
	mp := DefaultMessagePolicy()
	if !strings.HasPrefix(mp.Notice, "Los mensajes no son para emergencias") {
		t.Errorf("default notice in Spanish = %q", mp.Notice)
	}
	tests := []struct {
		name string
		d    Draft
		want string
	}{
		{"no recipient", Draft{Subject: "x", Text: "x"}, "Elija para quién es el mensaje."},
		{"no subject", Draft{To: "Practitioner/1", Text: "x"}, "Escriba un asunto."},
		{"empty file", Draft{To: "Practitioner/1", Subject: "x", Attachments: []MessageAttachment{{Name: "foto.png", ContentType: "image/png"}}},
			"foto.png está vacío."},
		{"wrong type", Draft{To: "Practitioner/1", Subject: "x", Attachments: []MessageAttachment{{Name: "a.zip", ContentType: "application/zip", Data: []byte("PK")}}},
			"a.zip no se puede enviar: su centro médico acepta archivos PDF, JPEG, PNG, HEIC o texto."},
	}
	for _, tt := range tests {
		err := CheckMessage(tt.d, mp)
		var inv *InvalidMessageError
		if !errors.As(err, &inv) || !errors.Is(err, ErrInvalidInput) || inv.Problem != tt.want {
			t.Errorf("%s: CheckMessage = %v, want the problem %q", tt.name, err, tt.want)
		}
	}
	if got := MessageTopics()[0].Label; got != "Consulta médica" {
		t.Errorf("first topic = %q in Spanish", got)
	}
}

// TestOutboxWordsInSpanish: the outbox's own words (the practice gave none)
// are translated; the practice's own words are shown as it wrote them.
func TestOutboxWordsInSpanish(t *testing.T) {
	speakSpanish(t)
	for in, want := range map[string]string{
		outbox.WordsRefused:        "el centro médico rechazó la solicitud",
		outbox.WordsUnreachable:    "aún no enviado: no se pudo contactar con el centro médico",
		"Slot no longer available": "Slot no longer available",
	} {
		if got := outboxWords(in); got != want {
			t.Errorf("outboxWords(%q) = %q, want %q", in, got, want)
		}
	}
}
