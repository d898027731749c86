package console

import (
	"net/url"
	"strconv"
	"strings"
)

// The pages are written by this small writer, not html/template: importing
// text/template (which html/template does) makes the linker keep every
// exported method of every reachable type, since the template engine finds
// methods by name through reflect; that cost 1.9 MB of the stripped binary.

// markup is HTML written by this package itself. Only string constants
// become markup without a conversion, so data cannot reach a page
// unescaped unless someone writes markup(data), which a review sees.
type markup string

// htmlWriter builds a page: constant markup goes in as it is, everything
// else is escaped for where it lands.
type htmlWriter struct {
	b strings.Builder
}

// escaper escapes text and quoted attribute values, as html/template did
// (so the pages stay byte for byte the same): both quotes, so a value
// cannot leave its attribute, and NUL, which browsers treat unevenly.
var escaper = strings.NewReplacer(
	"\x00", "\uFFFD",
	`"`, "&#34;",
	"&", "&amp;",
	"'", "&#39;",
	"+", "&#43;",
	"<", "&lt;",
	">", "&gt;",
)

// raw writes the package's own markup.
func (h *htmlWriter) raw(m markup) { h.b.WriteString(string(m)) }

// text writes s as text: it shows as typed and is never markup.
func (h *htmlWriter) text(s string) { _, _ = escaper.WriteString(&h.b, s) }

// int writes a number as text.
func (h *htmlWriter) int(n int64) { h.b.WriteString(strconv.FormatInt(n, 10)) }

// attr writes ` name="value"` with value escaped.
func (h *htmlWriter) attr(name markup, value string) {
	h.b.WriteString(" ")
	h.b.WriteString(string(name))
	h.b.WriteString(`="`)
	h.text(value)
	h.b.WriteString(`"`)
}

// textOr writes s as text, or fallback when s is empty.
func (h *htmlWriter) textOr(s, fallback string) {
	if s == "" {
		s = fallback
	}
	h.text(s)
}

// suffix writes sep and s as text when s is not empty: " — " and a detail.
func (h *htmlWriter) suffix(sep markup, s string) {
	if s != "" {
		h.raw(sep)
		h.text(s)
	}
}

// link writes ` name="u"` for an href or action.
func (h *htmlWriter) link(name markup, u pageURL) { h.attr(name, u.s) }

// String is the page written so far.
func (h *htmlWriter) String() string { return h.b.String() }

// pageURL is a link to a page of the console. It is made only by pathTo
// and queryTo, which start from a constant path, so a value such as
// "javascript:alert(1)" can become a path segment or a query value, never
// a scheme or a host.
type pageURL struct{ s string }

// pathTo is prefix, the path segment seg escaped, then suffix:
// pathTo("/console/loans/", "41", "/approve").
func pathTo(prefix markup, seg string, suffix markup) pageURL {
	return pageURL{string(prefix) + url.PathEscape(seg) + string(suffix)}
}

// queryTo is path with the query q.
func queryTo(path markup, q url.Values) pageURL {
	return pageURL{string(path) + "?" + q.Encode()}
}

// current writes aria-current="page" when on is true: the tab shown.
func (h *htmlWriter) current(on bool) {
	if on {
		h.raw(` aria-current="page"`)
	}
}

// layout writes the page around body, which writes the page's own part
// (nil: none, when the page's data could not be read).
func (c *Console) layout(h *htmlWriter, p page, body func(h *htmlWriter)) {
	h.raw(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>`)
	h.text(p.Title)
	h.raw(` · Mifos Edge</title>
<link rel="stylesheet" href="/console/static/console.css">
</head>
<body>
<header>
<span class="brand">Mifos Edge</span>
`)
	if u := p.User; u != nil {
		h.raw(`<span class="who">`)
		h.text(u.Username)
		if u.OfficeName != "" {
			h.raw(" · ")
			h.text(u.OfficeName)
		}
		h.raw(`</span>
<form method="post" action="/console/signout"><button class="link">Sign out</button></form>`)
	}
	h.raw("\n</header>\n")
	if p.User != nil {
		h.raw("\n<nav>\n")
		for _, t := range tabs {
			if t.name == "payments" && c.d.Payments == nil {
				continue // mobile money is off
			}
			if t.name == "disburse" && c.d.Disburse == nil {
				continue // mobile disbursement is off
			}
			h.raw(`<a href="` + t.path + `"`)
			h.current(p.Tab == t.name)
			h.raw(">" + t.label + "</a>\n")
		}
		h.raw("</nav>\n")
	}
	h.raw("\n<main>\n<h1>")
	h.text(p.Title)
	h.raw("</h1>\n")
	if p.User != nil && p.User.Offline {
		h.raw(`<p class="warn">You signed in while Mifos could not be reached: you can look, not approve. Enter your password on Loans when Mifos is back.</p>`)
	}
	h.raw("\n")
	if p.Notice != "" {
		h.raw(`<p class="notice" role="status">`)
		h.text(p.Notice)
		h.raw("</p>")
	}
	h.raw("\n")
	if p.Error != "" {
		h.raw(`<p class="error" role="alert">`)
		h.text(p.Error)
		h.raw("</p>")
	}
	h.raw("\n")
	if body != nil {
		body(h)
	}
	h.raw("\n</main>\n</body>\n</html>\n")
}

// tabs are the console's pages in the navigation bar.
var tabs = []struct {
	name        string
	path, label markup
}{
	{"status", "/console/", "Status"},
	{"loans", "/console/loans", "Loans"},
	{"money", "/console/money", "Money"},
	{"payments", "/console/payments", "Payments"},
	{"disburse", "/console/disburse", "Disburse"},
	{"messages", "/console/messages", "SMS"},
	{"reminders", "/console/reminders", "Remind"},
}
