-- wrk script: POST /api/v1/needs with a random customer of the business.
-- Environment: TOKEN (a staff bearer token), CUSTOMERS (a file of customer ids, one per line).
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ids = {}
  for line in io.lines(os.getenv("CUSTOMERS")) do ids[#ids + 1] = line end
  created, other, n = 0, 0, 0
  auth = "Bearer " .. os.getenv("TOKEN")
  math.randomseed(os.time() + #threads)
end

function request()
  n = n + 1
  local body = '{"customer_id": ' .. ids[math.random(#ids)]
    .. ', "kind": "question", "summary": "wrk need ' .. n .. '", "goal": "Voor vrijdag"}'
  return wrk.format("POST", "/api/v1/needs",
    {["Content-Type"] = "application/json", ["Authorization"] = auth}, body)
end

function response(status, headers, body)
  if status == 201 then created = created + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local c, o = 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created")
    o = o + t:get("other")
  end
  io.write(string.format(
    "RESULT created=%d other=%d errors=%d p50_ms=%.1f p95_ms=%.1f p99_ms=%.1f\n",
    c, o, summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
