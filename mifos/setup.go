package mifos

import (
	"context"
	"errors"
)

// What the box's start-up check asks Fineract (docs/fineract.md §1.8): who
// the box's user is and what it may do, and whether the payment type
// exists.

// User is the box's Fineract user as POST /authentication describes it.
type User struct {
	ID          int64
	Username    string
	OfficeID    int64
	OfficeName  string
	StaffID     int64
	Permissions []string // codes such as REPAYMENT_LOAN; ALL_FUNCTIONS grants all
	// MustRenewPassword: Fineract wants the password changed first; it
	// then lists no permissions.
	MustRenewPassword bool
}

// Permitted reports whether the user may do code (a permission such as
// REPAYMENT_LOAN or READ_CLIENT), as Fineract's AppUser decides:
// ALL_FUNCTIONS grants everything, ALL_FUNCTIONS_READ every READ_.
func (u User) Permitted(code string) bool {
	for _, p := range u.Permissions {
		if p == code || p == "ALL_FUNCTIONS" || p == "ALL_FUNCTIONS_READ" && len(code) > 5 && code[:5] == "READ_" {
			return true
		}
	}
	return false
}

// Authenticate is POST /authentication: it checks the box's credentials
// and lists the user's permissions. The body carries the password, which
// the client otherwise sends only in the Basic header; so that an answer
// echoing the request can never put it in a log, an error of this call
// keeps only the status and Fineract's codes, no text.
func (c *HTTPClient) Authenticate(ctx context.Context) (User, error) {
	var w struct {
		UserID              int64    `json:"userId"`
		Username            string   `json:"username"`
		Authenticated       bool     `json:"authenticated"`
		OfficeID            int64    `json:"officeId"`
		OfficeName          string   `json:"officeName"`
		StaffID             int64    `json:"staffId"`
		Permissions         []string `json:"permissions"`
		ShouldRenewPassword bool     `json:"shouldRenewPassword"`
	}
	body := map[string]any{"username": c.username, "password": c.password}
	if _, err := c.do(ctx, request{method: "POST", path: "/authentication", body: body}, &w); err != nil {
		var e *Error
		if errors.As(err, &e) {
			bare := &Error{Status: e.Status, Code: e.Code, Location: e.Location, ServedFromCache: e.ServedFromCache,
				Message: "the answer to the credential check is not kept"}
			for _, fe := range e.Errors {
				bare.Errors = append(bare.Errors, FieldError{Code: fe.Code, Parameter: fe.Parameter})
			}
			return User{}, bare
		}
		return User{}, err
	}
	if !w.Authenticated {
		return User{}, &Error{Status: 401, Message: "Fineract did not authenticate the box's user"}
	}
	return User{ID: w.UserID, Username: w.Username, OfficeID: w.OfficeID, OfficeName: w.OfficeName, StaffID: w.StaffID,
		Permissions: w.Permissions, MustRenewPassword: w.ShouldRenewPassword}, nil
}

// PaymentType is GET /paymenttypes/{id}: its name, or 404
// error.msg.payment.type.invalid when there is none.
func (c *HTTPClient) PaymentType(ctx context.Context, paymentTypeID int64) (string, error) {
	var w struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	}
	if _, err := c.do(ctx, request{method: "GET", path: "/paymenttypes/" + id(paymentTypeID)}, &w); err != nil {
		return "", err
	}
	return w.Name, nil
}
