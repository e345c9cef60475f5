-- wrk script: POST one Open Inference Protocol request to the same endpoint
-- `inferd bench` loads. The body comes from the file in $WRK_BODY_FILE (for
-- example the request `inferd bench` builds), else a small FP32 [1,4] request.
-- The path is $WRK_PATH, default /v2/models/m/infer.
local body = '{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[0.25,-0.5,0.75,-1]}]}'
local file = os.getenv("WRK_BODY_FILE")
if file then
  local f = assert(io.open(file, "rb"))
  body = f:read("*a")
  f:close()
end
wrk.method = "POST"
wrk.path = os.getenv("WRK_PATH") or "/v2/models/m/infer"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"

local non200 = 0
function response(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end

function done(summary, latency, requests)
  io.write(string.format("wrk: %d requests, %.0f req/s, p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, errors %d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout +
    summary.errors.status))
end
