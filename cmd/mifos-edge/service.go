package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/kardianos/service"

	"github.com/mifos-edge/mifos-edge/config"
)

const (
	serviceName        = "mifos-edge"
	serviceUser        = "mifos-edge"
	defaultConfigPath  = "/etc/mifos-edge/mifos-edge.toml"
	serviceStateDir    = "/var/lib/mifos-edge" // StateDirectory= in the unit
	serviceRuntimeDir  = "/run/mifos-edge"     // RuntimeDirectory= in the unit
	serviceDescription = "Answers clients' SMS through a USB GSM modem and keeps every message until it is handled."
)

// systemdUnitTemplate is the unit kardianos/service writes on install. It
// mirrors systemd/mifos-edge.service (a test keeps the two in step) and uses
// kardianos v1.3's own template syntax, not text/template: {{Key}} without
// a dot, pipelines through its cmd/cmdEscape functions only. It runs
// nothing as root: the serial drivers are loaded at boot by modulesLoadFile.
const systemdUnitTemplate = `# Written by 'mifos-edge service install'. Remove with 'mifos-edge service uninstall'.
[Unit]
Description={{Description}}
Wants=network-online.target
After=network-online.target
StartLimitIntervalSec=0

[Service]
Type=simple
# The modem's ports belong to this user alone (udev rule); no dialout.
User={{UserName}}
Group=mifos-edge
ExecStart={{Path | cmdEscape}}{{range Arguments}} {{. | cmd}}{{end}}
Restart={{Restart}}
RestartSec=5
TimeoutStopSec=90
StateDirectory=mifos-edge
StateDirectoryMode=0750
RuntimeDirectory=mifos-edge
RuntimeDirectoryMode=0750
UMask=0077

NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateMounts=yes
PrivateIPC=yes
PrivateUsers=yes
RemoveIPC=yes
ProtectProc=invisible
ProcSubset=pid
DevicePolicy=closed
DeviceAllow=char-ttyUSB rw
DeviceAllow=char-ttyACM rw
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
SystemCallErrorNumber=EPERM
` + egressAllowListOff + `
[Install]
WantedBy=multi-user.target
`

// egressAllowListOff is the egress allow-list as the unit carries it when
// 'service install' gets no --allow-ip: switched off, with instructions.
const egressAllowListOff = `# Egress allow-list, off: re-install with 'mifos-edge service install
# --allow-ip ADDRESS' (the Fineract server's address) to let the service
# reach only that server and this machine.
#IPAddressDeny=any
#IPAddressAllow=localhost 192.0.2.10
`

// systemdUnit is the unit template for an install with the given egress
// allow-list; with none, the allow-list stays commented out. The addresses
// are parsed netip values, so they cannot carry template syntax.
func systemdUnit(allow []netip.Prefix) string {
	if len(allow) == 0 {
		return systemdUnitTemplate
	}
	parts := []string{"localhost"}
	for _, p := range allow {
		parts = append(parts, prefixText(p))
	}
	on := "# Egress allow-list: only this machine and the Fineract server.\n" +
		"IPAddressDeny=any\n" +
		"IPAddressAllow=" + strings.Join(parts, " ") + "\n"
	return strings.Replace(systemdUnitTemplate, egressAllowListOff, on, 1)
}

// prefixText writes a single address without its /32 or /128.
func prefixText(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}

// parseAllowIP reads one --allow-ip value: an IP address or a network. The
// flag package puts the option's name and value in front of its errors.
func parseAllowIP(value string) (netip.Prefix, error) {
	value = strings.TrimSpace(value)
	if addr, err := netip.ParseAddr(value); err == nil {
		if addr.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("systemd cannot filter an address with a zone; give it without %%%s", addr.Zone())
		}
		return netip.PrefixFrom(addr, addr.BitLen()), nil
	}
	if p, err := netip.ParsePrefix(value); err == nil {
		return p.Masked(), nil
	}
	return netip.Prefix{}, errors.New("not an IP address or network such as 192.0.2.10 or 10.1.0.0/16 " +
		"(systemd filters by address, so a host name cannot be used: give the addresses it resolves to)")
}

// allowIPFlag collects repeated --allow-ip options.
type allowIPFlag struct{ prefixes *[]netip.Prefix }

func (f allowIPFlag) String() string {
	if f.prefixes == nil {
		return ""
	}
	var parts []string
	for _, p := range *f.prefixes {
		parts = append(parts, prefixText(p))
	}
	return strings.Join(parts, " ")
}

func (f allowIPFlag) Set(value string) error {
	p, err := parseAllowIP(value)
	if err != nil {
		return err
	}
	*f.prefixes = append(*f.prefixes, p)
	return nil
}

// serialModules are the serial drivers of USB GSM modems. DeviceAllow=
// char-ttyUSB only takes effect if its driver is loaded when the service
// starts, so they are loaded at boot rather than when the modem appears.
var serialModules = []string{"usbserial", "option", "cdc_acm"}

// modulesLoadFile makes systemd-modules-load load serialModules at boot.
const modulesLoadFile = "/etc/modules-load.d/mifos-edge.conf"

func init() {
	register("service", &serviceCommand{
		out:         os.Stdout,
		euid:        os.Geteuid,
		executable:  resolvedExecutable,
		lookupUser:  func(name string) error { _, err := user.Lookup(name); return err },
		newService:  func(c *service.Config) (serviceControl, error) { return service.New(noopProgram{}, c) },
		hiddenDirs:  hiddenFromService,
		modulesLoad: modulesLoadFile,
		loadModules: func() error {
			out, err := exec.Command("modprobe", append([]string{"-a"}, serialModules...)...).CombinedOutput()
			if err != nil {
				return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(out)))
			}
			return nil
		},
	})
}

// serviceControl is the part of service.Service the command uses; tests
// substitute a fake so nothing touches the real init system.
type serviceControl interface {
	Install() error
	Uninstall() error
	Start() error
	Stop() error
	Status() (service.Status, error)
}

// noopProgram satisfies service.Interface. The control actions never run the
// daemon (that is the run command's job, started by the unit's ExecStart).
type noopProgram struct{}

func (noopProgram) Start(service.Service) error { return nil }
func (noopProgram) Stop(service.Service) error  { return nil }

type serviceCommand struct {
	out        io.Writer
	euid       func() int
	executable func() (string, error)
	lookupUser func(name string) error
	newService func(*service.Config) (serviceControl, error)
	hiddenDirs []string // see hiddenFromService
	// modulesLoad is the modules-load.d file install writes and uninstall
	// removes; loadModules loads the same drivers at once.
	modulesLoad string
	loadModules func() error
}

func (*serviceCommand) Summary() string {
	return "install, remove, start, stop or show the system service"
}

const serviceUsage = `usage: mifos-edge service <action> [--config FILE] [--allow-ip ADDRESS ...]

Actions:
  install     check the configuration, then register mifos-edge as a system
              service that starts at boot and restarts after any failure
  uninstall   remove the system service (the database is kept)
  start       start the service
  stop        stop the service
  status      print running, stopped or not installed

With --allow-ip (install only, repeatable), the service may connect only to
the given addresses or networks and to this machine: give the address of the
Fineract server in [mifos] base_url (and the DNS server if base_url names a
host and DNS is not answered on this machine). After a change of base_url,
uninstall and install again with the new address.

Options:
`

var serviceActions = []string{"install", "uninstall", "start", "stop", "status"}

// serviceArgs is the parsed command line of the service command.
type serviceArgs struct {
	action     string
	configPath string
	allowIPs   []netip.Prefix // egress allow-list; empty means no filter
}

func parseServiceArgs(args []string, usageOut io.Writer) (serviceArgs, error) {
	var sa serviceArgs
	fs := flag.NewFlagSet("service", flag.ContinueOnError)
	fs.SetOutput(usageOut)
	fs.StringVar(&sa.configPath, "config", defaultConfigPath, "configuration file the service will run with")
	fs.Var(allowIPFlag{&sa.allowIPs}, "allow-ip", "install: let the service connect only to this address or network (the Fineract server) and this machine; repeatable")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), serviceUsage)
		fs.PrintDefaults()
	}
	// The action may come before or after --config.
	if err := fs.Parse(args); err != nil {
		return sa, err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return sa, errors.New("service: no action given (install, uninstall, start, stop or status)")
	}
	sa.action = fs.Arg(0)
	if err := fs.Parse(fs.Args()[1:]); err != nil {
		return sa, err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return sa, fmt.Errorf("service %s: unexpected argument %q", sa.action, fs.Arg(0))
	}
	known := false
	for _, a := range serviceActions {
		known = known || a == sa.action
	}
	if !known {
		fs.Usage()
		return sa, fmt.Errorf("service: unknown action %q (use install, uninstall, start, stop or status)", sa.action)
	}
	if len(sa.allowIPs) > 0 && sa.action != "install" {
		fs.Usage()
		return sa, fmt.Errorf("service %s: --allow-ip only applies to install", sa.action)
	}
	if strings.TrimSpace(sa.configPath) == "" {
		fs.Usage()
		return sa, errors.New("service: --config must name the configuration file")
	}
	abs, err := filepath.Abs(sa.configPath)
	if err != nil {
		return sa, fmt.Errorf("service: cannot make %s an absolute path: %w", sa.configPath, err)
	}
	sa.configPath = abs
	return sa, nil
}

// serviceConfig describes the unit; the config path must be absolute
// because the service does not start in the technician's directory. An
// empty executable means this program's own path; an empty allowIPs leaves
// the egress allow-list off.
func serviceConfig(configPath, executable string, allowIPs []netip.Prefix) *service.Config {
	return &service.Config{
		Name:        serviceName,
		Executable:  executable,
		DisplayName: "Mifos Edge SMS gateway",
		Description: serviceDescription,
		UserName:    serviceUser,
		Arguments:   []string{"run", "--config", configPath},
		Option: service.KeyValue{
			"UserService":   false,
			"Restart":       "always",
			"SystemdScript": systemdUnit(allowIPs),
		},
	}
}

func (c *serviceCommand) Run(_ context.Context, args []string) error {
	sa, err := parseServiceArgs(args, os.Stderr)
	if err != nil {
		return err
	}
	var exe string
	if sa.action == "install" {
		// Checked before anything else so a technician can validate the
		// configuration without root.
		if exe, err = c.checkInstallable(sa.configPath, sa.allowIPs); err != nil {
			return err
		}
	}
	if sa.action != "status" && c.euid() != 0 {
		if sa.action == "install" {
			return fmt.Errorf("must be run as root: sudo %s service install --config %s", exe, sa.configPath)
		}
		return fmt.Errorf("must be run as root: sudo mifos-edge service %s", sa.action)
	}
	svc, err := c.newService(serviceConfig(sa.configPath, exe, sa.allowIPs))
	if err != nil {
		return fmt.Errorf("cannot manage system services on this machine: %w", err)
	}
	switch sa.action {
	case "install":
		return c.install(svc, sa.configPath)
	case "uninstall":
		if err := c.requireInstalled(svc); err != nil {
			return err
		}
		// A running service would keep the modem open after its unit is gone.
		_ = svc.Stop()
		if err := svc.Uninstall(); err != nil {
			return fmt.Errorf("could not remove the service: %w", err)
		}
		if err := os.Remove(c.modulesLoad); err != nil && !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(c.out, "note: could not remove %s: %v\n", c.modulesLoad, err)
		}
		fmt.Fprintln(c.out, "mifos-edge service removed; the database in", serviceStateDir, "was kept")
	case "start":
		if err := c.requireInstalled(svc); err != nil {
			return err
		}
		if err := svc.Start(); err != nil {
			return fmt.Errorf("could not start the service (see: sudo journalctl -u mifos-edge): %w", err)
		}
		fmt.Fprintln(c.out, "mifos-edge service started")
	case "stop":
		if err := c.requireInstalled(svc); err != nil {
			return err
		}
		if err := svc.Stop(); err != nil {
			return fmt.Errorf("could not stop the service: %w", err)
		}
		fmt.Fprintln(c.out, "mifos-edge service stopped")
	case "status":
		st, err := svc.Status()
		fmt.Fprintln(c.out, "mifos-edge service:", statusText(st, err))
	}
	return nil
}

func statusText(st service.Status, err error) string {
	switch {
	case errors.Is(err, service.ErrNotInstalled):
		return "not installed"
	case err != nil:
		return "unknown (" + err.Error() + ")"
	case st == service.StatusRunning:
		return "running"
	case st == service.StatusStopped:
		return "stopped"
	}
	return "unknown"
}

func (c *serviceCommand) requireInstalled(svc serviceControl) error {
	if _, err := svc.Status(); errors.Is(err, service.ErrNotInstalled) {
		return errors.New("the mifos-edge service is not installed: sudo mifos-edge service install --config " + defaultConfigPath)
	}
	return nil
}

func (c *serviceCommand) install(svc serviceControl, configPath string) error {
	if _, err := svc.Status(); err == nil {
		return errors.New("the mifos-edge service is already installed; to reinstall, first run: sudo mifos-edge service uninstall")
	}
	if err := svc.Install(); err != nil {
		if strings.Contains(err.Error(), "already exists") {
			return errors.New("the mifos-edge service is already installed; to reinstall, first run: sudo mifos-edge service uninstall")
		}
		return fmt.Errorf("could not install the service: %w", err)
	}
	if err := c.installModulesLoad(); err != nil {
		return err
	}
	// The unit cannot write /etc: the box key is made here, as root.
	cfg, err := loadConfig(configPath)
	if err != nil {
		return err
	}
	if _, err := loadBoxKey(cfg); err != nil {
		return fmt.Errorf("the service is installed, but it will not start without its box key: %w", err)
	}
	fmt.Fprintf(c.out, "mifos-edge service installed (runs as user %s with %s)\nstart it now with: sudo mifos-edge service start\n", serviceUser, configPath)
	return nil
}

// installModulesLoad has the serial drivers loaded at every boot and loads
// them now, so the unit itself needs no root step to load them.
func (c *serviceCommand) installModulesLoad() error {
	content := strings.Join(serialModules, "\n") + "\n"
	tmp := c.modulesLoad + ".new"
	err := os.WriteFile(tmp, []byte(content), 0o644)
	if err == nil {
		err = os.Rename(tmp, c.modulesLoad)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("the service is installed, but the serial drivers will not load at boot: could not write %s: %w; create it with:\n"+
			"  printf '%s\\n' | sudo tee %s", c.modulesLoad, err, strings.Join(serialModules, `\n`), c.modulesLoad)
	}
	if err := c.loadModules(); err != nil {
		fmt.Fprintf(c.out, "note: could not load the serial drivers now (%v); they load at the next boot, or run: sudo modprobe -a %s\n",
			err, strings.Join(serialModules, " "))
	}
	return nil
}

// hiddenFromService are directories the unit's sandbox (ProtectHome,
// PrivateTmp) hides or replaces, so the service cannot use files there.
var hiddenFromService = []string{"/home", "/root", "/run/user", "/tmp", "/var/tmp"}

// checkInstallable refuses an install that would produce a service that can
// never work, explaining the fix in plain words. It returns the program path
// the unit will run.
func (c *serviceCommand) checkInstallable(configPath string, allowIPs []netip.Prefix) (string, error) {
	cfg, err := config.Load(configPath)
	if err != nil {
		return "", fmt.Errorf("not installing: the configuration has problems:\n%w", err)
	}
	if err := cfg.Validate(); err != nil {
		return "", fmt.Errorf("not installing: the configuration has problems:\n%w", err)
	}
	if dir := underAny(configPath, c.hiddenDirs); dir != "" {
		return "", fmt.Errorf("not installing: the service cannot read %s because its sandbox hides %s; copy the file to %s", configPath, dir, defaultConfigPath)
	}
	if dir := underAny(cfg.Security.KeyFile, c.hiddenDirs); dir != "" {
		return "", fmt.Errorf("not installing: the service cannot read security.key_file %s because its sandbox hides %s; put it in /etc/mifos-edge", cfg.Security.KeyFile, dir)
	}
	exe, err := c.executable()
	if err != nil {
		return "", fmt.Errorf("not installing: cannot find this program's own path: %w", err)
	}
	if dir := underAny(exe, c.hiddenDirs); dir != "" {
		return "", fmt.Errorf("not installing: the service cannot run a program from %s; copy it first:\n"+
			"  sudo install -m 0755 %s /usr/local/bin/mifos-edge\n"+
			"then run: sudo /usr/local/bin/mifos-edge service install --config %s", dir, exe, configPath)
	}
	writable := []string{serviceStateDir, serviceRuntimeDir}
	if underAny(cfg.Store.Path, writable) == "" {
		return "", fmt.Errorf("not installing: store.path %s is outside %s, the only directory the service may write to; set store.path = \"%s/state.db\"",
			cfg.Store.Path, serviceStateDir, serviceStateDir)
	}
	if cfg.Store.BackupDir != "" && underAny(cfg.Store.BackupDir, []string{serviceStateDir}) == "" {
		return "", fmt.Errorf("not installing: store.backup_dir %s is outside %s, the only directory the service may write to; "+
			"set store.backup_dir = \"%s/backups\" and copy the backups off the box from there", cfg.Store.BackupDir, serviceStateDir, serviceStateDir)
	}
	if underAny(cfg.Control.Socket, writable) == "" {
		return "", fmt.Errorf("not installing: control.socket %s must be inside %s or %s, where the service may create it",
			cfg.Control.Socket, serviceStateDir, serviceRuntimeDir)
	}
	if err := checkAllowListReaches(cfg.Mifos.BaseURL, allowIPs); err != nil {
		return "", err
	}
	if err := c.lookupUser(serviceUser); err != nil {
		// No dialout: the udev rule gives the modem's ports to this user alone.
		return "", fmt.Errorf("not installing: the user %s does not exist; create it with:\n"+
			"  sudo useradd --system --user-group --no-create-home --shell /usr/sbin/nologin %s", serviceUser, serviceUser)
	}
	if len(allowIPs) > 0 {
		if host := baseURLHost(cfg.Mifos.BaseURL); host != "" {
			if _, err := netip.ParseAddr(host); err != nil {
				fmt.Fprintf(c.out, "note: mifos.base_url names the host %s: --allow-ip must cover every address it resolves to and, unless DNS is answered on this machine, the DNS server\n", host)
			}
		}
	}
	return exe, nil
}

// checkAllowListReaches refuses an egress allow-list that shuts out the
// Fineract server when mifos.base_url names it by address: such a service
// could never post anything.
func checkAllowListReaches(baseURL string, allowIPs []netip.Prefix) error {
	if len(allowIPs) == 0 {
		return nil
	}
	addr, err := netip.ParseAddr(baseURLHost(baseURL))
	if err != nil || addr.IsLoopback() {
		return nil // a host name, no server or this machine: nothing to check here
	}
	addr = addr.Unmap()
	for _, p := range allowIPs {
		if p.Contains(addr) {
			return nil
		}
	}
	return fmt.Errorf("not installing: --allow-ip does not include %s, the Fineract server in mifos.base_url, so the service could never reach it; add --allow-ip %s", addr, addr)
}

// baseURLHost is the host of mifos.base_url without brackets or port, or "".
func baseURLHost(baseURL string) string {
	u, err := url.Parse(baseURL)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// underAny returns the first of dirs that contains path, or "".
func underAny(path string, dirs []string) string {
	clean := filepath.Clean(path)
	for _, d := range dirs {
		if clean == d || strings.HasPrefix(clean, d+"/") {
			return d
		}
	}
	return ""
}

// resolvedExecutable is the real path of this program, through symlinks,
// because that is what the unit's ExecStart will name.
func resolvedExecutable() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(exe)
}
