package fineractsim

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// The box's user and what it may do: POST /authentication, the read and
// command permissions Fineract checks (AppUser.validateHasReadPermission,
// the command's <ACTION>_<ENTITY> permission), and GET /paymenttypes/{id}.

// SetPermissions gives the user exactly these permission codes (such as
// REPAYMENT_LOAN, READ_CLIENT, ALL_FUNCTIONS_READ); called with none, the
// user has ALL_FUNCTIONS again, as it has from Start.
func (s *Server) SetPermissions(codes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.perms = append([]string(nil), codes...)
}

// SetMustRenewPassword makes Fineract want the user's password changed:
// /authentication then says so and lists no permissions.
func (s *Server) SetMustRenewPassword(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.renewPassword = on
}

// permitted is AppUser's rule: ALL_FUNCTIONS grants every permission,
// ALL_FUNCTIONS_READ every READ_ one. Caller holds mu.
func (s *Server) permitted(code string) bool {
	if len(s.perms) == 0 {
		return true
	}
	for _, p := range s.perms {
		if p == code || p == "ALL_FUNCTIONS" || p == "ALL_FUNCTIONS_READ" && strings.HasPrefix(code, "READ_") {
			return true
		}
	}
	return false
}

// readPermission is the permission a GET of resource needs ("" for none:
// /search checks none).
func readPermission(resource string) string {
	return map[string]string{
		"clients": "READ_CLIENT", "loans": "READ_LOAN", "savingsaccounts": "READ_SAVINGSACCOUNT",
		"groups": "READ_GROUP", "staff": "READ_STAFF", "paymenttypes": "READ_PAYMENTTYPE",
		"businessdate": "READ_BUSINESS_DATE", "audits": "READ_AUDIT",
	}[resource]
}

// notAuthorized is ApiGlobalErrorResponse.unAuthorized (403).
func notAuthorized(msg string) reply {
	return jsonReply(403, apiGlobalError{
		DeveloperMessage: "The user associated with credentials passed on this request does not have sufficient privileges to perform this action.",
		HTTPStatusCode:   "403", DefaultMessage: "Insufficient privileges to perform this action.",
		Code:   "error.msg.not.authorized",
		Errors: []apiError{param("error.msg.not.authorized", msg, "id", nil)},
	})
}

// authenticate is POST /authentication (AuthenticationApiResource): the
// credentials in the body; the user, its roles and permissions.
func (s *Server) authenticate(raw []byte) reply {
	var req struct {
		Username *string `json:"username"`
		Password *string `json:"password"`
	}
	if json.Unmarshal(raw, &req) != nil || req.Username == nil || req.Password == nil {
		return invalidJSON()
	}
	if *req.Username != s.opts.Username || *req.Password != s.opts.Password {
		return unauthenticated()
	}
	key := base64.StdEncoding.EncodeToString([]byte(*req.Username + ":" + *req.Password)) // as Fineract echoes it
	if s.renewPassword {
		return jsonReply(200, anyMap{"username": *req.Username, "userId": 1, "base64EncodedAuthenticationKey": key,
			"authenticated": true, "shouldRenewPassword": true, "isTwoFactorAuthenticationRequired": false})
	}
	perms := s.perms
	if len(perms) == 0 {
		perms = []string{"ALL_FUNCTIONS"}
	}
	return jsonReply(200, anyMap{"username": *req.Username, "userId": 1, "base64EncodedAuthenticationKey": key,
		"authenticated": true, "officeId": 1, "officeName": s.offices[1],
		"organisationalRole": enum{100, "staffOrganisationalRoleType.programDirector", "Program Director"},
		"roles":              []anyMap{{"id": 1, "name": "Super user", "description": "This role provides all application permissions."}},
		"permissions":        perms, "shouldRenewPassword": false, "isTwoFactorAuthenticationRequired": false})
}

// paymentType is GET /paymenttypes/{id}.
func (s *Server) paymentType(id int64) reply {
	n, ok := s.payTypes[id]
	if !ok {
		return paymentTypeNotFound(id)
	}
	return jsonReply(200, anyMap{"id": id, "name": n, "description": n, "isCashPayment": strings.EqualFold(n, "cash"),
		"position": 1, "isSystemDefined": false})
}
