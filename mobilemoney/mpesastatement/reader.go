// Package mpesastatement reads the transaction statement an M-PESA
// organisation (paybill) exports from the Organisation Portal as CSV, and
// says for every row whether it is a client's payment to import, a row to
// skip and why, or a broken row and why (docs/mobile-money.md, "M-PESA
// statements"). It reads one row at a time, so a statement of any length
// is read in constant memory, and it posts nothing: the caller decides.
package mpesastatement

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// headerSearchRows is how many rows the header may come after. Real
// exports have up to a dozen preamble rows; a file with no header this far
// down is not a statement, and giving up early keeps a wrong file (a
// database dump picked by mistake) from being read to its end.
const headerSearchRows = 64

// Column names as the portal writes them. Requiredness is what the reader
// cannot decide a row without: its id, time, status, both amounts, and
// the two columns that name the payer.
const (
	colReceipt    = "Receipt No."
	colCompleted  = "Completion Time"
	colDetails    = "Details"
	colStatus     = "Transaction Status"
	colPaidIn     = "Paid In"
	colWithdrawn  = "Withdrawn"
	colBalance    = "Balance"
	colReasonType = "Reason Type"
	colOtherParty = "Other Party Info"
	colLinked     = "Linked Transaction ID"
	colAccount    = "A/C No."
)

var requiredColumns = []string{colReceipt, colCompleted, colStatus, colPaidIn, colWithdrawn, colOtherParty, colAccount}

var optionalColumns = []string{colDetails, colBalance, colReasonType, colLinked}

// ErrNotStatement is wrapped by every error that means "this file is not an
// M-PESA organisation statement (in a form this reader takes)".
var ErrNotStatement = errors.New("not an M-PESA organisation statement")

// Reader reads a statement row by row. Create it with NewReader, call Next
// until it returns io.EOF, then read Period.
type Reader struct {
	csv        *csv.Reader
	cols       map[string]int // column name → index in a row
	headerLine int
	period     Period
}

// NewReader reads the preamble and the header of a statement. It fails,
// with an error naming the problem, when the file is not a CSV statement
// (an Excel workbook, a web page, a UTF-16 text export, anything without
// the header) or when the header lacks a column the reader needs.
func NewReader(r io.Reader) (*Reader, error) {
	br := bufio.NewReader(r)
	if err := checkEncoding(br); err != nil {
		return nil, err
	}
	c := csv.NewReader(br)
	c.FieldsPerRecord = -1 // preamble rows, trailing empty columns, short rows
	c.ReuseRecord = true   // one record buffer for the whole file
	rd := &Reader{csv: c}
	var preamble []string
	for n := 0; n < headerSearchRows; n++ {
		rec, err := c.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				continue // a preamble line with stray quotes is still preamble
			}
			return nil, fmt.Errorf("reading the statement: %w", err)
		}
		if otherSeparator(rec) {
			return nil, fmt.Errorf("%w: its cells are separated by semicolons or tabs, not commas; save it as \"CSV (Comma delimited)\"", ErrNotStatement)
		}
		if headerIndex(rec, colReceipt) < 0 {
			if p, ok := preamblePeriod(rec); ok {
				rd.period.Declared = p
			}
			if len(preamble) < 3 {
				preamble = append(preamble, strings.Join(rec, " "))
			}
			continue
		}
		rd.headerLine, _ = c.FieldPos(0)
		return rd, rd.readHeader(rec)
	}
	hint := ""
	if len(preamble) > 0 {
		hint = fmt.Sprintf(" (it begins %q)", shorten(preamble[0], 60))
	}
	return nil, fmt.Errorf("%w: no header row with the column %q in its first %d rows%s",
		ErrNotStatement, colReceipt, headerSearchRows, hint)
}

// checkEncoding drops a UTF-8 byte order mark and refuses, with a hint the
// accountant can act on, the forms Excel and the portal produce that are
// not CSV text.
func checkEncoding(br *bufio.Reader) error {
	head, _ := br.Peek(512)
	switch {
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		_, _ = br.Discard(3)
	case bytes.HasPrefix(head, []byte("\xff\xfe")), bytes.HasPrefix(head, []byte("\xfe\xff")):
		return fmt.Errorf("%w: the file is UTF-16 text (Excel's \"Unicode Text\"); save it as \"CSV UTF-8\" or \"CSV (Comma delimited)\"", ErrNotStatement)
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return fmt.Errorf("%w: the file is an Excel workbook (.xlsx); open it in Excel and save it as \"CSV UTF-8\"", ErrNotStatement)
	case bytes.HasPrefix(head, []byte("\xd0\xcf\x11\xe0")):
		return fmt.Errorf("%w: the file is an old Excel workbook (.xls); open it in Excel and save it as \"CSV UTF-8\"", ErrNotStatement)
	case bytes.IndexByte(head, 0) >= 0:
		return fmt.Errorf("%w: the file is binary, not CSV text", ErrNotStatement)
	}
	lower := bytes.ToLower(bytes.TrimSpace(head))
	if bytes.HasPrefix(lower, []byte("<")) {
		return fmt.Errorf("%w: the file is a web page or XML (the portal's .xls download can be one); open it in Excel and save it as \"CSV UTF-8\"", ErrNotStatement)
	}
	return nil
}

// readHeader maps column names to positions; every missing required column
// is named in one error.
func (rd *Reader) readHeader(rec []string) error {
	rd.cols = make(map[string]int, len(requiredColumns)+len(optionalColumns))
	var missing []string
	for _, name := range requiredColumns {
		i := headerIndex(rec, name)
		if i < 0 {
			missing = append(missing, fmt.Sprintf("%q", name))
			continue
		}
		rd.cols[name] = i
	}
	if len(missing) > 0 {
		word := "column"
		if len(missing) > 1 {
			word = "columns"
		}
		return fmt.Errorf("%w: the header (row %d) lacks the %s %s", ErrNotStatement, rd.headerLine, word, strings.Join(missing, ", "))
	}
	for _, name := range optionalColumns {
		if i := headerIndex(rec, name); i >= 0 {
			rd.cols[name] = i
		}
	}
	return nil
}

// headerIndex finds a column by name the way a person reads it: case,
// surrounding spaces, doubled spaces and a missing final dot ("Receipt
// No", "A/C No") do not matter.
func headerIndex(rec []string, name string) int {
	want := headerKey(name)
	for i, cell := range rec {
		if headerKey(cell) == want {
			return i
		}
	}
	return -1
}

// otherSeparator spots the header of a statement that Excel, in a locale
// whose list separator is ";", or a "Text (Tab delimited)" save, wrote
// with the wrong separator: one cell holding the whole header.
func otherSeparator(rec []string) bool {
	for _, cell := range rec {
		if strings.Contains(strings.ToLower(cell), "receipt no") && strings.ContainsAny(cell, ";\t") {
			return true
		}
	}
	return false
}

func headerKey(s string) string {
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	return strings.TrimSuffix(s, ".")
}

// Next returns the next row's verdict, or io.EOF after the last row. A row
// that does not parse comes back as Broken with its row number; reading
// goes on with the next row. Blank rows (every cell empty) are passed over
// in silence: they are layout, not transactions.
func (rd *Reader) Next() (Row, error) {
	for {
		rec, err := rd.csv.Read()
		if err == io.EOF {
			return Row{}, io.EOF
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return Row{}, fmt.Errorf("reading the statement: %w", err)
			}
			line := pe.StartLine
			return Row{Line: line, Outcome: Broken, Err: &RowError{Line: line, Msg: "the row is not valid CSV: " + pe.Err.Error()}}, nil
		}
		if blank(rec) {
			continue
		}
		line, _ := rd.csv.FieldPos(0)
		row := rd.decide(line, rec)
		if !row.Payment.Time.IsZero() {
			rd.period.seen(row.Payment.Time)
		}
		return row, nil
	}
}

// Period is the span the statement covers, as far as has been read: final
// once Next has returned io.EOF.
func (rd *Reader) Period() Period { return rd.period }

// cell is the trimmed value of a named column, "" when the row is shorter
// than the header (tools that drop trailing empty cells) or the column is
// optional and absent.
func (rd *Reader) cell(rec []string, name string) string {
	i, ok := rd.cols[name]
	if !ok || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func shorten(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n]) + "…"
}
