// Package ngxssl is lua-resty-core's ngx.ssl for the SSL handshake phases
// (ssl_client_hello_by_lua*, ssl_certificate_by_lua*,
// ssl_session_store_by_lua*): the handshake of the connection being
// served is a *Conn the runtime stores in the entity (Ctx) under Key.
package ngxssl

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"net"
	"strings"

	"github.com/goresty/goresty/luabindings"
	lua "github.com/yuin/gopher-lua"
)

// Key is the Ctx value key of the handshake's *Conn.
type Key struct{}

// Conn is one server-side TLS handshake as the Lua phases see it.
type Conn struct {
	ServerName string // SNI
	Local      net.Addr
	Remote     net.Addr
	Version    uint16 // negotiated version; 0 before the server hello
	// SupportedVersions are the client's (its supported_versions
	// extension or its legacy version).
	SupportedVersions []uint16

	// what the certificate phase set
	CertsCleared bool
	Chain        [][]byte // DER, leaf first
	Key          crypto.Signer
}

// Certificate is the certificate the Lua code installed, or nil when it
// left the configured one.
func (c *Conn) Certificate() (*tls.Certificate, error) {
	if !c.CertsCleared && c.Chain == nil && c.Key == nil {
		return nil, nil
	}
	if len(c.Chain) == 0 || c.Key == nil {
		return &tls.Certificate{}, nil
	}
	cert := &tls.Certificate{Certificate: c.Chain, PrivateKey: c.Key}
	leaf, err := x509.ParseCertificate(c.Chain[0])
	if err != nil {
		return nil, err
	}
	cert.Leaf = leaf
	return cert, nil
}

func init() {
	luabindings.RegisterModule("ngx.ssl", load)
}

// the cdata-like values parse_pem_cert and parse_pem_priv_key return
type certChain struct{ der [][]byte }
type privKey struct{ key crypto.Signer }

// LuaCData: type() gives "cdata", as for lua-resty-core's pointers.
func (*certChain) LuaCData() {}

// LuaCData: type() gives "cdata".
func (*privKey) LuaCData() {}

func conn(vm *luabindings.VM, L *lua.LState) *Conn {
	c := vm.Current()
	if c == nil {
		L.RaiseError("no request found")
	}
	if s, ok := c.Value(Key{}).(*Conn); ok {
		return s
	}
	return nil
}

func fail(L *lua.LState, msg string) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(msg))
	return 2
}

func load(vm *luabindings.VM, L *lua.LState) lua.LValue {
	m := L.NewTable()
	needConn := func(L *lua.LState) *Conn {
		s := conn(vm, L)
		if s == nil {
			return nil
		}
		return s
	}
	fns := map[string]lua.LGFunction{
		"clear_certs": func(L *lua.LState) int {
			s := needConn(L)
			if s == nil {
				return fail(L, "no request found")
			}
			s.CertsCleared, s.Chain, s.Key = true, nil, nil
			L.Push(lua.LTrue)
			return 1
		},
		"set_der_cert": func(L *lua.LState) int {
			s := needConn(L)
			if s == nil {
				return fail(L, "no request found")
			}
			der := L.CheckString(1)
			chain, err := splitDER([]byte(der))
			if err != nil {
				return fail(L, "d2i_X509_bio() failed")
			}
			s.Chain = chain
			L.Push(lua.LTrue)
			return 1
		},
		"set_der_priv_key": func(L *lua.LState) int {
			s := needConn(L)
			if s == nil {
				return fail(L, "no request found")
			}
			k, err := parseKeyDER([]byte(L.CheckString(1)))
			if err != nil {
				return fail(L, "d2i_PrivateKey_bio() failed")
			}
			s.Key = k
			L.Push(lua.LTrue)
			return 1
		},
		"cert_pem_to_der": func(L *lua.LState) int {
			chain := pemBlocks([]byte(L.CheckString(1)), "CERTIFICATE")
			if len(chain) == 0 {
				return fail(L, "PEM_read_bio_X509_AUX() failed")
			}
			L.Push(lua.LString(strings.Join(chain, "")))
			return 1
		},
		"priv_key_pem_to_der": func(L *lua.LState) int {
			k, err := parseKeyPEM([]byte(L.CheckString(1)))
			if err != nil {
				return fail(L, "PEM_read_bio_PrivateKey() failed")
			}
			der, err := x509.MarshalPKCS8PrivateKey(k)
			if err != nil {
				return fail(L, "i2d_PrivateKey() failed")
			}
			L.Push(lua.LString(der))
			return 1
		},
		"parse_pem_cert": func(L *lua.LState) int {
			chain := pemBlocks([]byte(L.CheckString(1)), "CERTIFICATE")
			if len(chain) == 0 {
				return fail(L, "PEM_read_bio_X509_AUX() failed")
			}
			cc := &certChain{}
			for _, d := range chain {
				cc.der = append(cc.der, []byte(d))
			}
			ud := L.NewUserData()
			ud.Value = cc
			L.Push(ud)
			return 1
		},
		"parse_pem_priv_key": func(L *lua.LState) int {
			k, err := parseKeyPEM([]byte(L.CheckString(1)))
			if err != nil {
				return fail(L, "PEM_read_bio_PrivateKey() failed")
			}
			ud := L.NewUserData()
			ud.Value = &privKey{k}
			L.Push(ud)
			return 1
		},
		"set_cert": func(L *lua.LState) int {
			s := needConn(L)
			if s == nil {
				return fail(L, "no request found")
			}
			cc, ok := L.CheckUserData(1).Value.(*certChain)
			if !ok {
				return fail(L, "bad cert arg")
			}
			s.Chain = cc.der
			L.Push(lua.LTrue)
			return 1
		},
		"set_priv_key": func(L *lua.LState) int {
			s := needConn(L)
			if s == nil {
				return fail(L, "no request found")
			}
			k, ok := L.CheckUserData(1).Value.(*privKey)
			if !ok {
				return fail(L, "bad priv key arg")
			}
			s.Key = k.key
			L.Push(lua.LTrue)
			return 1
		},
		"server_name": func(L *lua.LState) int {
			s := needConn(L)
			if s == nil {
				return fail(L, "no request found")
			}
			if s.ServerName == "" {
				L.Push(lua.LNil)
				return 1
			}
			L.Push(lua.LString(s.ServerName))
			return 1
		},
		"raw_server_addr": func(L *lua.LState) int { return rawAddr(L, needConn(L), false) },
		"raw_client_addr": func(L *lua.LState) int { return rawAddr(L, needConn(L), true) },
		"server_port": func(L *lua.LState) int {
			s := needConn(L)
			if s == nil {
				return fail(L, "no request found")
			}
			if a, ok := s.Local.(*net.TCPAddr); ok {
				L.Push(lua.LNumber(a.Port))
				return 1
			}
			return fail(L, "unix-domain socket")
		},
		"get_tls1_version": func(L *lua.LState) int {
			s := needConn(L)
			if s == nil {
				return fail(L, "no request found")
			}
			L.Push(lua.LNumber(s.version()))
			return 1
		},
		"get_tls1_version_str": func(L *lua.LState) int {
			s := needConn(L)
			if s == nil {
				return fail(L, "no request found")
			}
			name, ok := versionNames[s.version()]
			if !ok {
				return fail(L, "unknown version")
			}
			L.Push(lua.LString(name))
			return 1
		},
	}
	L.SetFuncs(m, fns)
	for name, v := range versionNames {
		m.RawSetString(constName(v), lua.LNumber(name))
	}
	return m
}

// the TLS*_VERSION constants of ngx.ssl
func constName(v string) string {
	switch v {
	case "SSLv3":
		return "SSL3_VERSION"
	case "TLSv1":
		return "TLS1_VERSION"
	case "TLSv1.1":
		return "TLS1_1_VERSION"
	case "TLSv1.2":
		return "TLS1_2_VERSION"
	case "TLSv1.3":
		return "TLS1_3_VERSION"
	}
	return v
}

var versionNames = map[uint16]string{0x300: "SSLv3", tls.VersionTLS10: "TLSv1", tls.VersionTLS11: "TLSv1.1",
	tls.VersionTLS12: "TLSv1.2", tls.VersionTLS13: "TLSv1.3"}

// version is the connection's version: the negotiated one, else the
// highest the client offers (what OpenSSL reports during the handshake).
func (c *Conn) version() uint16 {
	if c.Version != 0 {
		return c.Version
	}
	var v uint16
	for _, s := range c.SupportedVersions {
		if _, known := versionNames[s]; known && s > v {
			v = s
		}
	}
	return v
}

// rawAddr is raw_client_addr / raw_server_addr: the address bytes (the
// path for a unix socket) and "inet", "inet6" or "unix".
func rawAddr(L *lua.LState, s *Conn, client bool) int {
	if s == nil {
		return fail(L, "no request found")
	}
	a := s.Local
	if client {
		a = s.Remote
	}
	switch a := a.(type) {
	case *net.TCPAddr:
		if ip4 := a.IP.To4(); ip4 != nil {
			L.Push(lua.LString(ip4))
			L.Push(lua.LString("inet"))
			return 2
		}
		L.Push(lua.LString(a.IP.To16()))
		L.Push(lua.LString("inet6"))
		return 2
	case *net.UnixAddr:
		name := a.Name
		if client && name == "@" {
			name = ""
		}
		L.Push(lua.LString(name))
		L.Push(lua.LString("unix"))
		return 2
	}
	return fail(L, "unknown address type")
}

// pemBlocks are the DER bytes of the PEM blocks of a type, in order.
func pemBlocks(data []byte, typ string) []string {
	var out []string
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return out
		}
		if b.Type == typ || (typ == "CERTIFICATE" && b.Type == "TRUSTED CERTIFICATE") {
			out = append(out, string(b.Bytes))
		}
	}
}

// splitDER splits concatenated DER certificates.
func splitDER(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		n, err := derLen(b)
		if err != nil {
			return nil, err
		}
		if _, err := x509.ParseCertificate(b[:n]); err != nil {
			return nil, err
		}
		out = append(out, b[:n])
		b = b[n:]
	}
	if len(out) == 0 {
		return nil, errBadDER
	}
	return out, nil
}

type derError string

func (e derError) Error() string { return string(e) }

const errBadDER = derError("bad DER")

// derLen is the length of the DER element b starts with.
func derLen(b []byte) (int, error) {
	if len(b) < 2 {
		return 0, errBadDER
	}
	l := int(b[1])
	hdr := 2
	if l&0x80 != 0 {
		n := l & 0x7f
		if n == 0 || n > 4 || len(b) < 2+n {
			return 0, errBadDER
		}
		var buf [4]byte
		copy(buf[4-n:], b[2:2+n])
		l = int(binary.BigEndian.Uint32(buf[:]))
		hdr += n
	}
	if hdr+l > len(b) {
		return 0, errBadDER
	}
	return hdr + l, nil
}

func parseKeyPEM(data []byte) (crypto.Signer, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, errBadDER
		}
		if strings.HasSuffix(b.Type, "PRIVATE KEY") {
			return parseKeyDER(b.Bytes)
		}
	}
}

func parseKeyDER(der []byte) (crypto.Signer, error) {
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, errBadDER
	}
	return s, nil
}
