package smart

import (
	"time"

	"golang.org/x/oauth2"
)

func tokenOf(access, refresh string) *oauth2.Token {
	return &oauth2.Token{AccessToken: access, RefreshToken: refresh, Expiry: time.Now().Add(time.Hour)}
}
