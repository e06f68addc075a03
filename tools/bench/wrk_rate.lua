-- wrk_rate.lua — wrk at a fixed request rate, for the fixed-rate latency
-- scenario of tools/bench/bench_http.py.
--
--   wrk -t T -c C -d D -s wrk_rate.lua URL -- RATE C
--
-- Each of the C connections waits C/RATE seconds (whole milliseconds, as
-- wrk's delay() takes them) after a response before its next request, so
-- the offered load is about RATE requests/s in all (a little under: a
-- request's own latency adds to its connection's cycle).  Below every
-- proxy's saturation this compares latency at the same load, where a
-- saturated run only shows queueing.  done() prints the percentiles wrk's
-- --latency table leaves out, in microseconds:
--   RATE_LAT p50 p99 p999 max
local pause_ms = 0

function init(args)
   local rate, conns = tonumber(args[1]), tonumber(args[2])
   if rate == nil or rate <= 0 or conns == nil or conns <= 0 then
      error("wrk_rate.lua: want the rate (requests/s) and -c's connections after --")
   end
   pause_ms = math.floor(conns * 1000 / rate + 0.5)
end

function delay()
   return pause_ms
end

function done(summary, latency, requests)
   io.write(string.format("RATE_LAT %d %d %d %d\n", latency:percentile(50),
      latency:percentile(99), latency:percentile(99.9), latency.max))
end
