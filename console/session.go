package console

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/mifos-edge/mifos-edge/store"
)

// cookieName names the session cookie. The id in it is 32 random bytes;
// the store keeps only its SHA-256.
const cookieName = "mifos_edge_session"

// handlerWithSession is a page handler that runs only for a signed-in
// user.
type handlerWithSession func(w http.ResponseWriter, r *http.Request, s *session)

// session is a signed-in request's session.
type session struct {
	key []byte // SHA-256 of the cookie's id
	store.ConsoleSession
}

// newSession stores a session for s and sets its cookie.
func (c *Console) newSession(w http.ResponseWriter, r *http.Request, s store.ConsoleSession) (*session, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	id := base64.RawURLEncoding.EncodeToString(raw)
	key := sessionKey(id)
	now := c.d.Now()
	s.CreatedAt, s.SeenAt = now, now
	if err := c.d.DB.PutConsoleSession(key, s); err != nil {
		return nil, err
	}
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: id, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
		// No Expires: the cookie goes when the browser closes; the server
		// ends the session earlier when it idles or grows old.
	})
	return &session{key: key, ConsoleSession: s}, nil
}

func sessionKey(id string) []byte {
	h := sha256.Sum256([]byte(id))
	return h[:]
}

// current returns the request's session, or nil when there is none or it
// is over (then it is deleted).
func (c *Console) current(r *http.Request) *session {
	ck, err := r.Cookie(cookieName)
	if err != nil || len(ck.Value) != 43 { // 32 bytes, unpadded base64url
		return nil
	}
	key := sessionKey(ck.Value)
	s, found, err := c.d.DB.ConsoleSession(key)
	if err != nil {
		c.d.Logger.Error("reading a console session failed", "err", err)
		return nil
	}
	if !found {
		return nil
	}
	now := c.d.Now()
	if c.over(s, now) {
		c.end(key)
		return nil
	}
	// SeenAt is written at most once a minute, so reading pages does not
	// turn into a disk write each.
	if now.Sub(s.SeenAt) >= time.Minute {
		s.SeenAt = now
		if err := c.d.DB.PutConsoleSession(key, s); err != nil {
			c.d.Logger.Error("updating a console session failed", "err", err)
		}
	}
	return &session{key: key, ConsoleSession: s}
}

// over reports whether s idled past the idle timeout or outlived the
// maximum lifetime.
func (c *Console) over(s store.ConsoleSession, now time.Time) bool {
	return now.Sub(s.SeenAt) > c.d.IdleTimeout || now.Sub(s.CreatedAt) > c.d.MaxLifetime
}

// end deletes a session and forgets the password kept for it.
func (c *Console) end(key []byte) {
	c.secrets.forget(key)
	if err := c.d.DB.DeleteConsoleSession(key); err != nil {
		c.d.Logger.Error("deleting a console session failed", "err", err)
	}
}

// signedIn runs h for a signed-in user and sends anyone else to the
// sign-in page; no page behind it shows anything before that.
func (c *Console) signedIn(h handlerWithSession) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := c.current(r)
		if s == nil {
			target := "/console/signin"
			if _, err := r.Cookie(cookieName); err == nil {
				target += "?m=expired"
				clearCookie(w, r)
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		h(w, r, s)
	}
}

func clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}

// signout ends the session (if any) and shows the sign-in page.
func (c *Console) signout(w http.ResponseWriter, r *http.Request) {
	if s := c.current(r); s != nil {
		c.end(s.key)
		c.d.Logger.Info("console sign-out", "user", s.Username)
	}
	clearCookie(w, r)
	seeOther(w, r, "/console/signin?m=signedout")
}

// secrets keeps each session's Mifos password in memory only, to act as
// the user in Fineract; it is never written anywhere and is gone after a
// restart or sign-out (the approve form then asks for it again).
type secrets struct {
	mu sync.Mutex
	m  map[string]string // string(session key) -> password
}

func newSecrets() *secrets { return &secrets{m: map[string]string{}} }

func (s *secrets) keep(key []byte, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[string(key)] = password
}

func (s *secrets) get(key []byte) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.m[string(key)]
	return p, ok
}

func (s *secrets) forget(key []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, string(key))
}

// Prune drops the sessions that are over, and the passwords kept for
// them; the daemon calls it now and then.
func (c *Console) Prune() (int, error) {
	now := c.d.Now()
	var gone [][]byte
	n, err := c.d.DB.PruneConsoleSessions(func(s store.ConsoleSession) bool { return c.over(s, now) })
	if err != nil {
		return n, err
	}
	// Passwords of sessions no longer stored go too.
	c.secrets.mu.Lock()
	for k := range c.secrets.m {
		gone = append(gone, []byte(k))
	}
	c.secrets.mu.Unlock()
	for _, k := range gone {
		if _, found, err := c.d.DB.ConsoleSession(k); err == nil && !found {
			c.secrets.forget(k)
		}
	}
	return n, nil
}
