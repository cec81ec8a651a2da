-- The poll page's vote form: POST /polls/{id}/vote with the user's session cookie and a CSRF
-- token, then GET the page it redirects to with the same cookies (and the message cookie), as
-- a browser does. One connection per wrk thread, so each answer belongs to the thread's last
-- request. Answers are counted as "POST 302" (back to the poll), "POST <other status>",
-- "GET <status>".
-- Arguments: targets file, first user, users available, wrk threads, CSRF secret.
local dir = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
local common = dofile(dir .. "common.lua")
setup, done = common.setup, common.done

local targets, first, next_voter, csrf
local cookie, redirect, following

function init(args)
  targets = common.read_targets(args[1])
  first = tonumber(args[2])
  next_voter = common.voters(first, tonumber(args[3]), tonumber(args[4]))
  csrf = args[5]
end

function request()
  sent = sent + 1
  if redirect then
    following, redirect = redirect, nil
    return following
  end
  local user = next_voter()
  if not user then return common.exhausted() end
  local public_id, option = common.target(targets, first, user)
  cookie = string.format("sessionid=benchsession%020d; csrftoken=%s", user, csrf)
  return wrk.format("POST", "/polls/" .. public_id .. "/vote", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
  }, "csrfmiddlewaretoken=" .. csrf .. "&option=" .. option)
end

function response(status, headers)
  if following then
    following = nil
    common.count("GET " .. status)
    return
  end
  local location = headers["Location"] or ""
  if status == 302 and location:match("^/polls/") then
    common.count("POST 302")
    local messages = (headers["Set-Cookie"] or ""):match("(messages=[^;]*)")
    local with_messages = messages and (cookie .. "; " .. messages) or cookie
    redirect = wrk.format("GET", location, {["Cookie"] = with_messages})
  else
    common.count("POST " .. status)
  end
end
