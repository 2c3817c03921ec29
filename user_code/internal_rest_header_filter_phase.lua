-- header_filter_by_lua_file of location /internal/rest/

if type(hooks.before_rest_response) == "function" then
    hooks.before_rest_response()
end

-- a body post-processor changes the length: the upstream's Content-Length
-- would be wrong, so the response goes out chunked instead
if type(utils.get_body_postprocess_fn()) == "function" then
    ngx.header.content_length = nil
end
