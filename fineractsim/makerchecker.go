package fineractsim

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Maker-checker: a write held for a checker is a command with status
// AWAITING_APPROVAL (m_portfolio_command_source). A checker approves it
// (the command runs then, as if just sent, and its result is stored under
// its Idempotency-Key) or rejects it (it never runs; Fineract keeps who
// rejected it and when, no reason). GET /makercheckers lists the commands
// still awaiting; GET /audits/{id} tells any command's fate by the
// commandId its write answered with.

// Command statuses (CommandProcessingResultType) and their processingResult
// words as Fineract's audit shows them (r_enum_value).
const (
	commandProcessed = 1
	commandAwaiting  = 2
	commandRejected  = 3
	commandError     = 5
)

var processingResult = map[int]string{
	commandProcessed: "processed", commandAwaiting: "awaiting.approval", commandRejected: "rejected", commandError: "error",
}

// checkerName is the user a checker acting through Approve or Reject is
// recorded as.
const checkerName = "checker"

// heldCommand is one command maker-checker held.
type heldCommand struct {
	id             int64
	action, entity string
	resourceID     int64 // the loan, savings account or group in the URL
	key            idemKey
	exec           func(commit bool) reply
	madeOn         time.Time
	status         int
	checker        string
	checkedOn      time.Time
}

// ErrNotAwaitingApproval: Approve or Reject of a command that is not held
// (already decided, or no such command).
var ErrNotAwaitingApproval = errors.New("fineractsim: no command with this id awaits approval")

// holdForChecker records a write that maker-checker holds and returns its
// commandId. Caller holds mu.
func (s *Server) holdForChecker(action, entity string, resourceID int64, key idemKey, exec func(commit bool) reply) int64 {
	s.nextCommand++
	s.commands[s.nextCommand] = &heldCommand{id: s.nextCommand, action: action, entity: entity, resourceID: resourceID,
		key: key, exec: exec, madeOn: s.opts.Clock(), status: commandAwaiting}
	return s.nextCommand
}

// Approve is a checker approving the held command id: it runs now (its
// checks again, against today's data) and its answer is what a replay of
// its Idempotency-Key gets from then on. A command that fails on approval
// is stored as failed, as Fineract does, and the error says why.
func (s *Server) Approve(id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rep, err := s.approve(id)
	if err == nil && rep.status != http.StatusOK {
		err = fmt.Errorf("fineractsim: approving command %d failed: %d %s", id, rep.status, rep.body)
	}
	return err
}

// Reject is a checker rejecting the held command id: it never runs.
func (s *Server) Reject(id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reject(id)
}

// Awaiting lists the commandIds of the commands that still await a checker.
func (s *Server) Awaiting() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []int64
	for id, c := range s.commands {
		if c.status == commandAwaiting {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// approve runs the held command; caller holds mu.
func (s *Server) approve(id int64) (reply, error) {
	c, ok := s.commands[id]
	if !ok || c.status != commandAwaiting {
		return reply{}, ErrNotAwaitingApproval
	}
	rep := c.exec(true)
	c.checker, c.checkedOn = checkerName, s.opts.Clock()
	c.status = commandProcessed
	if rep.status != http.StatusOK {
		c.status = commandError
	}
	if c.key.key != "" {
		s.idem[c.key] = &idemEntry{done: true, result: rep}
	}
	s.log.Info("fineractsim command approved", "command", id, "action", c.action, "entity", c.entity, "status", rep.status)
	return rep, nil
}

// reject marks the held command rejected; caller holds mu. Its
// Idempotency-Key keeps its unfinished entry: a replay answers 425, as
// Fineract (which has no branch for a rejected command) does.
func (s *Server) reject(id int64) error {
	c, ok := s.commands[id]
	if !ok || c.status != commandAwaiting {
		return ErrNotAwaitingApproval
	}
	c.status, c.checker, c.checkedOn = commandRejected, checkerName, s.opts.Clock()
	s.log.Info("fineractsim command rejected", "command", id, "action", c.action, "entity", c.entity)
	return nil
}

// auditJSON is AuditData as GET /audits and GET /makercheckers show it
// (the fields a command of ours has).
func (c *heldCommand) auditJSON() anyMap {
	m := anyMap{"id": c.id, "actionName": c.action, "entityName": c.entity, "resourceId": c.resourceID,
		"maker": "mifos", "madeOnDate": c.madeOn.UTC().Format(time.RFC3339), "processingResult": processingResult[c.status]}
	if c.checker != "" {
		m["checker"], m["checkedOnDate"] = c.checker, c.checkedOn.UTC().Format(time.RFC3339)
	}
	return m
}

// commandNotFound and commandNotAwaiting are CommandNotFoundException and
// CommandNotAwaitingApprovalException (404).
func commandNotFound(id int64) reply {
	return notFound("error.msg.command.id.invalid", fmt.Sprintf("Audit with identifier %d does not exist", id), id)
}

func commandNotAwaiting(id int64) reply {
	return notFound("error.msg.command.id.not.awaiting.approval", fmt.Sprintf("Audit with identifier %d is Not Awaiting Approval", id), id)
}

// audit is GET /audits/{id}. Fineract's answer for an id that has no
// audit is not verified; this answers CommandNotFoundException's 404.
func (s *Server) audit(id int64) reply {
	c, ok := s.commands[id]
	if !ok {
		return commandNotFound(id)
	}
	return jsonReply(http.StatusOK, c.auditJSON())
}

// makerCheckers is GET /makercheckers: the commands still awaiting a
// checker, oldest first (AuditReadPlatformServiceImpl.retrieveAllEntriesToBeChecked),
// and of those only what the user may check (<ACTION>_<ENTITY>_CHECKER,
// CHECKER_SUPER_USER or ALL_FUNCTIONS): a user that is no checker, such as
// the box's, gets an empty list, so it cannot learn its commands' fate here.
func (s *Server) makerCheckers(u *User) reply {
	list := []anyMap{}
	var ids []int64
	for id, c := range s.commands {
		if c.status == commandAwaiting && s.mayCheck(u, c) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		list = append(list, s.commands[id].auditJSON())
	}
	return jsonReply(http.StatusOK, list)
}

// mayCheck: the user may approve or reject c. Caller holds mu.
func (s *Server) mayCheck(u *User, c *heldCommand) bool {
	return s.permitted(u, c.action+"_"+c.entity+"_CHECKER") || s.permitted(u, "CHECKER_SUPER_USER")
}

// decide is POST /makercheckers/{id}?command=approve|reject. The user
// needs the command's checker permission; Fineract also refuses a checker
// deciding a command it made itself (unless a checker super user or the
// tenant allows it), which this stand-in does not model.
func (s *Server) decide(u *User, id int64, command string) reply {
	if c, ok := s.commands[id]; ok && !s.mayCheck(u, c) {
		return notAuthorized("User has no authority to: " + c.action + "_" + c.entity + "_CHECKER")
	}
	switch strings.ToLower(strings.TrimSpace(command)) {
	case "approve":
		rep, err := s.approve(id)
		if err != nil {
			return s.notAwaiting(id)
		}
		return rep
	case "reject":
		if err := s.reject(id); err != nil {
			return s.notAwaiting(id)
		}
		return jsonReply(http.StatusOK, anyMap{"commandId": id})
	}
	return unrecognizedCommand(command)
}

func (s *Server) notAwaiting(id int64) reply {
	if _, ok := s.commands[id]; !ok {
		return commandNotFound(id)
	}
	return commandNotAwaiting(id)
}
