-- test/integration/wrk_count.lua — a wrk script for 91-http-nginx.sh: counts
-- the responses of each upstream version (the x-version header nginx adds)
-- and the non-2xx ones, and prints one summary line in done().
--
--   wrk ... -s wrk_count.lua URL -- DIR QUOTA
--
-- QUOTA > 0: each thread counts exactly QUOTA responses, then writes
-- DIR/wrk-done.<thread> and stops its event loop (responses still in flight
-- are not counted).  wrk itself runs for its -d duration regardless, so the
-- test sends it SIGINT once every thread has written its file.  QUOTA 0: no
-- quota, wrk runs for -d.
--
-- The summary line (stdout):
--   RESULT counted=N v1=N v2=N other=N non2xx=N requests=N connect=N read=N
--   write=N timeout=N status=N duration_us=N rps=N p50_us=N p99_us=N
-- requests, the errors and rps are wrk's own (every response it read, the
-- uncounted ones included).

local threads = {}

function setup(thread)
	table.insert(threads, thread)
	thread:set("id", #threads)
end

-- Per-thread state (each thread has its own Lua state; done() reads these
-- globals with thread:get).
counted, v1, v2, other, non2xx = 0, 0, 0, 0, 0
local dir, quota, finished

-- (wrk's own wrk.init sets the Host header, calls this, then builds the
-- request once.)
function init(args)
	dir = args[1] or "."
	quota = tonumber(args[2] or "0") or 0
	finished = false
end

local function version(headers)
	local v = headers["x-version"]
	if v then
		return v
	end
	for k, val in pairs(headers) do
		if string.lower(k) == "x-version" then
			return val
		end
	end
	return nil
end

function response(status, headers, body)
	if finished then
		return
	end
	counted = counted + 1
	if status < 200 or status > 299 then
		non2xx = non2xx + 1
	end
	local v = version(headers)
	if v == "v1" then
		v1 = v1 + 1
	elseif v == "v2" then
		v2 = v2 + 1
	else
		other = other + 1
	end
	if quota > 0 and counted >= quota then
		finished = true
		local f = io.open(dir .. "/wrk-done." .. tostring(id), "w")
		if f then
			f:write(tostring(counted), "\n")
			f:close()
		end
		wrk.thread:stop()
	end
end

function done(summary, latency, requests)
	local t = { counted = 0, v1 = 0, v2 = 0, other = 0, non2xx = 0 }
	for _, thread in ipairs(threads) do
		for k, _ in pairs(t) do
			t[k] = t[k] + (thread:get(k) or 0)
		end
	end
	local e = summary.errors
	local secs = summary.duration / 1e6
	io.write(string.format(
		"RESULT counted=%d v1=%d v2=%d other=%d non2xx=%d requests=%d connect=%d read=%d write=%d timeout=%d status=%d duration_us=%d rps=%.0f p50_us=%d p99_us=%d\n",
		t.counted, t.v1, t.v2, t.other, t.non2xx, summary.requests,
		e.connect, e.read, e.write, e.timeout, e.status, summary.duration,
		secs > 0 and summary.requests / secs or 0,
		latency:percentile(50), latency:percentile(99)))
end
