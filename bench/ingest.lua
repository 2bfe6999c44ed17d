-- wrk script of the ingest bench (bench/ingest.py): either the same GET again and again (the
-- baseline and the do-nothing app), or location batches, each from the next device's token
-- with point ids never sent before, so every point is a new one (a resent id is stored once).
--
--   wrk -t THREADS ... -s bench/ingest.lua URL -- STOP THREADS get PATH COOKIE
--   wrk -t THREADS ... -s bench/ingest.lua URL -- STOP THREADS locations TOKENS BATCH NONCE
--
-- STOP is a moment on the monotonic clock (Python's time.monotonic()): no request is sent
-- after it, and wrk's duration (-d) runs a little longer, so that every request sent has
-- its answer counted; a request cut off by wrk's end would be accepted but not counted.
--
-- TOKENS is a file of device tokens, one a line; the threads take them in turn. Point ids
-- are NONCE (8 hex digits, new for every wrk run), the thread, and a counter: unique
-- without randomness. Each batch's points are recorded one second apart up to the
-- moment the request is made. At the end one JSON line goes to stdout (see done()).

local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *ts);
]]
local ts = ffi.new("bench_timespec")
local function monotonic()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC, as Python's time.monotonic()
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

local threads = {}

function setup(thread)
  thread:set("number", #threads)
  table.insert(threads, thread)
end

local mode, path, headers, tokens, batch, nonce, stop, nthreads
-- Globals, so that done() can read each thread's with thread:get().
sent, accepted, answered, statuses, first, last = 0, 0, 0, {}, 0, 0

function init(args)
  stop = tonumber(args[1])
  nthreads = tonumber(args[2])
  mode = args[3]
  if mode == "get" then
    path = args[4]
    headers = {}
    if args[5] and args[5] ~= "" then headers["Cookie"] = args[5] end
    return
  end
  tokens = {}
  for line in io.lines(args[4]) do
    if line ~= "" then table.insert(tokens, line) end
  end
  batch = tonumber(args[5])
  nonce = args[6]
  path = "/api/tech/v1/locations"
end

-- Asked before each request: none more after STOP.
function delay()
  if monotonic() >= stop then return 3600000 end
  return 0
end

local function point(id, when)
  return string.format(
    '{"id":"%s","latitude":%.6f,"longitude":%.6f,"accuracy":%d,"recorded_at":"%s",' ..
    '"speed":%.1f,"heading":%d,"altitude":40.0,"battery":81}',
    id, 47.6 + (id:byte(-1) % 10) / 1000, -122.3 - (id:byte(-2) % 10) / 1000,
    5 + sent % 20, when, (sent % 300) / 10, sent % 360)
end

function request()
  if first == 0 then first = monotonic() end
  if mode == "get" then
    return wrk.format("GET", path, headers)
  end
  sent = sent + 1
  local token = tokens[((sent - 1) * nthreads + number) % #tokens + 1]
  local now = os.time()
  local points = {}
  for i = 1, batch do
    local id = string.format("%s-%04x-4%03x-8000-%012x", nonce, number, 0, sent * 1000 + i)
    points[i] = point(id, os.date("!%Y-%m-%dT%H:%M:%SZ", now - batch + i))
  end
  return wrk.format("POST", path, {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, '{"pings":[' .. table.concat(points, ",") .. "]}")
end

function response(status, headers, body)
  last = monotonic()
  answered = answered + 1
  statuses[status] = (statuses[status] or 0) + 1
  if status == 202 then
    accepted = accepted + tonumber(body:match('"accepted": ?(%d+)') or 0)
  end
end

function done(summary, latency, requests)
  local total, answers, counts, began, ended = 0, 0, {}, math.huge, 0
  for _, thread in ipairs(threads) do
    if thread:get("first") > 0 then began = math.min(began, thread:get("first")) end
    ended = math.max(ended, thread:get("last"))
    total = total + thread:get("accepted")
    answers = answers + thread:get("answered")
    for status, n in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do
    table.insert(parts, string.format('"%d": %d', status, n))
  end
  local e = summary.errors
  io.write(string.format(
    '{"answered": %d, "accepted": %d, "statuses": {%s}, "seconds": %.6f, ' ..
    '"socket_errors": %d, "ended": %.6f, "median_ms": %.3f, "p99_ms": %.3f}\n',
    answers, total, table.concat(parts, ", "), math.max(0, ended - began),
    e.connect + e.read + e.write + e.timeout, ended,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
