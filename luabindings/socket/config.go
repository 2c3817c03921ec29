// Package socket implements lua-nginx-module's cosockets: ngx.socket.tcp,
// ngx.socket.connect, ngx.socket.stream and ngx.socket.udp, on Go net.Conn.
// Blocking I/O runs with the worker VM released (VM.Unlocked), so a request
// waiting on a socket never stalls the other requests of its worker.
package socket

import (
	"context"
	"crypto/x509"
	"net"
	"time"

	"github.com/goresty/goresty/luabindings"
)

// ServiceKey is the VM.Services key under which the runtime may store a
// *Config for a VM (the lua_socket_* directives). It is read lazily when a
// socket is created, so it may be set after the VM is built.
const ServiceKey = "socket.config"

// Config holds the lua_socket_* and lua_ssl_* settings cosockets use.
type Config struct {
	ConnectTimeout   time.Duration // lua_socket_connect_timeout (60s)
	SendTimeout      time.Duration // lua_socket_send_timeout (60s)
	ReadTimeout      time.Duration // lua_socket_read_timeout (60s)
	KeepaliveTimeout time.Duration // lua_socket_keepalive_timeout (60s); 0 = no limit
	PoolSize         int           // lua_socket_pool_size (30)
	BufferSize       int           // lua_socket_buffer_size (4k)
	LogErrors        bool          // lua_socket_log_errors (on)
	// RootCAs verifies peers in sslhandshake(…, verify=true)
	// (lua_ssl_trusted_certificate). nil means the system roots.
	RootCAs *x509.CertPool
	// MinVersion, MaxVersion bound the TLS versions sslhandshake offers
	// (lua_ssl_protocols); 0 is Go's default.
	MinVersion, MaxVersion uint16
	// Resolver resolves host names when DNS is nil; nil means Go's
	// default resolver (nginx needs a "resolver" directive instead).
	Resolver *net.Resolver
	// DNS is the "resolver" directive's client; its errors read as
	// nginx's ("3: Host not found").
	DNS NameResolver
	// Debug enables lua-nginx-module's debug-level lines (error_log ... debug).
	Debug bool
	// BgLog writes a line outside any request (the keepalive pool's events);
	// nil drops them.
	BgLog func(level int, msg string)
}

// NameResolver looks a host name up (runtime/resolver.Resolver).
type NameResolver interface {
	Lookup(ctx context.Context, name string) ([]net.IP, error)
}

// DefaultConfig holds the lua-nginx-module defaults.
var DefaultConfig = Config{
	ConnectTimeout:   60 * time.Second,
	SendTimeout:      60 * time.Second,
	ReadTimeout:      60 * time.Second,
	KeepaliveTimeout: 60 * time.Second,
	PoolSize:         30,
	BufferSize:       4096,
	LogErrors:        true,
}

// ConfigOf returns the socket configuration of vm.
func ConfigOf(vm *luabindings.VM) *Config {
	if c, ok := vm.Services[ServiceKey].(*Config); ok && c != nil {
		return c
	}
	return &DefaultConfig
}

func (c *Config) bufSize() int {
	if c.BufferSize <= 0 {
		return 4096
	}
	return c.BufferSize
}
