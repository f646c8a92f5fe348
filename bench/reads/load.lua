-- wrk script of bench/bench_reads.py: GET one kind of page, each request as a new
-- visitor (its own X-Visitor-Id and X-Forwarded-For address), as when a share link
-- goes round. Arguments after `--`: CASE RUN PATH [ID,ID,...]; RUN makes the visitor ids
-- of each run (slice) of a case new.
--   PATH is the request path; "{id}" in it is replaced by the ids in turn (entries, or
--   share codes), so that the load spreads over them.
-- done() prints `BENCH_RESULT {json}` and the latency histogram to $BENCH_HIST_FILE.

local threads = {}

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

local case, run, path
local ids = {}
local counter = 0
created, conflict, other = 0, 0, 0

function init(args)
   case, run, path = args[1], args[2], args[3]
   if args[4] then
      for id in string.gmatch(args[4], "[^,]+") do
         table.insert(ids, id)
      end
   end
end

function request()
   counter = counter + 1
   local target = path
   if #ids > 0 then
      target = string.gsub(path, "{id}", ids[counter % #ids + 1])
   end
   return wrk.format("GET", target, {
      ["X-Visitor-Id"] = string.format("bench-%s-%s-%d-%d", case, run, tid, counter),
      -- A visitor of its own address (10.0.0.0/8): the per-IP cap never binds.
      ["X-Forwarded-For"] = string.format(
         "10.%d.%d.%d", tid % 256, math.floor(counter / 256) % 256, counter % 256
      ),
      ["Accept"] = "text/html,application/json",
      ["User-Agent"] = "wrk-bench",
   })
end

function response(status, headers, body)
   if status >= 200 and status < 400 then
      created = created + 1
   else
      other = other + 1
   end
end

function done(summary, latency, requests)
   local c, o = 0, 0
   for _, thread in ipairs(threads) do
      c = c + thread:get("created")
      o = o + thread:get("other")
   end
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
         'BENCH_RESULT {"requests": %d, "duration_us": %d, "ok": %d, "conflict": 0, '
            .. '"other": %d, "socket_errors": %d}\n',
         summary.requests,
         summary.duration,
         c,
         o,
         e.connect + e.read + e.write + e.timeout
      )
   )
end
