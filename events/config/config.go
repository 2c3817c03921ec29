// Package config reads the bridge's environment configuration, compatible
// with pg-amqp-bridge: POSTGRESQL_URI, AMQP_URI (or *_FILE holding the
// value), BRIDGE_CHANNELS and DELIVERY_MODE.
package config

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

// Binding maps a PostgreSQL channel to an exchange or queue.
type Binding struct {
	PGChannel string
	Target    string
}

// Bridge is the bridge configuration.
type Bridge struct {
	PostgresURI string
	AMQPURI     string
	Bindings    []Binding
	Persistent  bool // DELIVERY_MODE=PERSISTENT
}

// Getenv looks up a variable; os.LookupEnv in production, a map in tests.
type Getenv func(string) (string, bool)

// FromEnv reads the configuration. NAME_FILE, when NAME is unset, names a
// file holding the value (trailing newline stripped), for Docker secrets.
func FromEnv(env Getenv) (Bridge, error) {
	if env == nil {
		env = os.LookupEnv
	}
	var c Bridge
	var err error
	if c.PostgresURI, err = value(env, "POSTGRESQL_URI"); err != nil {
		return c, err
	}
	if c.AMQPURI, err = value(env, "AMQP_URI"); err != nil {
		return c, err
	}
	if c.PostgresURI == "" {
		return c, fmt.Errorf("POSTGRESQL_URI (or POSTGRESQL_URI_FILE) is required")
	}
	if c.AMQPURI == "" {
		return c, fmt.Errorf("AMQP_URI (or AMQP_URI_FILE) is required")
	}
	bc, _ := env("BRIDGE_CHANNELS")
	if c.Bindings, err = ParseChannels(bc); err != nil {
		return c, err
	}
	dm, _ := env("DELIVERY_MODE")
	switch strings.ToUpper(strings.TrimSpace(dm)) {
	case "", "NON-PERSISTENT":
	case "PERSISTENT":
		c.Persistent = true
	default:
		return c, fmt.Errorf("DELIVERY_MODE must be PERSISTENT or NON-PERSISTENT, got %q", dm)
	}
	return c, nil
}

func value(env Getenv, name string) (string, error) {
	if v, ok := env(name); ok && v != "" {
		return v, nil
	}
	f, ok := env(name + "_FILE")
	if !ok || f == "" {
		return "", nil
	}
	b, err := os.ReadFile(f)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: %w", name, err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// ParseChannels parses "pgchannel:target,..." as pg-amqp-bridge does:
// entries are trimmed, empty or half-empty entries are dropped, at least
// one binding is required and a PostgreSQL channel may appear only once.
func ParseChannels(s string) ([]Binding, error) {
	var bs []Binding
	seen := map[string]bool{}
	for e := range strings.SplitSeq(s, ",") {
		ch, target, _ := strings.Cut(e, ":")
		ch, target = strings.TrimSpace(ch), strings.TrimSpace(target)
		if seen[ch] && ch != "" {
			return nil, fmt.Errorf("BRIDGE_CHANNELS: duplicate PostgreSQL channel %q", ch)
		}
		seen[ch] = true
		if ch == "" || target == "" {
			continue
		}
		bs = append(bs, Binding{PGChannel: ch, Target: target})
	}
	if len(bs) == 0 {
		return nil, fmt.Errorf("BRIDGE_CHANNELS: no bindings (e.g. pgchannel1:queue1) in %q", s)
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].PGChannel < bs[j].PGChannel })
	return bs, nil
}
