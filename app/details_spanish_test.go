package app

import (
	"errors"
	"strings"
	"testing"
)

// TestDetailsInSpanishWords: the details' names, the languages offered and
// the problems of a bad value come in Spanish; a problem still matches
// ErrInvalidInput, and a language is found by its Spanish name too.
func TestDetailsInSpanishWords(t *testing.T) {
	speakSpanish(t)
	if got := DetailLabel(DetailPostalCode); got != "Código postal" {
		t.Errorf("DetailLabel(postal code) = %q in Spanish", got)
	}
	if got := LanguageName("en-US"); got != "Inglés" {
		t.Errorf("LanguageName(en-US) = %q in Spanish, want Inglés", got)
	}
	if got := genderText("other"); got != "Otro" {
		t.Errorf("genderText(other) = %q in Spanish, want Otro", got)
	}
	tests := []struct {
		key   DetailKey
		value string
		want  string
	}{
		{DetailPhone, "abc", `"abc" no es un número de teléfono`},
		{DetailEmail, "maya@", `"maya@" no es una dirección de correo`},
		{DetailPostalCode, "!", `"!" no es un código postal`},
		{DetailLanguage, "Klingon", `idioma desconocido "Klingon": indique su nombre (Español) o su código (es)`},
		{DetailCity, strings.Repeat("a", MaxDetailText+1), "Ciudad puede tener como máximo 200 caracteres"},
	}
	for _, tt := range tests {
		err := CheckDetail(tt.key, tt.value)
		if !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CheckDetail(%s, %q) = %v, want ErrInvalidInput saying %q", tt.key, tt.value, err, tt.want)
		}
	}
	if err := CheckDetail(DetailLanguage, "Español"); err != nil {
		t.Errorf("CheckDetail(language, Español) = %v, want the Spanish name accepted", err)
	}
}

// TestDetailsInEnglishStayEnglish: the command line (which never picks the
// system's language) keeps the English words, "Other" included.
func TestDetailsInEnglishStayEnglish(t *testing.T) {
	if got := genderText("other"); got != "Other" {
		t.Errorf("genderText(other) = %q, want Other", got)
	}
	if got := LanguageName("es"); got != "Spanish" {
		t.Errorf("LanguageName(es) = %q, want Spanish", got)
	}
}
