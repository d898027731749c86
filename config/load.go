package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"time"

	toml "github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// Load reads and parses the configuration file at path, then fills in
// defaults. Call Validate on the result before using it.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("config file %s does not exist (see 'mifos-edge config example' or config/example.toml)", path)
		}
		return nil, fmt.Errorf("cannot read config file: %w", err)
	}
	return Parse(data, path)
}

// Parse decodes a TOML document strictly and fills in defaults. name is the
// file name used to prefix error messages. Every problem the document has
// (unknown keys, wrong types, bad durations) is reported at once, each
// with its key and line, so a technician can fix them all in one edit.
func Parse(data []byte, name string) (*Config, error) {
	// A syntax error makes the key walk meaningless, so it is reported alone.
	var syntaxCheck map[string]any
	if err := toml.Unmarshal(data, &syntaxCheck); err != nil {
		return nil, syntaxError(name, err)
	}

	w := walker{present: map[string]bool{}}
	w.walkDocument(data)
	problems := w.problems
	for _, key := range requiredKeys {
		if !w.present[key] {
			table := key[:strings.IndexByte(key, '.')]
			problems = append(problems, Problem{Key: key,
				Message: fmt.Sprintf("missing required key %s (add it under [%s])", key, table)})
		}
	}
	if len(problems) > 0 {
		return nil, &ParseError{File: name, Problems: problems}
	}

	var cfg Config
	// Keys the file leaves out keep these values: the defaults that are true.
	cfg.SMS.DeliveryReports = true
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		// The walk mirrors the decoder's rules; reaching here means it missed
		// a case, so still report the decoder's own key and line.
		return nil, decoderError(name, err)
	}

	cfg.file = name
	cfg.SetDefaults()
	return &cfg, nil
}

// requiredKeys must appear in every configuration file.
var requiredKeys = []string{"modem.device", "store.path"}

// Problem is one mistake found in a configuration file.
type Problem struct {
	Line    int    // 1-based; 0 when the problem is about the file as a whole
	Column  int    // 1-based; 0 when unknown
	Key     string // dotted key such as "modem.baud"; empty for syntax errors
	Message string // plain-language description, already naming the key
}

// ParseError lists every problem found in one configuration file.
type ParseError struct {
	File     string
	Problems []Problem
}

func (e *ParseError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		switch {
		case p.Line > 0 && p.Column > 0:
			lines[i] = fmt.Sprintf("%s:%d:%d: %s", e.File, p.Line, p.Column, p.Message)
		case p.Line > 0:
			lines[i] = fmt.Sprintf("%s:%d: %s", e.File, p.Line, p.Message)
		default:
			lines[i] = fmt.Sprintf("%s: %s", e.File, p.Message)
		}
	}
	return strings.Join(lines, "\n")
}

func syntaxError(name string, err error) error {
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, col := de.Position()
		return &ParseError{File: name, Problems: []Problem{{Line: line, Column: col,
			Message: "TOML syntax error: " + strings.TrimPrefix(de.Error(), "toml: ")}}}
	}
	return fmt.Errorf("%s: TOML syntax error: %w", name, err)
}

func decoderError(name string, err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		pe := &ParseError{File: name}
		for i := range strict.Errors {
			e := &strict.Errors[i]
			line, _ := e.Position()
			key := strings.Join(e.Key(), ".")
			pe.Problems = append(pe.Problems, Problem{Line: line, Key: key,
				Message: fmt.Sprintf("unknown key %q", key)})
		}
		return pe
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, _ := de.Position()
		key := strings.Join(de.Key(), ".")
		return &ParseError{File: name, Problems: []Problem{{Line: line, Key: key,
			Message: key + ": " + strings.TrimPrefix(de.Error(), "toml: ")}}}
	}
	return fmt.Errorf("%s: %w", name, err)
}

var (
	durationType    = reflect.TypeOf(Duration{})
	stringSliceType = reflect.TypeOf([]string(nil))
	durationsType   = reflect.TypeOf([]Duration(nil))
)

// positiveInts are integer keys where zero or a negative number can only be
// a mistake; catching them here keeps the line number, which Validate lacks.
var positiveInts = map[string]bool{
	"modem.baud":            true,
	"sms.replies_per_hour":  true,
	"sms.max_send_attempts": true,
}

// walker checks a parsed document against the Config struct, collecting
// problems with their lines instead of stopping at the first.
type walker struct {
	p        unstable.Parser
	problems []Problem
	present  map[string]bool // dotted keys that appear, even with a bad value
}

func (w *walker) walkDocument(data []byte) {
	w.p.Reset(data)
	root := reflect.TypeOf(Config{})
	var table []string // current [table] path
	tableType := root  // struct type of the current table
	tableOK := true    // false after an unknown or misused table header
	for w.p.NextExpression() {
		expr := w.p.Expression()
		switch expr.Kind {
		case unstable.Table, unstable.ArrayTable:
			keys, first := w.keyParts(expr)
			table, tableType, tableOK = keys, nil, false
			t, ok := w.resolveTable(root, keys, first)
			if !ok {
				continue
			}
			if t.Kind() == reflect.Slice {
				// A list of tables ([[webhook]]): each header starts one element.
				if expr.Kind != unstable.ArrayTable {
					name := strings.Join(keys, ".")
					w.add(first, name, fmt.Sprintf("[%s] is a list of tables; write [[%s]] with double brackets, one per entry", name, name))
					continue
				}
				tableType, tableOK = t.Elem(), true
				continue
			}
			if expr.Kind == unstable.ArrayTable {
				w.add(first, strings.Join(keys, "."),
					fmt.Sprintf("[[%s]] declares a list of tables; write [%s] with single brackets",
						strings.Join(keys, "."), strings.Join(keys, ".")))
				continue
			}
			tableType, tableOK = t, true
		case unstable.KeyValue:
			if !tableOK {
				// The table header was already reported; its keys would only add noise.
				continue
			}
			w.keyValue(tableType, table, expr)
		}
	}
}

// keyParts returns the parts of a key and the node of its first part (for
// the line number).
func (w *walker) keyParts(n *unstable.Node) ([]string, *unstable.Node) {
	var parts []string
	var first *unstable.Node
	it := n.Key()
	for it.Next() {
		if first == nil {
			first = it.Node()
		}
		parts = append(parts, string(it.Node().Data))
	}
	return parts, first
}

// resolveTable follows a [a.b] header from the root and reports a problem
// if it does not name a table of Config.
func (w *walker) resolveTable(t reflect.Type, keys []string, at *unstable.Node) (reflect.Type, bool) {
	for i, k := range keys {
		f, ok := fieldByKey(t, k)
		if !ok {
			w.add(at, strings.Join(keys[:i+1], "."), unknownMessage(t, keys[:i], k, true))
			return nil, false
		}
		// A map table ([templates]) takes any key; keyValue checks the values.
		if f.Type.Kind() == reflect.Map && i == len(keys)-1 {
			return f.Type, true
		}
		if f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct && i == len(keys)-1 {
			return f.Type, true
		}
		if f.Type.Kind() != reflect.Struct || f.Type == durationType {
			path := strings.Join(keys[:i+1], ".")
			w.add(at, path, fmt.Sprintf("[%s] is not a table: %s is a single setting, write it as %s = ... under [%s]",
				strings.Join(keys, "."), path, k, strings.Join(keys[:i], ".")))
			return nil, false
		}
		t = f.Type
	}
	return t, true
}

// keyValue checks one `key = value` line (possibly a dotted key) inside the
// table at prefix.
func (w *walker) keyValue(t reflect.Type, prefix []string, kv *unstable.Node) {
	keys, first := w.keyParts(kv)
	path := append(append([]string(nil), prefix...), keys...)
	if t.Kind() == reflect.Map {
		key := strings.Join(path, ".")
		w.present[key] = true
		w.value(first, key, t.Elem(), kv.Value())
		return
	}
	for i, k := range keys {
		f, ok := fieldByKey(t, k)
		if !ok {
			parents := path[:len(prefix)+i]
			w.add(first, strings.Join(path[:len(prefix)+i+1], "."), unknownMessage(t, parents, k, false))
			return
		}
		if i < len(keys)-1 {
			if f.Type.Kind() != reflect.Struct || f.Type == durationType {
				p := strings.Join(path[:len(prefix)+i+1], ".")
				w.add(first, p, fmt.Sprintf("%s: expected %s, got a table", p, describeType(f.Type)))
				return
			}
			t = f.Type
			continue
		}
		w.present[strings.Join(path, ".")] = true
		w.value(first, strings.Join(path, "."), f.Type, kv.Value())
	}
}

// value checks that a value node fits the Go type of its field.
func (w *walker) value(at *unstable.Node, key string, t reflect.Type, v *unstable.Node) {
	if t.Kind() == reflect.Struct && t != durationType && v.Kind == unstable.InlineTable {
		prefix := strings.Split(key, ".")
		it := v.Children()
		for it.Next() {
			if it.Node().Kind == unstable.KeyValue {
				w.keyValue(t, prefix, it.Node())
			}
		}
		return
	}
	if msg := valueProblem(t, v); msg != "" {
		w.add(at, key, key+": "+msg)
		return
	}
	if positiveInts[key] && (bytes.HasPrefix(v.Data, []byte("-")) || isZero(v.Data)) {
		w.add(at, key, fmt.Sprintf("%s: must be greater than zero, got %s", key, v.Data))
	}
}

// valueProblem describes why v cannot be stored in a field of type t, or
// returns "" when it can.
func valueProblem(t reflect.Type, v *unstable.Node) string {
	got := describeKind(v.Kind)
	switch {
	case t == durationType:
		if v.Kind != unstable.String {
			return "expected a duration in quotes such as \"30s\", \"5m\" or \"2h\", got " + got
		}
		d, err := time.ParseDuration(string(v.Data))
		if err != nil {
			return fmt.Sprintf("%q is not a duration (write it like \"30s\", \"5m\" or \"2h\")", v.Data)
		}
		if d <= 0 {
			return fmt.Sprintf("must be longer than zero, got %q", v.Data)
		}
	case t.Kind() == reflect.String:
		if v.Kind != unstable.String {
			return "expected a string in quotes, got " + got
		}
	case t.Kind() == reflect.Int:
		if v.Kind != unstable.Integer {
			return "expected an integer, got " + got
		}
	case t.Kind() == reflect.Bool:
		if v.Kind != unstable.Bool {
			return "expected true or false, got " + got
		}
	case t.Kind() == reflect.Map:
		if v.Kind != unstable.InlineTable {
			return "expected a table, got " + got
		}
	case t == durationsType:
		if v.Kind != unstable.Array {
			return "expected a list of durations such as [\"1h\", \"24h\"], got " + got
		}
		it := v.Children()
		for it.Next() {
			if msg := valueProblem(durationType, it.Node()); msg != "" {
				return "one item: " + msg
			}
		}
	case t == stringSliceType:
		if v.Kind != unstable.Array {
			return "expected a list of strings such as [\"a\", \"b\"], got " + got
		}
		it := v.Children()
		for it.Next() {
			if it.Node().Kind != unstable.String {
				return "expected a list of strings, but one item is " + describeKind(it.Node().Kind)
			}
		}
	case t.Kind() == reflect.Struct:
		return "expected a table, got " + got
	}
	return ""
}

func isZero(digits []byte) bool {
	s := strings.TrimLeft(strings.TrimPrefix(string(digits), "+"), "0_")
	return s == ""
}

func (w *walker) add(at *unstable.Node, key, msg string) {
	p := Problem{Key: key, Message: msg}
	if at != nil {
		p.Line = w.p.Shape(at.Raw).Start.Line
	}
	w.problems = append(w.problems, p)
}

// fieldByKey finds the struct field whose toml tag is key.
func fieldByKey(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if tomlName(f) == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func tomlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
	return name
}

// unknownMessage explains an unknown key, suggesting a close spelling among
// its siblings, or the table where a key of that name does belong.
func unknownMessage(t reflect.Type, parents []string, key string, isTable bool) string {
	full := strings.Join(append(append([]string(nil), parents...), key), ".")
	msg := fmt.Sprintf("unknown key %q", full)
	if isTable {
		msg = fmt.Sprintf("unknown table [%s]", full)
	}
	if s := closestSibling(t, key); s != "" {
		return msg + fmt.Sprintf(" (did you mean %q?)", s)
	}
	if tables := tablesWithKey(key); len(tables) > 0 {
		return msg + fmt.Sprintf(" (%s belongs under [%s])", key, strings.Join(tables, "] or ["))
	}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		names = append(names, tomlName(t.Field(i)))
	}
	if isTable && len(parents) == 0 {
		return msg + " (the tables are [" + strings.Join(names, "], [") + "])"
	}
	return msg + " (known keys here: " + strings.Join(names, ", ") + ")"
}

func closestSibling(t reflect.Type, key string) string {
	best, bestDist := "", 0
	for i := 0; i < t.NumField(); i++ {
		name := tomlName(t.Field(i))
		d := editDistance(strings.ToLower(key), name)
		// A third of the name, at least one edit: close enough to be a typo,
		// far enough that unrelated short keys are not suggested.
		limit := max(1, len(name)/3)
		if d <= limit && (best == "" || d < bestDist) {
			best, bestDist = name, d
		}
	}
	return best
}

// tablesWithKey lists the tables that have a setting called key, for keys
// written under the wrong table.
func tablesWithKey(key string) []string {
	var out []string
	root := reflect.TypeOf(Config{})
	for i := 0; i < root.NumField(); i++ {
		f := root.Field(i)
		if f.Type.Kind() != reflect.Struct || f.Type == durationType {
			continue
		}
		if _, ok := fieldByKey(f.Type, key); ok {
			out = append(out, tomlName(f))
		}
	}
	sort.Strings(out)
	return out
}

// editDistance counts the single-character insertions, deletions,
// substitutions and adjacent swaps between a and b: a swap ("buad") is one
// typo, not two.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

func describeType(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a duration such as \"30s\""
	case t == stringSliceType:
		return "a list of strings"
	case t == durationsType:
		return "a list of durations"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Int:
		return "an integer"
	case t.Kind() == reflect.Bool:
		return "true or false"
	}
	return "a table"
}

func describeKind(k unstable.Kind) string {
	switch k {
	case unstable.String:
		return "a string"
	case unstable.Integer:
		return "an integer"
	case unstable.Float:
		return "a decimal number"
	case unstable.Bool:
		return "true/false"
	case unstable.Array:
		return "a list"
	case unstable.InlineTable:
		return "a table"
	case unstable.LocalDate, unstable.LocalTime, unstable.LocalDateTime, unstable.DateTime:
		return "a date or time"
	}
	return "an unexpected value"
}
