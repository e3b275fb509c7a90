-- wrk script for tests/soak/soak.py: requests rotate over the app's endpoints; the summary
-- line at the end has the counts soak.py checks (every error kind, non-2xx responses).
local paths = {"/", "/json", "/stream", "/proxy", "/crypto?n="}
local i = 0

request = function()
  i = i + 1
  local path = paths[(i % #paths) + 1]
  if path == "/crypto?n=" then path = path .. i end
  return wrk.format("GET", path)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "SOAK_WRK requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d " ..
    "connect_errors=%d read_errors=%d write_errors=%d timeouts=%d non2xx=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.timeout, e.status))
end
