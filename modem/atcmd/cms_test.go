package atcmd

import "testing"

func TestCMSMeaning(t *testing.T) {
	cases := []struct {
		code  int
		class CMSClass
		words string
	}{
		{1, CMSPermanent, "the number does not exist"},
		{304, CMSPermanent, "the message PDU was invalid (length or format)"},
		{150, CMSPermanent, "the message's data coding was rejected"},
		{42, CMSTransient, "the network is congested"},
		{515, CMSTransient, "vendor-specific modem error"},
		{999, CMSTransient, "unrecognised modem error"},
		{332, CMSMaybeSent, "the network timed out; the message may have been sent"},
		{197, CMSMaybeSent, "the service centre says it already has this message"},
	}
	for _, c := range cases {
		words, class := CMSMeaning(c.code)
		if words != c.words || class != c.class {
			t.Errorf("CMSMeaning(%d) = %q, %d; want %q, %d", c.code, words, class, c.words, c.class)
		}
	}
	if got := (&Error{Kind: CMS, Code: 1}).Error(); got != "modem SMS error 1 (the number does not exist)" {
		t.Errorf("error text %q", got)
	}
}
