package pdu

import (
	"errors"
	"time"

	"github.com/warthog618/sms/encoding/gsm7/charset"
)

// Kind is the TPDU type found in a PDU.
type Kind int

// Unknown is the zero value so that an unfilled Segment never claims to be a DELIVER.
const (
	Unknown Kind = iota
	Deliver
	Submit
	StatusReport
)

func (k Kind) String() string {
	switch k {
	case Deliver:
		return "deliver"
	case Submit:
		return "submit"
	case StatusReport:
		return "status-report"
	default:
		return "unknown"
	}
}

// Concat is the concatenation information element of one part of a long SMS.
type Concat struct {
	Ref, Total, Seq int
	Wide            bool // IEI 0x08: 16-bit reference
}

// DeliveryReport holds the fields of an SMS-STATUS-REPORT.
type DeliveryReport struct {
	MR        int       // message reference the modem returned in +CMGS
	Status    int       // TP-ST: 0x00-0x1F delivered, 0x20-0x3F still trying, 0x40+ failed
	Discharge time.Time // TP-DT: when the status was reached
}

// Delivered reports whether the status says the SMS reached the handset.
func (r DeliveryReport) Delivered() bool { return r.Status < 0x20 }

// Final reports whether the network has stopped trying (delivered or failed permanently).
func (r DeliveryReport) Final() bool { return r.Status < 0x20 || r.Status >= 0x40 }

// Segment is one decoded PDU: a whole SMS or one part of a concatenated one.
type Segment struct {
	Kind       Kind
	Sender     string     // OA: "+<digits>" for international TON, digits otherwise, decoded text for alphanumeric
	SenderType SenderType // the OA's type of number; "" only for what is not a DELIVER
	Recipient  string     // DA of a stored SUBMIT, RA of a status report; empty for DELIVER
	SMSC       string
	SCTS       time.Time // service-centre timestamp in the zone the network gave
	Text       string    // UTF-8 text of this segment; 8-bit data as uppercase hex
	Encoding   string    // "GSM7", "UCS2" or "8bit"
	Class      int       // message class 0-3, or -1 if the DCS gives none
	PID        byte
	DCS        byte
	Concat     *Concat // nil unless the UDH carries a valid concatenation element
	// UD is the user data after the UDH: unpacked septets for GSM7 (one per
	// byte, exactly as many as the length field declares), octets otherwise.
	UD []byte
	// LockingShift and SingleShift are the national language tables (3GPP
	// TS 23.038 §6.2.1.2.4: 1 Turkish, 2 Spanish, 3 Portuguese, 4-13 Indian
	// languages) a GSM7 text was decoded with; 0 is the default alphabet
	// and extension table.
	LockingShift, SingleShift int

	Report *DeliveryReport // status reports only
	Raw    string          // the hex exactly as given
	// Lenient is true when sms v0.3.0 rejected the PDU and the fallback decoder read it.
	Lenient bool
	// Defects lists, in plain words, what was wrong with the PDU and was tolerated.
	Defects []string
}

var (
	// ErrNotDeliver is wrapped when the PDU is a stored SUBMIT or a status
	// report: valid, but not an incoming SMS.
	ErrNotDeliver = errors.New("not an incoming SMS (SMS-DELIVER)")
	// ErrMalformed is wrapped when the PDU cannot be decoded at all.
	ErrMalformed = errors.New("malformed PDU")
)

// The charset package fills its tables lazily without locking; building them
// once here keeps concurrent decoders and encoders free of data races.
func init() {
	charset.DefaultDecoder()
	charset.DefaultEncoder()
	charset.DefaultExtEncoder()
	for nli := charset.Start; nli < charset.End; nli++ {
		charset.NewDecoder(nli)
		charset.NewEncoder(nli)
		charset.NewExtEncoder(nli)
	}
}
