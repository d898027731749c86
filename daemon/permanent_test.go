package daemon

import (
	"errors"
	"strings"
	"testing"

	"github.com/mifos-edge/mifos-edge/mifos"
)

// A refusal met while resolving an offline payment keeps Fineract's full
// answer for people (Error) and reachable for the refusal stored for the
// officer (Unwrap); the officer's words alone carry none of Fineract's text.
func TestPermanentKeepsFineractAnswerApart(t *testing.T) {
	fe := &mifos.Error{Status: 403, Code: "error.msg.client.not.active", Message: "org.hibernate.exception.ConstraintViolationException"}
	p := &permanent{msg: "Mifos refused: the account is not active.", cause: fe}
	if !strings.Contains(p.Error(), "ConstraintViolationException") || !strings.HasPrefix(p.Error(), p.msg) {
		t.Errorf("Error() = %q", p.Error())
	}
	if r, ok := mifos.RefusalOf(p); !ok || r != (mifos.Refusal{Status: 403, Code: "error.msg.client.not.active"}) {
		t.Errorf("RefusalOf = %+v, %v", r, ok)
	}
	own := &permanent{msg: "No active client 99 was found.", cause: errors.New("pay.unknown_client ref 99")}
	if own.Error() != own.msg {
		t.Errorf("our own refusal reads %q", own.Error())
	}
	if _, ok := mifos.RefusalOf(own); ok {
		t.Error("our own refusal taken for Fineract's")
	}
}
