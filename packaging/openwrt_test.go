package packaging

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenWrtPreinstAccounts runs the .ipk's preinst against the account
// files of a firmware image being built (IPKG_INSTROOT): one user and one
// group mifos-edge, on ids nobody else has, in no other group, and nothing
// added when it runs again.
func TestOpenWrtPreinstAccounts(t *testing.T) {
	p := packages(t)
	control, _ := ipkArchives(t, p.ipk)
	preinst := filepath.Join(t.TempDir(), "preinst")
	must(t, os.WriteFile(preinst, control["/preinst"].data, 0o755))

	image := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(image, "etc"), 0o755))
	// OpenWrt's own accounts, with 900 and 901 already taken.
	passwd := "root:x:0:0:root:/root:/bin/ash\nnetwork:x:101:101:network:/var:/bin/false\nsomeone:x:900:900:x:/var:/bin/false\n"
	group := "root:x:0:\ndialout:x:20:\nnetwork:x:101:\nsomeone:x:900:\nother:x:901:\n"
	must(t, os.WriteFile(filepath.Join(image, "etc/passwd"), []byte(passwd), 0o644))
	must(t, os.WriteFile(filepath.Join(image, "etc/group"), []byte(group), 0o644))
	must(t, os.WriteFile(filepath.Join(image, "etc/shadow"), []byte("root:::0:99999:7:::\n"), 0o600))

	for range 2 {
		cmd := exec.Command("sh", preinst, "install")
		cmd.Env = append(os.Environ(), "IPKG_INSTROOT="+image)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("preinst: %v\n%s", err, out)
		}
	}
	read := func(f string) string {
		data, err := os.ReadFile(filepath.Join(image, "etc", f))
		must(t, err)
		return string(data)
	}
	if got, want := read("passwd"), passwd+"mifos-edge:x:902:902:Mifos Edge SMS gateway:/var/run/mifos-edge:/bin/false\n"; got != want {
		t.Errorf("passwd after preinst (twice):\n%s\nwant:\n%s", got, want)
	}
	if got, want := read("group"), group+"mifos-edge:x:902:\n"; got != want {
		t.Errorf("group after preinst (twice):\n%s\nwant:\n%s", got, want)
	}
	if got, want := read("shadow"), "root:::0:99999:7:::\nmifos-edge:*:0:0:99999:7:::\n"; got != want {
		t.Errorf("shadow after preinst (twice):\n%s\nwant:\n%s", got, want)
	}
}

// TestOpenWrtInitAndHotplug runs the init script's start and the hotplug
// script in a sandbox with a stand-in sysfs: the service's directories and
// box key are made, every port of the configured modem becomes the
// service's alone, its AT port is named /dev/mifos-modem, and other serial
// devices are left alone. procd itself is OpenWrt's; its functions are
// recorded here.
func TestOpenWrtInitAndHotplug(t *testing.T) {
	p := packages(t)
	control, data := ipkArchives(t, p.ipk)
	s := newSandbox(t)

	// The package's files under /etc (the init and hotplug scripts and
	// the configuration), as opkg would unpack them.
	for path, e := range data {
		if !strings.HasPrefix(path, "/etc/") || e.header.FileInfo().IsDir() {
			continue
		}
		must(t, os.MkdirAll(filepath.Dir(s.path(path)), 0o755))
		must(t, os.WriteFile(s.path(path), e.data, e.header.FileInfo().Mode().Perm()))
	}
	// The router's program cannot run here; this machine's build of the
	// same source stands in for it (keygen is all the init script runs).
	must(t, os.MkdirAll(s.path("/usr/bin"), 0o755))
	must(t, os.WriteFile(s.path("/usr/bin/mifos-edge"), debArchive(t, p.deb, "--fsys-tarfile")["/usr/bin/mifos-edge"].data, 0o755))
	must(t, os.WriteFile(s.path("/tmp/preinst"), control["/preinst"].data, 0o755))
	s.mustRun(t, `chroot "$R" sh /tmp/preinst install`)
	uid, gid := s.ids(t)

	// A Huawei E173 (12d1:1436) with its AT port on interface 00 and a
	// second port on 01, and an unrelated USB serial adapter.
	ports := map[string]string{
		"ttyUSB0": "/devices/platform/usb/1-1/1-1:1.0/ttyUSB0/tty/ttyUSB0",
		"ttyUSB1": "/devices/platform/usb/1-1/1-1:1.1/ttyUSB1/tty/ttyUSB1",
		"ttyUSB2": "/devices/platform/usb/2-1/2-1:1.0/ttyUSB2/tty/ttyUSB2",
	}
	for file, value := range map[string]string{
		"/sys/devices/platform/usb/1-1/idVendor":                 "12d1",
		"/sys/devices/platform/usb/1-1/idProduct":                "1436",
		"/sys/devices/platform/usb/1-1/1-1:1.0/bInterfaceNumber": "00",
		"/sys/devices/platform/usb/1-1/1-1:1.1/bInterfaceNumber": "01",
		"/sys/devices/platform/usb/2-1/idVendor":                 "0403",
		"/sys/devices/platform/usb/2-1/idProduct":                "6001",
		"/sys/devices/platform/usb/2-1/2-1:1.0/bInterfaceNumber": "00",
	} {
		must(t, os.MkdirAll(filepath.Dir(s.path(file)), 0o755))
		must(t, os.WriteFile(s.path(file), []byte(value+"\n"), 0o444))
	}
	must(t, os.MkdirAll(s.path("/sys/class/tty"), 0o755))
	for name, devpath := range ports {
		must(t, os.MkdirAll(s.path("/sys"+devpath), 0o755))
		must(t, os.Symlink("../.."+devpath, s.path("/sys/class/tty/"+name)))
		plugIn(t, s, name)
	}
	hotplug := func(action, name string) {
		t.Helper()
		s.mustRun(t, `chroot "$R" env ACTION=`+action+` DEVNAME=`+name+` DEVPATH=`+ports[name]+` sh /etc/hotplug.d/tty/30-mifos-edge`)
	}

	// modem.conf as shipped names no modem: nothing changes.
	for name := range ports {
		hotplug("add", name)
		s.wantOwned(t, "/dev/"+name, 0o660, 0, 0)
	}
	if s.exists("/dev/mifos-modem") {
		t.Error("with no modem switched on in modem.conf, /dev/mifos-modem was made")
	}

	conf := s.read(t, "/etc/mifos-edge/modem.conf")
	conf = bytes.Replace(conf, []byte("#MODEM_USB_ID=12d1:1436"), []byte("MODEM_USB_ID=12d1:1436"), 1)
	conf = bytes.Replace(conf, []byte("#MODEM_AT_INTERFACE=00"), []byte("MODEM_AT_INTERFACE=00"), 1)
	must(t, os.WriteFile(s.path("/etc/mifos-edge/modem.conf"), conf, 0o640))

	// The init script's start, with procd's functions recorded.
	start := `chroot "$R" sh -eu -c '
procd_open_instance() { echo "procd_open_instance"; }
procd_set_param() { echo "procd_set_param $*"; }
procd_close_instance() { echo "procd_close_instance"; }
. /etc/init.d/mifos-edge
start_service'`
	out := s.mustRun(t, start)
	for _, want := range []string{
		"procd_set_param command /usr/bin/mifos-edge run --config /etc/mifos-edge/mifos-edge.toml\n",
		"procd_set_param user mifos-edge\n",
		"procd_set_param group mifos-edge\n",
		"procd_set_param respawn 3600 5 0\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the init script's start does not call %q:\n%s", want, out)
		}
	}
	s.wantOwned(t, "/srv/mifos-edge", 0o750, uid, gid)
	s.wantOwned(t, "/var/run/mifos-edge", 0o750, uid, gid)
	s.wantOwned(t, "/etc/mifos-edge", 0o750, 0, gid)
	s.wantOwned(t, "/etc/mifos-edge/mifos-edge.toml", 0o640, 0, gid)
	s.wantOwned(t, "/etc/mifos-edge/mifos-edge.key", 0o640, 0, gid)
	key := s.read(t, "/etc/mifos-edge/mifos-edge.key")

	// The modem was plugged in before the start: its ports are the
	// service's now, the other adapter's is not.
	s.wantOwned(t, "/dev/ttyUSB0", 0o600, uid, gid)
	s.wantOwned(t, "/dev/ttyUSB1", 0o600, uid, gid)
	s.wantOwned(t, "/dev/ttyUSB2", 0o660, 0, 0)
	if target, err := os.Readlink(s.path("/dev/mifos-modem")); err != nil || target != "ttyUSB0" {
		t.Errorf("/dev/mifos-modem -> %q (%v), want ttyUSB0 (interface 00)", target, err)
	}

	s.mustRun(t, start)
	if !bytes.Equal(s.read(t, "/etc/mifos-edge/mifos-edge.key"), key) {
		t.Error("a second start replaced the box key")
	}

	// Unplugged: the name goes with the AT port, not with the other port.
	hotplug("remove", "ttyUSB1")
	if !s.exists("/dev/mifos-modem") {
		t.Error("removing the modem's second port removed /dev/mifos-modem")
	}
	hotplug("remove", "ttyUSB0")
	if s.exists("/dev/mifos-modem") {
		t.Error("/dev/mifos-modem outlived its port")
	}
	// Plugged in again: the hotplug event alone does it.
	plugIn(t, s, "ttyUSB0")
	hotplug("add", "ttyUSB0")
	s.wantOwned(t, "/dev/ttyUSB0", 0o600, uid, gid)
	if target, _ := os.Readlink(s.path("/dev/mifos-modem")); target != "ttyUSB0" {
		t.Errorf("after a replug /dev/mifos-modem -> %q, want ttyUSB0", target)
	}
}

// plugIn makes a port's device node as OpenWrt does before the hotplug
// scripts run (0660; group dialout there, root here). A regular file stands
// in for the node: owner and mode work the same.
func plugIn(t *testing.T, s *sandbox, name string) {
	t.Helper()
	path := s.path("/dev/" + name)
	must(t, os.WriteFile(path, nil, 0o660))
	must(t, os.Chown(path, 0, 0))
	must(t, os.Chmod(path, 0o660))
}
