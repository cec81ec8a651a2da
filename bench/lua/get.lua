-- GET the URL wrk was given, with the headers passed as arguments ("If-None-Match: ..."),
-- counting answers by status.
local dir = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
local common = dofile(dir .. "common.lua")
setup, done = common.setup, common.done

local request_text

function init(args)
  local headers = {}
  for _, line in ipairs(args) do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    headers[name] = value
  end
  request_text = wrk.format("GET", nil, headers)
end

function request()
  sent = sent + 1
  return request_text
end

function response(status)
  common.count(tostring(status))
end
