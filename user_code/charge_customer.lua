-- POST /rest/rpc/charge_customer  (form body: stripeToken=...)
-- Charges the signed-in user 99.00 USD through a Stripe-style payment API:
-- creates a customer from the card token, then charges that customer.
-- Without a valid Bearer JWT the endpoint does not exist (404).
local cjson = require "cjson"
local jwt = require "resty.jwt"
local http = require "resty.http"

local AMOUNT, CURRENCY = 9900, "usd"

local function answer(status, body)
    ngx.status = status
    ngx.header.content_type = "application/json; charset=utf-8"
    ngx.say(cjson.encode(body))
    return ngx.exit(ngx.HTTP_OK)
end

local auth = ngx.var.http_authorization
local token = auth and auth:match("^Bearer%s+(%S+)%s*$")
if not token then
    return ngx.exit(ngx.HTTP_NOT_FOUND)
end

local jwt_obj = jwt:verify(os.getenv("JWT_SECRET"), token)
if not jwt_obj.verified then
    ngx.log(ngx.INFO, "charge_customer: rejected token: ", jwt_obj.reason)
    return ngx.exit(ngx.HTTP_NOT_FOUND)
end

if ngx.req.get_method() ~= "POST" then
    ngx.header["Allow"] = "POST"
    return answer(ngx.HTTP_NOT_ALLOWED, { message = "use POST" })
end

ngx.req.read_body()
local args = ngx.req.get_post_args()
local card_token = args.stripeToken
if type(card_token) ~= "string" or card_token == "" then
    return answer(ngx.HTTP_BAD_REQUEST, { message = "stripeToken is required" })
end

local api = os.getenv("PAYMENT_API_URL") or "https://api.stripe.com"
local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = "Bearer " .. (os.getenv("PAYMENT_API_KEY") or ""),
}
local httpc = http.new()
httpc:set_timeout(10000)

-- POSTs a form to the payment API and returns the decoded JSON object
local function call(path, form)
    local res, err = httpc:request_uri(api .. path, {
        method = "POST",
        body = ngx.encode_args(form),
        headers = headers,
    })
    if not res then
        return nil, "payment API unreachable: " .. tostring(err)
    end
    local ok, obj = pcall(cjson.decode, res.body or "")
    if res.status ~= 200 or not ok or type(obj) ~= "table" or not obj.id then
        ngx.log(ngx.ERR, "charge_customer: ", path, " answered ", res.status, ": ", res.body)
        return nil, "payment API refused " .. path
    end
    return obj
end

local user_id = jwt_obj.payload.user_id
local customer, err = call("/v1/customers", {
    source = card_token,
    description = "user " .. tostring(user_id),
})
if not customer then
    return answer(ngx.HTTP_BAD_GATEWAY, { message = err })
end

local charge
charge, err = call("/v1/charges", {
    amount = AMOUNT,
    currency = CURRENCY,
    customer = customer.id,
})
if not charge then
    return answer(ngx.HTTP_BAD_GATEWAY, { message = err })
end

return answer(ngx.HTTP_OK, {
    customer = customer.id,
    charge = charge.id,
    amount = AMOUNT,
    currency = CURRENCY,
    status = charge.status,
})
