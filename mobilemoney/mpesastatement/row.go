package mpesastatement

import (
	"fmt"
	"strings"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/mobilemoney"
)

// Outcome is what the reader decided about a row.
type Outcome string

// Outcomes of a row.
const (
	Import Outcome = "import" // a client's payment: Row.Payment is complete
	Skip   Outcome = "skip"   // a real row that is not a client's payment: Row.Skip says why
	Broken Outcome = "broken" // the row does not parse: Row.Err names the row and the cell
)

// SkipReason says why a row that parsed is not a payment to import.
type SkipReason string

// Reasons to skip a row. The reconciliation counts them.
const (
	SkipNotCompleted SkipReason = "not-completed"     // Failed, Cancelled, Declined, Attempted: no money moved
	SkipCharge       SkipReason = "charge"            // the operator's fee or charge
	SkipReversal     SkipReason = "reversal"          // a reversal or cancellation of another transaction (Row.Linked)
	SkipWithdrawal   SkipReason = "withdrawal"        // money out of the account
	SkipZero         SkipReason = "zero-paid-in"      // neither in nor out
	SkipInternal     SkipReason = "internal-transfer" // the organisation moving its own money (settlement sweeps)
	SkipTotals       SkipReason = "totals"            // the totals line some exports end with
)

// Row is one statement row and the reader's decision about it.
type Row struct {
	// Line is the row number a spreadsheet shows for it (the file line
	// its record starts on).
	Line    int
	Outcome Outcome
	Skip    SkipReason // when Outcome is Skip
	Reason  string     // when Skip: the reason in words, naming the cell that decided
	Err     *RowError  // when Outcome is Broken
	// Payment is complete for Import; for Skip and Broken it holds what
	// could be read (the receipt at least, when the row has one), so a
	// caller can tell a failed receipt from a missing one.
	Payment mobilemoney.Payment
	// Status, ReasonType, Details and Linked are the row's own words, kept
	// for reversal handling and for showing a person.
	Status, ReasonType, Details, Linked string
}

// RowError is a row that could not be read; nothing may be posted from it.
type RowError struct {
	Line   int
	Column string // the column whose cell is wrong, "" for the row as a whole
	Msg    string
}

func (e *RowError) Error() string { return fmt.Sprintf("row %d: %s", e.Line, e.Msg) }

// The statement is a Kenyan M-PESA one: its payments are mpesa-ke's, in
// shillings.
const (
	operator = "mpesa-ke"
	currency = "KES"
	source   = "statement"
	// currencyDecimals is KES's: a cell with more decimals was not written
	// by the portal.
	currencyDecimals = 2
)

// decide reads one data row.
func (rd *Reader) decide(line int, rec []string) Row {
	row := Row{
		Line:       line,
		Status:     rd.cell(rec, colStatus),
		ReasonType: rd.cell(rec, colReasonType),
		Details:    rd.cell(rec, colDetails),
		Linked:     rd.cell(rec, colLinked),
	}
	broken := func(col, format string, args ...any) Row {
		row.Outcome = Broken
		row.Err = &RowError{Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
		return row
	}
	skip := func(why SkipReason, format string, args ...any) Row {
		row.Outcome, row.Skip, row.Reason = Skip, why, fmt.Sprintf(format, args...)
		return row
	}

	receipt := rd.cell(rec, colReceipt)
	if receipt == "" {
		if mentionsTotal(rec) {
			return skip(SkipTotals, "a totals row, not a transaction")
		}
		return broken(colReceipt, "%s is empty", colReceipt)
	}
	txn := strings.ToUpper(receipt)
	if !validReceipt(txn) {
		return broken(colReceipt, "%s %q is not an M-PESA receipt number (8 to 12 letters and digits)", colReceipt, shorten(receipt, 40))
	}
	p := &row.Payment
	p.Operator, p.Kind, p.Currency, p.Source, p.TxnID = operator, mobilemoney.KindPayment, currency, source, txn
	p.PayerPhone, p.PayerName = splitParty(rd.cell(rec, colOtherParty))
	p.AccountRef = rd.cell(rec, colAccount)
	when, timeErr := parseTime(rd.cell(rec, colCompleted))
	if timeErr == nil {
		p.Time = when
	}
	paidIn, paidErr := parseStatementAmount(rd.cell(rec, colPaidIn))
	if paidErr == nil && paidIn > 0 {
		p.Amount = paidIn
	}
	if bal, err := parseStatementAmount(rd.cell(rec, colBalance)); err == nil && rd.cell(rec, colBalance) != "" {
		p.NewBalance, p.HasBalance = bal, true
	}

	// Order matters: a failed row's cells are not checked (it moved no
	// money); a charge or a reversal says so before its amount does.
	if !strings.EqualFold(row.Status, "Completed") {
		if row.Status == "" {
			return broken(colStatus, "%s is empty", colStatus)
		}
		return skip(SkipNotCompleted, "%s is %q, not Completed", colStatus, shorten(row.Status, 40))
	}
	if isCharge(row.ReasonType) || isCharge(operatorWords(row.Details)) {
		return skip(SkipCharge, "a charge (%s)", describe(row))
	}
	if isReversal(row.ReasonType) || isReversal(operatorWords(row.Details)) {
		return skip(SkipReversal, "a reversal or cancellation (%s)", describe(row))
	}
	withdrawn, err := parseStatementAmount(rd.cell(rec, colWithdrawn))
	if err != nil {
		return broken(colWithdrawn, "%s %q: %v", colWithdrawn, shorten(rd.cell(rec, colWithdrawn), 40), err)
	}
	if paidErr != nil {
		return broken(colPaidIn, "%s %q: %v", colPaidIn, shorten(rd.cell(rec, colPaidIn), 40), paidErr)
	}
	switch {
	case paidIn < 0:
		return broken(colPaidIn, "%s %q is negative", colPaidIn, rd.cell(rec, colPaidIn))
	case withdrawn != 0 && paidIn != 0:
		return broken(colPaidIn, "both %s (%s) and %s (%s) are filled", colPaidIn, paidIn, colWithdrawn, withdrawn)
	case withdrawn != 0:
		return skip(SkipWithdrawal, "%s %s", colWithdrawn, withdrawn)
	case paidIn == 0:
		return skip(SkipZero, "%s is zero or empty", colPaidIn)
	}
	if isInternal(row.ReasonType) || isInternal(operatorWords(row.Details)) {
		return skip(SkipInternal, "the organisation moving its own money (%s)", describe(row))
	}
	if timeErr != nil {
		return broken(colCompleted, "%s %q: %v", colCompleted, shorten(rd.cell(rec, colCompleted), 40), timeErr)
	}
	row.Outcome = Import
	return row
}

// validReceipt: M-PESA receipts are 10 characters since about 2016, 9
// before, 8 in old Tanzanian ones; 12 leaves room without taking prose.
func validReceipt(s string) bool {
	if len(s) < 8 || len(s) > 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// splitParty splits "25472****108 - JANE **** DOE" (or the older
// "0722000111 - JANE DOE") into the phone and the name, both as printed.
// A left part that is not phone-shaped (an organisation's short code and
// name, "501901 - KCB Money Transfer") leaves the whole text as the name.
func splitParty(s string) (phone, name string) {
	if left, right, ok := strings.Cut(s, "-"); ok && phoneShaped(strings.TrimSpace(left)) {
		return strings.TrimSpace(left), strings.Join(strings.Fields(right), " ")
	}
	if phoneShaped(s) {
		return s, ""
	}
	return "", strings.Join(strings.Fields(s), " ")
}

// phoneShaped: digits with masking stars, an optional "+", and more digits
// than a short code has.
func phoneShaped(s string) bool {
	s = strings.TrimPrefix(s, "+")
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '*':
		default:
			return false
		}
	}
	return len(s) >= 9 && digits >= 4
}

// operatorWords is the part of a Details cell the operator writes: the
// text before the payer's number or account ("Pay Bill from 2547… Acc.
// school fees" gives "pay bill"), so what a payer types never makes a
// payment look like a charge or a reversal.
func operatorWords(details string) string {
	l := strings.ToLower(details)
	end := len(l)
	for _, marker := range []string{" from ", " acc."} {
		if i := strings.Index(l, marker); i >= 0 && i < end {
			end = i
		}
	}
	return l[:end]
}

func isCharge(s string) bool {
	return hasWord(s, "charge", "charges", "fee", "fees", "commission")
}

func isReversal(s string) bool {
	return strings.HasPrefix(strings.ToLower(s), "cancelled") || hasWord(s, "reversal", "reversed", "reverse")
}

func isInternal(s string) bool {
	l := strings.ToLower(s)
	return hasWord(s, "settle", "settlement", "settled") || strings.Contains(l, "to bank")
}

// hasWord reports whether s has one of words (lower case) as a whole word,
// so "Fee" matches and "Coffee" does not.
func hasWord(s string, words ...string) bool {
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < '0' || r > '9')
	}) {
		for _, want := range words {
			if w == want {
				return true
			}
		}
	}
	return false
}

func mentionsTotal(rec []string) bool {
	for _, c := range rec {
		if hasWord(c, "total", "totals") {
			return true
		}
	}
	return false
}

func describe(r Row) string {
	s := r.ReasonType
	if s == "" {
		s = r.Details
	} else if r.Details != "" && !strings.EqualFold(r.Details, r.ReasonType) {
		s += "; " + r.Details
	}
	return shorten(s, 80)
}

// parseStatementAmount reads a Paid In, Withdrawn or Balance cell: empty is
// zero; thousands separators (Excel quotes such cells: "1,050.00"); a
// minus sign or accounting brackets for negatives (some exports write
// Withdrawn as -4000.00); at most two decimals.
func parseStatementAmount(s string) (mifos.Amount, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	neg := false
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		neg, s = true, strings.TrimSpace(s[1:len(s)-1])
	} else if strings.HasPrefix(s, "-") {
		neg, s = true, strings.TrimSpace(s[1:])
	}
	if _, frac, ok := strings.Cut(s, "."); ok && len(frac) > currencyDecimals {
		return 0, fmt.Errorf("more than %d decimals", currencyDecimals)
	}
	a, err := mifos.ParseAmount(s)
	if err != nil {
		return 0, fmt.Errorf("not an amount")
	}
	if neg {
		a = -a
	}
	return a, nil
}
