-- POST /api/polls/{id}/votes/ as a different user each time, with the user's token.
-- Arguments: targets file, first user, users available, wrk threads.
local dir = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
local common = dofile(dir .. "common.lua")
setup, done = common.setup, common.done

local targets, first, next_voter

function init(args)
  targets = common.read_targets(args[1])
  first = tonumber(args[2])
  next_voter = common.voters(first, tonumber(args[3]), tonumber(args[4]))
end

function request()
  sent = sent + 1
  local user = next_voter()
  if not user then return common.exhausted() end
  local public_id, option = common.target(targets, first, user)
  return wrk.format("POST", "/api/polls/" .. public_id .. "/votes/", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = string.format("Token bench%035d", user),
  }, '{"option": ' .. option .. '}')
end

function response(status)
  common.count(tostring(status))
end
