package fineractsim

import (
	"net/http"
	"strconv"
	"strings"
)

// route dispatches /fineract-provider/api/<rest>. Unknown paths are Jersey's
// plain 404; a known path with the wrong method is 405.
func (s *Server) route(w http.ResponseWriter, r *http.Request, rest string, body []byte) {
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	q := r.URL.Query()
	get := r.Method == http.MethodGet
	post := r.Method == http.MethodPost
	id := func(i int) (int64, bool) {
		if i >= len(parts) {
			return 0, false
		}
		n, err := strconv.ParseInt(parts[i], 10, 64)
		return n, err == nil
	}
	var rep reply
	switch {
	case len(parts) == 3 && parts[0] == "v2" && parts[1] == "clients" && parts[2] == "search" && !s.opts.Before19:
		if !post {
			methodNotAllowed(w)
			return
		}
		if !strings.Contains(r.Header.Get("Content-Type"), "application/json") {
			http.Error(w, "Unsupported Media Type", http.StatusUnsupportedMediaType)
			return
		}
		rep = s.lock(func() reply { return s.clientSearchV2(body) })
	case len(parts) < 2 || parts[0] != "v1":
		http.NotFound(w, r)
		return
	default:
		p := parts[1:]
		if perm := readPermission(p[0]); get && perm != "" {
			s.mu.Lock()
			allowed := s.permitted(userOf(r), perm)
			s.mu.Unlock()
			if !allowed {
				send(w, notAuthorized("User has no authority to "+perm), false)
				return
			}
		}
		switch {
		case len(p) == 1 && p[0] == "authentication" && post:
			if !strings.Contains(r.Header.Get("Content-Type"), "application/json") {
				http.Error(w, "Unsupported Media Type", http.StatusUnsupportedMediaType)
				return
			}
			rep = s.lock(func() reply { return s.authenticate(body) })
		case len(p) == 2 && p[0] == "paymenttypes" && get:
			n, ok := id(2)
			if !ok {
				http.NotFound(w, r)
				return
			}
			rep = s.lock(func() reply { return s.paymentType(n) })
		case len(p) == 2 && p[0] == "businessdate" && p[1] == "BUSINESS_DATE" && get:
			rep = s.lock(s.businessDate)
		case len(p) == 1 && p[0] == "search" && get:
			rep = s.lock(func() reply { return s.search(q) })
		case len(p) == 1 && p[0] == "paymenttypes" && get:
			rep = s.lock(s.paymentTypes)
		case len(p) == 2 && p[0] == "clients" && get:
			n, ok := id(2)
			if !ok {
				http.NotFound(w, r)
				return
			}
			rep = s.lock(func() reply { return s.client(n) })
		case len(p) == 3 && p[0] == "clients" && p[2] == "accounts" && get:
			n, ok := id(2)
			if !ok {
				http.NotFound(w, r)
				return
			}
			rep = s.lock(func() reply { return s.clientAccounts(n) })
		case len(p) == 1 && p[0] == "loans" && get:
			rep = s.lock(func() reply { return s.loanList(userOf(r), q) })
		case len(p) == 2 && p[0] == "loans" && get:
			n, ok := id(2)
			if !ok {
				http.NotFound(w, r)
				return
			}
			rep = s.lock(func() reply {
				if _, ok := s.visibleLoan(userOf(r), n); !ok {
					return loanNotFound(n)
				}
				return s.loan(n, q.Get("associations"))
			})
		case len(p) == 2 && p[0] == "loans" && post:
			n, ok := id(2)
			if !ok {
				http.NotFound(w, r)
				return
			}
			cmd := q.Get("command")
			action := map[string]string{"approve": "APPROVE", "reject": "REJECT", "disburse": "DISBURSE"}[cmd]
			if action == "" {
				send(w, unrecognizedCommand(cmd), false)
				return
			}
			u := userOf(r)
			s.command(w, r, action, "LOAN", body, n, func(commit bool) reply { return s.loanCommand(u, n, cmd, body, commit) })
			return
		case len(p) == 5 && p[0] == "loans" && p[2] == "transactions" && p[3] == "external-id" && get && !s.opts.Before19:
			n, ok := id(2)
			if !ok {
				http.NotFound(w, r)
				return
			}
			rep = s.lock(func() reply { return s.loanTxnByExternalID(n, p[4]) })
		case len(p) == 4 && p[0] == "loans" && p[2] == "transactions" && get:
			n, ok1 := id(2)
			t, ok2 := id(4)
			if !ok1 || !ok2 {
				http.NotFound(w, r)
				return
			}
			rep = s.lock(func() reply { return s.loanTxn(n, t) })
		case len(p) == 4 && p[0] == "loans" && p[2] == "transactions" && post:
			n, ok1 := id(2)
			t, ok2 := id(4)
			if !ok1 || !ok2 {
				http.NotFound(w, r)
				return
			}
			// No command adjusts (amount 0: undo); chargeback is not modelled.
			if cmd := q.Get("command"); cmd != "" {
				send(w, unrecognizedCommand(cmd), false)
				return
			}
			s.command(w, r, "ADJUST", "LOAN", body, n, func(commit bool) reply { return s.adjustLoanTxn(n, t, body, commit) })
			return
		case len(p) == 3 && p[0] == "loans" && p[2] == "transactions" && post:
			n, ok := id(2)
			if !ok {
				http.NotFound(w, r)
				return
			}
			if q.Get("command") != "repayment" {
				send(w, unrecognizedCommand(q.Get("command")), false)
				return
			}
			s.command(w, r, "REPAYMENT", "LOAN", body, n, func(commit bool) reply { return s.repay(n, body, commit) })
			return
		case len(p) == 2 && p[0] == "savingsaccounts" && get:
			n, ok := id(2)
			if !ok {
				http.NotFound(w, r)
				return
			}
			rep = s.lock(func() reply { return s.savingsAccount(n, q.Get("associations")) })
		case len(p) == 4 && p[0] == "savingsaccounts" && p[2] == "transactions" && p[3] == "search" && get && !s.opts.Before19:
			n, ok := id(2)
			if !ok {
				http.NotFound(w, r)
				return
			}
			rep = s.lock(func() reply { return s.savingsSearch(n, q) })
		case len(p) == 4 && p[0] == "savingsaccounts" && p[2] == "transactions" && get:
			n, ok1 := id(2)
			t, ok2 := id(4)
			if !ok1 || !ok2 {
				http.NotFound(w, r)
				return
			}
			rep = s.lock(func() reply { return s.savingsTxn(n, t) })
		case len(p) == 3 && p[0] == "savingsaccounts" && p[2] == "transactions" && post:
			n, ok := id(2)
			if !ok {
				http.NotFound(w, r)
				return
			}
			if q.Get("command") != "deposit" {
				send(w, unrecognizedCommand(q.Get("command")), false)
				return
			}
			s.command(w, r, "DEPOSIT", "SAVINGSACCOUNT", body, n, func(commit bool) reply { return s.deposit(n, body, commit) })
			return
		case len(p) == 4 && p[0] == "savingsaccounts" && p[2] == "transactions" && post:
			n, ok1 := id(2)
			t, ok2 := id(4)
			if !ok1 || !ok2 {
				http.NotFound(w, r)
				return
			}
			cmd := q.Get("command")
			action := map[string]string{"undo": "UNDOTRANSACTION", "reverse": "REVERSETRANSACTION"}[cmd]
			if action == "" {
				send(w, unrecognizedCommand(cmd), false)
				return
			}
			s.command(w, r, action, "SAVINGSACCOUNT", body, n, func(commit bool) reply { return s.adjustSavingsTxn(n, t, cmd, commit) })
			return
		case len(p) == 1 && p[0] == "groups" && get:
			rep = s.lock(func() reply { return s.groupList(q) })
		case len(p) == 2 && p[0] == "groups" && get:
			n, ok := id(2)
			if !ok {
				http.NotFound(w, r)
				return
			}
			rep = s.lock(func() reply { return s.group(n, q.Get("associations")) })
		case len(p) == 2 && p[0] == "groups" && post:
			n, ok := id(2)
			if !ok {
				http.NotFound(w, r)
				return
			}
			switch q.Get("command") {
			case "generateCollectionSheet":
				if !strings.Contains(r.Header.Get("Content-Type"), "application/json") {
					http.Error(w, "Unsupported Media Type", http.StatusUnsupportedMediaType)
					return
				}
				// A read through POST: not a command, so no idempotency or faults.
				rep = s.lock(func() reply { return s.generateSheet(n, body) })
			case "saveCollectionSheet":
				// CommandWrapperBuilder.saveGroupCollectionSheet: action SAVECOLLECTIONSHEET, entity GROUP.
				s.command(w, r, "SAVECOLLECTIONSHEET", "GROUP", body, n, func(commit bool) reply { return s.saveSheet(n, body, commit) })
				return
			default:
				send(w, unrecognizedCommand(q.Get("command")), false)
				return
			}
		case len(p) == 2 && p[0] == "audits" && get:
			n, ok := id(2)
			if !ok {
				http.NotFound(w, r)
				return
			}
			rep = s.lock(func() reply { return s.audit(n) })
		case len(p) == 1 && p[0] == "makercheckers" && get:
			rep = s.lock(func() reply { return s.makerCheckers(userOf(r)) })
		case len(p) == 2 && p[0] == "makercheckers" && post:
			n, ok := id(2)
			if !ok {
				http.NotFound(w, r)
				return
			}
			rep = s.lock(func() reply { return s.decide(userOf(r), n, q.Get("command")) })
		case len(p) == 2 && p[0] == "staff" && get:
			n, ok := id(2)
			if !ok {
				http.NotFound(w, r)
				return
			}
			rep = s.lock(func() reply { return s.staffMember(n) })
		default:
			http.NotFound(w, r)
			return
		}
	}
	send(w, rep, false)
}

func methodNotAllowed(w http.ResponseWriter) {
	http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
}

// lock runs f with the data lock held.
func (s *Server) lock(f func() reply) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	return f()
}

// unrecognizedCommand is UnrecognizedQueryParamException (400).
func unrecognizedCommand(cmd string) reply {
	msg := "Unrecognized query param command given with value: " + cmd
	return jsonReply(400, apiGlobalError{
		DeveloperMessage: msg, HTTPStatusCode: "400", DefaultMessage: msg,
		Code:   "error.msg.unknown.query.param.command",
		Errors: []apiError{param("error.msg.unknown.query.param.command", msg, "command", cmd, cmd)},
	})
}
