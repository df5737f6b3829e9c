-- wrk script: GET /api/view/runs round-robin over the impersonation tokens in
-- the file named by TOKENS (one a line, from `viewas-load tokens`), so the
-- load is N concurrent sessions, each request audited.
--   TOKENS=tokens.txt wrk -t2 -c64 -d10s -s server/load/runs.lua http://127.0.0.1:8080
-- Optional PATH_Q overrides the path (default /api/view/runs?limit=50).
local tokens = {}
for line in io.lines(os.getenv("TOKENS") or "tokens.txt") do
  if #line > 0 then tokens[#tokens + 1] = line end
end
local path = os.getenv("PATH_Q") or "/api/view/runs?limit=50"
local counter = 0
local non2xx = 0

function setup(thread)
  thread:set("offset", counter)
  counter = counter + 1
end

local i = 0
request = function()
  i = i + 1
  local t = tokens[((i + (offset or 0) * 7) % #tokens) + 1]
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. t })
end

response = function(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if non2xx <= 3 then io.stderr:write("non-2xx: " .. status .. " " .. body .. "\n") end
  end
end

done = function(summary, latency, requests)
  io.write(string.format("requests/s %.1f  p50 %.2f ms  p99 %.2f ms  errors(connect/read/write/timeout/status) %d/%d/%d/%d/%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout, summary.errors.status))
end
