-- Helpers shared by the phase files and the hooks.

-- How the body filter post-processes a response:
--   NONE: untouched; CHUNKS: fn(chunk, eof) -> chunk, eof for every chunk;
--   ALL: the whole body is buffered and fn(body) -> body runs once at eof.
local postprocess_modes = { NONE = 0, CHUNKS = 1, ALL = 2 }

-- the mode and function live in ngx.ctx: they belong to one request
local function set_body_postprocess_mode(mode)
    ngx.ctx.body_postprocess_mode = mode
end

local function get_body_postprocess_mode()
    return ngx.ctx.body_postprocess_mode or postprocess_modes.NONE
end

local function set_body_postprocess_fn(fn)
    ngx.ctx.body_postprocess_fn = fn
end

local function get_body_postprocess_fn()
    return ngx.ctx.body_postprocess_fn
end

-- Called from the body filter: keeps every chunk back (ngx.arg[1] = nil)
-- and returns the whole body once the last chunk has arrived.
local function buffer_response_body()
    local chunk, eof = ngx.arg[1], ngx.arg[2]
    local buffered = ngx.ctx.buffered_response_body
    if not buffered then
        buffered = {}
        ngx.ctx.buffered_response_body = buffered
    end
    if chunk ~= "" then
        buffered[#buffered + 1] = chunk
        ngx.arg[1] = nil
    end
    if eof then
        ngx.ctx.buffered_response_body = nil
        return table.concat(buffered)
    end
end

-- Ends the request with a JSON error body in PostgREST's shape.
local function exit_json(status, message)
    ngx.status = status
    ngx.header.content_type = "application/json; charset=utf-8"
    ngx.say(cjson.encode({ message = message }))
    return ngx.exit(ngx.HTTP_OK)
end

return {
    postprocess_modes = postprocess_modes,
    set_body_postprocess_mode = set_body_postprocess_mode,
    get_body_postprocess_mode = get_body_postprocess_mode,
    set_body_postprocess_fn = set_body_postprocess_fn,
    get_body_postprocess_fn = get_body_postprocess_fn,
    buffer_response_body = buffer_response_body,
    exit_json = exit_json,
}
