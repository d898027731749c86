package handler_test

import (
	"fmt"
	"testing"

	"github.com/mifos-edge/mifos-edge/fineractsim"
	"github.com/mifos-edge/mifos-edge/handler"
	"github.com/mifos-edge/mifos-edge/pdu"
)

// Once an MFI defines holidays or non-working days in Mifos, Fineract
// refuses a repayment dated on one (403) unless the MFI allows
// transactions on them. The officer is told so in fixed words, with what
// to do; a deposit on the same day goes through.

func TestPayRepaymentOnAHolidayIsToldPlainly(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.fin.AddHoliday(fineractsim.Holiday{Name: "Public holiday", From: specDay, To: specDay})
	s.send("PAY " + pin + " 42 L1=500 S=200")
	s.post()
	wantReplies(t, "officer", s.outbound(officerPh),
		fmt.Sprintf("Posted for Amina Odhiambo (client 42): S1 200.00 (txn %d). NOT posted for Amina Odhiambo: L1 500.00 - Mifos takes no loan repayments on a holiday. "+
			"Send it again on the next working day, or ask your branch manager to allow transactions on holidays in Mifos.",
			lastDeposit(t, s.fin, 77).ID))
	if n := len(repaymentsOf(s.fin, 981)); n != 3 { // the seed's three
		t.Fatalf("loan 981 has %d repayments, want the seed's 3", n)
	}
}

func TestPayRepaymentOnANonWorkingDayIsToldPlainlyInSwahili(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	sw, err := handler.NewTexts("sw", nil)
	if err != nil {
		t.Fatal(err)
	}
	s.env.Texts = sw
	s.fin.SetWorkingDays(specDay.Weekday() + 1) // not the spec's Monday
	s.sendFrom(officerPh, pdu.SenderInternational, "LIPA "+pin+" 42 L1=500")
	s.post()
	wantReplies(t, "officer", s.outbound(officerPh),
		"HAIJAINGIZWA kwa Amina Odhiambo: L1 500.00 - Mifos haipokei malipo ya mkopo siku isiyo ya kazi. "+
			"Yatume tena siku ya kazi, au muombe meneja wa tawi aruhusu miamala siku zisizo za kazi kwenye Mifos.")
}

// With the MFI's allow-transactions-on-holiday on, the repayment is posted.
func TestPayRepaymentOnAHolidayThatIsAllowed(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{})
	s.fin.AddHoliday(fineractsim.Holiday{Name: "Public holiday", From: specDay, To: specDay})
	s.fin.SetAllowTransactionsOnHoliday(true)
	s.send("PAY " + pin + " 42 L1=500")
	s.post()
	wantReplies(t, "officer", s.outbound(officerPh),
		fmt.Sprintf("Posted for Amina Odhiambo (client 42): L1 500.00 (txn %d).", lastRepayment(t, s.fin, 981).ID))
}

// A group's sheet on a holiday is refused whole: its repayments are.
func TestCollectOnAHolidayIsToldPlainly(t *testing.T) {
	s := newSpec(t, handler.MoneyRules{}).onMeetingDay()
	s.fin.AddHoliday(fineractsim.Holiday{Name: "Public holiday", From: meetingDay, To: meetingDay})
	s.send("COLLECT " + pin + " 7 ALL")
	wantSMS(t, s.post(), sms{officerPh, "Collection for Umoja Women Group on Wed 4 Mar was NOT posted: Mifos takes no loan repayments on a holiday. " +
		"Send it again on the next working day, or ask your branch manager to allow transactions on holidays in Mifos."})
}
