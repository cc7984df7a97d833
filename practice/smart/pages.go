package smart

import (
	"bytes"
	"html/template"
	"log"
	"net/http"
)

// pageData is what every page template may show.
type pageData struct {
	Practice   string
	Title      string
	Error      string // shown in an alert box
	CSRF       string
	Username   string // to refill a form
	Charts     []pickerItem
	ClientID   string
	ChartName  string
	OwnChart   bool
	Items      []string // consent, in plain words
	Scopes     string   // consent, the technical list
	SignedInAs string
	Message    string // the error and done pages
	HasRequest bool   // enrollment continues an authorization
}

// pickerItem is one chart offered by the patient picker.
type pickerItem struct {
	ID, Name, Detail string
	Checked          bool
}

// The pages. Form and field names (ids login, picker, consent, enroll,
// account; fields csrf_token, username, password, patient, decision,
// activation_code, birth_date, password_confirm, accept_terms) are stable:
// SignIn and the app's demo mode rely on them.
const pageTemplates = `
{{define "head"}}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} – {{.Practice}}</title>
<style>
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;font-size:1.125rem;line-height:1.5;color:#1b1f24;background:#f3f5f7}
header{background:#0b5d6b;color:#fff;padding:.75rem 0}
header p{margin:0 auto;padding:0 1rem;font-weight:600;max-width:34rem}
main{max-width:34rem;margin:0 auto;padding:1rem}
.card{background:#fff;border:1px solid #d5dbe1;border-radius:.5rem;padding:1.25rem}
h1{font-size:1.6rem;line-height:1.25;margin:0 0 1rem}
h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
input[type=text],input[type=password],input[type=date]{display:block;width:100%;min-height:3rem;padding:.5rem .75rem;font-size:1.125rem;border:2px solid #6b7681;border-radius:.375rem;background:#fff;color:inherit}
input:focus,button:focus,a:focus{outline:3px solid #f0b429;outline-offset:2px}
.hint{font-size:1rem;color:#4a5561;margin:.25rem 0 0}
button{display:block;width:100%;min-height:3rem;margin-top:1.25rem;padding:.5rem 1rem;font-size:1.125rem;font-weight:600;border-radius:.375rem;border:2px solid #0b5d6b;background:#0b5d6b;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#0b5d6b}
.alert{border:2px solid #b3261e;background:#fdecea;color:#7a1812;border-radius:.375rem;padding:.75rem;margin:0 0 1rem}
fieldset{border:0;margin:0;padding:0}
legend{margin-bottom:.5rem}
.choice{display:flex;align-items:center;gap:.75rem;min-height:3.5rem;margin:.5rem 0;padding:.5rem .75rem;border:2px solid #c4ccd4;border-radius:.375rem;font-weight:400}
.choice input{width:1.5rem;height:1.5rem;flex:none;margin:0}
.choice span{display:block}
.choice small{display:block;color:#4a5561;font-size:1rem}
.check{display:flex;gap:.75rem;align-items:flex-start;font-weight:400}
.check input{width:1.5rem;height:1.5rem;flex:none;margin:.15rem 0 0}
ul{padding-left:1.25rem}
li{margin:.25rem 0}
a{color:#0b5d6b;font-weight:600}
.links{margin-top:1.5rem}
.links p{margin:.5rem 0}
details{margin-top:1rem;font-size:1rem;color:#4a5561}
section.terms{margin-top:1.5rem;border-top:2px solid #d5dbe1}
.terms h3,.terms-only h2{font-size:1.05rem;margin:1rem 0 .25rem}
.terms p{margin:.25rem 0 .75rem}
</style>
</head>
<body>
<header><p>{{.Practice}}</p></header>
<main>
<div class="card">
<h1>{{.Title}}</h1>
{{if .Error}}<p class="alert" role="alert">{{.Error}}</p>{{end}}
{{end}}

{{define "foot"}}
</div>
</main>
</body>
</html>
{{end}}

{{define "login"}}{{template "head" .}}
<form id="login" method="post" action="/auth/login">
<input type="hidden" name="csrf_token" value="{{.CSRF}}">
<label for="username">Username</label>
<input type="text" id="username" name="username" value="{{.Username}}" autocomplete="username" autocapitalize="none" spellcheck="false" required>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
<div class="links">
<p>New to the portal? <a href="/auth/enroll">Activate your account with the code from the office</a></p>
<p><a href="/auth/terms">Terms of use</a></p>
</div>
{{template "foot" .}}{{end}}

{{define "picker"}}{{template "head" .}}
<form id="picker" method="post" action="/auth/picker">
<input type="hidden" name="csrf_token" value="{{.CSRF}}">
<fieldset>
<legend>Choose whose record the app may open. You can add the others later, one at a time.</legend>
{{range .Charts}}<label class="choice"><input type="radio" name="patient" value="{{.ID}}"{{if .Checked}} checked{{end}}><span>{{.Name}}<small>{{.Detail}}</small></span></label>
{{end}}</fieldset>
<button type="submit">Continue</button>
</form>
{{template "foot" .}}{{end}}

{{define "consent"}}{{template "head" .}}
<p>The app <strong>{{.ClientID}}</strong> asks to:</p>
<ul>
{{range .Items}}<li>{{.}}</li>
{{end}}</ul>
<p>{{if .OwnChart}}This is for your own record.{{else}}This is for the record of <strong>{{.ChartName}}</strong>.{{end}} You can stop this access at any time.</p>
<form id="consent" method="post" action="/auth/consent">
<input type="hidden" name="csrf_token" value="{{.CSRF}}">
<button type="submit" name="decision" value="approve">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Don't allow</button>
</form>
<details><summary>Technical details</summary><p>Signed in as {{.SignedInAs}}. Scopes: {{.Scopes}}</p></details>
{{template "foot" .}}{{end}}

{{define "enroll"}}{{template "head" .}}
<p>Use the activation code you received from the practice. Access is for established patients of the practice.</p>
<form id="enroll" method="post" action="/auth/enroll">
<input type="hidden" name="csrf_token" value="{{.CSRF}}">
<label for="activation_code">Activation code</label>
<input type="text" id="activation_code" name="activation_code" autocomplete="one-time-code" autocapitalize="characters" spellcheck="false" aria-describedby="code-hint" required>
<p class="hint" id="code-hint">For example ABCD-EFGH-JKLM. It can be used once.</p>
<label for="birth_date">Date of birth</label>
<input type="date" id="birth_date" name="birth_date" aria-describedby="dob-hint" required>
<p class="hint" id="dob-hint">Of the patient the code was made for.</p>
<button type="submit">Continue</button>
</form>
{{template "foot" .}}{{end}}

{{define "account"}}{{template "head" .}}
<form id="account" method="post" action="/auth/enroll/account">
<input type="hidden" name="csrf_token" value="{{.CSRF}}">
<label for="username">Choose a username</label>
<input type="text" id="username" name="username" value="{{.Username}}" autocomplete="username" autocapitalize="none" spellcheck="false" aria-describedby="username-hint" required>
<p class="hint" id="username-hint">3 to 64 letters, digits or . _ - @</p>
<label for="password">Choose a password</label>
<input type="password" id="password" name="password" autocomplete="new-password" minlength="10" aria-describedby="password-hint" required>
<p class="hint" id="password-hint">At least 10 characters.</p>
<label for="password_confirm">Type the password again</label>
<input type="password" id="password_confirm" name="password_confirm" autocomplete="new-password" minlength="10" required>
<section class="terms" aria-labelledby="terms-heading">
<h2 id="terms-heading">Terms of use</h2>
{{template "terms-text" true}}
</section>
<label class="check"><input type="checkbox" name="accept_terms" value="yes" required><span>I have read and accept the terms of use</span></label>
<button type="submit">Create account</button>
</form>
{{template "foot" .}}{{end}}

{{define "terms"}}{{template "head" .}}
<div class="terms terms-only">{{template "terms-text" false}}</div>
{{template "foot" .}}{{end}}

{{define "terms-text"}}
{{heading $ "Not for emergencies"}}
<p>Do not use the portal for urgent or emergency matters. In an emergency, call 911. For urgent questions, call the practice.</p>
{{heading $ "Response time"}}
<p>The practice answers messages within 2 business days. Messages sent on weekends or holidays are read on the next business day.</p>
{{heading $ "Communication guidelines"}}
<p>Keep messages short and about one topic. Write about non-urgent health matters, appointments, refills and billing. Be courteous; staff may end portal access after abusive messages. Messages become part of your medical record.</p>
{{heading $ "Eligibility"}}
<p>The portal is for established patients of the practice, and for parents and caregivers the practice or the patient has given access. From age 12, a parent sees only part of a child's record; from 18, only what the adult shares.</p>
{{heading $ "Privacy and security"}}
<p>Your information is protected as the law requires (HIPAA). Keep your password to yourself, sign out on shared devices, and tell the practice if you think someone else used your account.</p>
{{heading $ "Liability"}}
<p>The portal is offered as a convenience. The practice is not liable for delays or failures of the service, of your internet connection or of your device, or for the use of the portal by anyone who has your password.</p>
{{heading $ "How to get started"}}
<p>Ask the front desk for an activation code (you sign an access form), then choose "Activate your account" on the sign-in page, enter the code and your date of birth, and choose a username and password.</p>
{{end}}

{{define "message"}}{{template "head" .}}
<p>{{.Message}}</p>
{{template "foot" .}}{{end}}
`

var pages = template.Must(template.New("pages").Funcs(template.FuncMap{"heading": termsHeading}).Parse(pageTemplates))

// termsHeading writes a section heading of the terms: h3 when the terms
// sit under the account page's "Terms of use" h2, else h2.
func termsHeading(nested bool, text string) template.HTML {
	tag := "h2"
	if nested {
		tag = "h3"
	}
	return template.HTML("<" + tag + ">" + template.HTMLEscapeString(text) + "</" + tag + ">")
}

// render writes a page; name is one of the templates above.
func (s *Server) render(w http.ResponseWriter, status int, name string, data pageData) {
	data.Practice = s.cfg.PracticeName
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		log.Printf("smart: render %s: %v", name, err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorPage shows a plain message page.
func (s *Server) errorPage(w http.ResponseWriter, status int, msg string) {
	s.render(w, status, "message", pageData{Title: "Something is not right", Message: msg})
}

func (s *Server) handleTerms(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "terms", pageData{Title: "Terms of use"})
}
