package conf

// nginxSpecs mirrors the ngx_command_t entries (contexts and arities) of the
// real nginx / lua-nginx-module / headers-more directives the tests use, so
// the same configs can be checked against a real nginx.
var nginxSpecs = []Spec{
	{Name: "worker_processes", Ctx: Main, Args: Take1},
	{Name: "env", Ctx: Main, Args: Take1},
	{Name: "pid", Ctx: Main, Args: Take1},
	{Name: "daemon", Ctx: Main, Args: Flag},
	{Name: "error_log", Ctx: Main, Args: OneMore},
	{Name: "error_log", Ctx: HTTP | Server | Location, Args: OneMore},
	{Name: "worker_connections", Ctx: Events, Args: Take1},

	{Name: "lua_package_path", Ctx: HTTP, Args: Take1},
	{Name: "init_by_lua_file", Ctx: HTTP, Args: Take1},
	{Name: "init_by_lua_block", Ctx: HTTP, Args: NoArgs, Block: true},
	{Name: "log_format", Ctx: HTTP, Args: TwoMore},
	{Name: "resolver", Ctx: HTTP | Server | Location, Args: OneMore},
	{Name: "lua_shared_dict", Ctx: HTTP, Args: Take2},
	{Name: "uninitialized_variable_warn", Ctx: HTTP | Server | Location | ServerIf | LocationIf, Args: Flag},
	{Name: "server_tokens", Ctx: HTTP | Server | Location, Args: Take1},
	{Name: "default_type", Ctx: HTTP | Server | Location, Args: Take1},

	{Name: "server", Ctx: Upstream, Args: OneMore},
	{Name: "keepalive", Ctx: Upstream, Args: Take1},
	{Name: "balancer_by_lua_block", Ctx: Upstream, Args: NoArgs, Block: true},

	{Name: "listen", Ctx: Server, Args: OneMore},
	{Name: "server_name", Ctx: Server, Args: OneMore},
	{Name: "charset", Ctx: HTTP | Server | Location | LocationIf, Args: Take1},
	{Name: "set", Ctx: Server | ServerIf | Location | LocationIf, Args: Take2},
	{Name: "set_by_lua_block", Ctx: Server | ServerIf | Location | LocationIf, Args: Take1, Block: true},
	{Name: "access_log", Ctx: HTTP | Server | Location | LocationIf | LimitExcept, Args: OneMore},
	{Name: "gzip", Ctx: HTTP | Server | Location | LocationIf, Args: Flag},
	{Name: "gzip_disable", Ctx: HTTP | Server | Location, Args: OneMore},
	{Name: "gzip_vary", Ctx: HTTP | Server | Location, Args: Flag},
	{Name: "gzip_proxied", Ctx: HTTP | Server | Location, Args: OneMore},
	{Name: "gzip_comp_level", Ctx: HTTP | Server | Location, Args: Take1},
	{Name: "gzip_buffers", Ctx: HTTP | Server | Location, Args: Take2},
	{Name: "gzip_http_version", Ctx: HTTP | Server | Location, Args: Take1},
	{Name: "gzip_types", Ctx: HTTP | Server | Location, Args: OneMore},
	{Name: "root", Ctx: HTTP | Server | Location | LocationIf, Args: Take1},
	{Name: "index", Ctx: HTTP | Server | Location, Args: OneMore},

	{Name: "rewrite", Ctx: Server | ServerIf | Location | LocationIf, Args: Take23},
	{Name: "return", Ctx: Server | ServerIf | Location | LocationIf, Args: Take12},
	{Name: "internal", Ctx: Location, Args: NoArgs},
	{Name: "rewrite_by_lua_file", Ctx: HTTP | Server | Location | LocationIf, Args: Take1},
	{Name: "header_filter_by_lua_file", Ctx: HTTP | Server | Location | LocationIf, Args: Take1},
	{Name: "body_filter_by_lua_file", Ctx: HTTP | Server | Location | LocationIf, Args: Take1},
	{Name: "content_by_lua_block", Ctx: Location | LocationIf, Args: NoArgs, Block: true},
	{Name: "access_by_lua_block", Ctx: HTTP | Server | Location | LocationIf, Args: NoArgs, Block: true},
	{Name: "proxy_set_header", Ctx: HTTP | Server | Location, Args: Take2},
	{Name: "proxy_http_version", Ctx: HTTP | Server | Location, Args: Take1},
	{Name: "proxy_pass", Ctx: Location | LocationIf | LimitExcept, Args: Take1},
	{Name: "proxy_hide_header", Ctx: HTTP | Server | Location, Args: Take1},
	{Name: "more_set_headers", Ctx: HTTP | Server | Location | LocationIf, Args: OneMore},
	{Name: "add_header", Ctx: HTTP | Server | Location | LocationIf, Args: Take23},
	{Name: "deny", Ctx: HTTP | Server | Location | LimitExcept, Args: Take1},
	{Name: "allow", Ctx: HTTP | Server | Location | LimitExcept, Args: Take1},
	{Name: "echo", Ctx: Location | LocationIf, Args: AnyArgs},
}

func testRegistry() *Registry {
	r := NewRegistry()
	r.Register(Structural...)
	r.Register(nginxSpecs...)
	return r
}
