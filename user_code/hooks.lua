-- Application hooks called around every proxied REST request.
--   on_init:              once, from init_by_lua (init.lua)
--   on_rest_request:      rewrite phase, after the /:id rewrite, before proxying
--   before_rest_response: header filter phase, with the upstream's status and headers

-- table_column_operator combinations clients may not filter with
-- (e.g. a LIKE on an unindexed column)
local filter_blacklist = {
    projects_name_like = true,
    projects_name_ilike = true,
}

local function check_filters()
    local relation = ngx.var.uri:match("^/([%w_]+)$")
    if not relation then
        return
    end
    for column, values in pairs(ngx.req.get_uri_args()) do
        if type(values) ~= "table" then
            values = { values }
        end
        for _, value in ipairs(values) do
            -- PostgREST filters look like column=operator.value (or not.operator.value)
            local operator = type(value) == "string" and value:gsub("^not%.", ""):match("^([%w_]+)%.")
            if operator and filter_blacklist[relation .. "_" .. column .. "_" .. operator] then
                return utils.exit_json(ngx.HTTP_BAD_REQUEST,
                    "filtering by " .. column .. "/" .. operator .. " is not allowed")
            end
        end
    end
end

-- login and signup answers get the token type, as OAuth clients expect it
local function add_token_type(body)
    local ok, session = pcall(cjson.decode, body)
    if not ok or type(session) ~= "table" or session.token == nil then
        return body
    end
    session.token_type = "Bearer"
    return cjson.encode(session)
end

local session_endpoints = { ["/rpc/login"] = true, ["/rpc/signup"] = true }

local function on_init()
    hooks_initialized = true
end

local function on_rest_request()
    check_filters()
end

local function before_rest_response()
    if ngx.status == ngx.HTTP_OK and session_endpoints[ngx.var.uri] then
        utils.set_body_postprocess_mode(utils.postprocess_modes.ALL)
        utils.set_body_postprocess_fn(add_token_type)
    end
end

return {
    on_init = on_init,
    on_rest_request = on_rest_request,
    before_rest_response = before_rest_response,
}
