-- wrk script of bench/bench_votes.py: one of three request mixes, chosen by the first
-- argument after `--`:
--   bare                          GET /bench/bare/
--   baseline KIND                 POST /bench/baseline/ with a distinct (phone, day, KIND)
--   vote SLUG TOKENS ENTRIES THREADS VOTES
--                                 POST /api/v1/campaigns/SLUG/entries/ID/votes/
-- For votes, TOKENS is a file of bearer tokens (one voter each, one a line), ENTRIES a
-- comma-separated list of entry ids, THREADS wrk's thread count and VOTES the votes a
-- voter has a day. Each wrk thread owns a share of the voters and takes them in blocks
-- of BLOCK: every voter of a block casts VOTES votes, for different entries, BLOCK
-- requests apart, so that no two requests in flight are from one voter (a thread has at
-- most 16 connections) and each voter's votes are a first one (which attributes them)
-- and later ones, as in a rush. Only when a thread has used all its voters do they come
-- round again, and the daily limit refuses them (409).
--
-- done() prints one line `BENCH_RESULT {json}` (latencies in microseconds), writes the
-- vote ids of the 201 responses to the file named by $BENCH_IDS_FILE and the latency
-- histogram to $BENCH_HIST_FILE, when set.

local threads = {}

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

local mode, slug, kind
local tokens, entries = {}, {}
local BLOCK = 64
local counter, first, share, votes = 0, 0, 0, 0
created, conflict, other = 0, 0, 0
ids = {}

function init(args)
   mode = args[1]
   if mode == "baseline" then
      kind = args[2]
   elseif mode == "vote" then
      slug = args[2]
      for line in io.lines(args[3]) do
         if line ~= "" then
            table.insert(tokens, line)
         end
      end
      for id in string.gmatch(args[4], "%d+") do
         table.insert(entries, id)
      end
      local nthreads = tonumber(args[5])
      votes = tonumber(args[6])
      share = math.floor(#tokens / nthreads)
      first = tid * share
   end
end

function request()
   counter = counter + 1
   if mode == "bare" then
      return wrk.format("GET", "/bench/bare/")
   elseif mode == "baseline" then
      local body = string.format(
         '{"phone": "+861%02d%08d", "day": "2026-01-01", "kind": "%s"}', tid, counter, kind
      )
      return wrk.format(
         "POST", "/bench/baseline/", { ["Content-Type"] = "application/json" }, body
      )
   end
   local n = counter - 1
   local block, within = math.floor(n / (BLOCK * votes)), n % (BLOCK * votes)
   local pass = math.floor(within / BLOCK)
   local voter = first + (block * BLOCK + within % BLOCK) % share -- 0-based
   local entry = entries[(voter + pass) % #entries + 1]
   return wrk.format(
      "POST",
      "/api/v1/campaigns/" .. slug .. "/entries/" .. entry .. "/votes/",
      {
         ["Authorization"] = "Bearer " .. tokens[voter + 1],
         ["X-Device-Id"] = "bench-device-" .. voter,
         ["User-Agent"] = "wrk-bench",
      }
   )
end

function response(status, headers, body)
   if status == 200 or status == 201 then
      created = created + 1
      if mode == "vote" then
         table.insert(ids, string.match(body, '"vote_id":%s*(%d+)'))
      end
   elseif status == 409 then
      conflict = conflict + 1
   else
      other = other + 1
   end
end

function done(summary, latency, requests)
   local c, k, o = 0, 0, 0
   local path = os.getenv("BENCH_IDS_FILE")
   local out = path and io.open(path, "w")
   for _, thread in ipairs(threads) do
      c = c + thread:get("created")
      k = k + thread:get("conflict")
      o = o + thread:get("other")
      if out then
         for _, id in ipairs(thread:get("ids")) do
            out:write(id, "\n")
         end
      end
   end
   if out then
      out:close()
   end
   -- The latency histogram (microseconds, count), so that the slices of one case can be
   -- merged into exact percentiles: latency(i) is the i-th distinct value and its count.
   local hist = os.getenv("BENCH_HIST_FILE")
   if hist then
      local h = io.open(hist, "w")
      for i = 1, #latency do
         local value, count = latency(i)
         h:write(string.format("%d %d\n", value, count))
      end
      h:close()
   end
   local e = summary.errors
   io.write(
      string.format(
         'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
            .. '"max_us": %d, "ok": %d, "conflict": %d, "other": %d, "socket_errors": %d}\n',
         summary.requests,
         summary.duration,
         latency:percentile(50),
         latency:percentile(99),
         latency.max,
         c,
         k,
         o,
         e.connect + e.read + e.write + e.timeout
      )
   )
end
