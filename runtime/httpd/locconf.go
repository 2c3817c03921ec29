package httpd

import (
	"regexp"
	"time"

	lua "github.com/yuin/gopher-lua"
)

type locKind uint8

const (
	locPrefix locKind = iota
	locExact
	locNoRegex // ^~
	locRegex
	locNamed
	locIf
	locServer // the server-level configuration
	locHTTP   // the http-level configuration
)

// LocConf is the configuration of one level: http, server, location or
// an "if" block. Settings left unset at a level are merged from the
// enclosing level after parsing, as nginx's merge_loc_conf does.
type LocConf struct {
	kind     locKind
	name     string
	re       *regexp.Regexp
	parent   *LocConf
	srv      *Server
	file     string
	line     int
	internal bool

	// nested locations
	static []*LocConf // exact and prefix, in config order
	regex  []*LocConf
	named  map[string]*LocConf
	ifs    []*LocConf

	limitRules []accessRule

	// the content handler (proxy_pass, content_by_lua; nil: static
	// files), not inherited but by "if" blocks
	handler ContentHandler
	// auto_redirect: "/dir" gets a 301 to this "location /dir/"
	autoRedirect bool
	// confs are the modules' settings of this level, by Module.index
	confs []any

	// inherited Lua handlers
	rewriteLua, accessLua, headerFilterLua, bodyFilterLua, logLua *luaHandler

	s settings
}

// settings are the inheritable directives of a level.
type settings struct {
	root         *cvalue // may hold variables
	rootSet      bool
	alias        *cvalue
	defaultType  string
	defaultSet   bool
	charset      string
	charsetSet   bool
	charsetTypes []string
	types        map[string]string
	maxBody      int64 // -1 unset
	bodyBuf      int64 // client_body_buffer_size, -1 unset
	bodyInFile   int8  // client_body_in_file_only: 0 off, bodyFileKeep (on), bodyFileClean; -1 unset

	maxRunning time.Duration // lua_max_running_time: 0 unset, -1 off
	// the Lua SSL phases (ssl_lua.go)
	sslHello, sslCert, sslStore *luaHandler
	// codeCacheOff is lua_code_cache: 1 off (a Lua VM per request), -1
	// on, 0 unset (on)
	codeCacheOff int8

	errorPages    map[int]*errorPage
	errorPagesSet bool
	access        []accessRule
	accessSet     bool
	serverTokens  int8
	etag          int8
	msiePadding   int8 // msie_padding
	msieRefresh   int8 // msie_refresh
	chunkedTE     int8 // chunked_transfer_encoding
	underscores   int8 // underscores_in_headers (http, server)
	ignoreInvalid int8 // ignore_invalid_headers (http, server)
	ifModified    int8 // 0 off, 1 exact, 2 before
	recursiveEP   int8 // recursive_error_pages
	logNotFound   int8
	keepalive     int8
	keepaliveReqs int // keepalive_requests, -1: unset
	// keepalive_timeout's time and header time (-1: unset)
	keepaliveTime, keepaliveHdr time.Duration
	checkAbort                  int8
	// how nginx makes its own redirects absolute
	nameInRedirect, portInRedirect, absRedirect int8
	mergeSlashes                                int8
	needBody                                    int8 // lua_need_request_body
	underscoreHdr                               int8 // lua_transform_underscores_in_response_headers
	defaultTypeLua                              int8 // lua_use_default_type
	http10Buf                                   int8 // lua_http10_buffering
	limitExcept                                 []string
	// serverRewriteLua is server_rewrite_by_lua (http and server levels)
	serverRewriteLua *luaHandler
	satisfy          int8 // -1 unset, satisfyAll, satisfyAny
}

const (
	satisfyAll int8 = iota
	satisfyAny
)

func newSettings() settings {
	return settings{maxBody: -1, bodyBuf: -1, bodyInFile: -1, serverTokens: -1, keepalive: -1, keepaliveReqs: -1, keepaliveTime: -1, keepaliveHdr: -1, checkAbort: -1, nameInRedirect: -1, portInRedirect: -1, absRedirect: -1, mergeSlashes: -1, needBody: -1, underscoreHdr: -1, defaultTypeLua: -1, http10Buf: -1, etag: -1, msiePadding: -1, msieRefresh: -1, chunkedTE: -1, underscores: -1, ignoreInvalid: -1, satisfy: -1, ifModified: -1, recursiveEP: -1, logNotFound: -1}
}

// merge fills unset settings of s from the enclosing level p.
func (s *settings) merge(p *settings) {
	if !s.rootSet && s.alias == nil {
		s.root, s.rootSet = p.root, p.rootSet
	}
	if !s.defaultSet {
		s.defaultType, s.defaultSet = p.defaultType, p.defaultSet
	}
	if !s.charsetSet {
		s.charset, s.charsetSet = p.charset, p.charsetSet
	}
	if s.types == nil {
		s.types = p.types
	}
	if s.charsetTypes == nil {
		s.charsetTypes = p.charsetTypes
	}
	if s.bodyBuf < 0 {
		s.bodyBuf = p.bodyBuf
	}
	if s.bodyInFile < 0 {
		s.bodyInFile = p.bodyInFile
	}
	if s.maxBody < 0 {
		s.maxBody = p.maxBody
	}
	if s.maxRunning == 0 {
		s.maxRunning = p.maxRunning
	}
	if s.sslHello == nil {
		s.sslHello = p.sslHello
	}
	if s.sslCert == nil {
		s.sslCert = p.sslCert
	}
	if s.sslStore == nil {
		s.sslStore = p.sslStore
	}
	if s.codeCacheOff == 0 {
		s.codeCacheOff = p.codeCacheOff
	}
	if !s.errorPagesSet {
		s.errorPages, s.errorPagesSet = p.errorPages, p.errorPagesSet
	}
	if !s.accessSet {
		s.access, s.accessSet = p.access, p.accessSet
	}
	if s.limitExcept == nil {
		s.limitExcept = p.limitExcept
	}
	if s.serverRewriteLua == nil {
		s.serverRewriteLua = p.serverRewriteLua
	}
	mergeTri(&s.satisfy, p.satisfy)
	mergeTri(&s.serverTokens, p.serverTokens)
	mergeTri(&s.etag, p.etag)
	mergeTri(&s.msiePadding, p.msiePadding)
	mergeTri(&s.msieRefresh, p.msieRefresh)
	mergeTri(&s.chunkedTE, p.chunkedTE)
	mergeTri(&s.underscores, p.underscores)
	mergeTri(&s.ignoreInvalid, p.ignoreInvalid)
	mergeTri(&s.ifModified, p.ifModified)
	mergeTri(&s.recursiveEP, p.recursiveEP)
	mergeTri(&s.logNotFound, p.logNotFound)
	mergeTri(&s.keepalive, p.keepalive)
	if s.keepaliveReqs < 0 {
		s.keepaliveReqs = p.keepaliveReqs
	}
	if s.keepaliveTime < 0 {
		s.keepaliveTime = p.keepaliveTime
	}
	if s.keepaliveHdr < 0 {
		s.keepaliveHdr = p.keepaliveHdr
	}
	mergeTri(&s.checkAbort, p.checkAbort)
	mergeTri(&s.nameInRedirect, p.nameInRedirect)
	mergeTri(&s.portInRedirect, p.portInRedirect)
	mergeTri(&s.absRedirect, p.absRedirect)
	mergeTri(&s.mergeSlashes, p.mergeSlashes)
	mergeTri(&s.needBody, p.needBody)
	mergeTri(&s.underscoreHdr, p.underscoreHdr)
	mergeTri(&s.defaultTypeLua, p.defaultTypeLua)
	mergeTri(&s.http10Buf, p.http10Buf)
}

func mergeTri(v *int8, p int8) {
	if *v < 0 {
		*v = p
	}
}

// defaults applies nginx's defaults at the http level.
func (s *settings) defaults() {
	if !s.rootSet && s.alias == nil {
		s.root = &cvalue{raw: "html", lit: "html"}
	}
	if !s.defaultSet {
		s.defaultType = "text/plain"
	}
	if s.bodyBuf < 0 {
		s.bodyBuf = 16 << 10 // nginx's default on 64-bit: two pages
	}
	if s.bodyInFile < 0 {
		s.bodyInFile = 0
	}
	if s.maxBody < 0 {
		s.maxBody = 1 << 20
	}
	def := func(v *int8, d int8) {
		if *v < 0 {
			*v = d
		}
	}
	def(&s.serverTokens, 1)
	def(&s.satisfy, satisfyAll)
	def(&s.etag, 1)
	def(&s.msiePadding, 1)
	def(&s.msieRefresh, 0)
	def(&s.chunkedTE, 1)
	def(&s.underscores, 0)
	def(&s.ignoreInvalid, 1)
	def(&s.ifModified, 1)
	def(&s.logNotFound, 1)
	def(&s.nameInRedirect, 0)
	def(&s.portInRedirect, 1)
	def(&s.absRedirect, 1)
	def(&s.mergeSlashes, 1)
	def(&s.needBody, 0)
	def(&s.underscoreHdr, 1)
	def(&s.defaultTypeLua, 1)
	def(&s.http10Buf, 1)
}

// luaHandler is a piece of Lua code from a *_by_lua* directive. Code is
// compiled once at config load; files named with variables are compiled
// on first use and cached per path.
type luaHandler struct {
	id      int
	name    string // chunk name
	proto   *lua.FunctionProto
	file    *cvalue // for *_by_lua_file
	fileRaw string
	loadErr error
	setVar  int // set_by_lua target slot
	args    []*cvalue
}

// keepaliveRequestsOr is keepalive_requests, nginx's 1000 when unset.
func (s *settings) keepaliveRequestsOr() int {
	if s.keepaliveReqs < 0 {
		return 1000
	}
	return s.keepaliveReqs
}
