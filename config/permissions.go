package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// FileProblem is a file holding a secret (the box key, the Fineract
// password, a configuration with the password written in it) or the store,
// that users other than the service and root can read or change. Its text
// names the file, never the secret inside.
type FileProblem struct {
	// Key is the setting that names the file: security.key_file,
	// mifos.password_file, mifos.password (the configuration file itself)
	// or store.path.
	Key  string
	Path string
	// Mode is the file's permission bits as found.
	Mode fs.FileMode
	// Problem says who can do what, in plain words.
	Problem string
	// Fix is the shell command that puts it right.
	Fix string

	subject string
}

// Description names the file, what it holds, its mode and the problem.
func (p FileProblem) Description() string {
	return fmt.Sprintf("%s has mode %04o: %s", p.subject, p.Mode, p.Problem)
}

// String is the whole report on one line, with the fix.
func (p FileProblem) String() string { return p.Description() + "; fix: " + p.Fix }

// checker is who the permissions are judged for: at daemon start, the
// service user itself.
type checker struct {
	uid  int
	gid  int   // effective group
	gids []int // effective and supplementary groups
}

func currentChecker() checker {
	gids, _ := os.Getgroups()
	return checker{uid: os.Geteuid(), gid: os.Getegid(), gids: append(gids, os.Getegid())}
}

// secretFile is one file to check and the rule it follows.
type secretFile struct {
	key, path, subject string
	// ownerOnly: no group or other access at all (the store, which only
	// the service opens). Otherwise the service's group may read it, so
	// root can own it, but no group may change it and others get nothing.
	ownerOnly bool
}

// CheckFilePermissions inspects the files that hold secrets and the store,
// and returns every one that users other than the service (and root) can
// read or change. Files that do not exist yet, or that this user cannot
// even look at, are left out: others report them where they are used.
func (c *Config) CheckFilePermissions() []FileProblem {
	return c.checkFilePermissions(currentChecker())
}

func (c *Config) checkFilePermissions(who checker) []FileProblem {
	var files []secretFile
	if c.Security.KeyFile != "" {
		files = append(files, secretFile{key: "security.key_file", path: c.Security.KeyFile,
			subject: fmt.Sprintf("security.key_file %s (the box key)", c.Security.KeyFile)})
	}
	if c.Mifos.PasswordFile != "" {
		files = append(files, secretFile{key: "mifos.password_file", path: c.Mifos.PasswordFile,
			subject: fmt.Sprintf("mifos.password_file %s (the Fineract password)", c.Mifos.PasswordFile)})
	}
	if c.Mifos.Password != "" && c.file != "" {
		files = append(files, secretFile{key: "mifos.password", path: c.file,
			subject: fmt.Sprintf("the configuration file %s (it holds the Fineract password in mifos.password)", c.file)})
	}
	if c.HTTP.TLSKeyFile != "" {
		files = append(files, secretFile{key: "http.tls_key_file", path: c.HTTP.TLSKeyFile,
			subject: fmt.Sprintf("http.tls_key_file %s (the console's TLS private key)", c.HTTP.TLSKeyFile)})
	}
	for i, w := range c.Webhooks {
		if w.SecretFile != "" {
			files = append(files, secretFile{key: fmt.Sprintf("webhook[%d].secret_file", i+1), path: w.SecretFile,
				subject: fmt.Sprintf("webhook secret_file %s (signs the events sent to %s)", w.SecretFile, w.URL)})
		}
		if w.Secret != "" && c.file != "" {
			files = append(files, secretFile{key: fmt.Sprintf("webhook[%d].secret", i+1), path: c.file,
				subject: fmt.Sprintf("the configuration file %s (it holds a webhook secret)", c.file)})
		}
	}
	if d := c.Disbursement; d.Enabled() {
		for _, f := range []struct{ key, path, what string }{
			{"disbursement.daraja.consumer_key_file", d.Daraja.ConsumerKeyFile, "the Daraja consumer key"},
			{"disbursement.daraja.consumer_secret_file", d.Daraja.ConsumerSecretFile, "the Daraja consumer secret"},
			{"disbursement.daraja.security_credential_file", d.Daraja.SecurityCredentialFile, "the B2C initiator's credential"},
			{"disbursement.daraja.callback_token_file", d.Daraja.CallbackTokenFile, "the secret of Daraja's callback address"},
			{"disbursement.sms_command.pin_file", d.SMSCommand.PINFile, "the operator PIN that pays out money"},
		} {
			if f.path != "" && (strings.HasPrefix(f.key, "disbursement.daraja.") == (d.Provider == ProviderDaraja)) {
				files = append(files, secretFile{key: f.key, path: f.path, subject: fmt.Sprintf("%s %s (%s)", f.key, f.path, f.what)})
			}
		}
	}
	if c.Store.Path != "" {
		files = append(files, secretFile{key: "store.path", path: c.Store.Path, ownerOnly: true,
			subject: fmt.Sprintf("store.path %s (the store: officers' PIN hashes, clients' phone numbers, message texts)", c.Store.Path)})
	}
	var problems []FileProblem
	for _, f := range files {
		if p, bad := who.check(f); bad {
			problems = append(problems, p)
		}
	}
	return problems
}

// Permission bits by whom.
const (
	groupRead  = 0o040
	groupWrite = 0o020
	otherRead  = 0o004
	otherWrite = 0o002
)

func (who checker) check(f secretFile) (FileProblem, bool) {
	fi, err := os.Stat(f.path)
	if err != nil {
		return FileProblem{}, false
	}
	perm := fi.Mode().Perm()
	var what, fixes []string

	// Read and write access make a problem; the fix clears the execute
	// bits of the same users too, which a secret never needs.
	forbidden, mask := fs.FileMode(groupWrite|otherRead|otherWrite), fs.FileMode(0o027)
	if f.ownerOnly {
		forbidden, mask = groupRead|groupWrite|otherRead|otherWrite, 0o077
	}
	bad := perm & forbidden
	owner, group, known := fileOwner(fi)
	// What every user may do is said once, not again for the group.
	if g := bad & (groupRead | groupWrite) &^ (bad << 3); g != 0 {
		members := "members of the file's group"
		if known {
			members = "members of group " + groupName(group)
		}
		what = append(what, members+" can "+readWrite(g&groupRead != 0, g&groupWrite != 0)+" it")
	}
	if o := bad & (otherRead | otherWrite); o != 0 {
		what = append(what, "every user of this machine can "+readWrite(o&otherRead != 0, o&otherWrite != 0)+" it")
	}

	// Root cannot tell the service's user and group from anyone else's, so
	// ownership is judged only when the service itself (or another
	// ordinary user) runs the check: a file must belong to root or to this
	// user, and a group allowed to read it must be one of this user's.
	if who.uid != 0 && known {
		if owner != 0 && owner != who.uid {
			what = append(what, fmt.Sprintf("it belongs to user %s, who can read and change it (it should belong to root or to %s, who runs this check)",
				userName(owner), userName(who.uid)))
			fixes = append(fixes, "sudo chown "+userName(who.uid)+" "+shellQuote(f.path))
		}
		if !f.ownerOnly && perm&groupRead != 0 && !slices.Contains(who.gids, group) {
			what = append(what, fmt.Sprintf("group %s can read it and %s is not in that group", groupName(group), userName(who.uid)))
			fixes = append(fixes, "sudo chgrp "+groupName(who.gid)+" "+shellQuote(f.path))
		}
	}
	if bad != 0 {
		fixes = append(fixes, fmt.Sprintf("sudo chmod %o %s", perm&^mask, shellQuote(f.path)))
	}
	if len(what) == 0 {
		return FileProblem{}, false
	}
	fix := strings.Join(fixes, " && ")
	if f.key == "mifos.password" {
		fix += " (or move the password into a file named by mifos.password_file)"
	}
	return FileProblem{Key: f.key, Path: f.path, Mode: perm, Problem: strings.Join(what, "; "), Fix: fix, subject: f.subject}, true
}

// fileOwner is the file's user and group ids; ok is false where the
// system does not say.
func fileOwner(fi fs.FileInfo) (uid, gid int, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return int(st.Uid), int(st.Gid), true
}

func readWrite(read, write bool) string {
	switch {
	case read && write:
		return "read and change"
	case write:
		return "change"
	default:
		return "read"
	}
}

func userName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return u.Username
	}
	return "uid " + strconv.Itoa(uid)
}

func groupName(gid int) string {
	if g, err := user.LookupGroupId(strconv.Itoa(gid)); err == nil {
		return g.Name
	}
	return "gid " + strconv.Itoa(gid)
}

// shellQuote makes a path safe to paste into a shell command.
func shellQuote(path string) string {
	if path != "" && strings.Trim(path, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:,@") == "" {
		return path
	}
	return "'" + strings.ReplaceAll(path, "'", `'\''`) + "'"
}

// StrictPermissionsError is the refusal security.strict_permissions asks
// for: one line per file, each with its fix. It is nil without problems.
func StrictPermissionsError(problems []FileProblem) error {
	if len(problems) == 0 {
		return nil
	}
	lines := make([]string, 0, len(problems)+2)
	lines = append(lines, "security.strict_permissions is on and files holding secrets are open to other users:")
	for _, p := range problems {
		lines = append(lines, "  "+p.String())
	}
	lines = append(lines, "fix them, or set security.strict_permissions = false to only warn")
	return errors.New(strings.Join(lines, "\n"))
}
