package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFile writes content to a new file in dir with exactly mode perm
// (whatever the umask).
func writeFile(t *testing.T, dir, name, content string, perm os.FileMode) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
	return path
}

// asRoot judges modes only, as when root runs the check; ownership is
// covered by TestCheckFileOwnership.
var asRoot = checker{uid: 0}

func TestCheckFilePermissions(t *testing.T) {
	const password = "Fineract-S3cret"
	for _, tc := range []struct {
		name    string
		file    string // "key", "password_file", "config" (inline password), "config_without_password", "store"
		perm    os.FileMode
		wantKey string   // "" = no problem
		want    []string // each must be in the problem's text
	}{
		{name: "key file 0640", file: "key", perm: 0o640},
		{name: "key file 0600", file: "key", perm: 0o600},
		{name: "key file 0644", file: "key", perm: 0o644, wantKey: "security.key_file",
			want: []string{"the box key", "mode 0644", "every user of this machine can read it", "fix: sudo chmod 640 "}},
		{name: "key file 0660", file: "key", perm: 0o660, wantKey: "security.key_file",
			want: []string{"mode 0660", "members of group", "can change it", "sudo chmod 640 "}},
		{name: "password file 0644", file: "password_file", perm: 0o644, wantKey: "mifos.password_file",
			want: []string{"mifos.password_file", "the Fineract password", "mode 0644", "every user of this machine can read it", "sudo chmod 640 "}},
		{name: "password file 0666", file: "password_file", perm: 0o666, wantKey: "mifos.password_file",
			want: []string{"mode 0666", "every user of this machine can read and change it", "sudo chmod 640 "}},
		{name: "password file 0640", file: "password_file", perm: 0o640},
		{name: "config with inline password 0644", file: "config", perm: 0o644, wantKey: "mifos.password",
			want: []string{"the configuration file", "holds the Fineract password in mifos.password", "mode 0644",
				"every user of this machine can read it", "sudo chmod 640 ", "mifos.password_file"}},
		{name: "config with inline password 0640", file: "config", perm: 0o640},
		{name: "config without a password 0644", file: "config_without_password", perm: 0o644},
		{name: "store 0644", file: "store", perm: 0o644, wantKey: "store.path",
			want: []string{"store.path", "PIN hashes", "mode 0644", "every user of this machine can read it", "sudo chmod 600 "}},
		{name: "store 0664", file: "store", perm: 0o664, wantKey: "store.path",
			want: []string{"mode 0664", "members of group", "can change it", "every user of this machine can read it", "sudo chmod 600 "}},
		{name: "store 0640", file: "store", perm: 0o640, wantKey: "store.path",
			want: []string{"mode 0640", "members of group", "sudo chmod 600 "}},
		{name: "store 0600", file: "store", perm: 0o600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := &Config{}
			cfg.Modem.Device = "/dev/mifos-modem"
			// Every other file is absent (not checked) or private.
			cfg.Store.Path = filepath.Join(dir, "state.db")
			cfg.Security.KeyFile = filepath.Join(dir, "mifos-edge.key")
			var path string
			switch tc.file {
			case "key":
				path = writeFile(t, dir, "mifos-edge.key", strings.Repeat("ab", 32)+"\n", tc.perm)
			case "password_file":
				path = writeFile(t, dir, "fineract.pw", password+"\n", tc.perm)
				cfg.Mifos.PasswordFile = path
			case "config", "config_without_password":
				doc := "[modem]\ndevice = \"/dev/mifos-modem\"\n[store]\npath = \"" + cfg.Store.Path + "\"\n"
				if tc.file == "config" {
					doc += "[mifos]\nbase_url = \"https://fineract.example.org/fineract-provider\"\ntenant = \"default\"\n" +
						"username = \"branch-sms\"\npassword = \"" + password + "\"\n"
				}
				path = writeFile(t, dir, "mifos-edge.toml", doc, tc.perm)
				loaded, err := Load(path)
				if err != nil {
					t.Fatal(err)
				}
				loaded.Security.KeyFile = cfg.Security.KeyFile
				cfg = loaded
			case "store":
				path = writeFile(t, dir, "state.db", "", tc.perm)
			}

			problems := cfg.checkFilePermissions(asRoot)
			if tc.wantKey == "" {
				if len(problems) != 0 {
					t.Fatalf("problems for a %04o %s: %v", tc.perm, tc.file, problems)
				}
				return
			}
			if len(problems) != 1 {
				t.Fatalf("got %d problems, want 1: %v", len(problems), problems)
			}
			p := problems[0]
			if p.Key != tc.wantKey || p.Path != path || p.Mode != tc.perm {
				t.Errorf("problem names %s %s mode %04o; want %s %s mode %04o", p.Key, p.Path, p.Mode, tc.wantKey, path, tc.perm)
			}
			text := p.String()
			for _, w := range append(tc.want, path) {
				if !strings.Contains(text, w) {
					t.Errorf("problem %q lacks %q", text, w)
				}
			}
			if !strings.Contains(p.Fix, path) {
				t.Errorf("fix %q does not name %s", p.Fix, path)
			}
			if strings.Contains(text, password) {
				t.Errorf("problem shows the password: %s", text)
			}
		})
	}
}

// A file that is not there yet (the key before the first start, the store
// of a new box) is not a problem; its absence is reported where it is used.
func TestCheckFilePermissionsSkipsMissingFiles(t *testing.T) {
	dir := t.TempDir()
	cfg := &Config{}
	cfg.Store.Path = filepath.Join(dir, "state.db")
	cfg.Security.KeyFile = filepath.Join(dir, "mifos-edge.key")
	cfg.Mifos.PasswordFile = filepath.Join(dir, "fineract.pw")
	if p := cfg.checkFilePermissions(asRoot); len(p) != 0 {
		t.Errorf("problems for missing files: %v", p)
	}
}

// Run as the service (not root), a secret must belong to root or to the
// service, and a group that may read it must be one of the service's.
func TestCheckFileOwnership(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "fineract.pw", "pw\n", 0o640)
	// Give the file an owner and group that are neither root nor the
	// checking user: chown when the test runs as root, otherwise check
	// as a user other than the one running the test.
	who := checker{uid: 4242, gid: 4243, gids: []int{4243}}
	if os.Geteuid() == 0 {
		if err := os.Chown(path, 54321, 54322); err != nil {
			t.Fatal(err)
		}
	} else {
		who = checker{uid: os.Geteuid() + 1, gid: os.Getegid() + 1, gids: []int{os.Getegid() + 1}}
	}
	cfg := &Config{}
	cfg.Mifos.PasswordFile = path
	problems := cfg.checkFilePermissions(who)
	if len(problems) != 1 {
		t.Fatalf("got %v, want one problem", problems)
	}
	text := problems[0].String()
	for _, w := range []string{"mode 0640", "it belongs to user", "who can read and change it", "can read it and", "is not in that group",
		"sudo chown ", "sudo chgrp ", path} {
		if !strings.Contains(text, w) {
			t.Errorf("problem %q lacks %q", text, w)
		}
	}
	if strings.Contains(problems[0].Fix, "chmod") {
		t.Errorf("fix %q changes a mode that is right", problems[0].Fix)
	}

	// The same file owned by the checking user, in its group, is fine.
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	owner, group, ok := fileOwner(fi)
	if !ok {
		t.Fatal("no owner in the file's stat")
	}
	if p := cfg.checkFilePermissions(checker{uid: owner, gid: group, gids: []int{group}}); len(p) != 0 {
		t.Errorf("problems for the service's own file: %v", p)
	}
	// Owned by root and readable through the service's group (as
	// install.sh and keygen leave the files) is fine too.
	if os.Geteuid() == 0 {
		if err := os.Chown(path, 0, who.gid); err != nil {
			t.Fatal(err)
		}
		if p := cfg.checkFilePermissions(who); len(p) != 0 {
			t.Errorf("problems for a root-owned file of the service's group: %v", p)
		}
	}
}

func TestStrictPermissionsError(t *testing.T) {
	if err := StrictPermissionsError(nil); err != nil {
		t.Errorf("no problems: %v", err)
	}
	dir := t.TempDir()
	cfg := &Config{}
	cfg.Store.Path = writeFile(t, dir, "state.db", "", 0o644)
	cfg.Mifos.PasswordFile = writeFile(t, dir, "fineract.pw", "pw\n", 0o644)
	err := StrictPermissionsError(cfg.checkFilePermissions(asRoot))
	if err == nil {
		t.Fatal("no error for two open files")
	}
	for _, w := range []string{"security.strict_permissions", cfg.Store.Path, cfg.Mifos.PasswordFile, "sudo chmod 600", "sudo chmod 640"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
}
