package main

import (
	"bufio"
	"errors"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Every global flag can also come from the environment and from a config
// file, under the same name: --session-timeout is $ZKR_SESSION_TIMEOUT and
// "session-timeout = 30s" in the file. A flag on the command line wins over
// the environment, which wins over the file, which wins over the default.
// $ZK_SERVERS, the older name, still works when $ZKR_SERVERS is not set.

const (
	envPrefix     = "ZKR_"
	configFlag    = "config-file"
	defaultConfig = "zkr/config" // under os.UserConfigDir, used if present
)

// envName is the environment variable of a global flag.
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func lookupEnv(flagName string) (string, string, bool) {
	name := envName(flagName)
	if v, ok := os.LookupEnv(name); ok {
		return v, name, true
	}
	if flagName == "servers" {
		if v, ok := os.LookupEnv(envServers); ok {
			return v, envServers, true
		}
	}
	return "", "", false
}

// noteGiven records the global flags given on a command line.
func (a *app) noteGiven(fs *flag.FlagSet) {
	if a.given == nil {
		a.given = map[string]bool{}
	}
	fs.Visit(func(f *flag.Flag) { a.given[f.Name] = true })
}

// loadSettings fills the global flags not given on the command line from
// the environment, then from the config file. A bad value is a usage error
// that names where it came from.
func (a *app) loadSettings() error {
	gfs := flag.NewFlagSet("settings", flag.ContinueOnError)
	gfs.SetOutput(io.Discard)
	a.globalFlags(gfs, true)
	if !a.given[configFlag] {
		if v, _, ok := lookupEnv(configFlag); ok {
			a.configFile = v
		}
	}
	file, err := a.readConfig(gfs)
	if err != nil {
		return err
	}
	var errs []error
	gfs.VisitAll(func(f *flag.Flag) {
		if a.given[f.Name] || f.Name == configFlag {
			return
		}
		if v, name, ok := lookupEnv(f.Name); ok {
			if err := gfs.Set(f.Name, v); err != nil {
				errs = append(errs, usagef("$%s: %v", name, err))
			}
			a.given[f.Name] = true
			return
		}
		if e, ok := file[f.Name]; ok {
			if err := gfs.Set(f.Name, e.value); err != nil {
				errs = append(errs, usagef("%s:%d: %s: %v", a.configFile, e.line, f.Name, err))
			}
			a.given[f.Name] = true
		}
	})
	return errors.Join(errs...)
}

type configEntry struct {
	value string
	line  int
}

// readConfig reads the config file: --config-file, $ZKR_CONFIG_FILE, or
// the default one if it exists. Lines are "name = value" with a global
// flag's name; blank lines and lines starting with # are skipped.
func (a *app) readConfig(gfs *flag.FlagSet) (map[string]configEntry, error) {
	path, explicit := a.configFile, a.configFile != ""
	if !explicit {
		dir, err := os.UserConfigDir()
		if err != nil {
			return nil, nil
		}
		path = filepath.Join(dir, defaultConfig)
	}
	f, err := os.Open(path)
	if !explicit && errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, usagef("config file: %v", err)
	}
	defer f.Close()
	a.configFile = path
	out := map[string]configEntry{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		switch {
		case !ok:
			return nil, usagef("%s:%d: want name = value", path, n)
		case gfs.Lookup(name) == nil || name == configFlag:
			return nil, usagef("%s:%d: unknown setting %q (the names are the global flags')", path, n, name)
		}
		out[name] = configEntry{unquote(value), n}
	}
	if err := sc.Err(); err != nil {
		return nil, usagef("config file %s: %v", path, err)
	}
	return out, nil
}

// unquote removes one pair of matching quotes around a config value.
func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}
