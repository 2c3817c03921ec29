// Package amqpspawn is the amqpspawn-compatible worker mode: for each
// message it runs a program as `program TEMPFILE ROUTING_KEY`, where
// TEMPFILE holds the raw message body, so existing worker scripts port
// unchanged. Without a program it prints `"TEMPFILE" "ROUTING_KEY"`
// lines on stdout (the temp file is then left for the reader).
package amqpspawn

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/goresty/goresty/events/worker"
)

// Config is the parsed amqpspawn command line.
type Config struct {
	Host, Port, VHost, User, Password string
	URL                               string // --url overrides the parts above
	Queue                             string
	Program                           string
	Exchange, BindingKey              string
	Timeout                           time.Duration
}

// AMQPURL builds the broker URL.
func (c Config) AMQPURL() string {
	if c.URL != "" {
		return c.URL
	}
	u := url.URL{Scheme: "amqp", User: url.UserPassword(c.User, c.Password), Host: net.JoinHostPort(c.Host, c.Port)}
	u.Path = "/" + c.VHost
	if c.VHost == "/" {
		u.Path = "/"
	}
	return u.String()
}

// Usage is amqpspawn's help text plus goresty's extensions.
const Usage = `Usage: goresty worker amqpspawn [options] exchange bindingkey
Options:
  --host/-h host         specify the host (default: "amqpbroker")
  --port/-P port         specify AMQP port (default: 5672)
  --vhost/-v vhost       specify vhost (default: "/")
  --queue/-q queue       specify queue name (default: auto-generated)
  --execute/-e program   program to execute
  --user/-u username     specify username (default: "guest")
  --password/-p password specify password (default: "guest")
  --url amqp-url         broker URL (goresty; overrides host/port/vhost/user/password)
  --timeout duration     kill the program after this long (goresty; default: none)

The following environment variables may also be set:
  AMQP_HOST, AMQP_PORT, AMQP_VHOST, AMQP_USER, AMQP_PASSWORD

Program will be called like "program tempfile routing_key"
  where tempfile contains the raw bytestream of the message.
A non-zero exit status fails the message (retried, then dead-lettered,
when --queue names a queue).
If program is not supplied, the above format will be printed to stdout.
`

// Parse reads amqpspawn's arguments; getenv supplies the AMQP_* defaults.
func Parse(args []string, getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	def := func(k, d string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return d
	}
	c := Config{Host: def("AMQP_HOST", "amqpbroker"), Port: def("AMQP_PORT", "5672"), VHost: def("AMQP_VHOST", "/"),
		User: def("AMQP_USER", "guest"), Password: def("AMQP_PASSWORD", "guest")}
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(a, "=")
		var dst *string
		switch name {
		case "--host", "-h":
			dst = &c.Host
		case "--port", "-P":
			dst = &c.Port
		case "--vhost", "-v":
			dst = &c.VHost
		case "--queue", "-q":
			dst = &c.Queue
		case "--execute", "-e":
			dst = &c.Program
		case "--user", "-u":
			dst = &c.User
		case "--password", "-p":
			dst = &c.Password
		case "--url":
			dst = &c.URL
		case "--timeout":
			if !hasVal {
				if i+1 >= len(args) {
					return c, fmt.Errorf("option %s needs a value", name)
				}
				i++
				val = args[i]
			}
			d, err := time.ParseDuration(val)
			if err != nil {
				return c, fmt.Errorf("--timeout: %w", err)
			}
			c.Timeout = d
			continue
		case "--help":
			return c, fmt.Errorf("help requested")
		default:
			if strings.HasPrefix(a, "-") && a != "-" {
				return c, fmt.Errorf("unknown option %s", a)
			}
			pos = append(pos, a)
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return c, fmt.Errorf("option %s needs a value", name)
			}
			i++
			val = args[i]
		}
		*dst = val
	}
	if len(pos) != 2 {
		return c, fmt.Errorf("want exactly two arguments: exchange bindingkey")
	}
	c.Exchange, c.BindingKey = pos[0], pos[1]
	return c, nil
}

// Options turns the configuration into worker options: one message at a
// time, in order, as amqpspawn does.
func (c Config) Options(stdout io.Writer) worker.Options {
	return worker.Options{URL: c.AMQPURL(), Exchange: c.Exchange, Bindings: []string{c.BindingKey}, Queue: c.Queue,
		Concurrency: 1, Prefetch: 1,
		NewHandler: func(int, int) (worker.Handler, error) {
			return &Exec{Program: c.Program, Timeout: c.Timeout, Stdout: stdout}, nil
		}}
}

// Exec runs Program per message.
type Exec struct {
	Program string
	Timeout time.Duration
	Stdout  io.Writer // for the no-program mode and the program's output
	mu      sync.Mutex
}

// Handle writes the body to a temp file and runs the program on it.
func (e *Exec) Handle(ctx context.Context, m *worker.Message) error {
	f, err := os.CreateTemp("", "amqpspawn-*")
	if err != nil {
		return err
	}
	name := f.Name()
	_, err = f.Write(m.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return err
	}
	out := e.Stdout
	if out == nil {
		out = os.Stdout
	}
	if e.Program == "" {
		e.mu.Lock()
		defer e.mu.Unlock()
		_, err := fmt.Fprintf(out, "%q %q\n", name, m.RoutingKey)
		return err
	}
	defer os.Remove(name)
	if e.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.Timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, e.Program, name, m.RoutingKey)
	cmd.Stdout, cmd.Stderr = out, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", e.Program, err)
	}
	return nil
}
