package packaging

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// sandbox is a throwaway system root in which the packages' maintainer
// scripts run for real (useradd, chown, keygen, deb-systemd-helper): the
// host's /usr and dpkg database seen through overlays whose writes land in
// upper layers (the database says what that /usr holds), a copy of
// the host's /etc without any trace of mifos-edge, and empty /var, /run and
// /tmp. No systemd runs in it (/run/systemd/system is absent), so the
// scripts take their chroot path: files only, nothing started or reloaded.
// The mounts live in a private mount namespace per command and vanish with
// it; nothing on the host changes.
type sandbox struct {
	root, upper, work   string
	dpkgUpper, dpkgWork string
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("the install tests run the maintainer scripts in a mount namespace and chroot, which needs root; run go test as root (CI does)")
	}
	for _, tool := range []string{"unshare", "mount", "chroot", "dpkg"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed; the install tests need it", tool)
		}
	}
	base := t.TempDir()
	s := &sandbox{root: filepath.Join(base, "root"),
		upper: filepath.Join(base, "usr-upper"), work: filepath.Join(base, "usr-work"),
		dpkgUpper: filepath.Join(base, "dpkg-upper"), dpkgWork: filepath.Join(base, "dpkg-work")}
	for _, d := range []string{"usr", "proc", "dev", "run", "tmp", "srv", "var/log", "var/lib/dpkg"} {
		must(t, os.MkdirAll(filepath.Join(s.root, d), 0o755))
	}
	for _, d := range []string{s.upper, s.work, s.dpkgUpper, s.dpkgWork} {
		must(t, os.MkdirAll(d, 0o755))
	}
	must(t, os.Chmod(filepath.Join(s.root, "tmp"), 0o1777))
	// Merged /usr: /bin, /lib... are links into /usr on the host too.
	for _, link := range []string{"bin", "sbin", "lib", "lib32", "lib64", "libx32"} {
		target, err := os.Readlink("/" + link)
		if err != nil {
			if _, statErr := os.Lstat("/" + link); statErr == nil {
				t.Fatalf("/%s is a directory, not a link into /usr; the install tests need a merged-/usr system", link)
			}
			continue
		}
		must(t, os.Symlink(target, filepath.Join(s.root, link)))
	}
	for _, dev := range []string{"null", "zero", "random", "urandom"} {
		must(t, os.WriteFile(filepath.Join(s.root, "dev", dev), nil, 0o666))
	}
	if out, err := exec.Command("cp", "-a", "/etc", filepath.Join(s.root, "etc")).CombinedOutput(); err != nil {
		t.Fatalf("copying /etc: %v\n%s", err, out)
	}
	s.forgetService(t)
	return s
}

// forgetService removes whatever the host knows of mifos-edge from the
// copied /etc, so every test starts from a box that never had it.
func (s *sandbox) forgetService(t *testing.T) {
	t.Helper()
	for _, f := range []string{"passwd", "shadow", "group", "gshadow"} {
		path := filepath.Join(s.root, "etc", f)
		data, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			continue
		}
		must(t, err)
		var kept []string
		for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
			fields := strings.Split(line, ":")
			if fields[0] == "mifos-edge" {
				continue
			}
			if (f == "group" || f == "gshadow") && len(fields) == 4 {
				var members []string
				for _, m := range strings.Split(fields[3], ",") {
					if m != "mifos-edge" && m != "" {
						members = append(members, m)
					}
				}
				fields[3] = strings.Join(members, ",")
			}
			kept = append(kept, strings.Join(fields, ":"))
		}
		must(t, os.WriteFile(path, []byte(strings.Join(kept, "\n")+"\n"), 0o644))
	}
	for _, p := range []string{"etc/mifos-edge", "etc/udev/rules.d/99-mifos-modem.rules",
		"etc/systemd/system/mifos-edge.service", "etc/systemd/system/multi-user.target.wants/mifos-edge.service",
		"etc/modules-load.d/mifos-edge.conf"} {
		must(t, os.RemoveAll(filepath.Join(s.root, p)))
	}
}

// run runs a shell script on the host with the sandbox mounted; $R is its
// root. It returns the output and whether the script succeeded.
func (s *sandbox) run(t *testing.T, script string) (string, error) {
	t.Helper()
	setup := `set -eu
mount -t overlay overlay -o "lowerdir=/usr,upperdir=$UPPER,workdir=$WORK" "$R/usr"
mount -t overlay overlay -o "lowerdir=/var/lib/dpkg,upperdir=$DPKG_UPPER,workdir=$DPKG_WORK" "$R/var/lib/dpkg"
for dev in null zero random urandom; do mount --bind "/dev/$dev" "$R/dev/$dev"; done
mount -t proc proc "$R/proc"
`
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", setup+script)
	cmd.Env = append(os.Environ(), "R="+s.root, "UPPER="+s.upper, "WORK="+s.work, "DPKG_UPPER="+s.dpkgUpper, "DPKG_WORK="+s.dpkgWork,
		"LC_ALL=C", "DEBIAN_FRONTEND=noninteractive", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	cmd.Stdin = nil // dpkg must never wait for an answer
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// mustRun runs a script that must succeed.
func (s *sandbox) mustRun(t *testing.T, script string) string {
	t.Helper()
	out, err := s.run(t, script)
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	return out
}

// dpkg runs dpkg on the sandbox: maintainer scripts run chrooted into it.
func (s *sandbox) dpkg(t *testing.T, args ...string) string {
	t.Helper()
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = "'" + a + "'"
	}
	out := s.mustRun(t, `dpkg --root="$R" --log=/dev/null `+strings.Join(quoted, " "))
	t.Logf("dpkg %s:\n%s", strings.Join(args, " "), out)
	return out
}

// path is a path inside the sandbox; files under /usr are read from the
// overlay's upper layer, where the package's files land.
func (s *sandbox) path(p string) string {
	if rest, ok := strings.CutPrefix(p, "/usr/"); ok {
		return filepath.Join(s.upper, rest)
	}
	return filepath.Join(s.root, p)
}

// account is a user or group entry of the sandbox.
func (s *sandbox) account(t *testing.T, file, name string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(s.root, "etc", file))
	must(t, err)
	for _, line := range strings.Split(string(data), "\n") {
		if fields := strings.Split(line, ":"); fields[0] == name {
			return fields
		}
	}
	return nil
}

// ids are the service user's uid and gid in the sandbox.
func (s *sandbox) ids(t *testing.T) (uid, gid int) {
	t.Helper()
	user := s.account(t, "passwd", "mifos-edge")
	if user == nil {
		t.Fatal("there is no user mifos-edge")
	}
	uid, err := strconv.Atoi(user[2])
	must(t, err)
	gid, err = strconv.Atoi(user[3])
	must(t, err)
	return uid, gid
}

// wantOwned checks a path's mode and owner.
func (s *sandbox) wantOwned(t *testing.T, p string, mode os.FileMode, uid, gid int) {
	t.Helper()
	fi, err := os.Lstat(s.path(p))
	if err != nil {
		t.Errorf("%s: %v", p, err)
		return
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode().Perm() != mode || int(st.Uid) != uid || int(st.Gid) != gid {
		t.Errorf("%s is %04o %d:%d, want %04o %d:%d", p, fi.Mode().Perm(), st.Uid, st.Gid, mode, uid, gid)
	}
}

func (s *sandbox) exists(p string) bool {
	_, err := os.Lstat(s.path(p))
	return err == nil
}

func (s *sandbox) read(t *testing.T, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(s.path(p))
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return data
}

// status is dpkg's record of the package: "install ok installed 1.0.0".
func (s *sandbox) status(t *testing.T) string {
	t.Helper()
	out, _ := s.run(t, `dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Status} ${Version}' mifos-edge 2>/dev/null || echo not-installed`)
	return strings.TrimSpace(out)
}

const (
	configPath = "/etc/mifos-edge/mifos-edge.toml"
	keyPath    = "/etc/mifos-edge/mifos-edge.key"
	storePath  = "/var/lib/mifos-edge/state.db"
	wantsLink  = "/etc/systemd/system/multi-user.target.wants/mifos-edge.service"
)

// TestDebInstallUpgradeRemovePurge installs the .deb on a box that never had
// Mifos Edge, uses it, upgrades it, removes it, purges it and installs it
// again: the configuration an administrator edited survives the upgrade,
// and the store and the box key survive everything.
func TestDebInstallUpgradeRemovePurge(t *testing.T) {
	p := packages(t)
	s := newSandbox(t)

	out := s.dpkg(t, "-i", p.deb)
	if got := s.status(t); got != "install ok installed 1.0.0" {
		t.Fatalf("after install dpkg says %q\n%s", got, out)
	}
	user := s.account(t, "passwd", "mifos-edge")
	if user == nil {
		t.Fatalf("install made no user mifos-edge\n%s", out)
	}
	if user[5] != "/var/lib/mifos-edge" || user[6] != "/usr/sbin/nologin" {
		t.Errorf("user mifos-edge has home %s and shell %s, want /var/lib/mifos-edge and /usr/sbin/nologin", user[5], user[6])
	}
	uid, gid := s.ids(t)
	if group := s.account(t, "group", "mifos-edge"); group == nil || group[2] != strconv.Itoa(gid) {
		t.Errorf("user mifos-edge's group %d is not the group mifos-edge: %v", gid, group)
	}
	// The modem's ports belong to the user alone: it is in no other group.
	if dialout := s.account(t, "group", "dialout"); dialout != nil && strings.Contains(","+dialout[3]+",", ",mifos-edge,") {
		t.Errorf("install put mifos-edge in dialout: %v", dialout)
	}
	s.wantOwned(t, "/etc/mifos-edge", 0o750, 0, gid)
	s.wantOwned(t, configPath, 0o640, 0, gid)
	s.wantOwned(t, keyPath, 0o640, 0, gid)
	s.wantOwned(t, "/var/lib/mifos-edge", 0o750, uid, gid)
	s.wantOwned(t, "/etc/udev/rules.d/99-mifos-modem.rules", 0o644, 0, 0)
	s.wantOwned(t, "/usr/bin/mifos-edge", 0o755, 0, 0)
	if target, err := os.Readlink(s.path(wantsLink)); err != nil || !strings.HasSuffix(target, "/systemd/system/mifos-edge.service") {
		t.Errorf("install did not enable the service (%s -> %q, %v)\n%s", wantsLink, target, err, out)
	}
	key := s.read(t, keyPath)
	if strings.Contains(out, "WARNING") {
		t.Errorf("a clean install warns:\n%s", out)
	}

	// The box in use: the administrator edits the configuration, the
	// service fills the store.
	edited := append(s.read(t, configPath), "# edited by the branch technician\n"...)
	must(t, os.WriteFile(s.path(configPath), edited, 0o640))
	store := []byte("messages not yet handled")
	must(t, os.WriteFile(s.path(storePath), store, 0o600))
	must(t, os.Chown(s.path(storePath), uid, gid))

	out = s.dpkg(t, "-i", p.deb2)
	if got := s.status(t); got != "install ok installed 1.0.1" {
		t.Fatalf("after upgrade dpkg says %q\n%s", got, out)
	}
	if !bytes.Equal(s.read(t, configPath), edited) {
		t.Errorf("the upgrade changed the edited configuration\n%s", out)
	}
	s.wantOwned(t, configPath, 0o640, 0, gid)
	if !bytes.Equal(s.read(t, keyPath), key) {
		t.Error("the upgrade replaced the box key")
	}
	if !bytes.Equal(s.read(t, storePath), store) {
		t.Error("the upgrade changed the store")
	}
	if newUID, newGID := s.ids(t); newUID != uid || newGID != gid {
		t.Errorf("the upgrade changed the user's ids from %d:%d to %d:%d", uid, gid, newUID, newGID)
	}
	if version := s.mustRun(t, `chroot "$R" /usr/bin/mifos-edge version`); !strings.Contains(version, "1.0.1") {
		t.Errorf("after the upgrade the program is not 1.0.1:\n%s", version)
	}
	if !s.exists(wantsLink) {
		t.Error("the upgrade disabled the service")
	}

	out = s.dpkg(t, "--remove", "mifos-edge")
	if got := s.status(t); got != "deinstall ok config-files 1.0.1" {
		t.Fatalf("after remove dpkg says %q\n%s", got, out)
	}
	if s.exists("/usr/bin/mifos-edge") || s.exists("/usr/lib/systemd/system/mifos-edge.service") {
		t.Error("remove left the program or the unit")
	}
	if !bytes.Equal(s.read(t, configPath), edited) {
		t.Error("remove changed the configuration (a removal keeps conffiles)")
	}
	if !bytes.Equal(s.read(t, keyPath), key) || !bytes.Equal(s.read(t, storePath), store) {
		t.Error("remove deleted or changed the box key or the store")
	}
	if !strings.Contains(out, "kept the configuration, the box key and the store") {
		t.Errorf("remove does not say what it kept:\n%s", out)
	}

	// Installed again after a removal, the box carries on as it was.
	out = s.dpkg(t, "-i", p.deb2)
	if got := s.status(t); got != "install ok installed 1.0.1" {
		t.Fatalf("installing after a removal, dpkg says %q\n%s", got, out)
	}
	if !bytes.Equal(s.read(t, configPath), edited) || !bytes.Equal(s.read(t, keyPath), key) || !bytes.Equal(s.read(t, storePath), store) {
		t.Error("installing after a removal changed the configuration, the box key or the store")
	}
	if target, err := os.Readlink(s.path("/etc/systemd/system/mifos-edge.service")); err == nil {
		t.Errorf("installing after a removal left the service masked (-> %s)", target)
	}
	if !s.exists(wantsLink) {
		t.Error("installing after a removal left the service disabled")
	}
	s.dpkg(t, "--remove", "mifos-edge")

	out = s.dpkg(t, "--purge", "mifos-edge")
	if got := s.status(t); got != "not-installed" && !strings.HasPrefix(got, "unknown ok not-installed") {
		t.Fatalf("after purge dpkg says %q\n%s", got, out)
	}
	if s.exists(configPath) || s.exists("/etc/udev/rules.d/99-mifos-modem.rules") {
		t.Error("purge left the conffiles")
	}
	if s.exists(wantsLink) {
		t.Error("purge left the service enabled")
	}
	// Decided: not even a purge deletes the messages or the key; it says
	// how to when the box is retired.
	if !bytes.Equal(s.read(t, keyPath), key) || !bytes.Equal(s.read(t, storePath), store) {
		t.Error("purge deleted or changed the box key or the store")
	}
	if s.account(t, "passwd", "mifos-edge") == nil {
		t.Error("purge deleted the user, orphaning the store's files")
	}
	if !strings.Contains(out, "sudo rm -rf /var/lib/mifos-edge /etc/mifos-edge") {
		t.Errorf("purge does not say how to delete what it kept:\n%s", out)
	}

	// Installed again, the box finds its messages and its key.
	out = s.dpkg(t, "-i", p.deb2)
	if got := s.status(t); got != "install ok installed 1.0.1" {
		t.Fatalf("after the second install dpkg says %q\n%s", got, out)
	}
	if !bytes.Equal(s.read(t, keyPath), key) || !bytes.Equal(s.read(t, storePath), store) {
		t.Error("installing again replaced the box key or the store")
	}
	if newUID, newGID := s.ids(t); newUID != uid || newGID != gid {
		t.Errorf("installing again changed the user's ids from %d:%d to %d:%d", uid, gid, newUID, newGID)
	}
	if !s.exists(wantsLink) {
		t.Errorf("installing again after a purge did not enable the service\n%s", out)
	}
}

// TestDebOverHandInstall installs the package on a box set up by hand with
// an older release (systemd/install.sh): its configuration and key are
// kept and their modes repaired, the user leaves dialout, and the leftovers
// that would shadow the package are named.
func TestDebOverHandInstall(t *testing.T) {
	p := packages(t)
	s := newSandbox(t)

	s.mustRun(t, `chroot "$R" sh -eu -c '
useradd --system --user-group --no-create-home --home-dir /var/lib/mifos-edge --shell /usr/sbin/nologin mifos-edge
getent group dialout >/dev/null || groupadd --system dialout
usermod -a -G dialout mifos-edge
mkdir -p /etc/mifos-edge /var/lib/mifos-edge /etc/udev/rules.d /etc/systemd/system
'`)
	own := []byte("[modem]\ndevice = \"/dev/mifos-modem\"\n\n[store]\npath = \"/var/lib/mifos-edge/state.db\"\n# the branch's own settings\n")
	must(t, os.WriteFile(s.path(configPath), own, 0o644)) // too open: the package repairs it
	key := []byte(strings.Repeat("0123456789abcdef", 4) + "\n")
	must(t, os.WriteFile(s.path(keyPath), key, 0o640))
	oldRule := []byte(`SUBSYSTEM=="tty", ATTRS{idVendor}=="12d1", ATTRS{idProduct}=="1436", GROUP="dialout", MODE="0660"` + "\n")
	must(t, os.WriteFile(s.path("/etc/udev/rules.d/99-mifos-modem.rules"), oldRule, 0o644))
	must(t, os.WriteFile(s.path("/etc/systemd/system/mifos-edge.service"), []byte("[Service]\nExecStart=/usr/local/bin/mifos-edge run\n"), 0o644))

	// The configuration and the rule exist but dpkg never installed them:
	// --force-confold keeps them without asking (README says so).
	out := s.dpkg(t, "--force-confold", "-i", p.deb)
	if got := s.status(t); got != "install ok installed 1.0.0" {
		t.Fatalf("dpkg says %q\n%s", got, out)
	}
	_, gid := s.ids(t)
	if !bytes.Equal(s.read(t, configPath), own) {
		t.Error("the package replaced the hand-written configuration")
	}
	s.wantOwned(t, configPath, 0o640, 0, gid)
	if !bytes.Equal(s.read(t, keyPath), key) {
		t.Error("the package replaced the existing box key")
	}
	s.wantOwned(t, keyPath, 0o640, 0, gid)
	if dialout := s.account(t, "group", "dialout"); strings.Contains(","+dialout[3]+",", ",mifos-edge,") {
		t.Errorf("mifos-edge is still in dialout: %v\n%s", dialout, out)
	}
	if strings.Contains(out, "could not create the box key") {
		t.Errorf("the existing key was not accepted:\n%s", out)
	}
	for _, warning := range []string{
		"/etc/systemd/system/mifos-edge.service (from a hand install) overrides the packaged unit",
		"gives the modem to group dialout",
		"removed mifos-edge from group dialout",
	} {
		if !strings.Contains(out, warning) {
			t.Errorf("install does not say %q:\n%s", warning, out)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
