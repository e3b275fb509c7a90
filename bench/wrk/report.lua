-- wrk script for bench/wrk/run.py: prints one machine-readable summary line at the end.
-- TORUS_WRK_POST_BYTES=N makes every request a POST with an N-byte body.
local post = tonumber(os.getenv("TORUS_WRK_POST_BYTES") or "")
if post then
  wrk.method = "POST"
  wrk.body = string.rep("a", post)
  wrk.headers["Content-Type"] = "application/octet-stream"
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "TORUS_WRK requests=%d duration_us=%d bytes=%d p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d " ..
    "connect_errors=%d read_errors=%d write_errors=%d timeouts=%d non2xx=%d\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max,
    e.connect, e.read, e.write, e.timeout, e.status))
end
