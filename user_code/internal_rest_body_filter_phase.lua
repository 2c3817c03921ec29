-- body_filter_by_lua_file of location /internal/rest/

local fn = utils.get_body_postprocess_fn()
if type(fn) == "function" then
    local mode = utils.get_body_postprocess_mode()
    if mode == utils.postprocess_modes.CHUNKS then
        ngx.arg[1], ngx.arg[2] = fn(ngx.arg[1], ngx.arg[2])
    elseif mode == utils.postprocess_modes.ALL then
        local body = utils.buffer_response_body()
        if body then
            ngx.arg[1] = fn(body)
        end
    end
end
