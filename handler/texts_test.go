package handler

import (
	"sort"
	"strings"
	"testing"
)

func TestEveryTemplateHasSwahiliWithSamePlaceholders(t *testing.T) {
	for _, k := range TemplateKeys() {
		en, sw := catalogs["en"][k], catalogs["sw"][k]
		if sw == "" {
			t.Errorf("template %q has no Swahili text", k)
			continue
		}
		enPH := placeholder.FindAllString(en, -1)
		swPH := placeholder.FindAllString(sw, -1)
		if strings.Join(sortedCopy(enPH), ",") != strings.Join(sortedCopy(swPH), ",") {
			t.Errorf("template %q: English uses %v, Swahili %v", k, enPH, swPH)
		}
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func TestOverridesAreChecked(t *testing.T) {
	if _, err := NewTexts("fr", nil); err == nil {
		t.Error("unknown language accepted")
	}
	if _, err := NewTexts("en", map[string]string{"no.such.key": "x"}); err == nil || !strings.Contains(err.Error(), "no.such.key") {
		t.Errorf("unknown key: %v", err)
	}
	if _, err := NewTexts("en", map[string]string{"unknown": "hi {nobody}"}); err == nil || !strings.Contains(err.Error(), "{nobody}") {
		t.Errorf("unknown placeholder: %v", err)
	}
	tx, err := NewTexts("sw", map[string]string{"unknown": "Samahani! Tuma HELP."})
	if err != nil {
		t.Fatal(err)
	}
	if got := tx.Get("unknown"); got != "Samahani! Tuma HELP." {
		t.Errorf("override not used: %q", got)
	}
	if got := tx.Get("help"); got != catalogs["sw"]["help"] {
		t.Errorf("Swahili help = %q", got)
	}
}
