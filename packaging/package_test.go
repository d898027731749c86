// Package packaging holds the nfpm configurations and maintainer scripts of
// the .deb and .ipk packages; its tests build the packages with
// scripts/package.sh and check what a box would get from them.
package packaging

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"debug/buildinfo"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/mifos-edge/mifos-edge/config"
)

// repoRoot is the repository, seen from this package's directory (where go
// test runs its tests).
const repoRoot = ".."

// entry is one member of a package's control or data archive.
type entry struct {
	header *tar.Header
	data   []byte
}

// archive is a package's control or data archive by absolute path
// ("/usr/bin/mifos-edge"; control members as "/control").
type archive map[string]entry

// builtPackages are the packages one `go test` run builds: all of them,
// as a release does, and this machine's .deb a second time as a newer
// version to upgrade to.
type builtPackages struct {
	debs       map[string]string // version 1.0.0 by Debian architecture
	deb, deb2  string            // this machine's, versions 1.0.0 and 1.0.1
	ipk        string
	buildError error
}

var (
	buildOnce sync.Once
	built     builtPackages
	builtDir  string // removed when the tests end
)

func TestMain(m *testing.M) {
	code := m.Run()
	if builtDir != "" {
		os.RemoveAll(builtDir)
	}
	os.Exit(code)
}

// debArchOf names Go's architecture as Debian and scripts/package.sh do;
// only the architectures the script packages are listed.
var debArchOf = map[string]string{"amd64": "amd64", "arm64": "arm64", "arm": "armhf"}

// packages builds the packages once for all tests: scripts/package.sh is
// what a release runs, so that is what is tested. This machine's .deb is
// the one installed by the install tests, as its program runs here.
func packages(t *testing.T) builtPackages {
	t.Helper()
	buildOnce.Do(func() {
		arch, ok := debArchOf[runtime.GOARCH]
		if !ok {
			built.buildError = fmt.Errorf("no .deb is built for %s, so the package cannot be installed here", runtime.GOARCH)
			return
		}
		dir, err := os.MkdirTemp("", "mifos-edge-packages-")
		if err != nil {
			built.buildError = err
			return
		}
		builtDir = dir
		for _, run := range [][]string{
			{"-o", dir, "-v", "1.0.0", "deb-amd64", "deb-arm64", "deb-armhf", "ipk-mipsel"},
			{"-o", dir, "-v", "1.0.1", "deb-" + arch},
		} {
			cmd := exec.Command("sh", append([]string{filepath.Join(repoRoot, "scripts", "package.sh")}, run...)...)
			if out, err := cmd.CombinedOutput(); err != nil {
				built.buildError = fmt.Errorf("scripts/package.sh %s: %v\n%s", strings.Join(run, " "), err, out)
				return
			}
		}
		debs := map[string]string{}
		for _, a := range []string{"amd64", "arm64", "armhf"} {
			debs[a] = filepath.Join(dir, "mifos-edge_1.0.0_"+a+".deb")
		}
		built = builtPackages{
			debs: debs,
			deb:  filepath.Join(dir, "mifos-edge_1.0.0_"+arch+".deb"),
			deb2: filepath.Join(dir, "mifos-edge_1.0.1_"+arch+".deb"),
			ipk:  filepath.Join(dir, "mifos-edge_1.0.0_mipsel_24kc.ipk"),
		}
	})
	if built.buildError != nil {
		t.Fatal(built.buildError)
	}
	return built
}

// readTar reads a tar stream into an archive keyed by absolute path.
func readTar(t *testing.T, r io.Reader) archive {
	t.Helper()
	files := archive{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		name := "/" + strings.Trim(strings.TrimPrefix(h.Name, "."), "/")
		files[name] = entry{header: h, data: data}
	}
}

// readTarGz reads a gzip-compressed tar stream.
func readTarGz(t *testing.T, data []byte) archive {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return readTar(t, zr)
}

// debArchive reads a .deb's control or data archive through dpkg-deb, which
// must accept the package for the test to pass at all.
func debArchive(t *testing.T, deb, part string) archive {
	t.Helper()
	tool, err := exec.LookPath("dpkg-deb")
	if err != nil {
		t.Fatal("dpkg-deb is not installed, so the .deb cannot be checked; install it with: sudo apt-get install -y dpkg")
	}
	out, err := exec.Command(tool, part, deb).Output()
	if err != nil {
		t.Fatalf("dpkg-deb %s %s: %v", part, deb, err)
	}
	return readTar(t, bytes.NewReader(out))
}

// ipkArchives reads an .ipk: a gzip-compressed tar of debian-binary,
// control.tar.gz and data.tar.gz.
func ipkArchives(t *testing.T, ipk string) (control, data archive) {
	t.Helper()
	raw, err := os.ReadFile(ipk)
	if err != nil {
		t.Fatal(err)
	}
	outer := readTarGz(t, raw)
	if got := string(outer["/debian-binary"].data); got != "2.0\n" {
		t.Errorf("ipk debian-binary is %q, want \"2.0\\n\"", got)
	}
	for _, member := range []string{"/control.tar.gz", "/data.tar.gz"} {
		if _, ok := outer[member]; !ok {
			t.Fatalf("ipk has no %s; it holds %v", member, slices.Sorted(maps.Keys(outer)))
		}
	}
	return readTarGz(t, outer["/control.tar.gz"].data), readTarGz(t, outer["/data.tar.gz"].data)
}

// fileSpec is what a packaged file must look like once unpacked.
type fileSpec struct {
	mode         int64
	owner, group string
}

var (
	rootFile    = fileSpec{0o644, "root", "root"}
	rootProgram = fileSpec{0o755, "root", "root"}
	// The configuration may hold a password: the service's group reads it,
	// others do not.
	secretFile = fileSpec{0o640, "root", "mifos-edge"}
	secretDir  = fileSpec{0o750, "root", "mifos-edge"}
)

// checkFiles compares an archive's files and directories with the spec:
// exactly these files, each with its mode and owner; directories 0755
// root:root unless listed.
func checkFiles(t *testing.T, what string, files archive, wantFiles, wantDirs map[string]fileSpec) {
	t.Helper()
	var gotFiles []string
	for name, e := range files {
		h := e.header
		got := fileSpec{h.Mode & 0o7777, h.Uname, h.Gname}
		switch h.Typeflag {
		case tar.TypeReg:
			gotFiles = append(gotFiles, name)
			if want, ok := wantFiles[name]; ok && got != want {
				t.Errorf("%s: %s is %04o %s:%s, want %04o %s:%s", what, name, got.mode, got.owner, got.group, want.mode, want.owner, want.group)
			}
		case tar.TypeDir:
			want, ok := wantDirs[name]
			if !ok {
				want = fileSpec{0o755, "root", "root"}
			}
			if got != want {
				t.Errorf("%s: directory %s is %04o %s:%s, want %04o %s:%s", what, name, got.mode, got.owner, got.group, want.mode, want.owner, want.group)
			}
		default:
			t.Errorf("%s: %s is neither a file nor a directory (type %c)", what, name, h.Typeflag)
		}
	}
	for name := range wantDirs {
		if e, ok := files[name]; !ok || e.header.Typeflag != tar.TypeDir {
			t.Errorf("%s: no directory %s", what, name)
		}
	}
	slices.Sort(gotFiles)
	wantNames := slices.Sorted(maps.Keys(wantFiles))
	if !slices.Equal(gotFiles, wantNames) {
		t.Errorf("%s holds the files\n  %s\nwant\n  %s", what, strings.Join(gotFiles, "\n  "), strings.Join(wantNames, "\n  "))
	}
}

// controlFields parses a control file's "Key: value" lines (continuation
// lines are skipped).
func controlFields(data []byte) map[string]string {
	fields := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			fields[k] = strings.TrimSpace(v)
		}
	}
	return fields
}

// lines are a file's lines without blanks, sorted.
func lines(data []byte) []string {
	var out []string
	for l := range strings.SplitSeq(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return out
}

func repoFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, path))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// checkScripts compares the maintainer scripts in a control archive with
// the repository's.
func checkScripts(t *testing.T, what string, control archive, dir string) {
	t.Helper()
	for member, source := range map[string]string{
		"/preinst": "preinstall.sh", "/postinst": "postinstall.sh",
		"/prerm": "preremove.sh", "/postrm": "postremove.sh",
	} {
		e, ok := control[member]
		if !ok {
			t.Errorf("%s: no %s script", what, member[1:])
			continue
		}
		if mode := e.header.Mode & 0o777; mode != 0o755 {
			t.Errorf("%s: %s is %04o, want 0755", what, member[1:], mode)
		}
		if !bytes.Equal(e.data, repoFile(t, filepath.Join(dir, source))) {
			t.Errorf("%s: %s is not %s/%s", what, member[1:], dir, source)
		}
	}
}

// checkProgram checks the packaged program's CPU, the Go settings it was
// built with, and that it is static and stripped, as the boxes and slow
// links need.
func checkProgram(t *testing.T, what string, data []byte, machine elf.Machine, class elf.Class, settings map[string]string) *elf.File {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: /usr/bin/mifos-edge is not an ELF program: %v", what, err)
	}
	if f.Machine != machine || f.Class != class || f.ByteOrder != binary.LittleEndian {
		t.Errorf("%s: program is %v %v %v, want little-endian %v %v", what, f.Machine, f.Class, f.ByteOrder, machine, class)
	}
	info, err := buildinfo.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: no Go build information in the program: %v", what, err)
	}
	got := map[string]string{}
	for _, s := range info.Settings {
		got[s.Key] = s.Value
	}
	want := map[string]string{"CGO_ENABLED": "0", "-trimpath": "true", "GOOS": "linux"}
	maps.Copy(want, settings)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: program built with %s=%q, want %q", what, k, got[k], v)
		}
	}

	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s: program is dynamically linked; it must be static (CGO_ENABLED=0)", what)
		}
	}
	if f.Section(".symtab") != nil {
		t.Errorf("%s: program is not stripped (-ldflags -s -w)", what)
	}
	return f
}

var exposureLine = regexp.MustCompile(`Overall exposure level for [^:]+: ([0-9]+(?:\.[0-9]+)?)`)

// maxPackagedExposure is the bar for the packaged unit: systemd
// calls 2.0 and below "OK".
const maxPackagedExposure = 2.0

// debTargets is how scripts/package.sh builds the program for each .deb.
var debTargets = map[string]struct {
	machine elf.Machine
	class   elf.Class
	build   map[string]string // settings go version -m shows
}{
	"amd64": {elf.EM_X86_64, elf.ELFCLASS64, map[string]string{"GOARCH": "amd64"}},
	"arm64": {elf.EM_AARCH64, elf.ELFCLASS64, map[string]string{"GOARCH": "arm64"}},
	"armhf": {elf.EM_ARM, elf.ELFCLASS32, map[string]string{"GOARCH": "arm", "GOARM": "7"}},
}

func TestDebContents(t *testing.T) {
	p := packages(t)
	for arch, deb := range p.debs {
		t.Run(arch, func(t *testing.T) { checkDeb(t, arch, deb) })
	}
}

func checkDeb(t *testing.T, arch, deb string) {
	control := debArchive(t, deb, "--ctrl-tarfile")
	data := debArchive(t, deb, "--fsys-tarfile")

	checkFiles(t, "deb", data, map[string]fileSpec{
		"/usr/bin/mifos-edge":                            rootProgram,
		"/usr/lib/systemd/system/mifos-edge.service":     rootFile,
		"/usr/lib/modules-load.d/mifos-edge.conf":        rootFile,
		"/etc/udev/rules.d/99-mifos-modem.rules":         rootFile,
		"/etc/mifos-edge/mifos-edge.toml":                secretFile,
		"/usr/share/doc/mifos-edge/example.toml":         rootFile,
		"/usr/share/doc/mifos-edge/99-mifos-modem.rules": rootFile,
		"/usr/share/doc/mifos-edge/README.md":            rootFile,
		"/usr/share/doc/mifos-edge/README.systemd.md":    rootFile,
	}, map[string]fileSpec{"/etc/mifos-edge": secretDir})

	fields := controlFields(control["/control"].data)
	for key, want := range map[string]string{
		"Package": "mifos-edge", "Version": "1.0.0", "Architecture": arch,
		"Pre-Depends": "passwd", "Section": "net",
	} {
		if fields[key] != want {
			t.Errorf("deb control %s is %q, want %q", key, fields[key], want)
		}
	}
	// Conffiles are never silently replaced on upgrade.
	if got, want := lines(control["/conffiles"].data), []string{"/etc/mifos-edge/mifos-edge.toml", "/etc/udev/rules.d/99-mifos-modem.rules"}; !slices.Equal(got, want) {
		t.Errorf("deb conffiles are %q, want %q", got, want)
	}
	checkScripts(t, "deb", control, "packaging/deb")

	if !bytes.Equal(data["/etc/mifos-edge/mifos-edge.toml"].data, repoFile(t, "config/example.toml")) {
		t.Error("deb: /etc/mifos-edge/mifos-edge.toml is not config/example.toml")
	}
	rules := data["/etc/udev/rules.d/99-mifos-modem.rules"].data
	if !bytes.Equal(rules, repoFile(t, "systemd/99-mifos-modem.rules")) {
		t.Error("deb: the udev rule is not systemd/99-mifos-modem.rules")
	}
	// The modem belongs to the service user alone, never to group dialout.
	for _, l := range strings.Split(string(rules), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") && strings.Contains(l, "dialout") {
			t.Errorf("deb: the udev rule gives the modem to dialout: %s", l)
		}
	}
	if got, want := lines(data["/usr/lib/modules-load.d/mifos-edge.conf"].data), []string{"cdc_acm", "option", "usbserial"}; !slices.Equal(withoutComments(got), want) {
		t.Errorf("deb: modules-load.d loads %q, want %q", withoutComments(got), want)
	}

	unit := string(data["/usr/lib/systemd/system/mifos-edge.service"].data)
	wantUnit := strings.ReplaceAll(string(repoFile(t, "systemd/mifos-edge.service")), "/usr/local/bin/mifos-edge", "/usr/bin/mifos-edge")
	if unit != wantUnit {
		t.Errorf("deb: the packaged unit is not systemd/mifos-edge.service with the packaged program's path:\n%s", unit)
	}
	if !strings.Contains(unit, "\nExecStart=/usr/bin/mifos-edge run --config /etc/mifos-edge/mifos-edge.toml\n") || strings.Contains(unit, "/usr/local") {
		t.Errorf("deb: the packaged unit does not run the packaged program /usr/bin/mifos-edge:\n%s", unit)
	}
	if level, report := exposure(t, unit); level > maxPackagedExposure {
		t.Errorf("deb: systemd-analyze security rates the packaged unit %.1f, want at most %.1f:\n%s", level, maxPackagedExposure, report)
	}

	target := debTargets[arch]
	checkProgram(t, "deb", data["/usr/bin/mifos-edge"].data, target.machine, target.class, target.build)
}

func withoutComments(ls []string) []string {
	var out []string
	for _, l := range ls {
		if !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// exposure is systemd-analyze's overall exposure score of a unit, with its
// report. --offline reads only the file: the user need not exist here.
func exposure(t *testing.T, unit string) (float64, string) {
	t.Helper()
	tool, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatal("systemd-analyze is not installed, so the packaged unit cannot be checked; " +
			"install it with: sudo apt-get install -y --no-install-recommends systemd")
	}
	path := filepath.Join(t.TempDir(), "mifos-edge.service")
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "security", "--offline=true", path).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security --offline=true: %v\n%s", err, out)
	}
	m := exposureLine.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no overall exposure level in the output of systemd-analyze security:\n%s", out)
	}
	level, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return level, string(out)
}

func TestIpkContents(t *testing.T) {
	p := packages(t)
	control, data := ipkArchives(t, p.ipk)

	checkFiles(t, "ipk", data, map[string]fileSpec{
		"/usr/bin/mifos-edge":              rootProgram,
		"/etc/init.d/mifos-edge":           rootProgram,
		"/etc/hotplug.d/tty/30-mifos-edge": rootFile,
		"/lib/upgrade/keep.d/mifos-edge":   rootFile,
		"/etc/mifos-edge/mifos-edge.toml":  secretFile,
		"/etc/mifos-edge/modem.conf":       secretFile,
	}, map[string]fileSpec{"/etc/mifos-edge": secretDir})

	fields := controlFields(control["/control"].data)
	for key, want := range map[string]string{"Package": "mifos-edge", "Version": "1.0.0", "Architecture": "mipsel_24kc"} {
		if fields[key] != want {
			t.Errorf("ipk control %s is %q, want %q", key, fields[key], want)
		}
	}
	if got, want := lines(control["/conffiles"].data), []string{"/etc/mifos-edge/mifos-edge.toml", "/etc/mifos-edge/modem.conf"}; !slices.Equal(got, want) {
		t.Errorf("ipk conffiles are %q, want %q", got, want)
	}
	checkScripts(t, "ipk", control, "packaging/openwrt")
	for path, source := range map[string]string{
		"/etc/init.d/mifos-edge":           "packaging/openwrt/mifos-edge.init",
		"/etc/hotplug.d/tty/30-mifos-edge": "packaging/openwrt/30-mifos-edge.hotplug",
		"/etc/mifos-edge/modem.conf":       "packaging/openwrt/modem.conf",
		"/lib/upgrade/keep.d/mifos-edge":   "packaging/openwrt/keep.conf",
	} {
		if !bytes.Equal(data[path].data, repoFile(t, source)) {
			t.Errorf("ipk: %s is not %s", path, source)
		}
	}

	// /var is RAM on OpenWrt: a store there would be lost at every reboot.
	text := data["/etc/mifos-edge/mifos-edge.toml"].data
	cfg, err := config.Parse(text, "ipk /etc/mifos-edge/mifos-edge.toml")
	if err != nil {
		t.Fatalf("the OpenWrt configuration does not load: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the OpenWrt configuration is not valid: %v", err)
	}
	if cfg.Store.Path != "/srv/mifos-edge/state.db" {
		t.Errorf("OpenWrt store.path is %q, want it on flash: /srv/mifos-edge/state.db", cfg.Store.Path)
	}
	if cfg.Control.Socket != "/var/run/mifos-edge/mifos-edge.sock" {
		t.Errorf("OpenWrt control.socket is %q, want /var/run/mifos-edge/mifos-edge.sock (the init script makes that directory)", cfg.Control.Socket)
	}
	for _, stale := range []string{"/var/lib", "systemctl", "journalctl", "udev"} {
		if bytes.Contains(text, []byte(stale)) {
			t.Errorf("the OpenWrt configuration still mentions %q, which OpenWrt does not have", stale)
		}
	}
	keep := lines(data["/lib/upgrade/keep.d/mifos-edge"].data)
	for _, dir := range []string{"/etc/mifos-edge/", filepath.Dir(cfg.Store.Path) + "/"} {
		if !slices.Contains(keep, dir) {
			t.Errorf("sysupgrade would not keep %s: keep.d lists %q", dir, keep)
		}
	}

	f := checkProgram(t, "ipk", data["/usr/bin/mifos-edge"].data, elf.EM_MIPS, elf.ELFCLASS32,
		map[string]string{"GOARCH": "mipsle", "GOMIPS": "softfloat"})
	// Routers of this class have no FPU: the program must use soft float
	// (.MIPS.abiflags fp_abi 3), or it dies on the first float instruction.
	abi := f.Section(".MIPS.abiflags")
	if abi == nil {
		t.Fatal("ipk: the MIPS program has no .MIPS.abiflags section to tell its float ABI")
	}
	flags, err := abi.Data()
	if err != nil || len(flags) < 8 {
		t.Fatalf("ipk: cannot read .MIPS.abiflags: %v", err)
	}
	if fpABI := flags[7]; fpABI != 3 {
		t.Errorf("ipk: the MIPS program's float ABI is %d, want 3 (soft float, GOMIPS=softfloat)", fpABI)
	}
}

// TestScriptsParse has the shell read every script the packages run; a
// syntax error would otherwise surface only on a box, half installed.
func TestScriptsParse(t *testing.T) {
	var scripts []string
	for _, pattern := range []string{"deb/*.sh", "openwrt/*.sh", "openwrt/*.init", "openwrt/*.hotplug", "../scripts/package.sh"} {
		found, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		scripts = append(scripts, found...)
	}
	if len(scripts) < 11 {
		t.Fatalf("found only %d scripts: %v", len(scripts), scripts)
	}
	for _, s := range scripts {
		if out, err := exec.Command("sh", "-n", s).CombinedOutput(); err != nil {
			t.Errorf("sh -n %s: %v\n%s", s, err, out)
		}
	}
}
