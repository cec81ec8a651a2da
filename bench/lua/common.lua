-- Shared by the benchmark's wrk scripts: every answer counted by status in each thread, one
-- voter per request taken from the thread's own range, and the results printed at the end as
-- one JSON line (BENCH_JSON ...) that bench/wrk.py reads.
local M = {}
local threads = {}

-- Setup phase (wrk's main environment): number the threads.
function M.setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

-- Running phase (each thread's environment).
sent = 0
statuses = {}

function M.count(key)
  statuses[key] = (statuses[key] or 0) + 1
end

-- Each thread votes as users first + index * per ... first + (index + 1) * per - 1, so no
-- (user, poll) pair is ever sent twice. Returns nil when the thread has used them all.
function M.voters(first, available, thread_count)
  local per = math.floor(available / thread_count)
  local next_user = first + thread_index * per
  local last = next_user + per - 1
  return function()
    if next_user > last then return nil end
    next_user = next_user + 1
    return next_user - 1
  end
end

-- Lines of "public_id option_id option_id ...": the polls a run votes in.
function M.read_targets(path)
  local targets = {}
  for line in io.lines(path) do
    local words = {}
    for word in line:gmatch("%S+") do table.insert(words, word) end
    table.insert(targets, {public_id = words[1], options = {unpack(words, 2)}})
  end
  return targets
end

-- The poll and option voter `user` votes for: users take the polls in turn, and an option
-- by their number.
function M.target(targets, first, user)
  local target = targets[(user - first) % #targets + 1]
  return target.public_id, target.options[user % #target.options + 1]
end

-- What wrk answers for a voter once the range is used up: cheap, and counted, so that the
-- harness refuses the figure rather than vote twice.
function M.exhausted()
  M.count("exhausted")
  return wrk.format("GET", "/bench/ceiling/")
end

-- Done phase (main environment).
function M.done(summary, latency, requests)
  local sent, statuses = 0, {}
  for _, thread in ipairs(threads) do
    sent = sent + (thread:get("sent") or 0)
    for key, n in pairs(thread:get("statuses") or {}) do
      statuses[key] = (statuses[key] or 0) + n
    end
  end
  -- wrk calls thread 1's request() once before the run to check the request's shape
  -- (script_verify_request); that request is never sent.
  sent = sent - 1
  local counted = {}
  for key, n in pairs(statuses) do
    table.insert(counted, string.format('"%s":%d', key, n))
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"duration_us":%d,"requests":%d,"sent":%d,"p50_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"mean_us":%.1f,"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},' ..
    '"statuses":{%s}}\n',
    summary.duration, summary.requests, sent, latency:percentile(50), latency:percentile(99),
    latency.max, latency.mean, errors.connect, errors.read, errors.write, errors.timeout,
    table.concat(counted, ",")))
end

return M
