-- test/integration/wrk_phases.lua — a wrk script for steady load across live
-- config changes (94-live-update.sh, 95-ctrl-canary.sh): counts responses
-- per upstream version (the x-version header nginx adds) in one-second
-- buckets of wall-clock time (os.time()), so a test that knows when each
-- change was applied can check the split of the whole seconds between two
-- changes.
--
--   wrk ... -s wrk_phases.lua URL
--
-- Output (stdout), one line per second that saw responses, then a total:
--   BUCKET t=EPOCH_S v1=N v2=N other=N non2xx=N
--   RESULT v1=N v2=N other=N non2xx=N requests=N connect=N read=N write=N
--   timeout=N status=N rps=N

local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

-- Per thread: the current second's counters, and the finished seconds as a
-- string "t v1 v2 other non2xx;..." (thread:get copies strings and numbers
-- between Lua states; a table makes wrk crash).  Totals count everything,
-- the second still open at the end included.
cur_t, cur = 0, { 0, 0, 0, 0 }
log = ""
t_v1, t_v2, t_other, t_non2xx = 0, 0, 0, 0

local function version(headers)
	for k, val in pairs(headers) do
		if string.lower(k) == "x-version" then
			return val
		end
	end
	return nil
end

function response(status, headers, body)
	local t = os.time()
	if t ~= cur_t then
		if cur_t ~= 0 then
			log = log .. string.format("%d %d %d %d %d;", cur_t, cur[1], cur[2], cur[3], cur[4])
		end
		cur_t, cur = t, { 0, 0, 0, 0 }
	end
	local v = version(headers)
	if v == "v1" then
		cur[1] = cur[1] + 1
		t_v1 = t_v1 + 1
	elseif v == "v2" then
		cur[2] = cur[2] + 1
		t_v2 = t_v2 + 1
	else
		cur[3] = cur[3] + 1
		t_other = t_other + 1
	end
	if status < 200 or status > 299 then
		cur[4] = cur[4] + 1
		t_non2xx = t_non2xx + 1
	end
end

function done(summary, latency, requests)
	local all, keys, tot = {}, {}, { 0, 0, 0, 0 }
	for _, thread in ipairs(threads) do
		for t, a1, a2, a3, a4 in string.gmatch(thread:get("log") or "", "(%d+) (%d+) (%d+) (%d+) (%d+);") do
			t = tonumber(t)
			local a = all[t]
			if a == nil then
				a = { 0, 0, 0, 0 }
				all[t] = a
				table.insert(keys, t)
			end
			a[1] = a[1] + tonumber(a1)
			a[2] = a[2] + tonumber(a2)
			a[3] = a[3] + tonumber(a3)
			a[4] = a[4] + tonumber(a4)
		end
		tot[1] = tot[1] + (thread:get("t_v1") or 0)
		tot[2] = tot[2] + (thread:get("t_v2") or 0)
		tot[3] = tot[3] + (thread:get("t_other") or 0)
		tot[4] = tot[4] + (thread:get("t_non2xx") or 0)
	end
	table.sort(keys)
	for _, t in ipairs(keys) do
		local a = all[t]
		io.write(string.format("BUCKET t=%d v1=%d v2=%d other=%d non2xx=%d\n", t, a[1], a[2], a[3], a[4]))
	end
	local e = summary.errors
	local secs = summary.duration / 1e6
	io.write(string.format(
		"RESULT v1=%d v2=%d other=%d non2xx=%d requests=%d connect=%d read=%d write=%d timeout=%d status=%d rps=%.0f\n",
		tot[1], tot[2], tot[3], tot[4], summary.requests, e.connect, e.read, e.write, e.timeout,
		e.status, secs > 0 and summary.requests / secs or 0))
end
