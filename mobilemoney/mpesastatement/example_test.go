package mpesastatement_test

import (
	"fmt"
	"io"
	"log"
	"os"

	"github.com/mifos-edge/mifos-edge/mobilemoney/mpesastatement"
)

// Reading a statement: one decision per row, then the period.
func Example() {
	f, err := os.Open("testdata/statement-2017.csv")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	rd, err := mpesastatement.NewReader(f)
	if err != nil {
		log.Fatal(err) // not a statement, or a column missing
	}
	for {
		row, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err) // the file itself could not be read
		}
		switch row.Outcome {
		case mpesastatement.Import:
			p := row.Payment
			fmt.Printf("row %d: import %s %s %s from %q %q for %q at %s\n", row.Line, p.TxnID, p.Currency, p.Amount,
				p.PayerPhone, p.PayerName, p.AccountRef, p.Time.Format("2006-01-02T15:04:05-07:00"))
		case mpesastatement.Skip:
			fmt.Printf("row %d: skip %s (%s): %s\n", row.Line, row.Payment.TxnID, row.Skip, row.Reason)
		case mpesastatement.Broken:
			fmt.Printf("broken: %v\n", row.Err)
		}
	}
	span := rd.Period().Span()
	fmt.Println("period:", span.From.Format("2006-01-02 15:04:05"), "to", span.To.Format("2006-01-02 15:04:05"))
	// Output:
	// row 7: skip LDK8XYZ0AC (charge): a charge (Business Pay Bill Charge)
	// row 8: import LDK8XYZ0AB KES 1053 from "254722000111" "JANE DOE" for "4471" at 2017-04-20T15:50:41+03:00
	// row 9: import LDJ1ABC9ZZ KES 22000 from "0711000222" "SAMUEL KIPROTICH" for "0009" at 2017-04-19T08:01:02+03:00
	// period: 2017-04-19 00:00:00 to 2017-04-20 23:59:59
}
