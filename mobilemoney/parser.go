package mobilemoney

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Parser reads one operator's payment notifications. Each operator lives in
// its own file and registers itself by name, so enabling an operator in
// the config is a matter of naming it.
type Parser interface {
	// Info names the operator, the sender ids it trusts and its markets.
	Info() Info
	// Parse reads one notification (all its parts already joined). It
	// returns an error wrapping ErrNotPayment for a message that does not
	// report money paid in (a send, airtime, a balance enquiry, an
	// advert), and a *ParseError for a payment that cannot be read whole;
	// with a *ParseError the Payment still holds what was read, for the
	// person who looks at the message.
	Parse(text string) (Payment, error)
}

// Info describes an operator's parser.
type Info struct {
	Name string // registry name, e.g. "mpesa-ke"
	// Senders are the alphanumeric sender ids the operator sends from,
	// compared without regard to case.
	Senders []string
	Markets []Market
}

// Market is one country an operator's notifications come from: the
// currency they print and the zone their clock times are in.
type Market struct {
	Country  string // ISO 3166 region, e.g. "KE"
	Currency string // ISO 4217, e.g. "KES"
	Zone     *time.Location
}

// registry holds every built-in parser by name; it is filled by init
// functions and only read afterwards. A parser's expressions are compiled
// the first time it is used: a box builds only the operators it takes,
// and none while mobile money is off (the box is small).
var registry = map[string]Parser{}

// register adds the parser build makes under name; a second parser under
// one name is a programming error.
func register(name string, build func() Parser) {
	if _, dup := registry[name]; dup {
		panic("mobilemoney: parser " + name + " registered twice")
	}
	registry[name] = &lazyParser{name: name, build: build}
}

// lazyParser builds its parser on first use.
type lazyParser struct {
	name  string
	build func() Parser
	once  sync.Once
	p     Parser
}

func (l *lazyParser) get() Parser {
	l.once.Do(func() {
		l.p = l.build()
		if got := l.p.Info().Name; got != l.name {
			panic("mobilemoney: parser registered as " + l.name + " calls itself " + got)
		}
	})
	return l.p
}

// Info implements Parser.
func (l *lazyParser) Info() Info { return l.get().Info() }

// Parse implements Parser.
func (l *lazyParser) Parse(text string) (Payment, error) { return l.get().Parse(text) }

// Lookup returns the parser registered under name.
func Lookup(name string) (Parser, bool) {
	p, ok := registry[name]
	return p, ok
}

// Names lists the registered parsers, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// ForSender returns, in the order of enabled, the enabled parsers whose
// operator sends from sender (compared without regard to case but
// otherwise exactly: "M-PESA" is not "MPESA " and not "MPESA2"). Unknown
// names in enabled are skipped; the config checks them with Lookup.
//
// It trusts the sender id only as a string. Whether the SMS really came
// from an alphanumeric sender, and not from a phone number whose digits or
// name happen to match, is the caller's decision from the sender's type of
// number: a text from a phone number must never reach these parsers as a
// payment. Several operators may share an id (Safaricom and Vodacom both
// send from "MPESA"); the caller tries each (ParseWith).
func ForSender(sender string, enabled []string) []Parser {
	var out []Parser
	for _, name := range enabled {
		p, ok := registry[name]
		if !ok || slices.Contains(out, p) {
			continue
		}
		for _, id := range p.Info().Senders {
			if strings.EqualFold(id, sender) {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// ParseWith tries each parser on text and returns the first payment read.
// A malformed payment from one of them wins over "not a payment" from the
// others, because one parser recognised its operator's wording; with no
// parser, or none recognising the text, the error wraps ErrNotPayment.
func ParseWith(parsers []Parser, text string) (Payment, error) {
	var malformed error
	var partial Payment
	for _, p := range parsers {
		pay, err := p.Parse(text)
		if err == nil {
			return pay, nil
		}
		if !errors.Is(err, ErrNotPayment) && malformed == nil {
			malformed, partial = err, pay
		}
	}
	if malformed != nil {
		return partial, malformed
	}
	return Payment{}, fmt.Errorf("%w: no enabled operator reads this text", ErrNotPayment)
}
