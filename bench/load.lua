-- wrk script for bench/server.sh: GET $PATH_Q, round-robin over the tokens in
-- $TOKENS (none: no Authorization header); with $MAX_REQUESTS each thread
-- stops after that many answers. Prints one parseable line at the end.
local tokens = {}
local file = os.getenv("TOKENS")
if file and #file > 0 then
  for line in io.lines(file) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
end
local path = os.getenv("PATH_Q") or "/api/health"
local max = tonumber(os.getenv("MAX_REQUESTS") or "0")
local threads = {}

function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end

local i, answered, bad = 0, 0, 0
request = function()
  i = i + 1
  if #tokens == 0 then return wrk.format("GET", path) end
  local t = tokens[((i + offset * 7) % #tokens) + 1]
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. t })
end

response = function(status)
  answered = answered + 1
  if status < 200 or status > 299 then
    bad = bad + 1
    if bad <= 3 then io.stderr:write("non-2xx answer: " .. status .. "\n") end
  end
  if max > 0 and answered >= max then wrk.thread:stop() end
end

done = function(summary, latency)
  local e = summary.errors
  io.write(string.format("RESULT rps=%.1f p50_ms=%.3f p99_ms=%.3f requests=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests,
    e.connect + e.read + e.write + e.timeout + e.status))
end
