package console

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/mifos-edge/mifos-edge/mifos"
	"github.com/mifos-edge/mifos-edge/officer"
	"github.com/mifos-edge/mifos-edge/store"
)

// Limits of what the sign-in form accepts; a longer password would only
// make the argon2id hash cost more.
const (
	maxUsername = 100
	maxPassword = 256
)

// authTimeout bounds the wait for Fineract's answer; then the sign-in
// falls back to the stored hash.
const authTimeout = 15 * time.Second

// dummyHash is checked when no hash is stored for a username, so a wrong
// username takes as long as a wrong password. Made on first use: hashing
// costs 19 MiB, which a CLI command or an idle daemon should not pay.
var dummyHash = sync.OnceValue(func() string {
	h, _ := officer.HashPIN("no such user", officer.Pepper{})
	return h
})

// maxHashing is how many argon2id computations (19 MiB each) may run at
// once: a burst of sign-ins waits rather than exhausting a small box's
// memory.
const maxHashing = 2

// hashing waits for a free hashing slot; release gives it back.
func (c *Console) hashing(ctx context.Context) (release func(), err error) {
	select {
	case c.hashSlots <- struct{}{}:
		return func() { <-c.hashSlots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

var signinNotices = map[string]string{
	"expired":   "Your session ended. Sign in again.",
	"signedout": "You are signed out.",
}

func (c *Console) signinPage(w http.ResponseWriter, r *http.Request) {
	if c.current(r) != nil {
		seeOther(w, r, "/console/")
		return
	}
	c.render(w, http.StatusOK, page{Title: "Sign in", Notice: signinNotices[r.URL.Query().Get("m")]}, signinHTML(""))
}

// signin checks the username and password with Fineract; when Fineract
// cannot be reached it checks them against the hash kept from the last
// sign-in Fineract accepted, and the session is read-only.
func (c *Console) signin(w http.ResponseWriter, r *http.Request) {
	username := strings.TrimSpace(r.PostFormValue("username"))
	password := r.PostFormValue("password")
	refuse := func(status int, msg string) {
		c.render(w, status, page{Title: "Sign in", Error: msg}, signinHTML(username))
	}
	switch {
	case username == "" || password == "":
		refuse(http.StatusBadRequest, "Enter your Mifos username and password.")
		return
	case len(username) > maxUsername || !utf8.ValidString(username) || strings.ContainsAny(username, "\x00\r\n"):
		refuse(http.StatusBadRequest, fmt.Sprintf("The username must be at most %d characters.", maxUsername))
		return
	case len(password) > maxPassword:
		refuse(http.StatusBadRequest, fmt.Sprintf("The password must be at most %d characters.", maxPassword))
		return
	}
	userKey, addrKey := "user:"+strings.ToLower(username), "addr:"+clientAddr(r)
	if wait := c.limit.wait(userKey, addrKey); wait > 0 {
		w.Header().Set("Retry-After", itoa(int64(wait.Round(time.Second)/time.Second)+1))
		refuse(http.StatusTooManyRequests, fmt.Sprintf("Too many failed sign-ins. Wait %s and try again.", roundUp(wait)))
		return
	}
	failed := func(msg string) {
		c.limit.fail(userKey, freeUserFailures)
		c.limit.fail(addrKey, freeAddrFailures)
		// Never the password; and the username only when it is one that
		// signed in here before: a password typed into the username box
		// must not reach the log either.
		if _, known, _ := c.d.DB.ConsoleUser(username); known {
			c.d.Logger.Warn("console sign-in refused", "user", username, "addr", clientAddr(r))
		} else {
			c.d.Logger.Warn("console sign-in refused for a username never signed in here", "addr", clientAddr(r))
		}
		refuse(http.StatusUnauthorized, msg)
	}

	s, keepPassword, err := c.check(r.Context(), username, password)
	var refused *refusal
	switch {
	case errors.As(err, &refused) && refused.wrong:
		failed(refused.msg)
		return
	case errors.As(err, &refused):
		refuse(refused.status, refused.msg)
		return
	case err != nil:
		c.d.Logger.Error("console sign-in failed", "user", username, "err", err)
		refuse(http.StatusInternalServerError, "The box could not sign you in; try again.")
		return
	}
	// Only the username's count is cleared: one good account must not
	// reset the address's count for guesses at others.
	c.limit.succeed(userKey)
	// Sessions nobody signed out of are dropped here: sign-ins are rare
	// and the bucket small.
	if _, err := c.Prune(); err != nil {
		c.d.Logger.Error("pruning console sessions failed", "err", err)
	}
	// A new session id at every sign-in; the browser's old session ends.
	if old := c.current(r); old != nil {
		c.end(old.key)
	}
	sess, err := c.newSession(w, r, s)
	if err != nil {
		c.d.Logger.Error("starting a console session failed", "err", err)
		refuse(http.StatusInternalServerError, "The box could not sign you in; try again.")
		return
	}
	if keepPassword {
		c.secrets.keep(sess.key, password)
	}
	c.d.Logger.Info("console sign-in", "user", username, "offline", s.Offline)
	seeOther(w, r, "/console/")
}

// refusal is a sign-in refused for a reason the person is told; wrong
// counts against the rate limit.
type refusal struct {
	status int
	msg    string
	wrong  bool
}

func (r *refusal) Error() string { return r.msg }

var errWrong = &refusal{status: http.StatusUnauthorized, msg: "Wrong username or password.", wrong: true}

// check decides a sign-in. keepPassword is true when Fineract accepted
// the password just now, so it can act as the user.
func (c *Console) check(ctx context.Context, username, password string) (s store.ConsoleSession, keepPassword bool, err error) {
	if c.d.Auth != nil {
		actx, cancel := context.WithTimeout(ctx, authTimeout)
		u, err := c.d.Auth.AuthenticateUser(actx, username, password)
		cancel()
		if err == nil {
			if u.MustRenewPassword {
				return s, false, &refusal{status: http.StatusForbidden, msg: "Mifos asks you to change your password first: sign in to the Mifos web app, change it, then come back."}
			}
			if err := c.remember(ctx, username, password, u); err != nil {
				return s, false, err
			}
			return store.ConsoleSession{Username: username, UserID: u.ID, OfficeID: u.OfficeID, OfficeName: u.OfficeName,
				StaffID: u.StaffID, Permissions: u.Permissions}, true, nil
		}
		switch a := mifos.Classify(err); {
		case a == mifos.NotAllowed:
			return s, false, errWrong
		case a.Offline():
			// Fineract did not judge the password: try the stored hash.
		default:
			c.d.Logger.Warn("Fineract refused a console sign-in", "user", username, "err", err)
			return s, false, &refusal{status: http.StatusBadGateway, msg: "Mifos refused the sign-in for another reason than the password; ask the person who runs Mifos."}
		}
	}
	stored, found, err := c.d.DB.ConsoleUser(username)
	if err != nil {
		return s, false, err
	}
	hash := dummyHash()
	if found {
		hash = stored.Hash
	}
	release, err := c.hashing(ctx)
	if err != nil {
		return s, false, err
	}
	ok, err := officer.VerifyPIN(hash, password, c.d.Pepper)
	release()
	if errors.Is(err, officer.ErrOtherKey) {
		ok = false
	} else if err != nil {
		return s, false, err
	}
	if !found || !ok {
		if !found && c.d.Auth == nil {
			return s, false, &refusal{status: http.StatusUnauthorized, wrong: true,
				msg: "This box has no Mifos link ([mifos] in its configuration), so it cannot check a username and password it has not seen before."}
		}
		if !found && c.d.Auth != nil {
			// Keep the answer as vague as for a wrong password, but say why
			// a right one fails too.
			return s, false, &refusal{status: http.StatusUnauthorized, wrong: true,
				msg: "Mifos cannot be reached, and this box cannot check that username and password without it (wrong, or never used here while Mifos was reachable)."}
		}
		return s, false, errWrong
	}
	if c.d.Now().Sub(stored.VerifiedAt) > c.d.OfflineFor {
		return s, false, &refusal{status: http.StatusServiceUnavailable,
			msg: "Mifos cannot be reached, and your last sign-in with Mifos reachable is too long ago to sign in without it. Try again when Mifos is back."}
	}
	return store.ConsoleSession{Username: username, UserID: stored.UserID, OfficeID: stored.OfficeID, OfficeName: stored.OfficeName,
		StaffID: stored.StaffID, Permissions: stored.Permissions, Offline: true}, false, nil
}

// remember keeps the argon2id hash of a password Fineract accepted (made
// again only when the stored one does not match), with what Fineract said
// about the user.
func (c *Console) remember(ctx context.Context, username, password string, u mifos.User) error {
	stored, found, err := c.d.DB.ConsoleUser(username)
	if err != nil {
		return err
	}
	release, err := c.hashing(ctx)
	if err != nil {
		return err
	}
	defer release()
	hash := stored.Hash
	if ok, _ := officer.VerifyPIN(hash, password, c.d.Pepper); !found || !ok || officer.NeedsRehash(hash, c.d.Pepper) {
		if hash, err = officer.HashPIN(password, c.d.Pepper); err != nil {
			return err
		}
	}
	return c.d.DB.PutConsoleUser(store.ConsoleUser{Username: username, Hash: hash, UserID: u.ID, OfficeID: u.OfficeID,
		OfficeName: u.OfficeName, StaffID: u.StaffID, Permissions: u.Permissions, VerifiedAt: c.d.Now()})
}

// clientAddr is the address the request came from. Forwarding headers are
// not trusted: the box is reached directly on the branch network.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// roundUp writes a wait for people: "30 seconds", "2 minutes".
func roundUp(d time.Duration) string {
	if d <= time.Minute {
		return fmt.Sprintf("%d seconds", int((d+time.Second-1)/time.Second))
	}
	m := int((d + time.Minute - 1) / time.Minute)
	return fmt.Sprintf("%d minutes", m)
}

// signinHTML is the sign-in form, with the username typed before.
func signinHTML(username string) func(h *htmlWriter) {
	return func(h *htmlWriter) {
		h.raw(`
<form method="post" action="/console/signin" class="card">
<label for="username">Mifos username</label>
<input id="username" name="username"`)
		h.attr("value", username)
		h.raw(` autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="100">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256">
<button type="submit">Sign in</button>
</form>
<p class="small">Use your own Mifos username and password. They are checked with Mifos; when Mifos cannot be reached, a user who signed in here before can still look (not approve).</p>
`)
	}
}
