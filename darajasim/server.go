package darajasim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Options configures New. Zero values take the defaults named.
type Options struct {
	// ConsumerKey and ConsumerSecret are the app's credentials for the
	// OAuth call (default "key" and "secret").
	ConsumerKey    string
	ConsumerSecret string
	// InitiatorName and SecurityCredential are the API operator's; a B2C
	// request or status query carrying others is accepted and fails later
	// with 2001, as on Daraja (defaults "apiop" and "credential").
	InitiatorName      string
	SecurityCredential string
	// ShortCode is the B2C shortcode (PartyA; default "600997").
	ShortCode string
	// OrgName is the organisation's name in status results (default
	// "MIFOS EDGE MFI").
	OrgName string
	// Float is the B2C utility account's balance at start, in whole
	// shillings; a payment above what is left fails with ResultCode 1.
	// Zero means 1,000,000; use SetFloat for an empty float.
	Float int64
	// Fee is what each payment costs the charges-paid account, in whole
	// shillings (reported in B2CChargesPaidAccountAvailableFunds, which
	// goes negative as on Daraja); default 0.
	Fee int64
	// MinAmount and MaxAmount bound one payment in whole shillings (result
	// codes 2 and 3; defaults 10 and 250,000). DailyLimit is what one
	// client may receive per day (code 4; default 500,000).
	MinAmount, MaxAmount, DailyLimit int64
	// Customers are the M-PESA customers by 12-digit number (2547…). Nil:
	// every well-formed number is a registered customer with a made-up
	// name. Otherwise other numbers fail with SFC_IC0003.
	Customers map[string]Customer
	// ResultDelay is how long after accepting a request its result is
	// posted (default 50ms).
	ResultDelay time.Duration
	// CallbackRetries is how many more times a callback that was not
	// answered 2xx is posted (default 2; negative: never again).
	CallbackRetries int
	// HangLimit bounds how long a Hang fault holds a request when the
	// client never gives up (default 2m); then it is answered late.
	HangLimit time.Duration
	// ExpiresInNumber answers expires_in as the number 3599 (Daraja 3.0's
	// documents) instead of the string "3599" (older documents, SDKs).
	ExpiresInNumber bool
	// TokenLifetime is how long a token is valid (default 3600s);
	// expires_in says one second less.
	TokenLifetime time.Duration
	// HTTPClient posts the callbacks (default: a client with a 10s timeout).
	HTTPClient *http.Client
	// Clock is the time of tokens, receipts and results (default time.Now).
	Clock func() time.Time
	// Seed makes the generated ids repeatable (default: random).
	Seed uint64
}

// Customer is an M-PESA wallet the stand-in knows.
type Customer struct {
	Name string // as M-PESA has it: "JANE WANJIKU DOE"
	// Unregistered: a number that is not a full M-PESA customer; B2C to it
	// fails with 2040.
	Unregistered bool
}

// Payment is money that left the float: one per OriginatorConversationID,
// ever.
type Payment struct {
	OriginatorConversationID string
	ConversationID           string
	Receipt                  string // TransactionReceipt, e.g. "TJ56H6J1WU"
	Phone                    string // 2547XXXXXXXX
	Amount                   int64  // whole shillings
	At                       time.Time
}

// Counts are the requests received per call, failed ones included.
type Counts struct {
	OAuth, B2C, Status int
}

// Delivery is one callback POST the stand-in made.
type Delivery struct {
	// Kind is "result", "timeout" (a B2C queue time-out), "status-result"
	// or "status-timeout".
	Kind   string
	URL    string
	Body   []byte
	Status int    // the answer's status; 0 when the POST failed
	Err    string // why the POST failed
}

// eat is East Africa Time, Daraja's clock: UTC+3 all year (no daylight
// saving), so a fixed zone needs no zoneinfo on the machine.
var eat = time.FixedZone("EAT", 3*3600)

// Server is the stand-in. All methods are safe for concurrent use.
type Server struct {
	opts Options
	now  func() time.Time

	// mu guards everything below.
	mu         sync.Mutex
	rng        *rand.Rand
	token      string
	tokenUntil time.Time
	tokens     []string // every token issued, for tests that look for leaks
	float      int64
	charges    int64
	requests   map[string]*b2cRecord // by OriginatorConversationID
	receipts   map[string]*b2cRecord // by receipt
	used       map[string]bool       // every id handed out (receipts, conversation ids)
	received   map[string]int64      // phone + EAT date → shillings received that day
	payments   []Payment
	counts     Counts
	next       []Fault
	nextQuery  []Fault
	byPhone    map[string]Fault
	down       Outage
	deliveries []Delivery

	wg     sync.WaitGroup
	closed chan struct{}
	once   sync.Once
}

// New makes a stand-in; serve it with httptest.NewServer(s) or any
// http.Server, and Close it when done.
func New(opts Options) *Server {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&opts.ConsumerKey, "key")
	def(&opts.ConsumerSecret, "secret")
	def(&opts.InitiatorName, "apiop")
	def(&opts.SecurityCredential, "credential")
	def(&opts.ShortCode, "600997")
	def(&opts.OrgName, "MIFOS EDGE MFI")
	defInt := func(p *int64, v int64) {
		if *p == 0 {
			*p = v
		}
	}
	defInt(&opts.Float, 1_000_000)
	defInt(&opts.MinAmount, 10)
	defInt(&opts.MaxAmount, 250_000)
	defInt(&opts.DailyLimit, 500_000)
	if opts.ResultDelay == 0 {
		opts.ResultDelay = 50 * time.Millisecond
	}
	if opts.CallbackRetries == 0 {
		opts.CallbackRetries = 2
	}
	if opts.HangLimit == 0 {
		opts.HangLimit = 2 * time.Minute
	}
	if opts.TokenLifetime == 0 {
		opts.TokenLifetime = time.Hour
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	seed := opts.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	return &Server{
		opts:     opts,
		now:      opts.Clock,
		rng:      rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		float:    opts.Float,
		requests: map[string]*b2cRecord{},
		receipts: map[string]*b2cRecord{},
		used:     map[string]bool{},
		received: map[string]int64{},
		byPhone:  map[string]Fault{},
		closed:   make(chan struct{}),
	}
}

// Close releases hanging requests and waits for the callbacks in flight.
func (s *Server) Close() {
	s.once.Do(func() { close(s.closed) })
	s.wg.Wait()
}

// ServeHTTP answers Daraja's calls.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/oauth/v1/generate":
		s.count(func(c *Counts) { c.OAuth++ })
		if s.outage(w) {
			return
		}
		s.oauth(w, r)
	case "/mpesa/b2c/v3/paymentrequest", "/mpesa/b2c/v1/paymentrequest":
		s.count(func(c *Counts) { c.B2C++ })
		if s.outage(w) || !s.post(w, r) || !s.authorized(w, r) {
			return
		}
		s.b2c(w, r, strings.Contains(r.URL.Path, "/v3/"))
	case "/mpesa/transactionstatus/v1/query":
		s.count(func(c *Counts) { c.Status++ })
		if s.outage(w) || !s.post(w, r) || !s.authorized(w, r) {
			return
		}
		s.status(w, r)
	default:
		s.gatewayError(w, http.StatusNotFound, "404.003.01", "Resource not found")
	}
}

func (s *Server) count(f func(*Counts)) {
	s.mu.Lock()
	f(&s.counts)
	s.mu.Unlock()
}

// post refuses other methods as Daraja's gateway does: every API but the
// token is POST.
func (s *Server) post(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodPost {
		return true
	}
	s.gatewayError(w, http.StatusBadRequest, "404.001.04", "Invalid Authentication Header")
	return false
}

// authorized checks the Bearer token: only the newest, unexpired one.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		s.gatewayError(w, http.StatusBadRequest, "404.001.04", "Invalid Authentication Header")
		return false
	}
	s.mu.Lock()
	valid := s.token != "" && tok == s.token && s.now().Before(s.tokenUntil)
	s.mu.Unlock()
	if !valid {
		s.gatewayError(w, http.StatusUnauthorized, "404.001.03", "Invalid Access Token")
		return false
	}
	return true
}

// gatewayError answers in the API gateway's error shape.
func (s *Server) gatewayError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"requestId": s.requestID(), "errorCode": code, "errorMessage": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// requestID is the gateway's id of a request, like "1c5b-4ba8-815c-ac45c57a3db01469899".
func (s *Server) requestID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("%04x-%04x-%04x-%012x%07d", s.rng.Uint32()&0xffff, s.rng.Uint32()&0xffff,
		s.rng.Uint32()&0xffff, s.rng.Uint64()&0xffffffffffff, s.rng.IntN(10_000_000))
}

// Payments are the payments made, in order.
func (s *Server) Payments() []Payment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Payment(nil), s.payments...)
}

// Requests counts the requests received per call.
func (s *Server) Requests() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts
}

// Float is what is left in the B2C utility account, whole shillings.
func (s *Server) Float() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.float
}

// SetFloat sets the B2C utility account's balance, whole shillings.
func (s *Server) SetFloat(kes int64) {
	s.mu.Lock()
	s.float = kes
	s.mu.Unlock()
}

// Deliveries are the callback POSTs made so far, retries included.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

// Tokens are the access tokens issued so far (a test looks for them in
// logs that must not hold them).
func (s *Server) Tokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.tokens...)
}

// RevokeToken makes the current token invalid, as a token generated
// elsewhere for the same app does: the next call is 401 404.001.03.
func (s *Server) RevokeToken() {
	s.mu.Lock()
	s.token = ""
	s.mu.Unlock()
}
