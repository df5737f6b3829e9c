-- wrk script for bench/server.sh: GET $PATH_Q, round-robin over the tokens in
-- $TOKENS (none: no Authorization header); with $MAX_REQUESTS each thread
-- stops after that many answers. Prints one parseable line at the end.
--
-- wrk shares the machine with the server, so what it spends per request is
-- taken from the server: the requests are formatted once, in init(), and
-- answers reach Lua only when MAX_REQUESTS needs counting (a `response`
-- function makes wrk copy every answer's headers and body into Lua).
-- Error statuses are counted by wrk itself (summary.errors.status: >= 400).
local path = os.getenv("PATH_Q") or "/api/health"
local max = tonumber(os.getenv("MAX_REQUESTS") or "0")
local threads = {}

function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end

local requests, i = {}, 0

function init(args)
  local file = os.getenv("TOKENS")
  if file and #file > 0 then
    for line in io.lines(file) do
      if #line > 0 then
        requests[#requests + 1] = wrk.format("GET", path, { ["Authorization"] = "Bearer " .. line })
      end
    end
  end
  if #requests == 0 then requests[1] = wrk.format("GET", path) end
end

request = function()
  i = i + 1
  return requests[((i + offset * 7) % #requests) + 1]
end

if max > 0 then
  local answered = 0
  response = function(status)
    answered = answered + 1
    if answered >= max then wrk.thread:stop() end
  end
end

done = function(summary, latency)
  local e = summary.errors
  io.write(string.format("RESULT rps=%.1f p50_ms=%.3f p99_ms=%.3f requests=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests,
    e.connect + e.read + e.write + e.timeout + e.status))
end
