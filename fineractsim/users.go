package fineractsim

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// The app users and what each may do: POST /authentication, Basic auth on
// every other request as the user it names, the read and command
// permissions Fineract checks (AppUser.validateHasReadPermission, the
// command's <ACTION>_<ENTITY> permission), the office hierarchy that
// limits what a user sees, and GET /paymenttypes/{id}.
//
// The box's user (Options.Username, id 1, office 1) exists from Start; its
// permissions are set with SetPermissions (none set: ALL_FUNCTIONS). Other
// users are added with AddUser (Seed adds a few).

// User is an app user to add with AddUser.
type User struct {
	ID        int64 // 0 = next free id (the box's user is 1)
	Username  string
	Password  string
	Firstname string
	Lastname  string
	OfficeID  int64 // 0 = office 1
	StaffID   int64 // 0 = not linked to a staff member
	// Roles are the role names; Permissions the codes those roles grant
	// (such as APPROVE_LOAN, READ_LOAN, ALL_FUNCTIONS). A user without
	// permissions may do nothing.
	Roles       []string
	Permissions []string
	// MustRenewPassword: Fineract wants the password changed first;
	// /authentication then says so and lists no permissions.
	MustRenewPassword bool
}

// DisplayName is "Firstname Lastname", as AppUser.getDisplayName.
func (u *User) DisplayName() string { return strings.TrimSpace(u.Firstname + " " + u.Lastname) }

// userKey carries the authenticated *User in a request's context.
type userKey struct{}

// userOf is the user a request was authenticated as (nil for the login
// call without a Basic header).
func userOf(r *http.Request) *User {
	u, _ := r.Context().Value(userKey{}).(*User)
	return u
}

func withUser(r *http.Request, u *User) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), userKey{}, u))
}

// AddUser adds an app user and returns its id. Its office must exist.
func (s *Server) AddUser(u User) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.Username == "" || u.Password == "" {
		panic("fineractsim: AddUser: a user needs a username and a password")
	}
	if _, dup := s.users[u.Username]; dup || u.Username == s.opts.Username {
		panic("fineractsim: AddUser: the username " + u.Username + " is taken")
	}
	if u.ID == 0 {
		u.ID = 2
		for _, o := range s.users {
			u.ID = max(u.ID, o.ID+1)
		}
	}
	if u.OfficeID == 0 {
		u.OfficeID = 1
	}
	if _, ok := s.offices[u.OfficeID]; !ok {
		panic("fineractsim: AddUser: no such office")
	}
	u.Roles = slices.Clone(u.Roles)
	u.Permissions = slices.Clone(u.Permissions)
	s.users[u.Username] = &u
	return u.ID
}

// SetUserPermissions replaces the permission codes of an added user.
func (s *Server) SetUserPermissions(username string, codes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[username]
	if !ok {
		panic("fineractsim: SetUserPermissions: no user " + username)
	}
	u.Permissions = slices.Clone(codes)
}

// SetPermissions gives the box's user exactly these permission codes (such
// as REPAYMENT_LOAN, READ_CLIENT, ALL_FUNCTIONS_READ); called with none,
// the user has ALL_FUNCTIONS again, as it has from Start.
func (s *Server) SetPermissions(codes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.perms = append([]string(nil), codes...)
}

// SetMustRenewPassword makes Fineract want the box user's password
// changed: /authentication then says so and lists no permissions.
func (s *Server) SetMustRenewPassword(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.renewPassword = on
}

// boxUser is the box's user as a User (id 1, office 1). Caller holds mu.
func (s *Server) boxUser() *User {
	perms := s.perms
	if len(perms) == 0 {
		perms = []string{"ALL_FUNCTIONS"}
	}
	return &User{ID: 1, Username: s.opts.Username, Password: s.opts.Password, Firstname: "App", Lastname: "Administrator",
		OfficeID: 1, Roles: []string{"Super user"}, Permissions: perms, MustRenewPassword: s.renewPassword}
}

// lookupUser finds a user by its credentials (constant time in the
// password); nil when none matches. Caller holds mu.
func (s *Server) lookupUser(username, password string) *User {
	var u *User
	if username == s.opts.Username {
		u = s.boxUser()
	} else if o, ok := s.users[username]; ok {
		c := *o
		u = &c
	}
	if u == nil {
		// Compare anyway, so a wrong name costs what a wrong password does.
		subtle.ConstantTimeCompare([]byte(password), []byte(s.opts.Password))
		return nil
	}
	if subtle.ConstantTimeCompare([]byte(password), []byte(u.Password)) != 1 {
		return nil
	}
	return u
}

// basicUser is the user the request's Basic header names, if its
// password is right.
func (s *Server) basicUser(r *http.Request) *User {
	enc, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Basic ")
	if !ok {
		return nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if err != nil {
		return nil
	}
	name, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lookupUser(name, pass)
}

// permitted is AppUser's rule: ALL_FUNCTIONS grants every permission,
// ALL_FUNCTIONS_READ every READ_ one. A nil user (none resolved) has the
// box's permissions. Caller holds mu.
func (s *Server) permitted(u *User, code string) bool {
	if u == nil {
		u = s.boxUser()
	}
	for _, p := range u.Permissions {
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
// credentials in the body; the user, its office, staff, roles and
// permissions. Caller holds mu.
func (s *Server) authenticate(raw []byte) reply {
	var req struct {
		Username *string `json:"username"`
		Password *string `json:"password"`
	}
	if json.Unmarshal(raw, &req) != nil || req.Username == nil || req.Password == nil {
		return invalidJSON()
	}
	u := s.lookupUser(*req.Username, *req.Password)
	if u == nil {
		return unauthenticated()
	}
	key := base64.StdEncoding.EncodeToString([]byte(*req.Username + ":" + *req.Password)) // as Fineract echoes it
	if u.MustRenewPassword {
		return jsonReply(200, anyMap{"username": u.Username, "userId": u.ID, "base64EncodedAuthenticationKey": key,
			"authenticated": true, "shouldRenewPassword": true, "isTwoFactorAuthenticationRequired": false})
	}
	roles := []anyMap{}
	for i, name := range u.Roles {
		roles = append(roles, anyMap{"id": i + 1, "name": name, "description": name, "disabled": false})
	}
	m := anyMap{"username": u.Username, "userId": u.ID, "base64EncodedAuthenticationKey": key,
		"authenticated": true, "officeId": u.OfficeID, "officeName": s.offices[u.OfficeID],
		"roles": roles, "permissions": u.Permissions, "shouldRenewPassword": false, "isTwoFactorAuthenticationRequired": false}
	if st, ok := s.staff[u.StaffID]; ok && u.StaffID != 0 {
		m["staffId"], m["staffDisplayName"] = st.ID, st.DisplayName
	}
	if u.Username == s.opts.Username {
		m["organisationalRole"] = enum{100, "staffOrganisationalRoleType.programDirector", "Program Director"}
		m["roles"] = []anyMap{{"id": 1, "name": "Super user", "description": "This role provides all application permissions."}}
	}
	return jsonReply(200, m)
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

// AddOfficeUnder adds an office below parent (office 1 is the root):
// a user sees the data of its own office and of every office below it.
func (s *Server) AddOfficeUnder(id, parent int64, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.offices[parent]; !ok {
		panic("fineractsim: AddOfficeUnder: no such parent office")
	}
	s.offices[id] = name
	s.officeParent[id] = parent
}

// inHierarchy: office is top or below it (Fineract's hierarchy LIKE
// 'top%'). Caller holds mu.
func (s *Server) inHierarchy(top, office int64) bool {
	for seen := 0; seen < 64; seen++ {
		if office == top {
			return true
		}
		p, ok := s.officeParent[office]
		if !ok {
			return false
		}
		office = p
	}
	return false
}
