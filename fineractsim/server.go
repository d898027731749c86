package fineractsim

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// basePath is Fineract's default context path plus the v1 API root.
const basePath = "/fineract-provider/api/v1"

// Options configures Start.
type Options struct {
	Tenant   string // default "default"
	Username string // default "mifos"
	Password string // default "password"
	// BusinessDate switches the tenant's business-date feature on with
	// this date (date only). Left zero, the feature is off, as on a new
	// tenant: GET /businessdate/BUSINESS_DATE answers 404
	// error.msg.businessdate.not.found and "today" is the date in TimeZone.
	BusinessDate time.Time
	// TimeZone is the tenant's time zone (Fineract's tenant timezone_id):
	// "today" while the business-date feature is off; default the
	// machine's own zone.
	TimeZone *time.Location
	// Clock is the time "today" is read from while the business-date
	// feature is off; default time.Now.
	Clock  func() time.Time
	Logger *slog.Logger
	Addr   string // default "127.0.0.1:0"
	// NoRequestLog keeps Requests() empty, so a long benchmark measures
	// the daemon's memory, not this log's.
	NoRequestLog bool
	// Before19 serves as a Fineract before 1.9.0 (1.8.x) does: the
	// external-id routes, the v2 client search and the savings transaction
	// search do not exist (Jersey's plain 404), results carry no
	// resourceExternalId, and an Idempotency-Key is ignored (every request
	// runs, a resend included).
	Before19 bool
	// UnnamedExternalIDIndex: the database's unique index on loan
	// transaction external ids has a name Fineract does not recognise, so a
	// duplicate externalId comes back as the generic 403
	// error.msg.data.integrity.issue instead of its own 400.
	UnnamedExternalIDIndex bool
	// NoHookEndpoint leaves the X-Fineract-Endpoint header out of Web hook
	// deliveries, as Fineract does where the JVM's baseUrl property is not
	// set (hooks.go); by default it is the stand-in's API URL.
	NoHookEndpoint bool
}

// Server is a running Fineract stand-in. All methods are safe for concurrent use.
type Server struct {
	opts Options
	log  *slog.Logger

	// mu guards all data and fault settings below.
	mu sync.Mutex
	// bizDate is the BUSINESS_DATE row (zero: none); bizDateOn is the
	// enable_business_date setting. Fineract validates against the row only
	// while the setting is on, but answers GET with the row whenever one
	// exists, so a row left from before the setting was switched off is a
	// stale date.
	bizDate      time.Time
	bizDateOn    bool
	offices      map[int64]string
	staff        map[int64]*Staff
	clients      map[int64]*Client
	loans        map[int64]*loanState
	savings      map[int64]*savingsState
	groups       map[int64]*Group
	payTypes     map[int64]string
	loanTxns     []*LoanTxn
	loanTxnByExt map[string]*LoanTxn
	idem         map[idemKey]*idemEntry
	requests     []RequestLog
	nextLoanTxn  int64
	nextSavTxn   int64
	nextCommand  int64
	failN        int
	failStatus   int
	failCommitN  int // FailAfterCommit
	crashN       int // CrashNext
	latency      time.Duration
	hold         <-chan struct{}
	held         int // writes waiting on hold right now
	makerChecker bool
	// commands are the writes maker-checker held, by commandId
	// (makerchecker.go), awaiting or decided.
	commands map[int64]*heldCommand
	// Holidays, working days and the two settings that allow repayments on
	// them (holiday.go).
	holidays                             []Holiday
	workingDays                          []time.Weekday
	allowOnHoliday, allowOnNonWorkingDay bool
	// perms are the box user's permission codes; empty: ALL_FUNCTIONS.
	perms         []string
	renewPassword bool
	// users are the other app users by username (users.go);
	// officeParent each office's parent (office 1 has none).
	users        map[string]*User
	officeParent map[int64]int64
	// Loan approval and disbursal (approval.go), Web hooks (hooks.go).
	loanActs map[int64]*loanActions
	hooks    []Hook
	hookW    sync.WaitGroup
	hookLog  []HookDelivery
	// The outbound SMS table and the message gateway (smsgateway.go).
	smsCfg  *GatewayConfig
	sms     []*SMSMessage
	nextSMS int64

	// netMu guards the listener lifecycle.
	netMu  sync.Mutex
	addr   string
	hs     *http.Server
	down   bool
	closed bool
	serveW sync.WaitGroup
}

// Start listens and serves until Close. The data set is empty until Seed or Add*.
func Start(opts Options) (*Server, error) {
	if opts.Tenant == "" {
		opts.Tenant = "default"
	}
	if opts.Username == "" {
		opts.Username = "mifos"
	}
	if opts.Password == "" {
		opts.Password = "password"
	}
	if opts.TimeZone == nil {
		opts.TimeZone = time.Local
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	s := &Server{
		opts:         opts,
		log:          opts.Logger,
		bizDate:      day(opts.BusinessDate),
		bizDateOn:    !opts.BusinessDate.IsZero(),
		offices:      map[int64]string{1: "Head Office"},
		staff:        map[int64]*Staff{},
		clients:      map[int64]*Client{},
		loans:        map[int64]*loanState{},
		savings:      map[int64]*savingsState{},
		groups:       map[int64]*Group{},
		payTypes:     map[int64]string{},
		loanTxnByExt: map[string]*LoanTxn{},
		idem:         map[idemKey]*idemEntry{},
		commands:     map[int64]*heldCommand{},
		users:        map[string]*User{},
		officeParent: map[int64]int64{},
		loanActs:     map[int64]*loanActions{},
		nextLoanTxn:  15700,
		nextSavTxn:   60200,
		nextCommand:  900,
		nextSMS:      5000,
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("fineractsim: listen on %s: %w", opts.Addr, err)
	}
	s.addr = ln.Addr().String()
	s.serve(ln)
	return s, nil
}

// serve starts a fresh http.Server on ln (an http.Server cannot be reused
// after Close). Caller holds netMu or has exclusive access.
func (s *Server) serve(ln net.Listener) {
	hs := &http.Server{Handler: http.HandlerFunc(s.handle), ReadHeaderTimeout: 10 * time.Second}
	s.hs = hs
	s.serveW.Add(1)
	go func() {
		defer s.serveW.Done()
		_ = hs.Serve(ln)
	}()
}

// URL is the API base, e.g. http://127.0.0.1:34567/fineract-provider/api/v1.
func (s *Server) URL() string { return "http://" + s.addr + basePath }

// Close stops the server for good. Held writes are not waited for.
func (s *Server) Close() error {
	s.netMu.Lock()
	defer s.netMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var err error
	if !s.down {
		err = s.hs.Close()
	}
	s.serveW.Wait()
	s.hookW.Wait()
	return err
}

// SetDown(true) closes the listener and every open connection, so clients get
// "connection refused"; SetDown(false) listens again on the same address.
func (s *Server) SetDown(down bool) error {
	s.netMu.Lock()
	defer s.netMu.Unlock()
	if s.closed || down == s.down {
		return nil
	}
	if down {
		s.down = true
		err := s.hs.Close()
		s.serveW.Wait()
		return err
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("fineractsim: listen again on %s: %w", s.addr, err)
	}
	s.down = false
	s.serve(ln)
	return nil
}

// FailNext makes the next n write commands answer status (500, 503, 409, ...)
// with Fineract's error body for it; nothing is posted. Like a real failed
// command, the failure is stored under the request's Idempotency-Key.
func (s *Server) FailNext(n int, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failStatus = n, status
}

// FailAfterCommit makes the next n write commands that succeed commit, then
// fail while Fineract stores the command's result: the client gets the
// servlet's 500 page although the posting is in the books, and the command
// stays "running" under its Idempotency-Key, so a replay of the key answers
// 425 for ever (SynchronousCommandProcessingService saves the result after
// the business transaction committed, outside its try).
func (s *Server) FailAfterCommit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failCommitN = n
}

// CrashNext makes the next n write commands die with their server: the
// connection drops without an answer, nothing is posted, and the command
// stays "running" under its Idempotency-Key for ever, since no job resets
// such a row: every replay of the key answers 425.
func (s *Server) CrashNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.crashN = n
}

// SetLatency delays every request by d before it is looked at.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// HoldWrites makes write commands wait until release is closed; a held write
// is committed on release even if its client has gone. nil stops holding.
func (s *Server) HoldWrites(release <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hold = release
}

// HeldWrites is how many writes are waiting on HoldWrites right now (their
// Idempotency-Key, if any, is already registered as in progress).
func (s *Server) HeldWrites() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held
}

// SetMakerChecker(true) makes writes validate, then answer 200
// {"commandId","resourceId","rollbackTransaction":true} and post nothing
// until a checker approves them (Approve, Reject: makerchecker.go).
func (s *Server) SetMakerChecker(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.makerChecker = on
}

// SetBusinessDate sets the BUSINESS_DATE row and switches the business-date
// feature on: d is "today" from now on.
func (s *Server) SetBusinessDate(d time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bizDate, s.bizDateOn = day(d), true
}

// SetBusinessDateEnabled switches the business-date feature (the global
// setting enable_business_date) on or off. The row stays: switched off, GET
// still answers it, a stale date, while Fineract validates against the
// date in the tenant's time zone.
func (s *Server) SetBusinessDateEnabled(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bizDateOn = on
}

// BusinessDate is "today" for the tenant: the business date while the
// feature is on, else the date in the tenant's time zone.
func (s *Server) BusinessDate() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.today()
}

// today is the date Fineract validates against (BusinessDateReadPlatform-
// ServiceImpl.getBusinessDates): the row while the feature is on, else
// LocalDate.now(tenant zone). Caller holds mu.
func (s *Server) today() time.Time {
	if s.bizDateOn && !s.bizDate.IsZero() {
		return s.bizDate
	}
	return day(s.opts.Clock().In(s.opts.TimeZone))
}

// Requests returns a copy of every request received so far, headers included
// (Authorization too: this is for test assertions and is never logged).
func (s *Server) Requests() []RequestLog {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RequestLog, len(s.requests))
	for i, r := range s.requests {
		r.Body = slices.Clone(r.Body)
		r.Header = r.Header.Clone()
		out[i] = r
	}
	return out
}

// handle is the filter chain: log, latency, tenant, auth, then the API.
func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "cannot read request body", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	if !s.opts.NoRequestLog {
		s.requests = append(s.requests, RequestLog{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
			Body: body, Header: r.Header.Clone()})
	}
	latency := s.latency
	s.mu.Unlock()
	// The Authorization header is never logged.
	s.log.Debug("fineractsim request", "method", r.Method, "path", r.URL.Path, "query", r.URL.RawQuery)
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/fineract-provider/api/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	// TenantAwareBasicAuthenticationFilter: header first, then the query parameter;
	// missing or unknown answers 400 through sendError (a plain page, not JSON).
	tenant := r.Header.Get("Fineract-Platform-TenantId")
	if strings.TrimSpace(tenant) == "" {
		tenant = r.URL.Query().Get("tenantIdentifier")
	}
	if tenant == "" {
		http.Error(w, "No tenant identifier found: Add request header of 'Fineract-Platform-TenantId' or add the parameter 'tenantIdentifier' to query string of request URL.", http.StatusBadRequest)
		return
	}
	if tenant != s.opts.Tenant {
		http.Error(w, "The tenant identifier provided is invalid.", http.StatusBadRequest)
		return
	}
	// /authentication is open to all (it checks the credentials in its
	// body), but Basic credentials sent with it are checked all the same.
	login := strings.Trim(rest, "/") == "v1/authentication"
	u := s.basicUser(r)
	if u == nil && (!login || r.Header.Get("Authorization") != "") {
		// Spring's BasicAuthenticationEntryPoint answers before Jersey: the
		// container's page, not Fineract's JSON (that comes only from the
		// login call's own check of the body).
		w.Header().Set("WWW-Authenticate", `Basic realm="Fineract Platform API"`)
		servletError(w, http.StatusUnauthorized)
		return
	}
	w.Header().Set("X-Notification-Refresh", "false")
	s.route(w, withUser(r, u), rest, body)
}

func send(w http.ResponseWriter, rep reply, fromCache bool) {
	w.Header().Set("Content-Type", "application/json")
	if fromCache {
		w.Header().Set("x-served-from-cache", "true")
	}
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body)
}

// idemKey is the (action, entity, key) triple Fineract makes unique.
type idemKey struct{ action, entity, key string }

type idemEntry struct {
	done    bool
	result  reply
	request []byte
}

// command runs one write through Fineract's command pipeline: idempotency
// check, hold, injected failure, execution (validate, then commit unless
// maker-checker), and storing the result under the key.
func (s *Server) command(w http.ResponseWriter, r *http.Request, action, entity string, body []byte, entityID int64,
	exec func(commit bool) reply) {
	if !strings.Contains(r.Header.Get("Content-Type"), "application/json") {
		// Jersey refuses a body it cannot consume before any resource runs.
		http.Error(w, "Unsupported Media Type", http.StatusUnsupportedMediaType)
		return
	}
	// The command's permission is checked before it is logged: nothing is
	// stored under the key.
	s.mu.Lock()
	user := userOf(r)
	allowed := s.permitted(user, action+"_"+entity)
	s.mu.Unlock()
	if !allowed {
		send(w, notAuthorized("User has no authority to: "+action+"_"+entity), false)
		return
	}
	key := idemKey{action, entity, r.Header.Get("Idempotency-Key")}
	if s.opts.Before19 {
		key.key = "" // no idempotency store before 1.9
	}
	s.mu.Lock()
	if key.key != "" {
		if e, ok := s.idem[key]; ok {
			s.mu.Unlock()
			if !e.done {
				send(w, reply{425, e.request}, true)
				return
			}
			send(w, e.result, true)
			return
		}
		s.idem[key] = &idemEntry{request: body}
	}
	hold := s.hold
	if hold != nil {
		s.held++
	}
	s.mu.Unlock()

	if hold != nil {
		// Deliberately not watching the request context: a held write commits
		// even when the client is gone (killed mid-POST).
		<-hold
		s.mu.Lock()
		s.held--
		s.mu.Unlock()
	}

	s.mu.Lock()
	if s.crashN > 0 {
		s.crashN--
		s.mu.Unlock()
		s.log.Info("fineractsim command dies with its server", "action", action, "entity", entity, "id", entityID)
		dropConnection(w)
		return
	}
	var rep reply
	stuck := false // committed, but the command's result was never stored
	switch {
	case s.failN > 0:
		s.failN--
		rep = injected(s.failStatus)
	default:
		rep = exec(!s.makerChecker)
		if s.makerChecker && rep.status == 200 {
			id := s.holdForChecker(action, entity, entityID, key, exec)
			rep = jsonReply(200, map[string]any{"commandId": id, "resourceId": entityID, "rollbackTransaction": true})
		} else if rep.status == 200 && s.failCommitN > 0 {
			s.failCommitN--
			stuck = true
		}
	}
	// Successes and failures are stored: a replay never runs the command
	// again. A command awaiting a checker keeps its "running" entry, like a
	// stuck one: Fineract has no branch for AWAITING_APPROVAL, and the
	// second insert of the key ends in 425.
	awaiting := s.makerChecker && rep.status == 200
	if key.key != "" && !stuck && !awaiting {
		s.idem[key] = &idemEntry{done: true, result: rep, request: body}
	}
	if rep.status == http.StatusOK && !stuck && !awaiting {
		// After the commit, as Fineract publishes the hook event.
		s.fireHooks(user, action, entity, body, rep.body)
	}
	s.mu.Unlock()
	s.log.Info("fineractsim command", "action", action, "entity", entity, "id", entityID, "status", rep.status, "stuck", stuck)
	// An unmapped exception reaches the client as the servlet's 500 page;
	// the {"Exception": ...} body is what the idempotency store keeps, so
	// only a replay of the key gets it.
	if stuck || rep.status == http.StatusInternalServerError {
		servletError(w, http.StatusInternalServerError)
		return
	}
	send(w, rep, false)
}

// dropConnection closes the client's connection without an answer, as a
// server that dies mid-request does.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("fineractsim: the response writer cannot drop its connection")
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

// servletError is the container's own error page: what a client gets for
// an exception no Jersey mapper handles (not Fineract's JSON).
func servletError(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "text/html;charset=utf-8")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "<!doctype html><html lang=\"en\"><head><title>HTTP Status %d – %s</title></head>"+
		"<body><h1>HTTP Status %d – %s</h1></body></html>", status, http.StatusText(status), status, http.StatusText(status))
}
