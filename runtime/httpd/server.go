package httpd

import (
	"crypto/tls"
	"regexp"
	"strings"
)

// Server is one server{} block.
type Server struct {
	listens         []listen
	names           []string         // exact names, lowercased
	wildStart       []string         // "*.example.com" stored as ".example.com"
	wildEnd         []string         // "www.example.*" stored as "www.example."
	regexes         []*regexp.Regexp // "~^..."
	loc             *LocConf
	headerBuf       int   // large_client_header_buffers size: longest request or header line
	headerBufs      int   // large_client_header_buffers number: the whole header block fits them all
	clientHeaderBuf int   // client_header_buffer_size: a connection's first read buffer
	minBodyLimit    int64 // smallest client_max_body_size of its locations
}

type listen struct {
	addr          string // host:port
	defaultSrv    bool
	ssl           bool
	http2         bool
	proxyProtocol bool
}

func (s *Server) primaryName() string {
	if len(s.names) > 0 {
		return s.names[0]
	}
	return ""
}

func (s *Server) addName(n string) error {
	if strings.HasPrefix(n, "~") {
		// a regex keeps its case: lowering it would turn \D into \d; the
		// Host it is matched against is lowered already
		re, err := regexp.Compile(n[1:])
		if err != nil {
			return err
		}
		s.regexes = append(s.regexes, re)
		return nil
	}
	n = strings.ToLower(n)
	switch {
	case strings.HasPrefix(n, "*."):
		s.wildStart = append(s.wildStart, n[1:])
	case strings.HasPrefix(n, "."):
		s.names = append(s.names, n[1:])
		s.wildStart = append(s.wildStart, n)
	case strings.HasSuffix(n, ".*"):
		s.wildEnd = append(s.wildEnd, n[:len(n)-1])
	default:
		s.names = append(s.names, n)
	}
	return nil
}

// listenGroup is the set of servers sharing one listen address.
type listenGroup struct {
	addr    string
	servers []*Server
	def     *Server
	ssl     bool
	tls     *tls.Config

	proxyProtocol bool // connections start with a PROXY protocol header

	http2  bool // "listen ... http2": h2 through ALPN over TLS, h2c in cleartext
	h2opts HTTP2Options
}

// find selects the server for a Host as nginx does: exact name, longest
// leading wildcard, longest trailing wildcard, first matching regex, and
// otherwise the default server of the address.
func (g *listenGroup) find(host string) *Server {
	if len(g.servers) == 1 || host == "" {
		return g.def
	}
	for _, s := range g.servers {
		for _, n := range s.names {
			if n == host {
				return s
			}
		}
	}
	var best *Server
	bestLen := 0
	for _, s := range g.servers {
		for _, w := range s.wildStart {
			if strings.HasSuffix(host, w) && len(w) > bestLen {
				best, bestLen = s, len(w)
			}
		}
	}
	if best != nil {
		return best
	}
	for _, s := range g.servers {
		for _, w := range s.wildEnd {
			if strings.HasPrefix(host, w) && len(w) > bestLen {
				best, bestLen = s, len(w)
			}
		}
	}
	if best != nil {
		return best
	}
	for _, s := range g.servers {
		for _, re := range s.regexes {
			if re.MatchString(host) {
				return s
			}
		}
	}
	return g.def
}
