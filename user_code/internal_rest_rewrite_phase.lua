-- rewrite_by_lua_file of location /internal/rest/ ($uri is already /relation...)

-- support /relation/:id urls: /todos/1?select=x -> /todos?select=x&id=eq.1, one object
local m = ngx.re.match(ngx.var.uri, "^/([a-z_]+)/([0-9]+)")
if m then
    ngx.req.set_uri("/" .. m[1])
    local args = ngx.req.get_uri_args()
    args.id = "eq." .. m[2]
    ngx.req.set_uri_args(args)
    ngx.req.set_header("Accept", "application/vnd.pgrst.object+json")
end

if type(hooks.on_rest_request) == "function" then
    hooks.on_rest_request()
end
