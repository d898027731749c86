package handler

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Texts renders reply templates in the MFI's language. Every handler file
// registers its English (and Swahili) defaults with registerTexts; the
// config may override any key, so an MFI can translate or reword replies.
type Texts struct {
	lang      string
	overrides map[string]string
}

// catalogs maps language -> template key -> text with {name} placeholders.
var catalogs = map[string]map[string]string{"en": {}, "sw": {}}

// registerTexts adds default templates; called from init functions.
func registerTexts(lang string, m map[string]string) {
	c, ok := catalogs[lang]
	if !ok {
		c = map[string]string{}
		catalogs[lang] = c
	}
	for k, v := range m {
		c[k] = v
	}
}

var placeholder = regexp.MustCompile(`\{([a-z_]+)\}`)

// NewTexts checks that lang is known and every override names a real key
// and uses only the placeholders the default uses.
func NewTexts(lang string, overrides map[string]string) (*Texts, error) {
	if lang == "" {
		lang = "en"
	}
	if _, ok := catalogs[lang]; !ok {
		return nil, fmt.Errorf("unknown reply language %q (have %s)", lang, strings.Join(Languages(), ", "))
	}
	for k, v := range overrides {
		def, ok := catalogs["en"][k]
		if !ok {
			return nil, fmt.Errorf("templates: unknown template %q", k)
		}
		if isDate, err := checkDateTemplate(k, v); isDate {
			if err != nil {
				return nil, err
			}
			continue
		}
		allowed := map[string]bool{}
		for _, m := range placeholder.FindAllStringSubmatch(def, -1) {
			allowed[m[1]] = true
		}
		for _, m := range placeholder.FindAllStringSubmatch(v, -1) {
			if !allowed[m[1]] {
				return nil, fmt.Errorf("templates.%s: {%s} is not available in this message", k, m[1])
			}
		}
	}
	return &Texts{lang: lang, overrides: overrides}, nil
}

// Languages lists the built-in reply languages.
func Languages() []string {
	out := make([]string, 0, len(catalogs))
	for l := range catalogs {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// TemplateKeys lists every template key.
func TemplateKeys() []string {
	out := make([]string, 0, len(catalogs["en"]))
	for k := range catalogs["en"] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Get renders key with name/value pairs: Get("pay.ok", "name", "Amina").
// The override wins, then the language, then English.
func (t *Texts) Get(key string, pairs ...string) string {
	tmpl, ok := t.overrides[key]
	if !ok {
		if tmpl, ok = catalogs[t.lang][key]; !ok {
			tmpl = catalogs["en"][key]
		}
	}
	if tmpl == "" {
		return key
	}
	vals := map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		vals[pairs[i]] = pairs[i+1]
	}
	return placeholder.ReplaceAllStringFunc(tmpl, func(m string) string {
		if v, ok := vals[m[1:len(m)-1]]; ok {
			// Values come from Fineract or an SMS: no control or format
			// character of theirs reaches a reply, whatever the template.
			return cleanText(v)
		}
		return m
	})
}

// Lang is the language in use.
func (t *Texts) Lang() string { return t.lang }
